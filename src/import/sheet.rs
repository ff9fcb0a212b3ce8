//! Spreadsheets (.xlsx, .xls, .et, .csv) → lines: each sheet a heading with its name
//! and a table (calamine reads the workbooks, the `csv` crate the text tables).
//!
//! A sheet's leading rows that hold one cell only (the merged title row of a
//! 预决算 table, `单位：万元`) are paragraphs above its table, so the first becomes
//! the document's title when the file has no other; trailing one-cell rows (`注：…`)
//! are paragraphs below it. Empty rows and columns are dropped. Numbers are written
//! as the sheet shows them: with the cell's number format (from the styles of an
//! .xlsx, from the BIFF records of an .xls, which calamine does not pass on), else as
//! Excel's General format does (12 significant digits, so a sum
//! stored as 3250.6000000000004 is `3250.6`). Dates are dates.
//!
//! Bounded: at most [`MAX_ROWS`] rows and [`MAX_CELLS`] cells are read from a file;
//! the rest is left out and said so ([`Workbook::cut`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Cursor;

use calamine::{Data, DataRef, Reader, SheetType, SheetVisible};

use super::extract::{Extracted, LineKind, Region};

/// At most this many rows are read from one file (all its sheets).
pub const MAX_ROWS: usize = 50_000;
/// At most this many cells (rows × kept columns) are read from one file.
pub const MAX_CELLS: usize = 1_000_000;

/// A spreadsheet as read: its sheets in order, and what was left out.
#[derive(Debug, Default)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
    /// Why the file was not read whole (a cap reached), when it was not.
    pub cut: Option<String>,
    /// Things the report should say (hidden sheets left out).
    pub notes: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Sheet {
    /// None for a .csv (one table, no name).
    pub name: Option<String>,
    /// Rows in order, each as (column, shown text) of its non-empty cells.
    pub rows: Vec<Vec<(u32, String)>>,
}

/// How many rows and cells may still be read.
struct Budget {
    rows: usize,
    cells: usize,
}

impl Budget {
    fn new() -> Budget {
        Budget {
            rows: MAX_ROWS,
            cells: MAX_CELLS,
        }
    }

    /// Takes one row of `cells` cells; false once a cap is reached.
    fn take(&mut self, cells: usize) -> bool {
        if self.rows == 0 || self.cells < cells {
            return false;
        }
        self.rows -= 1;
        self.cells -= cells;
        true
    }
}

fn cut_note() -> String {
    format!("只导入了前{MAX_ROWS}行（或{MAX_CELLS}个单元格）：表格超过导入上限，其余各行没有导入")
}

// ---- .xlsx ------------------------------------------------------------------------

/// An .xlsx workbook (also a WPS .et saved in the Office Open XML layout).
pub fn xlsx(bytes: &[u8]) -> Result<Workbook, String> {
    super::zipped::open(bytes, ".xlsx")?;
    super::office::contained(|| read_xlsx(bytes)).unwrap_or_else(|| Err(inconsistent(".xlsx")))
}

/// The message for a workbook whose reader stopped at an inconsistency.
fn inconsistent(what: &str) -> String {
    format!(
        "not a readable {what} (the workbook is damaged: its records contradict each other); open it in Excel or WPS and save it again"
    )
}

