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

/// The marker paragraph left in the body where a copy lost text.
pub fn gap_marker(note: &str) -> String {
    format!("〔此处原文不完整：{note}〕")
}

/// Splits merged lines at the spaces that were paragraph breaks: before an outline
/// marker, after a sentence end, or after a short heading-like run.
pub fn split_merged(text: &str, p: &Piece) -> Vec<Piece> {
    let t = &text[p.start..p.end];
    if p.kind != LineKind::Para || t.chars().count() <= MERGED_LINE {
        return vec![p.clone()];
    }
    let mut out = Vec::new();
    let mut seg_start = 0;
    let bytes: Vec<(usize, char)> = t.char_indices().collect();
    for (k, &(i, c)) in bytes.iter().enumerate() {
        if !(c == ' ' || c == '\u{3000}') || k == 0 || k + 1 >= bytes.len() {
            continue;
        }
        let prev = bytes[k - 1].1;
        let next_i = bytes[k + 1].0;
        if prev == ' ' || prev == '\u{3000}' || bytes[k + 1].1.is_whitespace() {
            continue;
        }
        let seg = &t[seg_start..i];
        let next = &t[next_i..];
        let short_run = seg.chars().count() <= 30 && !seg.contains(['，', ',', '。', '；']);
        let split = OUTLINE.is_match(next)
            || matches!(
                prev,
                '。' | '！' | '？' | '；' | '：' | '”' | '」' | '!' | '?'
            )
            || short_run;
        if split && !seg.trim().is_empty() {
            out.push(Piece {
                start: p.start + seg_start,
                end: p.start + i,
                kind: LineKind::Para,
                bold: Vec::new(),
            });
            seg_start = next_i;
        }
    }
    out.push(Piece {
        start: p.start + seg_start,
        end: p.end,
        kind: LineKind::Para,
        bold: Vec::new(),
    });
    if out.len() == 1 {
        return vec![p.clone()];
    }
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

/// A converter that writes 〝〞 for quotes also writes 〔〕 for （）: in such a copy,
/// 〔…〕 around anything but a year (the year of a 文号, `〔2021〕`) becomes （…）.
/// Byte lengths do not change, so spans into the text stay valid.
pub fn conversion_brackets(text: &str) -> Option<String> {
    if !text.contains(['〝', '〞']) || !text.contains('〔') {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('〔') {
        out.push_str(&rest[..open]);
        let after = &rest[open + '〔'.len_utf8()..];
        match after.find('〕') {
            Some(close) => {
                let inner = &after[..close];
                let year = inner.len() == 4 && inner.bytes().all(|b| b.is_ascii_digit());
                let short =
                    !inner.is_empty() && inner.chars().count() <= 12 && !inner.contains('\n');
                if short && !year {
                    out.push('（');
                    out.push_str(inner);
                    out.push('）');
                } else {
                    out.push('〔');
                    out.push_str(inner);
                    out.push('〕');
                }
                rest = &after[close + '〕'.len_utf8()..];
            }
            None => {
                out.push('〔');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Some(out)
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
        let c = normal_char(c);
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

/// Quotes written as 〝〞, full-width digits and letters, made plain.
fn normal_char(c: char) -> char {
    match c {
        '〝' => '“',
        '〞' => '”',
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
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
                                    .map(|c| escape(c.trim(), false))
                                    .collect::<Vec<_>>(),
                            );
                            k += 1;
                        }
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
                        let item = format!("- {}", inline(t, &p.bold));
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
                        Some(a) => {
                            out.push(format!("[{}]({})", escape(t, false), link_target(&a.url)))
                        }
                        None => out.push(inline(t, &p.bold)),
                    },
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
                        if let Some(level) = outline_level(t) {
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
    t.chars().count() > 40
        && (('\u{4e00}'..='\u{9fff}').contains(&last) || matches!(last, '，' | ',' | '、'))
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let p = Piece {
            start: 0,
            end: t.len(),
            kind: LineKind::Para,
            bold: vec![],
        };
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
        let p = Piece {
            start: 0,
            end: t.len(),
            kind: LineKind::Para,
            bold: vec![],
        };
        assert_eq!(split_glued_heading(t, p).len(), 1);
    }

    #[test]
    fn conversion_brackets_only_in_converted_copies() {
        assert_eq!(
            conversion_brackets("“一校一策〞，中学校〔幼儿园〕按庆教〔2021〕5号执行").as_deref(),
            Some("“一校一策〞，中学校（幼儿园）按庆教〔2021〕5号执行")
        );
        assert_eq!(conversion_brackets("中学校〔幼儿园〕"), None);
        let t = "〝a〞〔园〕";
        assert_eq!(conversion_brackets(t).map(|c| c.len()), Some(t.len()));
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
        let p = Piece {
            start: 0,
            end: t.len(),
            kind: LineKind::Para,
            bold: vec![],
        };
        let parts: Vec<&str> = split_merged(&t, &p)
            .iter()
            .map(|p| &t[p.start..p.end])
            .collect();
        assert_eq!(parts.len(), 4, "{parts:?}");
        assert_eq!(parts[0], "某局重点工作总结");
        assert_eq!(parts[2], "一、抓统筹");
        assert!(parts[3].ends_with("提供 ,确保落实。"));
    }

    #[test]
    fn quotes_and_tables() {
        let text = "“一校一策〞\n甲\t乙\n1\t2";
        let a = "“一校一策〞".len();
        let b = a + 1 + "甲\t乙".len();
        let piece = |start, end, kind| Piece {
            start,
            end,
            kind,
            bold: vec![],
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
        assert_eq!(b, "“一校一策”\n\n| 甲 | 乙 |\n| --- | --- |\n| 1 | 2 |\n");
    }
}
