//! Placed text → lines: what the PDF reader and OCR share. Both give pieces of text
//! with their boxes on the page (a PDF glyph, a recognised word); this module finds the
//! lines, the running headers, footers and page numbers, the tables and the paragraphs,
//! and gives them to the rest of the importer as an [`Extracted`].
//!
//! Coordinates are top-down (`top < bottom`) in any unit: every threshold is a multiple
//! of the type size, or a share of the page.

use std::collections::BTreeMap;

use super::extract::{Extracted, LineKind, PageMeta, Region};
use crate::search::tokenize::is_han;

/// A piece of text and its box.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub text: String,
    pub x0: f32,
    pub x1: f32,
    pub top: f32,
    pub bottom: f32,
    /// Type size (for OCR: the height of the line the word is on).
    pub size: f32,
    pub bold: bool,
}

/// One page of placed text.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub items: Vec<Placed>,
}

/// A file read page by page (a PDF, an image): its lines, and what the report and the
/// front matter say about how they were read.
#[derive(Debug, Default)]
pub struct Reading {
    pub extracted: Extracted,
    /// How the text was read, for the report's `encoding` (`pdf`, `pdf+ocr`, `ocr`).
    pub method: String,
    /// The pages recognised by OCR, for `来源.文字识别`; `None` when there was no OCR.
    pub ocr: Option<String>,
    /// For the report: pages or text left out, doubtful OCR.
    pub warnings: Vec<String>,
    /// Why the reader stopped before the end of the file (a cap on rows or pages): the
    /// document is marked incomplete there.
    pub cut: Option<String>,
}

/// `1-3, 5`: page numbers (1-based) as ranges.
pub fn page_ranges(pages: &[usize]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < pages.len() {
        let mut j = i;
        while j + 1 < pages.len() && pages[j + 1] == pages[j] + 1 {
            j += 1;
        }
        out.push(if j > i {
            format!("{}-{}", pages[i], pages[j])
        } else {
            pages[i].to_string()
        });
        i = j + 1;
    }
    out.join(", ")
}

/// Running headers and footers sit in this share of the page at its top or bottom.
const MARGIN_ZONE: f32 = 0.12;
/// A gap wider than this many type sizes splits a line into table cells.
const CELL_GAP: f32 = 1.6;
/// A gap wider than this many type sizes between two Latin letters or digits is a space.
const WORD_GAP: f32 = 0.2;
/// Type this much larger than the body's is a title or heading.
const LARGER: f32 = 1.15;

/// A line of a page: its text, cut into cells where the gaps are wide.
#[derive(Debug, Clone)]
struct TextLine {
    page: usize,
    cells: Vec<Cell>,
    x0: f32,
    x1: f32,
    top: f32,
    bottom: f32,
    size: f32,
    bold: bool,
    /// The width of the line's first Latin word (0 when it starts with Chinese): had
    /// it fitted on the line above, it would be there.
    first_word: f32,
}

#[derive(Debug, Clone)]
struct Cell {
    text: String,
}

impl TextLine {
    fn text(&self) -> String {
        let mut s = String::new();
        for c in &self.cells {
            join_into(&mut s, &c.text, true);
        }
        s
    }
}

/// East Asian text: no space is ever put next to it.
fn is_wide(c: char) -> bool {
    is_han(c)
        || matches!(c,
            '\u{3000}'..='\u{303F}' | '\u{FF00}'..='\u{FFEF}' | '\u{2E80}'..='\u{2FDF}'
            | '\u{3040}'..='\u{30FF}' | '\u{3100}'..='\u{312F}' | '\u{31A0}'..='\u{31BF}'
            | '\u{2014}' | '\u{2026}' | '\u{201C}' | '\u{201D}' | '\u{2018}' | '\u{2019}'
            | '\u{00B7}')
}