fn read_xlsx(bytes: &[u8]) -> Result<Workbook, String> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsxError::Password => password_error(),
        e => format!("not a readable .xlsx ({e}); open it in Excel or WPS and save it again"),
    })?;
    let mut out = Workbook::default();
    let mut budget = Budget::new();
    for meta in book.sheets_metadata().to_vec() {
        if !keep_sheet(&meta, &mut out) {
            continue;
        }
        let mut reader = book
            .worksheet_cells_reader(&meta.name)
            .map_err(|e| format!("not a readable .xlsx (sheet {}: {e})", meta.name))?;
        let mut formats: HashMap<usize, NumberFormat> = HashMap::new();
        let mut sheet = Sheet {
            name: Some(meta.name.clone()),
            rows: Vec::new(),
        };
        let mut row: Vec<(u32, String)> = Vec::new();
        let mut row_at = 0u32;
        loop {
            let next = reader
                .next_cell_with_style_id()
                .map_err(|e| format!("not a readable .xlsx (sheet {}: {e})", meta.name))?;
            let Some((cell, style)) = next else { break };
            let (r, c) = cell.get_position();
            if r != row_at && !row.is_empty() {
                if !budget.take(row.len()) {
                    out.cut = Some(cut_note());
                    break;
                }
                sheet.rows.push(std::mem::take(&mut row));
            }
            row_at = r;
            let format = formats.entry(style).or_insert_with(|| {
                let code = reader
                    .styles()
                    .get(style)
                    .and_then(|s| s.number_format.as_ref())
                    .map(|f| f.format_code.as_str())
                    .unwrap_or("General");
                NumberFormat::parse(code)
            });
            let shown = shown_ref(cell.get_value(), format);
            if !shown.is_empty() {
                row.push((c, shown));
            }
        }
        if out.cut.is_none() && !row.is_empty() {
            if budget.take(row.len()) {
                sheet.rows.push(row);
            } else {
                out.cut = Some(cut_note());
            }
        }
        out.sheets.push(sheet);
        if out.cut.is_some() {
            break;
        }
    }
    Ok(out)
}

fn password_error() -> String {
    "not imported: the workbook is password-protected; open it, remove the password and save it again".into()
}

/// Worksheets are read; hidden ones and chart sheets are left out, and the report says so.
fn keep_sheet(meta: &calamine::Sheet, out: &mut Workbook) -> bool {
    if meta.typ != SheetType::WorkSheet {
        return false;
    }
    if meta.visible != SheetVisible::Visible {
        out.notes.push(format!(
            "hidden sheet {} left out (it is not shown in the workbook)",
            meta.name
        ));
        return false;
    }
    true
}

fn shown_ref(v: &DataRef<'_>, format: &NumberFormat) -> String {
    match v {
        DataRef::Int(i) => format.number(*i as f64),
        DataRef::Float(f) => format.number(*f),
        DataRef::String(s) => cell_text(s),
        DataRef::SharedString(s) => cell_text(s),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        DataRef::DateTime(d) => date_time(d, format),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => cell_text(s),
        DataRef::Error(e) => e.to_string(),
        DataRef::Empty => String::new(),
    }
}

// ---- .xls / .et -------------------------------------------------------------------

/// A BIFF .xls workbook (Excel 97–2003; WPS 表格 writes .et files in this layout).
/// `what` names the extension for messages.
pub fn xls(bytes: &[u8], what: &str) -> Result<Workbook, String> {
    super::office::contained(|| {
        let stream = workbook_stream(bytes);
        if let Some(s) = &stream {
            check_dimensions(s, what)?;
        }
        read_xls(bytes, stream.as_deref(), what)
    })
    .unwrap_or_else(|| Err(inconsistent(what)))
}

/// The BIFF stream of an .xls (`Workbook`; `Book` in Excel 5/95 files).
fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
    let mut stream = Vec::new();
    let mut s = file
        .open_stream("Workbook")
        .or_else(|_| file.open_stream("Book"))
        .ok()?;
    s.read_to_end(&mut stream).ok()?;
    Some(stream)
}

