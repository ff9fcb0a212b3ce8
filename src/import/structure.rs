//! Lines → Markdown body: merged paragraphs split again at outline markers, outline
//! lines as headings by level, tables as Markdown tables, and every character
//! escaped so the body renders exactly as written.

use std::sync::LazyLock;

use regex::Regex;

use super::Piece;
use super::extract::LineKind;
use super::metadata::title_like;

/// A line longer than this (in characters) with spaces inside is taken for several
/// paragraphs merged by a conversion.
const MERGED_LINE: usize = 200;
/// The longest outline line that is a heading rather than a paragraph.
const HEADING_MAX: usize = 40;

static OUTLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?P<l1>[一二三四五六七八九十百]+、)|(?P<l2>[（(][一二三四五六七八九十百]+[）)])|(?P<l3>\d{1,2}[.．、](?:[^\d]|$))|(?P<l0>[一二三四五六七八九十]是))")
        .expect("constant pattern")
});

/// A numbered line of a list of attachments (`2．名称`, `3、名称`).
static ATTACHMENT_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,2}\s*[.．、]").expect("constant pattern"));

/// An escaped ordered-list marker at the start of an item (`1\. `, `2\) `).
static ORDERED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,9})\\([.)]) ").expect("constant pattern"));

/// The marker paragraph left in the body where a copy lost text.
pub fn gap_marker(note: &str) -> String {
    format!("〔此处原文不完整：{note}〕")
}

/// Splits merged lines at the spaces that were paragraph breaks: before an outline
/// marker, after a sentence end, or after a short heading-like run (a title). In a
/// line merged that way, a section marker right after a sentence end (`…如下：一、`,
/// `…11.2%。二、`, `…下降。（二）`) starts a paragraph too, space or not.
/// `line` is the whole line the piece is (part of): whether it was merged is told
/// from it.
pub fn split_merged(text: &str, p: &Piece, line: &str) -> Vec<Piece> {
    static SECTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)])")
            .expect("constant pattern")
    });
    let t = &text[p.start..p.end];
    let gap = |c: char| c == ' ' || c == '\u{3000}';
    // A merged line has its old paragraph breaks as single spaces between text.
    let line: Vec<char> = line.trim().chars().collect();
    let merged = line.len() > MERGED_LINE
        && line
            .windows(3)
            .any(|w| gap(w[1]) && !w[0].is_whitespace() && !w[2].is_whitespace());
    if p.kind != LineKind::Para || !merged {
        return vec![p.clone()];
    }
    let chars: Vec<(usize, char)> = t.char_indices().collect();
    // Split points as (end of the paragraph before, start of the next).
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut seg_start = 0;
    for (k, &(i, c)) in chars.iter().enumerate() {
        if k == 0 || k + 1 >= chars.len() {
            continue;
        }
        let prev = chars[k - 1].1;
        if !gap(c) {
            // No space: a section marker after a sentence end (`一、` also after a
            // colon or semicolon; `（一）` there is more often an inline list).
            let after_end = matches!(prev, '。' | '！' | '？' | '：' | '；');
            let split = after_end
                && match SECTION.find(&t[i..]) {
                    Some(m) if m.as_str().ends_with('、') => true,
                    Some(_) => matches!(prev, '。' | '！' | '？'),
                    None => false,
                };
            if split {
                cuts.push((i, i));
                seg_start = i;
            }
            continue;
        }
        let next_i = chars[k + 1].0;
        if gap(prev) || chars[k + 1].1.is_whitespace() {
            continue;
        }
        let seg = &t[seg_start..i];
        let next = &t[next_i..];
        let short_run = seg.chars().count() <= 30 && !seg.contains(['，', ',', '。', '；']);
        let titled = seg.chars().count() <= 60 && title_like(seg);
        let split = OUTLINE.is_match(next)
            || matches!(
                prev,
                '。' | '！' | '？' | '；' | '：' | '”' | '」' | '!' | '?'
            )
            || short_run
            || titled;
        if split && !seg.trim().is_empty() {
            cuts.push((i, next_i));
            seg_start = next_i;
        }
    }
    if cuts.is_empty() {
        return vec![p.clone()];
    }
    let piece = |a: usize, b: usize| Piece {
        start: p.start + a,
        end: p.start + b,
        kind: LineKind::Para,
        bold: Vec::new(),
        joins: false,
    };
    let mut out = Vec::new();
    let mut from = 0;
    for (end, next) in cuts {
        if !t[from..end].trim().is_empty() {
            out.push(piece(from, end));
        }
        from = next;
    }
    out.push(piece(from, t.len()));
    out
}