/// Appends `next` to `s`; with `space` a space goes between them when neither side
/// is East Asian (so `2024年` stays whole while `GB 2763` keeps its space).
fn join_into(s: &mut String, next: &str, space: bool) {
    let (Some(a), Some(b)) = (s.chars().next_back(), next.chars().next()) else {
        s.push_str(next);
        return;
    };
    if space && !a.is_whitespace() && !b.is_whitespace() && !is_wide(a) && !is_wide(b) {
        s.push(' ');
    }
    s.push_str(next);
}

/// The lines of one page, top to bottom, each left to right.
fn page_lines(page_no: usize, page: &Page) -> Vec<TextLine> {
    let mut items: Vec<&Placed> = page
        .items
        .iter()
        .filter(|p| !p.text.trim().is_empty() || p.text == " ")
        .filter(|p| p.size > 0.0 && p.x0.is_finite() && p.top.is_finite())
        .collect();
    items.sort_by(|a, b| centre(a).total_cmp(&centre(b)).then(a.x0.total_cmp(&b.x0)));
    // Rows by vertical centre: a piece whose centre is within 40% of the row's type
    // size from the row's centre is on that row.
    let mut rows: Vec<Vec<&Placed>> = Vec::new();
    let mut row_centre = f32::NEG_INFINITY;
    let mut row_size = 0.0f32;
    for p in items {
        let c = centre(p);
        if rows.is_empty() || (c - row_centre).abs() > 0.4 * row_size.min(p.size) {
            rows.push(Vec::new());
            row_centre = c;
            row_size = p.size;
        }
        if let Some(r) = rows.last_mut() {
            r.push(p);
        }
    }
    let mut lines = Vec::new();
    for mut row in rows {
        row.sort_by(|a, b| a.x0.total_cmp(&b.x0));
        // A glyph drawn twice at (almost) the same place is simulated bold type.
        let mut deduped: Vec<&Placed> = Vec::with_capacity(row.len());
        let mut overprinted = 0;
        for p in row {
            if let Some(last) = deduped.last()
                && last.text == p.text
                && (p.x0 - last.x0).abs() < 0.15 * p.size
                && (p.top - last.top).abs() < 0.15 * p.size
            {
                overprinted += 1;
                continue;
            }
            deduped.push(p);
        }
        let visible: Vec<&&Placed> = deduped.iter().filter(|p| p.text.trim() != "").collect();
        if visible.is_empty() {
            continue;
        }
        let size = median(visible.iter().map(|p| p.size));
        let mut cells: Vec<Cell> = Vec::new();
        let mut last_x1 = f32::NEG_INFINITY;
        let mut pending_space = false;
        for p in &deduped {
            if p.text.trim().is_empty() {
                pending_space = true;
                continue;
            }
            let gap = p.x0 - last_x1;
            match cells.last_mut() {
                Some(cell) if gap <= CELL_GAP * size => {
                    let t = p.text.trim();
                    let space = pending_space || gap > WORD_GAP * size;
                    join_into(&mut cell.text, t, space);
                }
                _ => cells.push(Cell {
                    text: p.text.trim().to_string(),
                }),
            }
            pending_space = false;
            last_x1 = last_x1.max(p.x1);
        }
        let bold_count = visible.iter().filter(|p| p.bold).count();
        let word: Vec<&&&Placed> = visible
            .iter()
            .take_while(|p| p.text.chars().all(|c| !is_wide(c) && !c.is_whitespace()))
            .collect();
        let first_word = match (word.first(), word.last()) {
            (Some(a), Some(b)) => b.x1 - a.x0,
            _ => 0.0,
        };
        lines.push(TextLine {
            page: page_no,
            cells,
            x0: visible.iter().map(|p| p.x0).fold(f32::INFINITY, f32::min),
            x1: visible
                .iter()
                .map(|p| p.x1)
                .fold(f32::NEG_INFINITY, f32::max),
            top: visible.iter().map(|p| p.top).fold(f32::INFINITY, f32::min),
            bottom: visible
                .iter()
                .map(|p| p.bottom)
                .fold(f32::NEG_INFINITY, f32::max),
            size,
            bold: bold_count * 2 > visible.len() || overprinted * 2 > visible.len(),
            first_word,
        });
    }
    lines
}