/// A sheet's DIMENSIONS record says how many rows and columns it uses, and calamine
/// reserves memory for that many cells before reading any: a damaged record claiming
/// billions would abort the process. A BIFF sheet holds at most 65,536 × 256.
fn check_dimensions(stream: &[u8], what: &str) -> Result<(), String> {
    let u16_at = |d: &[u8], at: usize| {
        d.get(at..at + 2)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as u64)
    };
    let u32_at = |d: &[u8], at: usize| {
        d.get(at..at + 4)
            .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
    };
    let sheets: Vec<usize> = biff_records(stream, 0)
        .filter(|(kind, _)| *kind == 0x0085)
        .map(|(_, d)| u32_at(d, 0) as usize)
        .collect();
    // calamine keeps every sheet's cells at once: the claims add up.
    let mut total = 0u64;
    for at in sheets {
        for (kind, d) in biff_records(stream, at).skip(1) {
            if kind != 0x0200 {
                continue;
            }
            // As calamine reads it: first and last+1 row and column.
            let (rf, rl, cf, cl) = match d.len() {
                10 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6)),
                14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
                _ => continue,
            };
            let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
            let rows = rl.max(1).checked_sub(rf).unwrap_or(u64::MAX);
            let cols = cl.max(1).checked_sub(cf).unwrap_or(u64::MAX);
            if rl >= 1 && cl >= 1 {
                total = total.saturating_add(rows.saturating_mul(cols));
            }
            if rl >= 1 && cl >= 1 && (rows > 65_536 || cols > 256 || total > 1 << 25) {
                return Err(format!(
                    "not a readable {what} (a sheet claims {rl} rows and {cl} columns, more than the format holds: the file is damaged); open it in Excel or WPS and save it again"
                ));
            }
        }
    }
    Ok(())
}

fn read_xls(bytes: &[u8], stream: Option<&[u8]>, what: &str) -> Result<Workbook, String> {
    let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| match e {
        calamine::XlsError::Password => password_error(),
        e => format!(
            "not a readable {what} ({e}); open it in Excel or WPS and save it again (as .xlsx)"
        ),
    })?;
    let general = NumberFormat::parse("General");
    // calamine gives .xls numbers without their formats: those come from the records.
    let formats = stream.and_then(biff_formats);
    let mut out = Workbook::default();
    let mut budget = Budget::new();
    for meta in book.sheets_metadata().to_vec() {
        if !keep_sheet(&meta, &mut out) {
            continue;
        }
        let range = book
            .worksheet_range(&meta.name)
            .map_err(|e| format!("not a readable {what} (sheet {}: {e})", meta.name))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let cell_xf = formats.as_ref().and_then(|f| f.cells.get(&meta.name));
        let mut rows: BTreeMap<u32, Vec<(u32, String)>> = BTreeMap::new();
        for (r, c, v) in range.used_cells() {
            let (r, c) = (r0 + r as u32, c0 + c as u32);
            let format = cell_xf
                .and_then(|cells| cells.get(&(r, c)))
                .and_then(|&xf| formats.as_ref()?.xf.get(xf as usize))
                .unwrap_or(&general);
            let shown = shown_data(v, format);
            if !shown.is_empty() {
                rows.entry(r).or_default().push((c, shown));
            }
        }
        let mut sheet = Sheet {
            name: Some(meta.name.clone()),
            rows: Vec::new(),
        };
        for (_, row) in rows {
            if !budget.take(row.len()) {
                out.cut = Some(cut_note());
                break;
            }
            sheet.rows.push(row);
        }
        out.sheets.push(sheet);
        if out.cut.is_some() {
            break;
        }
    }
    Ok(out)
}

/// The number formats of a BIFF8 workbook's numeric cells, read from its records
/// ([MS-XLS] 2.4): FORMAT (code by id), XF (id by style), BOUNDSHEET8 (where each
/// sheet's records start) and the NUMBER, RK, MULRK and FORMULA cells (style by cell).
struct BiffFormats {
    /// The number format of each XF (cell style), by index.
    xf: Vec<NumberFormat>,
    /// Per sheet name: (row, column) → XF index, for numeric cells.
    cells: HashMap<String, HashMap<(u32, u32), u16>>,
}

/// Records of a BIFF stream from `at`: (type, data) until EOF or the end.
fn biff_records(stream: &[u8], mut at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let head = stream.get(at..at + 4)?;
        let kind = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        (kind != 0x000A).then_some((kind, data))
    })
}

