//! Word 97–2003 .doc (and WPS Office .wps, which is the same binary layout) → lines.
//!
//! The file is an OLE compound file ([`cfb`]); its `WordDocument` stream begins with
//! the FIB, which says where the other structures are ([MS-DOC] 2.5). The text is
//! found through the piece table (the CLX in the `0Table`/`1Table` stream): pieces of
//! either 8-bit (cp1252) or UTF-16 characters in the `WordDocument` stream. Paragraph
//! properties come from the PAPX pages (FKPs): whether a paragraph is in a table,
//! whether a `\x07` mark ends a row rather than a cell, and the paragraph's style,
//! whose built-in identifier says whether it is a heading.
//!
//! Read: the main text, footnotes, endnotes and text boxes (in that order). Left
//! out: page headers and footers (running heads and page numbers), comments, field
//! instructions (a field's shown result is kept), pictures.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use super::extract::{Extracted, LineKind, Region, squeeze};

/// The parts of the FIB this reader uses.
#[derive(Debug, Default)]
struct Fib {
    encrypted: bool,
    table_1: bool,
    /// Character counts of the stories, in the order they follow each other:
    /// main text, footnotes, headers, macro (unused), comments, endnotes, text
    /// boxes, header text boxes.
    ccp: [u32; 8],
    stsh: (u32, u32),
    papx: (u32, u32),
    clx: (u32, u32),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn damaged(what: &str) -> String {
    format!(
        "not a readable Word document ({what} is damaged); open it in Word or WPS and save it as .docx"
    )
}

impl Fib {
    fn parse(w: &[u8]) -> Result<Fib, String> {
        let short = || damaged("the file information block");
        if u16_at(w, 0) != Some(0xA5EC) {
            return Err(damaged("the WordDocument stream's header"));
        }
        let n_fib = u16_at(w, 2).ok_or_else(short)?;
        // Word 97 writes 193 (0xC1); Word 6 and 95 wrote ~101–104, a layout this
        // reader does not know.
        if n_fib < 0xC0 {
            return Err(
                "not imported: a Word 6.0/95 document (an older format than Word 97); open it in Word or WPS and save it as .docx"
                    .into(),
            );
        }
        let flags = u16_at(w, 0x0A).ok_or_else(short)?;
        let csw = u16_at(w, 0x20).ok_or_else(short)? as usize;
        let lw = 0x22 + csw * 2;
        let cslw = u16_at(w, lw).ok_or_else(short)? as usize;
        let rglw = lw + 2;
        let mut ccp = [0u32; 8];
        for (i, c) in ccp.iter_mut().enumerate() {
            *c = u32_at(w, rglw + 12 + 4 * i).ok_or_else(short)?;
        }
        let fc = rglw + cslw * 4 + 2;
        let pair = |i: usize| -> Result<(u32, u32), String> {
            Ok((
                u32_at(w, fc + 8 * i).ok_or_else(short)?,
                u32_at(w, fc + 8 * i + 4).ok_or_else(short)?,
            ))
        };
        Ok(Fib {
            encrypted: flags & 0x0100 != 0 || flags & 0x8000 != 0,
            table_1: flags & 0x0200 != 0,
            ccp,
            stsh: pair(1)?,
            papx: pair(13)?,
            clx: pair(33)?,
        })
    }
}

/// A piece of text: characters `cp..cp_end` are at byte `fc` of the WordDocument
/// stream, one byte each (cp1252) or two (UTF-16LE).
#[derive(Debug, Clone, Copy)]
struct Piece {
    cp: u32,
    cp_end: u32,
    fc: u32,
    compressed: bool,
}

fn slice(b: &[u8], (at, len): (u32, u32)) -> Option<&[u8]> {
    b.get(at as usize..(at as usize).checked_add(len as usize)?)
}

/// The piece table of the CLX ([MS-DOC] 2.9.38).
fn pieces(table: &[u8], clx: (u32, u32)) -> Result<Vec<Piece>, String> {
    let clx = slice(table, clx).ok_or_else(|| damaged("the piece table"))?;
    let mut at = 0;
    // Property runs (Prc) come first; the piece table (Pcdt) follows.
    while clx.get(at) == Some(&0x01) {
        let n = u16_at(clx, at + 1).ok_or_else(|| damaged("the piece table"))? as usize;
        at += 3 + n;
    }
    if clx.get(at) != Some(&0x02) {
        return Err(damaged("the piece table"));
    }
    let lcb = u32_at(clx, at + 1).ok_or_else(|| damaged("the piece table"))? as usize;
    let plc = clx
        .get(at + 5..at + 5 + lcb)
        .ok_or_else(|| damaged("the piece table"))?;
    if lcb < 4 {
        return Err(damaged("the piece table"));
    }
    let n = (lcb - 4) / 12;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let cp = u32_at(plc, 4 * i).unwrap_or(0);
        let cp_end = u32_at(plc, 4 * (i + 1)).unwrap_or(0);
        let raw = u32_at(plc, 4 * (n + 1) + 8 * i + 2).unwrap_or(0);
        let compressed = raw & 0x4000_0000 != 0;
        let fc = raw & 0x3FFF_FFFF;
        if cp_end > cp {
            out.push(Piece {
                cp,
                cp_end,
                fc: if compressed { fc / 2 } else { fc },
                compressed,
            });
        }
    }
    out.sort_by_key(|p| p.cp);
    Ok(out)
}

