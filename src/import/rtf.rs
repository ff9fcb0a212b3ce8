//! RTF → lines, for the RTF files that old portals served as .doc: paragraphs and
//! table rows. Text in `\'hh` bytes is decoded with the code page in force (the
//! font's `\fcharset`, else the document's `\ansicpg`; GBK for Chinese), `\uN` is a
//! character and its fallback bytes are skipped. Destinations that are not text
//! (font and colour tables, styles, pictures, field instructions, page headers and
//! footers, anything marked `\*`) are skipped.

use std::collections::BTreeMap;

use encoding_rs::Encoding;

use super::extract::{Extracted, LineKind, Region, squeeze};

/// Groups nest at most this deep; deeper ones are read as if at this depth.
const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, Copy)]
struct State {
    skip: bool,
    /// Inside the font table: `\fN` defines font N there.
    font_table: bool,
    encoding: &'static Encoding,
    /// Fallback characters after `\uN`.
    uc: usize,
}

/// The code page of a `\fcharset` value.
fn charset(n: i32) -> Option<&'static Encoding> {
    Some(match n {
        134 => encoding_rs::GBK,
        136 => encoding_rs::BIG5,
        128 => encoding_rs::SHIFT_JIS,
        129 => encoding_rs::EUC_KR,
        0 => encoding_rs::WINDOWS_1252,
        _ => return None,
    })
}

/// The code page of an `\ansicpg` value.
fn codepage(n: i32) -> Option<&'static Encoding> {
    Some(match n {
        936 => encoding_rs::GBK,
        950 => encoding_rs::BIG5,
        932 => encoding_rs::SHIFT_JIS,
        949 => encoding_rs::EUC_KR,
        54936 => encoding_rs::GB18030,
        65001 => encoding_rs::UTF_8,
        1250..=1258 => codepage_125x(n)?,
        _ => return None,
    })
}

fn codepage_125x(n: i32) -> Option<&'static Encoding> {
    Encoding::for_label(format!("windows-{n}").as_bytes())
}

/// Destinations whose text is not the document's.
const SKIPPED: [&str; 22] = [
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "fldinst",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "listtable",
    "listoverridetable",
    "rsidtbl",
    "themedata",
    "datastore",
    "latentstyles",
    "xmlnstbl",
    "generator",
];

struct Reader {
    out: Extracted,
    para: String,
    cells: Vec<String>,
    table: usize,
    in_table: bool,
    row_open: bool,
    bytes: Vec<u8>,
    fonts: BTreeMap<i32, &'static Encoding>,
    font_def: Option<i32>,
    default_encoding: &'static Encoding,
    /// Fallback characters still to skip.
    skip_fallback: usize,
}