fn biff_formats(stream: &[u8]) -> Option<BiffFormats> {
    let u16_at = |d: &[u8], at: usize| d.get(at..at + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let mut codes: HashMap<u16, String> = HashMap::new();
    let mut xf_formats: Vec<u16> = Vec::new();
    let mut sheets: Vec<(usize, String)> = Vec::new();
    for (kind, d) in biff_records(stream, 0) {
        match kind {
            // FORMAT: an id and an XLUnicodeString.
            0x041E => {
                if let (Some(id), Some(cch)) = (u16_at(d, 0), u16_at(d, 2)) {
                    codes.insert(id, biff_string(d.get(4..)?, cch as usize));
                }
            }
            0x00E0 => xf_formats.push(u16_at(d, 2).unwrap_or(0)),
            // BOUNDSHEET8: the offset of the sheet's BOF and a ShortXLUnicodeString.
            0x0085 => {
                let at = d
                    .get(0..4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))?;
                let cch = *d.get(6)? as usize;
                sheets.push((at as usize, biff_string(d.get(7..)?, cch)));
            }
            _ => {}
        }
    }
    let xf = xf_formats
        .iter()
        .map(|id| {
            let code = codes.get(id).map(String::as_str).or(builtin_format(*id));
            NumberFormat::parse(code.unwrap_or("General"))
        })
        .collect();
    let mut cells = HashMap::new();
    for (at, name) in sheets {
        let mut by_cell = HashMap::new();
        // The sheet's own BOF first, then its records.
        for (kind, d) in biff_records(stream, at).skip(1) {
            let (Some(row), Some(col)) = (u16_at(d, 0), u16_at(d, 2)) else {
                continue;
            };
            let (row, col) = (u32::from(row), u32::from(col));
            match kind {
                0x0203 | 0x027E | 0x0006 => {
                    if let Some(xf) = u16_at(d, 4) {
                        by_cell.insert((row, col), xf);
                    }
                }
                // MULRK: several RK cells of a row, six bytes each.
                0x00BD => {
                    for (i, rk) in d
                        .get(4..d.len().saturating_sub(2))?
                        .chunks_exact(6)
                        .enumerate()
                    {
                        by_cell.insert((row, col + i as u32), u16::from_le_bytes([rk[0], rk[1]]));
                    }
                }
                _ => {}
            }
        }
        cells.insert(name, by_cell);
    }
    Some(BiffFormats { xf, cells })
}

/// An XLUnicodeString's characters after its count: a flags byte, then 8-bit or
/// UTF-16 characters.
fn biff_string(d: &[u8], cch: usize) -> String {
    let Some((&flags, chars)) = d.split_first() else {
        return String::new();
    };
    if flags & 1 == 0 {
        chars.iter().take(cch).map(|&b| b as char).collect()
    } else {
        let units = chars
            .chunks_exact(2)
            .take(cch)
            .map(|u| u16::from_le_bytes([u[0], u[1]]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or('\u{FFFD}'))
            .collect()
    }
}

/// The built-in number formats a BIFF file refers to by id only (as Excel shows
/// them; the currency formats 5–8 and 41–44 without their locale's symbol).
fn builtin_format(id: u16) -> Option<&'static str> {
    Some(match id {
        0 => "General",
        1 => "0",
        2 => "0.00",
        3 | 5 | 6 | 37 | 38 | 41 | 42 => "#,##0",
        4 | 7 | 8 | 39 | 40 | 43 | 44 => "#,##0.00",
        9 => "0%",
        10 => "0.00%",
        _ => return None,
    })
}

fn shown_data(v: &Data, format: &NumberFormat) -> String {
    match v {
        Data::Int(i) => format.number(*i as f64),
        Data::Float(f) => format.number(*f),
        Data::String(s) => cell_text(s),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(d) => date_time(d, format),
        Data::DateTimeIso(s) | Data::DurationIso(s) => cell_text(s),
        Data::Error(e) => e.to_string(),
        Data::Empty => String::new(),
    }
}

// ---- .csv -------------------------------------------------------------------------