/// An outline heading glued to the first sentence of its section
/// (`1.党建引领呈现新气象一是搭建…`): split before the inner marker when it follows
/// the heading's last character without punctuation.
pub fn split_glued_heading(text: &str, p: Piece) -> Vec<Piece> {
    static INNER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(一是|[（(]一[）)])").expect("constant pattern"));
    let t = &text[p.start..p.end];
    if p.kind != LineKind::Para || !OUTLINE.is_match(t) {
        return vec![p];
    }
    let Some(m) = INNER.find(t) else {
        return vec![p];
    };
    let head = &t[..m.start()];
    let marker_len = OUTLINE.find(t).map_or(0, |o| o.end());
    let glued = m.start() > marker_len
        && head.chars().count() <= HEADING_MAX / 2
        && head
            .chars()
            .last()
            .is_some_and(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
        && !head.contains(['。', '；', '：', ':', '！', '？']);
    if !glued || outline_level(head).is_none() {
        return vec![p];
    }
    let cut = p.start + m.start();
    vec![
        Piece {
            end: cut,
            ..p.clone()
        },
        Piece { start: cut, ..p },
    ]
}

/// The Markdown heading level of an outline line, `None` for a paragraph.
fn outline_level(t: &str) -> Option<usize> {
    let c = OUTLINE.captures(t)?;
    let rest = &t[c.get(0)?.end()..];
    if rest.trim().is_empty()
        || t.chars().count() > HEADING_MAX
        || t.contains(['。', '；', '！', '？', ';'])
        || t.ends_with([':', '：', '，', ',', '、'])
    {
        return None;
    }
    if c.name("l1").is_some() {
        Some(2)
    } else if c.name("l2").is_some() {
        Some(3)
    } else if c.name("l3").is_some() && t.chars().count() <= 20 {
        Some(4)
    } else {
        None
    }
}

/// Escapes text so CommonMark/GFM shows it as written (`*县`, `#`, `_`, `<`, `[`).
pub fn escape(s: &str, at_line_start: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '$'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    if at_line_start {
        // Block markers at a line start: lists, setext/thematic lines, ordered lists.
        if out.starts_with(['-', '+', '=']) {
            out.insert(0, '\\');
        }
        let digits = out.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=9).contains(&digits) && matches!(out.as_bytes().get(digits), Some(b'.' | b')')) {
            out.insert(digits, '\\');
        }
    }
    out
}

fn inline(text: &str, bold: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for &(s, e) in bold {
        if s < at || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&escape(&text[at..s], at == 0));
        let inner = text[s..e].trim();
        if inner.is_empty() {
            out.push_str(&text[s..e]);
        } else {
            out.push_str("**");
            out.push_str(&escape(inner, false));
            out.push_str("**");
        }
        at = e;
    }
    out.push_str(&escape(&text[at..], at == 0));
    out
}

/// One block of the body.
pub enum Block {
    Piece(usize),
    Gap(String),
}