/// One character of the text and where it is in the WordDocument stream.
#[derive(Debug, Clone, Copy)]
struct Char {
    c: char,
    fc: u32,
}

/// The characters of CPs `from..to`, as far as the pieces and the stream hold them.
fn chars(word: &[u8], pieces: &[Piece], from: u32, to: u32) -> Vec<Char> {
    let mut out = Vec::new();
    for p in pieces {
        let (a, b) = (p.cp.max(from), p.cp_end.min(to));
        if a >= b {
            continue;
        }
        let skip = (a - p.cp) as usize;
        let n = (b - a) as usize;
        if p.compressed {
            let start = p.fc as usize + skip;
            let Some(bytes) = word.get(start..start.saturating_add(n).min(word.len())) else {
                continue;
            };
            for (i, &byte) in bytes.iter().enumerate() {
                out.push(Char {
                    c: cp1252(byte),
                    fc: (start + i) as u32,
                });
            }
        } else {
            let start = p.fc as usize + 2 * skip;
            let end = start.saturating_add(2 * n).min(word.len());
            let Some(bytes) = word.get(start..end) else {
                continue;
            };
            let units = bytes
                .chunks_exact(2)
                .map(|u| u16::from_le_bytes([u[0], u[1]]));
            for (i, c) in char::decode_utf16(units).enumerate() {
                // A lone surrogate counts as one unit (the decoder skips only it).
                out.push(Char {
                    c: c.unwrap_or('\u{FFFD}'),
                    fc: (start + 2 * i) as u32,
                });
            }
        }
    }
    out
}

fn cp1252(b: u8) -> char {
    if b < 0x80 {
        return b as char;
    }
    let byte = [b];
    let (s, _, _) = encoding_rs::WINDOWS_1252.decode(&byte);
    s.chars().next().unwrap_or('\u{FFFD}')
}

/// What the reader needs of a paragraph's properties.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ParaProps {
    istd: u16,
    in_table: bool,
    /// The mark ends a table row (a row's own mark after its cells).
    row_end: bool,
}

/// Paragraph properties by the byte range of the paragraph in the WordDocument
/// stream: (start, end) → properties. From the PAPX FKPs ([MS-DOC] 2.9.175).
fn paragraph_props(word: &[u8], table: &[u8], plc: (u32, u32)) -> BTreeMap<u32, (u32, ParaProps)> {
    let mut out = BTreeMap::new();
    let Some(plc) = slice(table, plc) else {
        return out;
    };
    if plc.len() < 4 {
        return out;
    }
    let n = (plc.len() - 4) / 8;
    for i in 0..n {
        let Some(pn) = u32_at(plc, 4 * (n + 1) + 4 * i) else {
            continue;
        };
        let page_at = (pn & 0x3F_FFFF) as usize * 512;
        let Some(page) = word.get(page_at..page_at + 512) else {
            continue;
        };
        let crun = page[511] as usize;
        for r in 0..crun {
            let (Some(start), Some(end)) = (u32_at(page, 4 * r), u32_at(page, 4 * (r + 1))) else {
                break;
            };
            let bx = 4 * (crun + 1) + 13 * r;
            let props = match page.get(bx) {
                Some(&off) if off != 0 => papx(page, 2 * off as usize),
                _ => ParaProps::default(),
            };
            out.insert(start, (end, props));
        }
    }
    out
}