/// Reads an RTF file.
pub fn read(src: &[u8]) -> Result<Extracted, String> {
    if !src.trim_ascii_start().starts_with(b"{\\rtf") {
        return Err("not an RTF file".into());
    }
    let mut r = Reader {
        out: Extracted::default(),
        para: String::new(),
        cells: Vec::new(),
        table: 0,
        in_table: false,
        row_open: false,
        bytes: Vec::new(),
        fonts: BTreeMap::new(),
        font_def: None,
        default_encoding: encoding_rs::WINDOWS_1252,
        skip_fallback: 0,
    };
    let mut stack: Vec<State> = Vec::new();
    let mut st = State {
        skip: false,
        font_table: false,
        encoding: encoding_rs::WINDOWS_1252,
        uc: 1,
    };
    let mut i = 0;
    // Set after `{`: the group's first control word may name a destination.
    let mut group_start = false;
    while i < src.len() {
        let b = src[i];
        match b {
            b'{' => {
                r.flush(&st);
                if stack.len() < MAX_DEPTH {
                    stack.push(st);
                }
                group_start = true;
                i += 1;
                continue;
            }
            b'}' => {
                r.flush(&st);
                if st.font_table {
                    r.font_def = None;
                }
                if let Some(s) = stack.pop() {
                    st = s;
                }
                i += 1;
            }
            b'\\' => {
                let Some(&next) = src.get(i + 1) else { break };
                if next.is_ascii_alphabetic() {
                    let start = i + 1;
                    let mut j = start;
                    while j < src.len() && j - start < 32 && src[j].is_ascii_alphabetic() {
                        j += 1;
                    }
                    let word = std::str::from_utf8(&src[start..j]).unwrap_or("");
                    let num_start = j;
                    if j < src.len() && src[j] == b'-' {
                        j += 1;
                    }
                    while j < src.len() && j - num_start < 11 && src[j].is_ascii_digit() {
                        j += 1;
                    }
                    let param: Option<i32> = std::str::from_utf8(&src[num_start..j])
                        .ok()
                        .and_then(|s| s.parse().ok());
                    if j < src.len() && src[j] == b' ' {
                        j += 1;
                    }
                    i = j;
                    r.control(word, param, &mut st, group_start);
                } else if next == b'\'' {
                    let hex = src
                        .get(i + 2..i + 4)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        r.byte(byte, &st);
                    }
                    i += 4;
                } else {
                    r.flush(&st);
                    match next {
                        b'*' => st.skip = true,
                        b'~' => r.text(" ", &st),
                        b'_' => r.text("-", &st),
                        b'\n' | b'\r' => r.paragraph(),
                        b'\\' | b'{' | b'}' => r.text(&(next as char).to_string(), &st),
                        _ => {}
                    }
                    i += 2;
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                r.byte(b, &st);
                i += 1;
            }
        }
        group_start = false;
    }
    r.flush(&st);
    r.paragraph();
    r.end_table();
    Ok(r.out)
}

impl Reader {
    fn control(&mut self, word: &str, param: Option<i32>, st: &mut State, group_start: bool) {
        // Characters arrive as bytes until a control word: decode them first.
        if word != "u" {
            self.flush(st);
        }
        if group_start && SKIPPED.contains(&word) {
            st.skip = true;
        }
        match word {
            "fonttbl" => st.font_table = true,
            "ansicpg" => {
                if let Some(e) = param.and_then(codepage) {
                    self.default_encoding = e;
                    st.encoding = e;
                }
            }
            "f" if st.font_table => self.font_def = param,
            "fcharset" if st.font_table => {
                if let (Some(f), Some(e)) = (self.font_def, param.and_then(charset)) {
                    self.fonts.insert(f, e);
                }
            }
            "f" => {
                st.encoding = param
                    .and_then(|f| self.fonts.get(&f).copied())
                    .unwrap_or(self.default_encoding);
            }
            "uc" => st.uc = param.unwrap_or(1).clamp(0, 8) as usize,
            "u" => {
                if let Some(n) = param {
                    self.flush(st);
                    let n = if n < 0 { n + 65536 } else { n } as u32;
                    if let Some(c) = char::from_u32(n) {
                        self.text(&c.to_string(), st);
                    }
                    self.skip_fallback = st.uc;
                }
            }
            _ if st.skip || st.font_table => {}
            "par" | "sect" | "page" => self.paragraph(),
            "line" => self.text(" ", st),
            "tab" => self.text(" ", st),
            "intbl" => self.in_table = true,
            "pard" => self.in_table = false,
            "cell" | "nestcell" => {
                let cell = squeeze(&std::mem::take(&mut self.para));
                self.cells.push(cell);
                self.row_open = true;
            }
            "row" | "nestrow" => self.end_row(),
            "emdash" => self.text("—", st),
            "endash" => self.text("–", st),
            "lquote" => self.text("‘", st),
            "rquote" => self.text("’", st),
            "ldblquote" => self.text("“", st),
            "rdblquote" => self.text("”", st),
            "bullet" => self.text("•", st),
            _ => {}
        }
    }

    fn byte(&mut self, b: u8, st: &State) {
        if self.skip_fallback > 0 {
            self.skip_fallback -= 1;
            return;
        }
        if !st.skip && !st.font_table {
            self.bytes.push(b);
        }
    }