/// Writes the body. `blocks` are piece indices and gap markers in order.
pub fn body(
    text: &str,
    pieces: &[Piece],
    blocks: &[Block],
    attachments: &[super::extract::PageAttachment],
) -> String {
    let mut out: Vec<String> = Vec::new();
    // Inside the list of attachments (`附件：1．…` then `2．…`): its numbered lines are
    // items of that list, not fourth-level headings.
    let mut attachment_list = false;
    let mut k = 0;
    let piece_text = |i: usize| text[pieces[i].start..pieces[i].end].trim();
    while k < blocks.len() {
        match &blocks[k] {
            Block::Gap(note) => {
                out.push(gap_marker(note));
                k += 1;
            }
            Block::Piece(i) => {
                let p = &pieces[*i];
                let t = piece_text(*i);
                match p.kind {
                    LineKind::TableRow { table } => {
                        let mut rows = Vec::new();
                        while let Some(Block::Piece(j)) = blocks.get(k) {
                            if pieces[*j].kind != (LineKind::TableRow { table }) {
                                break;
                            }
                            rows.push(
                                piece_text(*j)
                                    .split('\t')
                                    .map(|c| c.trim().to_string())
                                    .collect::<Vec<_>>(),
                            );
                            k += 1;
                        }
                        // Rows of one cell over a table of several columns (a merged
                        // title row, `单位：万元`) are its caption, not its header.
                        let wide = rows.iter().map(Vec::len).max().unwrap_or(0);
                        while rows.len() > 1
                            && wide > 1
                            && rows[0].iter().filter(|c| !c.is_empty()).count() == 1
                        {
                            let caption = rows.remove(0).concat();
                            out.push(escape(&caption, true));
                        }
                        let rows: Vec<Vec<String>> = rows
                            .iter()
                            .map(|r| r.iter().map(|c| escape(c, false)).collect())
                            .collect();
                        out.push(table_markdown(&rows));
                        continue;
                    }
                    LineKind::Heading(level) => {
                        // The outline marker decides the level when there is one (an
                        // `<h2>一、…</h2>` is a first-level section); else the source's
                        // level, one below the document title.
                        let level = outline_level(t).unwrap_or((level as usize + 1).min(6));
                        let hashes = "#".repeat(level);
                        out.push(format!("{hashes} {}", inline(t, &p.bold)));
                    }
                    LineKind::ListItem => {
                        // An item a Word list numbered (`1. `) is an ordered item; any
                        // other is a bullet.
                        let text = inline(t, &p.bold);
                        let item = match ORDERED.captures(&text) {
                            Some(c) => format!("{}{} {}", &c[1], &c[2], &text[c[0].len()..]),
                            None => format!("- {text}"),
                        };
                        // Consecutive items make one tight list.
                        let prev_item = k > 0
                            && matches!(&blocks[k - 1], Block::Piece(j) if pieces[*j].kind == LineKind::ListItem);
                        match out.last_mut() {
                            Some(last) if prev_item => {
                                last.push('\n');
                                last.push_str(&item);
                            }
                            _ => out.push(item),
                        }
                    }
                    LineKind::Attachment(a) => match attachments.get(a) {
                        // The label before the link (`附件：`) stays text.
                        Some(a) => {
                            match t.strip_suffix(a.name.as_str()).filter(|p| !p.is_empty()) {
                                Some(label) => out.push(format!(
                                    "{}[{}]({})",
                                    escape(label, true),
                                    escape(&a.name, false),
                                    link_target(&a.url)
                                )),
                                None => out.push(format!(
                                    "[{}]({})",
                                    escape(t, false),
                                    link_target(&a.url)
                                )),
                            }
                        }
                        None => out.push(inline(t, &p.bold)),
                    },
                    LineKind::Para
                        if p.joins
                            && k > 0
                            && matches!(&blocks[k - 1], Block::Piece(j) if pieces[*j].kind == LineKind::Para)
                            && out.last().is_some_and(|l| !l.starts_with('#')) =>
                    {
                        // The rest of a run an advert was cut out of.
                        if let Some(last) = out.last_mut() {
                            last.push_str(&inline(t, &p.bold));
                        }
                    }
                    LineKind::Para => {
                        let next_long = match blocks.get(k + 1) {
                            Some(Block::Piece(j)) => {
                                let next = piece_text(*j);
                                let n = next.chars().count();
                                // Over its text, or over its own subtitle (——…).
                                pieces[*j].kind == LineKind::Para
                                    && ((n > 50 && n > 2 * t.chars().count())
                                        || next.starts_with("——"))
                            }
                            _ => false,
                        };
                        let numbered = ATTACHMENT_ITEM.is_match(t);
                        attachment_list = t.starts_with("附件") || (attachment_list && numbered);
                        if let Some(level) = outline_level(t).filter(|_| !attachment_list) {
                            out.push(format!("{} {}", "#".repeat(level), inline(t, &p.bold)));
                        } else if next_long
                            && title_like(t)
                            && t.chars().count() <= 30
                            && !t.contains(['，', ',', '。', '：', ':'])
                            && !t.starts_with(['—', '-', '(', '（', '《', '“'])
                        {
                            // A standalone title over its text: the title of one piece
                            // of a compilation, or a section without a number.
                            out.push(format!("## {}", inline(t, &p.bold)));
                        } else {
                            out.push(inline(t, &p.bold));
                        }
                    }
                }
                k += 1;
            }
        }
    }
    let mut s = out.join("\n\n");
    s.push('\n');
    s
}