/// A PapxInFkp: its style and the sprms this reader knows.
fn papx(page: &[u8], at: usize) -> ParaProps {
    let mut p = ParaProps::default();
    let (start, len) = match page.get(at) {
        Some(0) => match page.get(at + 1) {
            Some(&cb) => (at + 2, 2 * cb as usize),
            None => return p,
        },
        Some(&cb) => (at + 1, 2 * cb as usize - 1),
        None => return p,
    };
    let Some(grpprl) = page.get(start..(start + len).min(page.len())) else {
        return p;
    };
    p.istd = u16_at(grpprl, 0).unwrap_or(0);
    let mut i = 2;
    while let Some(sprm) = u16_at(grpprl, i) {
        let op = i + 2;
        let size = match sprm >> 13 {
            0 | 1 => 1,
            2 | 4 | 5 => 2,
            3 => 4,
            7 => 3,
            _ => match sprm {
                // sprmTDefTable: a 2-byte count of the bytes after it, plus one.
                0xD608 => u16_at(grpprl, op).map_or(usize::MAX, |n| 1 + n as usize),
                _ => grpprl.get(op).map_or(usize::MAX, |&n| 1 + n as usize),
            },
        };
        let value = grpprl.get(op).copied().unwrap_or(0);
        match sprm {
            0x2416 => p.in_table = value != 0,
            0x2417 => p.row_end = value != 0,
            0x6649 => p.in_table |= u32_at(grpprl, op).unwrap_or(0) > 0,
            _ => {}
        }
        i = match op.checked_add(size) {
            Some(n) => n,
            None => break,
        };
    }
    p
}

/// Heading levels by style index: the built-in style identifiers (sti) 1–9 are
/// `heading 1`–`heading 9` whatever the style's shown name (标题 1), 62 is `Title`.
fn heading_styles(table: &[u8], stsh: (u32, u32)) -> BTreeMap<u16, u8> {
    let mut out = BTreeMap::new();
    let Some(s) = slice(table, stsh) else {
        return out;
    };
    let Some(cb_stshi) = u16_at(s, 0) else {
        return out;
    };
    let count = u16_at(s, 2).unwrap_or(0);
    let mut at = 2 + cb_stshi as usize;
    for istd in 0..count {
        let Some(cb) = u16_at(s, at) else { break };
        if cb >= 2
            && let Some(first) = u16_at(s, at + 2)
        {
            let sti = first & 0x0FFF;
            let level = match sti {
                1..=6 => Some(sti as u8),
                62 => Some(1),
                _ => None,
            };
            if let Some(l) = level {
                out.insert(istd, l);
            }
        }
        at += 2 + cb as usize;
    }
    out
}

/// Reads a Word binary document out of its compound file.
pub fn read(bytes: &[u8]) -> Result<Extracted, String> {
    // The compound file reader is third-party code on untrusted bytes: contained.
    let streams = super::office::contained(|| -> Result<_, String> {
        let mut file = cfb::CompoundFile::open(Cursor::new(bytes))
            .map_err(|e| format!("not a readable Word document (the OLE container is damaged: {e}); open it in Word or WPS and save it as .docx"))?;
        let word = stream(&mut file, "WordDocument")?;
        let fib = Fib::parse(&word)?;
        let table = stream(&mut file, if fib.table_1 { "1Table" } else { "0Table" });
        Ok((word, fib, table))
    })
    .unwrap_or_else(|| Err(damaged("the OLE container")))?;
    let (word, fib, table) = streams;
    if fib.encrypted {
        return Err(
            "not imported: the document is password-protected; open it, remove the password and save it again"
                .into(),
        );
    }
    let table = table?;
    let pieces = pieces(&table, fib.clx)?;
    let props = paragraph_props(&word, &table, fib.papx);
    let headings = heading_styles(&table, fib.stsh);
    let mut text = Text::new(&props, &headings);
    // Stories in the order they follow each other in CP space; headers (2), the
    // macro story (3) and comments (4) are skipped.
    let mut cp = 0u32;
    for (story, &n) in fib.ccp.iter().enumerate() {
        let end = cp.saturating_add(n);
        if matches!(story, 0 | 1 | 5 | 6) {
            text.story(&chars(&word, &pieces, cp, end));
        }
        cp = end;
    }
    Ok(text.finish())
}

/// A stream of the compound file, read whole (it is no larger than the file).
fn stream<F: Read + std::io::Seek>(
    file: &mut cfb::CompoundFile<F>,
    name: &str,
) -> Result<Vec<u8>, String> {
    let mut s = file.open_stream(name).map_err(|_| {
        format!("not a Word document: the OLE file has no {name} stream; open it in its program and save it as .docx")
    })?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)
        .map_err(|e| damaged(&format!("the {name} stream ({e})")))?;
    Ok(out)
}