fn centre(p: &Placed) -> f32 {
    (p.top + p.bottom) / 2.0
}

fn median(v: impl Iterator<Item = f32>) -> f32 {
    let mut v: Vec<f32> = v.collect();
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f32::total_cmp);
    v[v.len() / 2]
}

/// `— 1 —`, `- 2 -`, `第1页 共3页`, `第 2 页`, `3/10`, `Page 4`: a page number.
fn is_page_number(t: &str) -> bool {
    static PAGE_NO: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"(?ix)^(
                [-—–－―~·\s]*\d{1,4}[-—–－―~·\s]*
              | 第\s*\d{1,4}\s*页\s*[,，/]?\s*(共\s*\d{1,4}\s*页)?
              | (共\s*\d{1,4}\s*页\s*[,，]?\s*)第\s*\d{1,4}\s*页
              | \d{1,4}\s*/\s*\d{1,4}
              | page\s*\d{1,4}(\s*(of|/)\s*\d{1,4})?
            )$",
        )
        .expect("a valid pattern")
    });
    PAGE_NO.is_match(t.trim())
}

/// What [`chrome`] found: by (page, line index), the reason.
type ChromeLines = BTreeMap<(usize, usize), String>;

/// Running headers, footers and page numbers: lines at the top or bottom of a page
/// that are page numbers, or whose text (digits aside) recurs at the same place on
/// other pages.
fn chrome(pages: &[Page], lines: &[Vec<TextLine>]) -> ChromeLines {
    let mut found = ChromeLines::new();
    // (zone, text with digits as #) → pages it is on.
    let mut seen: BTreeMap<(bool, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (p, page_lines) in lines.iter().enumerate() {
        let h = pages[p].height.max(1.0);
        let n = page_lines.len();
        // At most the two outermost lines at each end, and only inside the margin zone.
        let ends = (0..n.min(2)).chain(n.saturating_sub(2)..n);
        for i in ends {
            let l = &page_lines[i];
            let top_zone = l.bottom <= h * MARGIN_ZONE;
            let bottom_zone = l.top >= h * (1.0 - MARGIN_ZONE);
            if !top_zone && !bottom_zone {
                continue;
            }
            let text = l.text();
            let place = if top_zone { "header" } else { "footer" };
            if is_page_number(&text) {
                found.insert((p, i), format!("PDF page number (page {} {place})", p + 1));
                continue;
            }
            let key: String = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect();
            let list = seen.entry((top_zone, key)).or_default();
            if list.last() != Some(&(p, i)) {
                list.push((p, i));
            }
        }
    }
    let page_count = pages.len();
    for ((top, _), at) in seen {
        let on_pages = {
            let mut v: Vec<usize> = at.iter().map(|a| a.0).collect();
            v.dedup();
            v.len()
        };
        if on_pages >= 2 && on_pages * 2 >= page_count {
            let what = if top { "header" } else { "footer" };
            // A title on the first page that repeats the running header is set larger.
            let size = median(at.iter().map(|&(p, i)| lines[p][i].size));
            for a in at {
                if lines[a.0][a.1].size > 1.3 * size {
                    continue;
                }
                found.insert(
                    a,
                    format!("PDF running {what}, repeated on {on_pages} pages"),
                );
            }
        }
    }
    found
}

/// Lines made into paragraphs, headings and table rows.
pub fn extract(pages: &[Page]) -> Extracted {
    let lines: Vec<Vec<TextLine>> = pages
        .iter()
        .enumerate()
        .map(|(i, p)| page_lines(i, p))
        .collect();
    let chrome = chrome(pages, &lines);
    let chrome_ref = &chrome;
    let body: Vec<&TextLine> = lines
        .iter()
        .enumerate()
        .flat_map(|(p, ls)| {
            ls.iter()
                .enumerate()
                .filter(move |(i, _)| !chrome_ref.contains_key(&(p, *i)))
                .map(|(_, l)| l)
        })
        .collect();
    let geometry = Geometry::of(&body);
    let mut out = Extracted {
        page: PageMeta::default(),
        ..Default::default()
    };
    // Chrome lines wait until the paragraph open across their page break is written.
    let mut pending_chrome: Vec<(String, String)> = Vec::new();
    let mut para: Option<Paragraph> = None;
    let mut tables = 0;
    let mut in_table = false;
    let mut head = true;
    for (p, page_lines) in lines.iter().enumerate() {
        for (i, l) in page_lines.iter().enumerate() {
            if let Some(reason) = chrome.get(&(p, i)) {
                pending_chrome.push((l.text(), reason.clone()));
                continue;
            }
            // A table: two or more cells on this line and on the next or the previous
            // line; the rows follow each other.
            if l.cells.len() >= 2 && (in_table || next_is_row(page_lines, i, &chrome, p)) {
                if !in_table {
                    tables += 1;
                    in_table = true;
                }
                flush(&mut out, &mut para, &mut pending_chrome, &geometry, head);
                let cells: Vec<&str> = l.cells.iter().map(|c| c.text.as_str()).collect();
                out.push(
                    &cells.join("\t"),
                    LineKind::TableRow { table: tables },
                    Region::Content,
                    Vec::new(),
                );
                continue;
            }
            in_table = false;
            let continues = para
                .as_ref()
                .is_some_and(|open| geometry.continues(open, l));
            if !continues {
                flush(&mut out, &mut para, &mut pending_chrome, &geometry, head);
                if head && (l.size - geometry.body_size).abs() <= 0.1 * geometry.body_size {
                    // The head (masthead, 文号, title) ends at the first body-size line.
                    head = out.lines.is_empty();
                }
            }
            let text = l.text();
            match &mut para {
                Some(open) => {
                    let space = ends_latin(&open.text, &text);
                    join_into(&mut open.text, &text, space);
                    open.last = l.clone();
                    open.lines += 1;
                }
                None => {
                    para = Some(Paragraph {
                        text,
                        first: l.clone(),
                        last: l.clone(),
                        lines: 1,
                    })
                }
            }
        }
    }
    flush(&mut out, &mut para, &mut pending_chrome, &geometry, head);
    out
}

/// Whether line `i + 1` of the page (chrome aside) also has two or more cells.
fn next_is_row(lines: &[TextLine], i: usize, chrome: &ChromeLines, page: usize) -> bool {
    lines
        .iter()
        .enumerate()
        .skip(i + 1)
        .find(|(j, _)| !chrome.contains_key(&(page, *j)))
        .is_some_and(|(_, l)| l.cells.len() >= 2)
}

/// Two Latin words meeting at a line break get a space; Chinese never does.
fn ends_latin(a: &str, b: &str) -> bool {
    let x = a.chars().next_back();
    let y = b.chars().next();
    matches!((x, y), (Some(x), Some(y)) if x.is_ascii_alphanumeric() && y.is_ascii_alphanumeric())
}

struct Paragraph {
    text: String,
    first: TextLine,
    last: TextLine,
    lines: usize,
}

/// The body's type size and text block, found from all lines.
struct Geometry {
    body_size: f32,
    left: f32,
    right: f32,
}

impl Geometry {
    fn of(lines: &[&TextLine]) -> Geometry {
        // The body size: the size most characters are set in.
        let mut by_size: BTreeMap<i64, usize> = BTreeMap::new();
        for l in lines {
            let chars: usize = l.cells.iter().map(|c| c.text.chars().count()).sum();
            *by_size.entry((l.size * 4.0).round() as i64).or_default() += chars;
        }
        let body_size = by_size
            .iter()
            .max_by_key(|(size, n)| (**n, -**size))
            .map_or(12.0, |(s, _)| *s as f32 / 4.0);
        let body: Vec<&&TextLine> = lines
            .iter()
            .filter(|l| (l.size - body_size).abs() <= 0.15 * body_size && l.cells.len() == 1)
            .collect();
        // The left edge: where continued lines start (the leftmost body line: first
        // lines may be indented); the right: where full lines end.
        let left = body
            .iter()
            .filter(|l| {
                l.cells
                    .iter()
                    .map(|c| c.text.chars().count())
                    .sum::<usize>()
                    >= 4
            })
            .map(|l| l.x0)
            .fold(f32::INFINITY, f32::min);
        let left = if left.is_finite() { left } else { 0.0 };
        let mut ends: Vec<f32> = body.iter().map(|l| l.x1).collect();
        ends.sort_by(f32::total_cmp);
        let right = ends
            .get(ends.len().saturating_sub(1).min(ends.len() * 9 / 10))
            .copied()
            .unwrap_or(left);
        Geometry {
            body_size,
            left,
            right,
        }
    }

    /// Whether line `l` goes on the paragraph `p`: the paragraph's last line ran to
    /// the right edge, and this one starts at the left edge in the same type, close
    /// below (or at the top of the next page). Centred lines of large type (a title
    /// over two lines) go together too.
    fn continues(&self, p: &Paragraph, l: &TextLine) -> bool {
        let last = &p.last;
        let size = l.size;
        if (size - last.size).abs() > 0.2 * size {
            return false;
        }
        let same_page = last.page == l.page;
        if same_page && (l.top - last.bottom > 1.0 * size || l.top < last.top) {
            return false;
        }
        if !same_page && l.page != last.page + 1 {
            return false;
        }
        // A title over two lines: large type, close together.
        if size >= self.body_size * LARGER && same_page {
            return true;
        }
        // Full: no room left for the next line's first character or Latin word.
        let room = self.right - last.x1;
        let full = room < 1.5 * size || room < l.first_word + 0.5 * size;
        let at_left = (l.x0 - self.left).abs() < 0.8 * size;
        full && at_left && !starts_outline(&l.text())
    }
}

/// `一、`, `（一）`, `1.`, `(1)`: a line that starts a section or item.
fn starts_outline(t: &str) -> bool {
    static OUTLINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十\d]+[）)]|\d+[.．、])",
        )
        .expect("a valid pattern")
    });
    OUTLINE.is_match(t)
}