/// A .csv, in whatever encoding [`super::read::decode`] finds (GB18030 is common).
/// Returns the table and the encoding's name.
pub fn csv(bytes: &[u8]) -> Result<(Workbook, &'static str), String> {
    let decoded = super::read::decode(bytes, false).map_err(|e| e.to_string())?;
    let text = decoded.text;
    // Tab- or semicolon-separated files are saved as .csv too: the separator is the
    // one the first lines use most (a title line above the table has none).
    let head: Vec<&str> = text.lines().take(10).collect();
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| {
            let n: usize = head
                .iter()
                .map(|l| l.bytes().filter(|b| b == d).count())
                .sum();
            (n, *d == b',')
        })
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut out = Workbook::default();
    let mut sheet = Sheet::default();
    let mut budget = Budget::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(format!(
                    "line {line}: not a readable .csv ({e}); check the quotes on that line"
                ));
            }
        }
        let row: Vec<(u32, String)> = record
            .iter()
            .enumerate()
            .map(|(c, v)| (c as u32, cell_text(v)))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        if row.is_empty() {
            continue;
        }
        if !budget.take(row.len()) {
            out.cut = Some(cut_note());
            break;
        }
        sheet.rows.push(row);
    }
    out.sheets.push(sheet);
    Ok((out, decoded.encoding))
}

// ---- lines ------------------------------------------------------------------------

/// The workbook as lines: per sheet its name (a heading), its one-cell leading rows
/// (paragraphs), its table (rows of tab-separated cells) and its one-cell trailing
/// rows (paragraphs). Empty sheets are left out.
pub fn lines(book: &Workbook) -> Extracted {
    let mut x = Extracted::default();
    let mut table = 0;
    let mut first = true;
    for sheet in &book.sheets {
        if sheet.rows.is_empty() {
            continue;
        }
        let lead = sheet.rows.iter().take_while(|r| r.len() == 1).count();
        let trail = sheet.rows[lead..]
            .iter()
            .rev()
            .take_while(|r| r.len() == 1)
            .count();
        let body = &sheet.rows[lead..sheet.rows.len() - trail];
        let mut leading = sheet.rows[..lead].iter().map(|r| r[0].1.as_str());
        // The first sheet's title row goes above the sheet's name: it is the
        // document's title, not the sheet's.
        if first && let Some(title) = leading.next() {
            push(&mut x, title, LineKind::Para);
        }
        first = false;
        if let Some(name) = &sheet.name {
            push(&mut x, name, LineKind::Heading(1));
        }
        for t in leading {
            push(&mut x, t, LineKind::Para);
        }
        if !body.is_empty() {
            table += 1;
            // Columns that hold something, in order: empty ones are dropped.
            let columns: BTreeSet<u32> = body.iter().flatten().map(|(c, _)| *c).collect();
            let at: BTreeMap<u32, usize> =
                columns.iter().enumerate().map(|(i, c)| (*c, i)).collect();
            for row in body {
                let mut cells = vec![""; columns.len()];
                for (c, v) in row {
                    cells[at[c]] = v;
                }
                push(&mut x, &cells.join("\t"), LineKind::TableRow { table });
            }
        }
        for r in &sheet.rows[sheet.rows.len() - trail..] {
            push(&mut x, &r[0].1, LineKind::Para);
        }
    }
    x
}

fn push(x: &mut Extracted, s: &str, kind: LineKind) {
    x.push(s, kind, Region::Content, Vec::new());
}