/// Turns characters into lines: paragraphs, headings and table rows.
struct Text<'a> {
    props: &'a BTreeMap<u32, (u32, ParaProps)>,
    headings: &'a BTreeMap<u16, u8>,
    out: Extracted,
    para: String,
    cells: Vec<String>,
    /// Fields open at this point: true while in the field's instructions.
    fields: Vec<bool>,
    table: usize,
    in_table: bool,
    /// The last mark ended a cell (for files without paragraph properties).
    after_cell: bool,
}

impl<'a> Text<'a> {
    fn new(
        props: &'a BTreeMap<u32, (u32, ParaProps)>,
        headings: &'a BTreeMap<u16, u8>,
    ) -> Text<'a> {
        Text {
            props,
            headings,
            out: Extracted::default(),
            para: String::new(),
            cells: Vec::new(),
            fields: Vec::new(),
            table: 0,
            in_table: false,
            after_cell: false,
        }
    }

    fn props_at(&self, fc: u32) -> Option<ParaProps> {
        let (_, (end, p)) = self.props.range(..=fc).next_back()?;
        (fc < *end).then_some(*p)
    }

    fn story(&mut self, chars: &[Char]) {
        for ch in chars {
            match ch.c {
                '\u{13}' => self.fields.push(true),
                '\u{14}' => {
                    if let Some(f) = self.fields.last_mut() {
                        *f = false;
                    }
                }
                '\u{15}' => {
                    self.fields.pop();
                }
                _ if self.fields.iter().any(|&instr| instr) => {}
                '\r' | '\u{0C}' => self.paragraph_end(ch.fc),
                '\u{07}' => self.cell_mark(ch.fc),
                '\u{0B}' => {
                    // A line break inside a paragraph: a new line outside tables.
                    if self.in_cell(ch.fc) {
                        self.para.push(' ');
                    } else {
                        self.paragraph_end(ch.fc);
                    }
                }
                '\u{1E}' => self.para.push('-'),
                '\u{A0}' | '\t' => self.para.push(' '),
                // Pictures, drawn objects, note marks, soft hyphens, other controls.
                c if (c as u32) < 0x20 || c == '\u{1F}' => {}
                c => self.para.push(c),
            }
            self.after_cell &= ch.c == '\u{07}';
        }
        self.paragraph_end(u32::MAX);
        self.end_table();
    }

    fn in_cell(&self, fc: u32) -> bool {
        self.props_at(fc).is_some_and(|p| p.in_table)
    }

    fn paragraph_end(&mut self, fc: u32) {
        let props = self.props_at(fc);
        if props.is_some_and(|p| p.in_table) {
            // A paragraph inside a cell: the cell goes on.
            if !self.para.trim().is_empty() {
                self.para.push(' ');
            }
            return;
        }
        self.end_table();
        let t = squeeze(&std::mem::take(&mut self.para));
        if t.is_empty() {
            return;
        }
        let kind = props
            .and_then(|p| self.headings.get(&p.istd))
            .map_or(LineKind::Para, |&l| LineKind::Heading(l));
        self.push(&t, kind);
    }

    fn cell_mark(&mut self, fc: u32) {
        let row_end = match self.props_at(fc) {
            Some(p) if p.in_table || p.row_end => p.row_end,
            // No properties: a mark right after a cell's mark ends the row.
            _ => self.after_cell && self.para.is_empty(),
        };
        if !self.in_table {
            self.in_table = true;
            self.table += 1;
        }
        if row_end {
            let cells = std::mem::take(&mut self.cells);
            self.para.clear();
            if cells.iter().any(|c| !c.is_empty()) {
                self.push(&cells.join("\t"), LineKind::TableRow { table: self.table });
            }
        } else {
            let cell = squeeze(&std::mem::take(&mut self.para));
            self.cells.push(cell);
            self.after_cell = true;
        }
    }

    fn end_table(&mut self) {
        if !self.cells.is_empty() {
            let cells = std::mem::take(&mut self.cells);
            if cells.iter().any(|c| !c.is_empty()) {
                self.push(&cells.join("\t"), LineKind::TableRow { table: self.table });
            }
        }
        self.in_table = false;
    }

    fn push(&mut self, s: &str, kind: LineKind) {
        self.out.push(s, kind, Region::Content, Vec::new());
    }

    fn finish(self) -> Extracted {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(chars: &str, props: &BTreeMap<u32, (u32, ParaProps)>) -> Vec<(String, LineKind)> {
        let headings = BTreeMap::from([(1u16, 1u8)]);
        let mut t = Text::new(props, &headings);
        let cs: Vec<Char> = chars
            .chars()
            .enumerate()
            .map(|(i, c)| Char { c, fc: i as u32 })
            .collect();
        t.story(&cs);
        let x = t.finish();
        x.lines
            .iter()
            .map(|l| (x.line_text(l).to_string(), l.kind))
            .collect()
    }

    #[test]
    fn fields_show_their_result_only() {
        let lines = text_of(
            "见\u{13}HYPERLINK \"http://x\"\u{14}附件\u{15}。\r第\u{13}PAGE\u{14}1\u{15}页\r",
            &BTreeMap::new(),
        );
        assert_eq!(lines[0].0, "见附件。");
        assert_eq!(lines[1].0, "第1页");
    }

    #[test]
    fn cells_and_rows_without_properties() {
        let lines = text_of(
            "表\r项目\u{7}金额\u{7}\u{7}合计\u{7}12.5\u{7}\u{7}落款\r",
            &BTreeMap::new(),
        );
        assert_eq!(
            lines,
            [
                ("表".to_string(), LineKind::Para),
                ("项目\t金额".to_string(), LineKind::TableRow { table: 1 }),
                ("合计\t12.5".to_string(), LineKind::TableRow { table: 1 }),
                ("落款".to_string(), LineKind::Para),
            ]
        );
    }

    #[test]
    fn row_marks_from_properties_keep_empty_cells() {
        // "甲\x07\x07乙\x07\x07": with properties the second mark is an empty cell,
        // only the marks flagged as row ends end rows.
        let s = "甲\u{7}\u{7}乙\u{7}\u{7}";
        let cell = ParaProps {
            in_table: true,
            ..ParaProps::default()
        };
        let row = ParaProps {
            in_table: true,
            row_end: true,
            istd: 0,
        };
        let mut props = BTreeMap::new();
        for (i, _) in s.chars().enumerate() {
            props.insert(i as u32, (i as u32 + 1, if i == 5 { row } else { cell }));
        }
        let lines = text_of(s, &props);
        assert_eq!(
            lines,
            [("甲\t\t乙".to_string(), LineKind::TableRow { table: 1 })]
        );
    }

    #[test]
    fn heading_style_makes_a_heading() {
        let mut props = BTreeMap::new();
        props.insert(
            0,
            (
                5,
                ParaProps {
                    istd: 1,
                    ..ParaProps::default()
                },
            ),
        );
        let lines = text_of("一、总则\r正文。\r", &props);
        assert_eq!(lines[0], ("一、总则".to_string(), LineKind::Heading(1)));
        assert_eq!(lines[1], ("正文。".to_string(), LineKind::Para));
    }

    #[test]
    fn compressed_and_utf16_pieces() {
        // "Tab" as 8-bit text at byte 4 (its fc doubled, with the compressed flag),
        // then "乙" as UTF-16 at byte 10; the text of CPs 1..4 is "ab乙".
        let mut word = vec![0u8; 12];
        word[4..7].copy_from_slice(b"Tab");
        word[10..12].copy_from_slice(&0x4E59u16.to_le_bytes());
        let mut plc = Vec::new();
        for cp in [0u32, 3, 4] {
            plc.extend(cp.to_le_bytes());
        }
        for fc in [(8u32) | 0x4000_0000, 10] {
            plc.extend([0, 0]);
            plc.extend(fc.to_le_bytes());
            plc.extend([0, 0]);
        }
        let mut clx = vec![0x02];
        clx.extend((plc.len() as u32).to_le_bytes());
        clx.extend(plc);
        let pieces = pieces(&clx, (0, clx.len() as u32)).unwrap();
        let text: String = chars(&word, &pieces, 1, 4).iter().map(|c| c.c).collect();
        assert_eq!(text, "ab乙");
        assert_eq!(chars(&word, &pieces, 0, 99).len(), 4);
        // Counts past the stream's end read nothing rather than panic.
        assert!(chars(&word[..5], &pieces, 0, 4).len() <= 1);
    }

    #[test]
    fn not_a_word_stream() {
        assert!(Fib::parse(b"\x00\x01").is_err());
        let mut w = vec![0u8; 0x200];
        w[0] = 0xEC;
        w[1] = 0xA5;
        w[2] = 0x65; // Word 95
        assert!(Fib::parse(&w).unwrap_err().contains("Word 6.0/95"));
    }
}