/// Writes the open paragraph (and the chrome lines that waited for it).
fn flush(
    out: &mut Extracted,
    para: &mut Option<Paragraph>,
    pending: &mut Vec<(String, String)>,
    g: &Geometry,
    head: bool,
) {
    if let Some(p) = para.take() {
        let larger = p.first.size >= g.body_size * LARGER;
        let short = p.text.chars().count() <= 40
            && !p.text.contains(['。', '；', '！', '？', '，'])
            && p.lines == 1;
        // In the head, large lines (masthead, title) stay text: metadata reads them.
        let kind = if !head && short && (larger || p.first.bold) {
            LineKind::Heading(if larger { 1 } else { 2 })
        } else {
            LineKind::Para
        };
        out.push(&p.text, kind, Region::Content, Vec::new());
    }
    for (text, reason) in pending.drain(..) {
        out.push(&text, LineKind::Para, Region::Chrome(reason), Vec::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of `text` set at `size`, starting at `x` on line `row` of the page, one
    /// placed piece per character (CJK glyphs a full em wide, others half).
    fn line(text: &str, x: f32, row: f32, size: f32) -> Vec<Placed> {
        let mut out = Vec::new();
        let mut at = x;
        for c in text.chars() {
            let w = if is_wide(c) { size } else { size / 2.0 };
            out.push(Placed {
                text: c.to_string(),
                x0: at,
                x1: at + w,
                top: row,
                bottom: row + size,
                size,
                bold: false,
            });
            at += w;
        }
        out
    }

    fn page(lines: Vec<Vec<Placed>>) -> Page {
        Page {
            width: 600.0,
            height: 800.0,
            items: lines.into_iter().flatten().collect(),
        }
    }

    fn texts(x: &Extracted) -> Vec<(String, LineKind, bool)> {
        x.lines
            .iter()
            .map(|l| {
                (
                    x.line_text(l).to_string(),
                    l.kind,
                    matches!(l.region, Region::Chrome(_)),
                )
            })
            .collect()
    }

    #[test]
    fn page_numbers_are_recognised() {
        for t in [
            "— 1 —",
            "- 2 -",
            "第1页 共3页",
            "第 2 页",
            "3/10",
            "Page 4 of 9",
            "12",
        ] {
            assert!(is_page_number(t), "{t}");
        }
        for t in ["2024年3月20日", "一、总体要求", "第一章"] {
            assert!(!is_page_number(t), "{t}");
        }
    }

    #[test]
    fn no_space_between_chinese_and_digits_but_between_latin_words() {
        // Autospace between CJK and digits leaves a visible gap.
        let mut items = line("截至", 100.0, 100.0, 10.0);
        items.extend(line("2024", 123.0, 100.0, 10.0));
        items.extend(line("年", 146.0, 100.0, 10.0));
        items.extend(line("GB", 160.0, 100.0, 10.0));
        items.extend(line("2763", 173.0, 100.0, 10.0));
        let x = extract(&[page(vec![items])]);
        assert_eq!(x.text, "截至2024年GB 2763");
    }

    #[test]
    fn a_paragraph_runs_across_lines_and_pages_and_footers_go() {
        let full = "一".repeat(40);
        // First lines indented two characters, all lines ending at the right edge.
        let first = format!("这是第一段的开头{}", "甲".repeat(30));
        let second = format!("第二段开头，{}", "乙".repeat(32));
        let p1 = page(vec![
            line(&first, 120.0, 100.0, 10.0),
            line(&full, 100.0, 115.0, 10.0),
            line(&second, 120.0, 140.0, 10.0),
            line(&full, 100.0, 155.0, 10.0),
            line("— 1 —", 280.0, 760.0, 10.0),
        ]);
        let p2 = page(vec![
            line("青溪县年度报告", 260.0, 30.0, 8.0),
            line("接着上一页。", 100.0, 100.0, 10.0),
            line("— 2 —", 280.0, 760.0, 10.0),
        ]);
        let p0 = page(vec![
            line("青溪县年度报告", 260.0, 30.0, 8.0),
            line("序言。", 120.0, 100.0, 10.0),
        ]);
        let x = extract(&[p0, p1, p2]);
        let t = texts(&x);
        let body: Vec<&str> = t.iter().filter(|l| !l.2).map(|l| l.0.as_str()).collect();
        assert_eq!(
            body,
            vec![
                "序言。",
                &format!("{first}{full}"),
                &format!("{second}{full}接着上一页。"),
            ]
        );
        let chrome: Vec<&str> = t.iter().filter(|l| l.2).map(|l| l.0.as_str()).collect();
        assert_eq!(
            chrome,
            vec!["青溪县年度报告", "—1—", "青溪县年度报告", "—2—"]
        );
    }

    #[test]
    fn a_centred_title_over_two_lines_is_one_line_and_tables_are_rows() {
        let body = "正".repeat(40);
        let mut rows = Vec::new();
        for (i, r) in [["项目", "2023年"], ["主动公开", "2861条"]]
            .iter()
            .enumerate()
        {
            let y = 200.0 + 15.0 * i as f32;
            let mut items = line(r[0], 110.0, y, 10.0);
            items.extend(line(r[1], 300.0, y, 10.0));
            rows.push(items);
        }
        let mut lines = vec![
            line("青溪县人民政府关于", 220.0, 40.0, 20.0),
            line("做好春耕工作的通知", 220.0, 62.0, 20.0),
            line(&body, 100.0, 100.0, 10.0),
            line("一、总体要求", 120.0, 120.0, 14.0),
            line(&body, 100.0, 140.0, 10.0),
        ];
        lines.extend(rows);
        let x = extract(&[page(lines)]);
        let t = texts(&x);
        assert_eq!(t[0].0, "青溪县人民政府关于做好春耕工作的通知");
        assert_eq!(t[0].1, LineKind::Para);
        assert_eq!(t[2].1, LineKind::Heading(1));
        assert_eq!(t[4].0, "项目\t2023年");
        assert_eq!(t[5].0, "主动公开\t2861条");
        assert!(matches!(t[5].1, LineKind::TableRow { table: 1 }));
    }
}