    fn flush(&mut self, st: &State) {
        if self.bytes.is_empty() {
            return;
        }
        let (text, _, _) = st.encoding.decode(&self.bytes);
        self.para.push_str(&text);
        self.bytes.clear();
    }

    fn text(&mut self, s: &str, st: &State) {
        self.skip_fallback = 0;
        if !st.skip && !st.font_table {
            self.para.push_str(s);
        }
    }

    fn paragraph(&mut self) {
        if self.in_table {
            // A paragraph inside a cell: the cell goes on.
            self.para.push(' ');
            return;
        }
        self.end_table();
        let t = squeeze(&std::mem::take(&mut self.para));
        if !t.is_empty() {
            self.push(&t, LineKind::Para);
        }
    }

    fn end_row(&mut self) {
        let cells = std::mem::take(&mut self.cells);
        self.para.clear();
        self.row_open = false;
        if cells.iter().all(String::is_empty) {
            return;
        }
        if self
            .out
            .lines
            .last()
            .is_none_or(|l| l.kind != LineKind::TableRow { table: self.table })
        {
            self.table += 1;
        }
        self.push(&cells.join("\t"), LineKind::TableRow { table: self.table });
    }

    fn end_table(&mut self) {
        if self.row_open {
            self.end_row();
        }
    }

    fn push(&mut self, s: &str, kind: LineKind) {
        self.out.push(s, kind, Region::Content, Vec::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<(String, LineKind)> {
        let x = read(src.as_bytes()).unwrap();
        x.lines
            .iter()
            .map(|l| (x.line_text(l).to_string(), l.kind))
            .collect()
    }

    /// Text as RTF writes it for a GBK document: `\'hh` bytes.
    fn gbk(s: &str) -> String {
        let (b, _, _) = encoding_rs::GBK.encode(s);
        b.iter().map(|x| format!("\\'{x:02x}")).collect()
    }

    #[test]
    fn gbk_bytes_unicode_and_skipped_destinations() {
        // 县 as \u with a fallback byte pair that is skipped.
        let src = format!(
            "{{\\rtf1\\ansi\\ansicpg936{{\\fonttbl{{\\f0\\fnil\\fcharset134 SimSun;}}}}\
             {{\\*\\generator Writer;}}{{\\info{{\\title x}}}}{{\\header {}}}\
             \\f0 {}{{\\uc2\\u21439\\'cf\\'d8}}\\par {}\\par}}",
            gbk("第1页"),
            gbk("青溪"),
            gbk("第二段")
        );
        assert_eq!(
            lines(&src),
            [
                ("青溪县".to_string(), LineKind::Para),
                ("第二段".to_string(), LineKind::Para)
            ]
        );
    }

    #[test]
    fn tables_fields_and_escapes() {
        let src = format!(
            "{{\\rtf1\\ansicpg936 {}{{\\field{{\\*\\fldinst HYPERLINK \"x\"}}{{\\fldrslt {}}}}}\\par\
             \\trowd\\intbl {}\\cell {}\\cell\\row\\intbl {}\\cell 12.5\\cell\\row\\pard\
             {} \\{{1\\}}\\par}}",
            gbk("见"),
            gbk("附件"),
            gbk("项目"),
            gbk("金额"),
            gbk("合计"),
            gbk("落款")
        );
        assert_eq!(
            lines(&src),
            [
                ("见附件".to_string(), LineKind::Para),
                ("项目\t金额".to_string(), LineKind::TableRow { table: 1 }),
                ("合计\t12.5".to_string(), LineKind::TableRow { table: 1 }),
                ("落款 {1}".to_string(), LineKind::Para),
            ]
        );
    }

    #[test]
    fn hostile_input_is_bounded() {
        let deep = format!("{{\\rtf1 {}x{}", "{".repeat(100_000), "}".repeat(100_000));
        assert_eq!(lines(&deep), [("x".to_string(), LineKind::Para)]);
        assert!(read(b"{\\rtf1 \\'").is_ok());
        assert!(read(b"{\\rtf1 \\u").is_ok());
        assert!(read(b"not rtf").is_err());
    }
}