/// A cell's text on one line: line breaks and tabs inside a cell become spaces
/// (a table cell is one line, and tabs separate the cells).
fn cell_text(s: &str) -> String {
    let t = s.trim();
    if t.contains(['\n', '\r', '\t']) {
        t.split(['\n', '\r', '\t'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        t.to_string()
    }
}

// ---- numbers and dates ------------------------------------------------------------

/// The part of a number format that decides how a number is shown: decimals,
/// thousands separators, a percent sign and literal text around the digits. Formats
/// this does not cover (fractions, scientific, conditions) show as General does.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NumberFormat {
    /// None: General.
    fixed: Option<Fixed>,
    /// The date style of a date format (`yyyy"年"m"月"d"日"`).
    chinese_date: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fixed {
    min_decimals: usize,
    max_decimals: usize,
    thousands: bool,
    percent: bool,
    prefix: String,
    suffix: String,
}

impl NumberFormat {
    fn parse(code: &str) -> NumberFormat {
        let chinese_date = code.contains('年') || code.contains("月");
        let section = first_section(code);
        let general = NumberFormat {
            fixed: None,
            chinese_date,
        };
        if section.eq_ignore_ascii_case("general") || section.is_empty() {
            return general;
        }
        let mut literal = String::new();
        let mut prefix = None;
        let mut f = Fixed {
            min_decimals: 0,
            max_decimals: 0,
            thousands: false,
            percent: false,
            prefix: String::new(),
            suffix: String::new(),
        };
        let mut after_point = false;
        let mut digits = false;
        let mut chars = section.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '"' => {
                    for q in chars.by_ref() {
                        if q == '"' {
                            break;
                        }
                        literal.push(q);
                    }
                }
                '\\' => {
                    if let Some(q) = chars.next() {
                        literal.push(q);
                    }
                }
                // Padding and fill characters take space, not text.
                '_' | '*' => {
                    chars.next();
                }
                '[' => {
                    for q in chars.by_ref() {
                        if q == ']' {
                            break;
                        }
                    }
                }
                '0' | '#' | '?' => {
                    if !digits {
                        prefix = Some(std::mem::take(&mut literal));
                        digits = true;
                    }
                    literal.clear();
                    if after_point {
                        f.max_decimals += 1;
                        if ch == '0' {
                            f.min_decimals = f.max_decimals;
                        }
                    }
                }
                '.' if digits || chars.peek().is_some_and(|c| matches!(c, '0' | '#' | '?')) => {
                    if !digits {
                        prefix = Some(std::mem::take(&mut literal));
                        digits = true;
                    }
                    after_point = true;
                }
                ',' if digits && !after_point => f.thousands = true,
                '%' => {
                    f.percent = true;
                    literal.push('%');
                }
                // Scientific notation, fractions, dates and text: General.
                'E' | 'e' | '/' | '@' | 'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's'
                | 'S' => return general,
                c => literal.push(c),
            }
        }
        if !digits {
            return general;
        }
        f.prefix = prefix.unwrap_or_default();
        f.suffix = literal;
        NumberFormat {
            fixed: Some(f),
            chinese_date,
        }
    }

    fn number(&self, v: f64) -> String {
        let Some(f) = &self.fixed else {
            return general(v);
        };
        if !v.is_finite() {
            return general(v);
        }
        let v = if f.percent { v * 100.0 } else { v };
        let mut s = fixed(v.abs(), f.max_decimals);
        if f.max_decimals > f.min_decimals {
            let keep = s.len() - (f.max_decimals - f.min_decimals);
            while s.len() > keep && s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if f.thousands {
            let (int, frac) = s.split_at(s.find('.').unwrap_or(s.len()));
            let mut grouped = String::new();
            for (i, d) in int.chars().enumerate() {
                if i > 0 && (int.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(d);
            }
            s = format!("{grouped}{frac}");
        }
        let zero = s.chars().all(|c| matches!(c, '0' | '.' | ','));
        let sign = if v < 0.0 && !zero { "-" } else { "" };
        format!("{sign}{}{s}{}", f.prefix, f.suffix)
    }
}

/// `v` (not negative) with `decimals` decimals, rounded as Excel does: half away from
/// zero on the 15 significant digits a cell holds (2.675 shows as 2.68, 1234.5 as
/// 1235 with no decimals), where Rust's formatting would round the binary value.
fn fixed(v: f64, decimals: usize) -> String {
    let sci = format!("{v:.14e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i64 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // Digits before the point: exp + 1 (the value is 0.d1d2… × 10^(exp+1)).
    let mut int_len = exp + 1;
    let keep = int_len + decimals as i64;
    if keep < 0 {
        digits.clear();
    } else if (keep as usize) < digits.len() {
        let keep = keep as usize;
        let up = digits[keep] >= 5;
        digits.truncate(keep);
        if up {
            let mut i = keep;
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    int_len += 1;
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
    }
    let digit = |i: i64| -> char {
        if i < 0 {
            return '0';
        }
        digits.get(i as usize).map_or('0', |d| (b'0' + d) as char)
    };
    let mut out = String::new();
    if int_len <= 0 {
        out.push('0');
    } else {
        (0..int_len).for_each(|i| out.push(digit(i)));
    }
    if decimals > 0 {
        out.push('.');
        (0..decimals as i64).for_each(|i| out.push(digit(int_len + i)));
    }
    out
}

/// A format's first section (the one for positive numbers), with its quotes intact.
fn first_section(code: &str) -> &str {
    let mut quoted = false;
    for (i, c) in code.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return &code[..i],
            _ => {}
        }
    }
    code
}

/// Significant digits a number without a format is shown with: Excel's General shows
/// fewer still in a column of standard width, and the noise of a float sum or
/// difference (2050.4 − 1980 = 70.40000000000009) sits below it.
const GENERAL_DIGITS: usize = 12;

/// Excel's General format: the shortest text that shows the number to
/// [`GENERAL_DIGITS`] significant digits; whole numbers in full.
fn general(v: f64) -> String {
    if !v.is_finite() {
        return "#NUM!".into();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let rounded: f64 = format!("{v:.*e}", GENERAL_DIGITS - 1).parse().unwrap_or(v);
    let s = format!("{rounded}");
    if s == "-0" { "0".into() } else { s }
}

/// A date as a date (`2024-03-20`, or `2024年3月20日` when the format is Chinese),
/// with its time when it has one; a duration as a number of days.
fn date_time(d: &calamine::ExcelDateTime, format: &NumberFormat) -> String {
    if d.is_duration() {
        return general(d.as_f64());
    }
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    let time = if s > 0 {
        format!("{h:02}:{mi:02}:{s:02}")
    } else {
        format!("{h:02}:{mi:02}")
    };
    // A time of day alone (no date part).
    if d.as_f64() < 1.0 && d.as_f64() >= 0.0 {
        return time;
    }
    let date = if format.chinese_date {
        format!("{y}年{mo}月{day}日")
    } else {
        format!("{y:04}-{mo:02}-{day:02}")
    };
    if (h, mi, s) == (0, 0, 0) {
        date
    } else {
        format!("{date} {time}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(code: &str, v: f64) -> String {
        NumberFormat::parse(code).number(v)
    }

    #[test]
    fn general_hides_float_noise() {
        assert_eq!(general(3250.5999999999995), "3250.6");
        assert_eq!(general(0.1 + 0.2), "0.3");
        assert_eq!(general(1200.0), "1200");
        assert_eq!(general(-0.0), "0");
        assert_eq!(general(12.345), "12.345");
        assert_eq!(general(2050.4 - 1980.0), "70.4");
        assert_eq!(general(0.0905951840072695), "0.0905951840073");
    }

    #[test]
    fn number_formats_as_shown() {
        assert_eq!(shown("0.00", 3250.6), "3250.60");
        assert_eq!(shown("#,##0.00", 1234567.891), "1,234,567.89");
        assert_eq!(shown("#,##0", -1234.5), "-1,235");
        assert_eq!(shown("0.0%", 0.1234), "12.3%");
        assert_eq!(shown("0.0#", 2.5), "2.5");
        assert_eq!(shown("0.0#", 2.456), "2.46");
        assert_eq!(shown("#,##0.00_);[Red](#,##0.00)", 88.2), "88.20");
        assert_eq!(shown("0.00\"万元\"", 12.0), "12.00万元");
        assert_eq!(shown("General", 3250.5999999999995), "3250.6");
        assert_eq!(shown("0.00E+00", 3250.6), "3250.6");
        assert_eq!(shown("@", 7.0), "7");
        assert_eq!(shown("0.00", 2.675), "2.68");
        assert_eq!(shown("0.00", 0.004), "0.00");
        assert_eq!(shown("0.00", 0.005), "0.01");
        assert_eq!(shown("0", 999.5), "1000");
        assert_eq!(shown("0.000", 0.0), "0.000");
        assert_eq!(shown("#,##0.00", 3250.5999999999995), "3,250.60");
    }

    /// A BIFF stream: a BOUNDSHEET pointing at a sheet whose DIMENSIONS record says
    /// rows `rf..rl` and columns `0..cl`.
    fn biff_with_dimensions(rf: u32, rl: u32, cl: u16) -> Vec<u8> {
        let record = |kind: u16, data: &[u8]| {
            let mut r = kind.to_le_bytes().to_vec();
            r.extend((data.len() as u16).to_le_bytes());
            r.extend(data);
            r
        };
        let mut boundsheet = vec![0u8; 4];
        boundsheet.extend([0, 0, 1, 0, b'S']);
        let globals_len = 3 * 4 + 4 + boundsheet.len();
        boundsheet[..4].copy_from_slice(&(globals_len as u32).to_le_bytes());
        let mut s = record(0x0809, &[0; 4]);
        s.extend(record(0x0085, &boundsheet));
        s.extend(record(0x000A, &[]));
        assert_eq!(s.len(), globals_len);
        s.extend(record(0x0809, &[0; 4]));
        let mut dims = rf.to_le_bytes().to_vec();
        dims.extend(rl.to_le_bytes());
        dims.extend([0, 0]);
        dims.extend(cl.to_le_bytes());
        dims.extend([0, 0]);
        s.extend(record(0x0200, &dims));
        s.extend(record(0x000A, &[]));
        s
    }

    #[test]
    fn damaged_dimensions_are_refused_before_calamine_reserves_for_them() {
        assert!(check_dimensions(&biff_with_dimensions(0, 120, 8), ".xls").is_ok());
        assert!(check_dimensions(&biff_with_dimensions(0, 65_536, 256), ".xls").is_ok());
        for (rf, rl, cl) in [(0, 4_000_000_000, 8), (5, 1, 8), (0, 100, 9_000)] {
            let e = check_dimensions(&biff_with_dimensions(rf, rl, cl), ".xls").unwrap_err();
            assert!(e.contains("more than the format holds"), "{e}");
        }
    }

    #[test]
    fn cells_stay_on_one_line() {
        assert_eq!(cell_text(" 一般公共\n预算\t拨款 "), "一般公共 预算 拨款");
    }

    #[test]
    fn lines_put_the_title_first_and_drop_empty_columns() {
        let book = Workbook {
            sheets: vec![Sheet {
                name: Some("收支总表".into()),
                rows: vec![
                    vec![(0, "青溪县2024年部门预算".into())],
                    vec![(5, "单位：万元".into())],
                    vec![(0, "项目".into()), (5, "金额".into())],
                    vec![(0, "合计".into()), (5, "88.20".into())],
                    vec![(0, "注：本表为示例。".into())],
                ],
            }],
            ..Workbook::default()
        };
        let x = lines(&book);
        let texts: Vec<&str> = x.lines.iter().map(|l| x.line_text(l)).collect();
        assert_eq!(
            texts,
            [
                "青溪县2024年部门预算",
                "收支总表",
                "单位：万元",
                "项目\t金额",
                "合计\t88.20",
                "注：本表为示例。"
            ]
        );
        assert_eq!(x.lines[1].kind, LineKind::Heading(1));
        assert_eq!(x.lines[3].kind, LineKind::TableRow { table: 1 });
    }

    #[test]
    fn csv_in_gb18030_with_a_cap() {
        let (gb, _, _) = encoding_rs::GB18030.encode("项目,金额\n合计,\"1,200.5\"\n\n");
        let (book, enc) = csv(&gb).unwrap();
        assert_eq!(enc, "GBK");
        assert_eq!(
            book.sheets[0].rows[1],
            [(0, "合计".to_string()), (1, "1,200.5".to_string())]
        );
        let (book, _) = csv("青溪县乡镇人口表\n乡镇\t人口\n东岭镇\t1,200\n".as_bytes()).unwrap();
        assert_eq!(
            book.sheets[0].rows[2],
            [(0, "东岭镇".to_string()), (1, "1,200".to_string())]
        );
        let many = "1,2\n".repeat(MAX_ROWS + 5);
        let (book, _) = csv(many.as_bytes()).unwrap();
        assert_eq!(book.sheets[0].rows.len(), MAX_ROWS);
        assert!(book.cut.is_some());
    }
}