/// A link destination that CommonMark reads back unchanged.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            ' ' => out.push_str("%20"),
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            c => out.push(c),
        }
    }
    out
}

fn table_markdown(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let line = |r: &[String]| {
        let mut cells: Vec<String> = r
            .iter()
            .map(|c| if c.is_empty() { " ".into() } else { c.clone() })
            .collect();
        cells.resize(cols, " ".into());
        format!("| {} |", cells.join(" | "))
    };
    let mut out = vec![line(&rows[0]), format!("|{}", " --- |".repeat(cols))];
    out.extend(rows[1..].iter().map(|r| line(r)));
    out.join("\n")
}

/// Whether the last paragraph stops mid-sentence (a truncated copy).
pub fn cut_mid_sentence(t: &str) -> bool {
    let t = t.trim();
    let Some(last) = t.chars().last() else {
        return false;
    };
    // A character cut in half: the file itself was cut.
    if last == '\u{FFFD}' {
        return true;
    }
    // The 版记 that closes a 公文 (抄送：…, ××办公室 2024年4月3日印发) ends without a stop.
    static IMPRINT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(^(抄\s*送|抄\s*报|分\s*送|主\s*送)\s*[:：]|印\s*发$|翻\s*印$)")
            .expect("constant pattern")
    });
    t.chars().count() > 40
        && (('\u{4e00}'..='\u{9fff}').contains(&last) || matches!(last, '，' | ',' | '、'))
        && !IMPRINT.is_match(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole of `t` as one paragraph piece.
    fn para(t: &str) -> Piece {
        Piece {
            start: 0,
            end: t.len(),
            kind: LineKind::Para,
            bold: vec![],
            joins: false,
        }
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("*县教育局", true), "\\*县教育局");
        assert_eq!(
            escape("# 标题_a <b> [x]", true),
            "\\# 标题\\_a \\<b\\> \\[x\\]"
        );
        assert_eq!(escape("1.开展线上教学", true), "1\\.开展线上教学");
        assert_eq!(escape("- 一项", true), "\\- 一项");
        assert_eq!(escape("2021.", false), "2021.");
    }

    #[test]
    fn glued_headings_come_apart() {
        let t = "1.党建引领呈现新气象一是搭建学习平台。二是建设主题馆。";
        let p = para(t);
        let parts: Vec<&str> = split_glued_heading(t, p)
            .iter()
            .map(|p| &t[p.start..p.end])
            .collect();
        assert_eq!(
            parts,
            ["1.党建引领呈现新气象", "一是搭建学习平台。二是建设主题馆。"]
        );
        // A marker after punctuation is the paragraph's own enumeration.
        let t = "一、总体情况，一是完成任务。";
        let p = para(t);
        assert_eq!(split_glued_heading(t, p).len(), 1);
    }

    #[test]
    fn outline_levels() {
        assert_eq!(outline_level("一、围绕疫情防控抓统筹"), Some(2));
        assert_eq!(outline_level("（三）全面对标优质均衡"), Some(3));
        assert_eq!(outline_level("2.推动基层党组织建设"), Some(4));
        assert_eq!(
            outline_level("一、总体要求。各地要认真落实有关规定，确保工作取得实效。"),
            None
        );
        assert_eq!(outline_level("2021年工作"), None);
    }

    #[test]
    fn splits_merged_paragraphs() {
        let t = format!(
            "某局重点工作总结 {} 一、抓统筹 {}，提供 ,确保落实。",
            "全年工作扎实推进。".repeat(10),
            "教育系统严格落实部署".repeat(10)
        );
        let p = para(&t);
        let parts: Vec<&str> = split_merged(&t, &p, &t)
            .iter()
            .map(|p| &t[p.start..p.end])
            .collect();
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert_eq!(parts[0], "某局重点工作总结");
        assert_eq!(parts[2], "一、抓统筹");
        assert!(parts[3].ends_with("提供 ,确保落实。"));
    }

    #[test]
    fn splits_merged_bodies_at_sections_after_a_sentence() {
        // One line a sharing site merged: sections follow sentence ends with no space.
        let t = format!(
            "现将有关情况报告如下：一、总体情况 {}。二、存在的问题 （一）动力不足。{}。（二）业态滞后。三、打算 全年增长15%。 某县商务局 2024年7月12日",
            "全县消费品市场运行平稳，零售额稳步增长".repeat(4),
            "居民收入增长放缓，消费意愿偏弱".repeat(4)
        );
        let p = para(&t);
        let parts: Vec<&str> = split_merged(&t, &p, &t)
            .iter()
            .map(|p| t[p.start..p.end].trim())
            .collect();
        for want in [
            "一、总体情况",
            "二、存在的问题",
            "（二）业态滞后。",
            "三、打算",
            "某县商务局",
            "2024年7月12日",
        ] {
            assert!(parts.contains(&want), "{want} in {parts:?}");
        }
        // Not merged (no spaces between its paragraphs): a long line stays whole.
        let one = format!("{}：一、甲。二、乙。", "正文".repeat(110));
        assert_eq!(split_merged(&one, &para(&one), &one).len(), 1);
    }

    #[test]
    fn a_tables_title_row_is_its_caption() {
        let text = "2024年工作安排表\n阶段\t时间\n动员\t3月";
        let a = "2024年工作安排表".len();
        let b = a + 1 + "阶段\t时间".len();
        let row = LineKind::TableRow { table: 1 };
        let piece = |start, end| Piece {
            start,
            end,
            kind: row,
            bold: vec![],
            joins: false,
        };
        let pieces = vec![piece(0, a), piece(a + 1, b), piece(b + 1, text.len())];
        let b = body(
            text,
            &pieces,
            &[Block::Piece(0), Block::Piece(1), Block::Piece(2)],
            &[],
        );
        assert_eq!(
            b,
            "2024年工作安排表\n\n| 阶段 | 时间 |\n| --- | --- |\n| 动员 | 3月 |\n"
        );
    }

    #[test]
    fn paragraphs_and_tables() {
        let text = "“一校一策〞\n甲\t乙\n1\t2";
        let a = "“一校一策〞".len();
        let b = a + 1 + "甲\t乙".len();
        let piece = |start, end, kind| Piece {
            start,
            end,
            kind,
            bold: vec![],
            joins: false,
        };
        let row = LineKind::TableRow { table: 1 };
        let pieces = vec![
            piece(0, a, LineKind::Para),
            piece(a + 1, b, row),
            piece(b + 1, text.len(), row),
        ];
        let b = body(
            text,
            &pieces,
            &[Block::Piece(0), Block::Piece(1), Block::Piece(2)],
            &[],
        );
        // The quotes are the repair module's to fix; the body keeps them as written.
        assert_eq!(b, "“一校一策〞\n\n| 甲 | 乙 |\n| --- | --- |\n| 1 | 2 |\n");
    }
}
