//! Office formats (tests/fixtures/formats/office, made by generate-office beside it):
//! .doc and .wps (the Word binary format), .xlsx, .xls, .et and a GB18030 .csv, read
//! by the real binary; files whose bytes are not what their name says; bad input
//! (a corrupt OLE file, zip bombs, a sheet of 1,000,000 rows) as one-line errors or
//! bounded, reported results.

mod import_support;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use gongkai::document::{Completeness, Document};
use import_support::*;
use serde_json::Value;

fn office(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats/office")
        .join(name)
}

fn expected() -> Value {
    let text = std::fs::read_to_string(office("expected.json")).expect("expected.json");
    serde_json::from_str(&text).expect("expected.json parses")
}

/// Imports the office fixtures once per test (each test its own folder).
fn import_fixtures(names: &[&str]) -> (tempfile::TempDir, Value) {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir(&raw).expect("raw folder");
    for n in names {
        std::fs::copy(office(n), raw.join(n)).expect("copy fixture");
    }
    let (out, report) = import(&[&raw], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    (dir, report)
}

fn str_of(v: &Value) -> &str {
    v.as_str().expect("a string")
}

/// The Markdown table row of `cells`, as the writer renders it (an empty cell is a
/// space).
fn row(cells: &[&str]) -> String {
    let cells: Vec<&str> = cells
        .iter()
        .map(|c| if c.is_empty() { " " } else { c })
        .collect();
    format!("| {} |", cells.join(" | "))
}

/// A Word document's fields and every paragraph, heading and table row of the text
/// it was made from, in order.
fn check_word(d: &Document, spec: &Value, what: &str) {
    assert_eq!(d.front.title, str_of(&spec["title"]), "{what}");
    assert_eq!(
        d.front.doc_no.as_ref().map(|n| n.to_string()).as_deref(),
        Some(str_of(&spec["doc_no"])),
        "{what}"
    );
    assert_eq!(agency(d), Some(str_of(&spec["signature"])), "{what}");
    let date = str_of(&spec["date"]);
    let (y, rest) = date.split_once('年').expect("a date");
    let (m, rest) = rest.split_once('月').expect("a date");
    let day = rest.trim_end_matches('日');
    let iso = format!(
        "{y}-{:02}-{:02}",
        m.parse::<u32>().unwrap(),
        day.parse::<u32>().unwrap()
    );
    assert_eq!(
        d.front.written.map(|w| w.to_string()).as_deref(),
        Some(iso.as_str()),
        "{what}"
    );
    let mut at = 0;
    let mut find = |needle: &str| {
        let found = d.body[at..].find(needle).unwrap_or_else(|| {
            panic!("{what}: `{needle}` missing or out of order in:\n{}", d.body)
        });
        at += found + needle.len();
    };
    if let Some(a) = spec["addressee"].as_str() {
        find(a);
    }
    for part in spec["body"].as_array().expect("body") {
        match str_of(&part[0]) {
            "h" => find(&format!("## {}", str_of(&part[1]))),
            "p" => find(str_of(&part[1])),
            _ => {
                for r in part[1].as_array().expect("rows") {
                    let cells: Vec<&str> = r.as_array().unwrap().iter().map(str_of).collect();
                    find(&row(&cells));
                }
            }
        }
    }
    find(str_of(&spec["signature"]));
    find(date);
}

#[test]
fn word_binary_documents_keep_fields_paragraphs_headings_and_tables() {
    let (dir, report) = import_fixtures(&["notice.doc", "announcement.wps"]);
    let spec = expected();
    for (name, key, encoding) in [
        ("notice.doc", "notice", "doc"),
        ("announcement.wps", "announcement", "wps"),
    ] {
        let e = entry(&report, name);
        assert_eq!(e["status"], "imported", "{name}: {e:#}");
        assert_eq!(e["encoding"], encoding);
        assert_eq!(e["warnings"], serde_json::json!([]), "{name}");
        let d = document(dir.path(), e);
        check_word(&d, &spec[key], name);
        assert_eq!(d.front.completeness, Completeness::Complete);
    }
}

/// The sheet's rows as Markdown, in order, starting at `from`; returns where they end.
fn find_rows(body: &str, from: usize, rows: &[&[&str]], what: &str) -> usize {
    let mut at = from;
    for r in rows {
        let line = row(r);
        let found = body[at..]
            .find(&line)
            .unwrap_or_else(|| panic!("{what}: row `{line}` missing or out of order in:\n{body}"));
        at += found + line.len();
    }
    at
}

#[test]
fn workbooks_become_a_table_per_sheet_with_numbers_as_shown() {
    // Numbers with the cells' formats (#,##0.00, 0.00 and 0.0%): from the styles of
    // the .xlsx, from the BIFF records of the .xls.
    let shown = [
        ["一般公共预算拨款", "1,200.20", "1,100.50", "99.70", "9.1%"],
        [
            "政府性基金预算拨款",
            "2,050.40",
            "1,980.00",
            "70.40",
            "3.6%",
        ],
        ["事业收入", "86.35", "90.10", "-3.75", "-4.2%"],
        ["收入合计", "3,336.95", "3,170.60", "166.35", "5.2%"],
    ];
    for name in ["budget.xlsx", "budget.xls"] {
        // One at a time: the two give the same document (a duplicate, imported once).
        let (dir, report) = import_fixtures(&[name]);
        let e = entry(&report, name);
        assert_eq!(e["status"], "imported", "{name}: {e:#}");
        assert_eq!(
            e["warnings"],
            serde_json::json!(["hidden sheet 辅助计算 left out (it is not shown in the workbook)"]),
            "{name}"
        );
        let d = document(dir.path(), e);
        assert!(!d.body.contains("增长系数"), "{name}");
        // The merged title row is the title; the organ it starts with, the 机构.
        assert_eq!(
            d.front.title, "青溪县财政局2024年部门收支预算总表",
            "{name}"
        );
        assert_eq!(agency(&d), Some("青溪县财政局"));
        let body = &d.body;
        let first = body.find("## 收支预算总表").expect("first sheet's heading");
        assert!(
            body[first..].starts_with("## 收支预算总表\n\n单位：万元\n\n"),
            "{body}"
        );
        let header = ["项目", "2024年预算数", "2023年预算数", "增减额", "增长率"];
        let at = find_rows(body, first, &[&header], name);
        let at = find_rows(body, at, &[&shown[0], &shown[1], &shown[2]], name);
        // 1200.2 + 2050.4 is 3250.6000000000004 as a float: shown as the sheet shows it.
        let at = find_rows(
            body,
            at,
            &[
                &["财政拨款小计", "3250.6", "3080.5", "170.1", ""],
                &shown[3],
            ],
            name,
        );
        let at = find_rows(body, at, &[&["编制日期", "2024-01-15", "", "", ""]], name);
        let note = body[at..].find("\n\n注：本表数据为示例，合计数以财政批复为准。\n\n## 三公经费");
        assert!(note.is_some(), "{name}: the note below the table:\n{body}");
        find_rows(
            body,
            at,
            &[
                &["项目", "2024年预算", "2023年预算"],
                &["因公出国（境）费", "0", "0"],
                &["公务接待费", "12.35", "15.8"],
                &["公务用车购置及运行费", "45.6", "48.3"],
                &["合计", "57.95", "64.1"],
            ],
            name,
        );
        // Every row has the five columns of the data: the empty, bordered cell far to
        // the right and below is dropped.
        for line in body.lines().filter(|l| l.starts_with('|')) {
            assert!(line.matches(" | ").count() <= 4, "{name}: {line}");
        }
        assert!(!body.contains("3250.59999"), "{body}");
    }
}

#[test]
fn an_et_workbook_and_a_gb18030_csv() {
    let (dir, report) = import_fixtures(&["final-accounts.et", "sangong.csv"]);
    let e = entry(&report, "final-accounts.et");
    assert_eq!(e["status"], "imported", "{e:#}");
    assert_eq!(e["encoding"], "et");
    let d = document(dir.path(), e);
    assert_eq!(d.front.title, "青禾县教育局2023年度部门决算明细表");
    let at = d.body.find("## 决算明细").expect("sheet heading");
    find_rows(
        &d.body,
        at,
        &[
            &["科目", "决算数（万元）", "占比"],
            &["基本支出", "5230.75", "73.67%"],
            &["项目支出", "1869.25", "26.33%"],
            &["合计", "7100", "100.00%"],
        ],
        "final-accounts.et",
    );

    let e = entry(&report, "sangong.csv");
    assert_eq!(e["status"], "imported", "{e:#}");
    // GB18030's two-byte subset: encoding_rs names it GBK.
    assert!(matches!(str_of(&e["encoding"]), "GBK" | "gb18030"), "{e:#}");
    let d = document(dir.path(), e);
    let spec = expected();
    let rows = spec["sangong"].as_array().expect("rows");
    assert_eq!(d.front.title, str_of(&rows[0][0]));
    let rows: Vec<Vec<&str>> = rows[1..]
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(str_of).collect())
        .collect();
    let refs: Vec<&[&str]> = rows.iter().map(|r| r.as_slice()).collect();
    find_rows(&d.body, 0, &refs, "sangong.csv");
}

#[test]
fn files_that_are_not_what_their_name_says_are_read_by_what_they_are() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir(&raw).unwrap();
    // An old portal's "Word" download: an HTML page saved as .doc, in GBK.
    let page = "<html><head><meta charset=\"gbk\"><title>青溪县林业局关于开展春季植树活动的通知</title></head>\
        <body><p>青溪县林业局关于开展春季植树活动的通知</p>\
        <p>各乡镇林业站：今年春季植树活动定于3月12日开展，请各站组织好苗木调运和现场指导工作。</p>\
        <p>青溪县林业局</p><p>2024年3月1日</p></body></html>";
    let (gbk, _, _) = encoding_rs::GBK.encode(page);
    std::fs::write(raw.join("page.doc"), &gbk).unwrap();
    // A web system's "Excel" export: an HTML table saved as .xls.
    std::fs::write(
        raw.join("export.xls"),
        "<table><tr><td>青溪县2024年第一季度乡镇财政收入</td></tr><tr><td>乡镇</td><td>收入（万元）</td></tr>\
         <tr><td>东岭镇</td><td>312.4</td></tr><tr><td>西溪乡</td><td>188.9</td></tr></table>",
    )
    .unwrap();
    // A .docx renamed .doc, and plain text saved as .doc.
    write_min_docx(&raw.join("renamed.doc"));
    std::fs::write(
        raw.join("plain.doc"),
        "青溪县气象局关于做好春季防雷工作的通知\n各乡镇：进入春季以后雷电活动逐渐频繁，请各乡镇加强防雷设施检查，确保安全。\n",
    )
    .unwrap();
    // Word's RTF with the text as GBK bytes (a title, a paragraph, a table row).
    let mut rtf = String::from(
        "{\\rtf1\\ansi\\ansicpg936{\\fonttbl{\\f0\\fnil\\fcharset134 \\'cb\\'ce\\'cc\\'e5;}}\\f0 ",
    );
    let gbk_escaped = |s: &str| -> String {
        let (b, _, _) = encoding_rs::GBK.encode(s);
        b.iter().map(|x| format!("\\'{x:02x}")).collect()
    };
    for p in [
        "青溪县民政局关于发放2024年第一季度低保金的通知",
        "各乡镇民政办：第一季度低保金已于3月25日拨付到位，请及时核对发放名册。",
    ] {
        rtf.push_str(&gbk_escaped(p));
        rtf.push_str("\\par ");
    }
    rtf.push_str(&format!(
        "\\trowd\\intbl {}\\cell 4620\\cell\\row\\pard }}",
        gbk_escaped("东岭镇")
    ));
    std::fs::write(raw.join("saved-as-rtf.doc"), rtf).unwrap();
    let (out, report) = import(&[&raw], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    for (name, really, phrase) in [
        ("saved-as-rtf.doc", "an RTF file", "请及时核对发放名册"),
        ("page.doc", "an HTML page", "苗木调运和现场指导工作"),
        ("export.xls", "an HTML page", "| 东岭镇 | 312.4 |"),
        (
            "renamed.doc",
            "Office Open XML",
            "全年完成农村公路日常养护九百公里",
        ),
        ("plain.doc", "plain text", "请各乡镇加强防雷设施检查"),
    ] {
        let e = entry(&report, name);
        assert_eq!(e["status"], "imported", "{name}: {e:#}");
        let warnings = e["warnings"].to_string();
        assert!(warnings.contains(really), "{name}: {warnings}");
        let d = document(dir.path(), e);
        assert!(d.body.contains(phrase), "{name}:\n{}", d.body);
    }
    let d = document(dir.path(), entry(&report, "page.doc"));
    assert_eq!(d.front.title, "青溪县林业局关于开展春季植树活动的通知");
    let d = document(dir.path(), entry(&report, "saved-as-rtf.doc"));
    assert_eq!(
        d.front.title,
        "青溪县民政局关于发放2024年第一季度低保金的通知"
    );
    assert!(d.body.contains("| 东岭镇 | 4620 |"), "{}", d.body);
}

/// A minimal .docx (zip of word/document.xml) with one title and one paragraph.
fn write_min_docx(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    z.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>\
         <w:p><w:r><w:t>青溪县交通运输局2024年农村公路养护工作方案</w:t></w:r></w:p>\
         <w:p><w:r><w:t>全年完成农村公路日常养护九百公里，优良中等路比例达到百分之八十以上。</w:t></w:r></w:p>\
         </w:body></w:document>"
            .as_bytes(),
    )
    .unwrap();
    z.finish().unwrap();
}

// ---- bad input --------------------------------------------------------------------

/// Bits written LSB first, as deflate wants them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u64, count: u32) {
        self.acc |= value << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code: its bits go most significant first.
    fn code(&mut self, code: u64, len: u32) {
        let rev = (0..len).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
        self.put(rev, len);
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// A raw deflate stream of `1 + 258 × matches` spaces: one fixed-Huffman block of a
/// literal and back-references of length 258, distance 1 (about 160:1).
fn deflated_spaces(matches: usize) -> Vec<u8> {
    let mut b = Bits::default();
    b.put(1, 1); // last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30 + u64::from(b' '), 8); // literal ' '
    for _ in 0..matches {
        b.code(0xC0 + 5, 8); // length code 285: 258
        b.code(0, 5); // distance code 0: 1
    }
    b.code(0, 7); // end of block
    b.finish()
}

/// A zip whose entries are written as given; `bomb` is stored deflated with the
/// declared size `declared` (the real one, or a lie).
fn write_zip(path: &Path, plain: &[(&str, &str)], bomb: (&str, &[u8], u32)) {
    let mut out = Vec::new();
    let mut central = Vec::new();
    let mut entries: Vec<(String, u16, Vec<u8>, u32, u32)> = plain
        .iter()
        .map(|(n, t)| {
            (
                n.to_string(),
                0u16,
                t.as_bytes().to_vec(),
                t.len() as u32,
                crc32(t.as_bytes()),
            )
        })
        .collect();
    entries.push((bomb.0.to_string(), 8, bomb.1.to_vec(), bomb.2, 0));
    let count = entries.len() as u16;
    for (name, method, data, size, crc) in entries {
        let offset = out.len() as u32;
        let header = |sig: &[u8], central: bool| {
            let mut h = sig.to_vec();
            if central {
                h.extend(20u16.to_le_bytes()); // made by
            }
            h.extend(20u16.to_le_bytes()); // version needed
            h.extend(0u16.to_le_bytes()); // flags
            h.extend(method.to_le_bytes());
            h.extend(0u32.to_le_bytes()); // time, date
            h.extend(crc.to_le_bytes());
            h.extend((data.len() as u32).to_le_bytes());
            h.extend(size.to_le_bytes());
            h.extend((name.len() as u16).to_le_bytes());
            h.extend(0u16.to_le_bytes()); // extra
            if central {
                h.extend([0u8; 6]); // comment length, disk, internal attributes
                h.extend(0u32.to_le_bytes()); // external attributes
                h.extend(offset.to_le_bytes());
            }
            h.extend(name.as_bytes());
            h
        };
        out.extend(header(b"PK\x03\x04", false));
        out.extend(&data);
        central.extend(header(b"PK\x01\x02", true));
    }
    let cd_at = out.len() as u32;
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_at.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    std::fs::write(path, out).unwrap();
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
    <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
    <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
    <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
    <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/></Types>";
const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
    <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
const WORKBOOK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
    <sheets><sheet name=\"明细\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
const WORKBOOK_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
    <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";

fn xlsx_parts() -> Vec<(&'static str, &'static str)> {
    vec![
        ("[Content_Types].xml", CONTENT_TYPES),
        ("_rels/.rels", RELS),
        ("xl/workbook.xml", WORKBOOK),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
    ]
}

#[test]
fn bad_office_files_are_one_line_errors() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir(&raw).unwrap();
    // 200 MiB of spaces in 1.3 MB: over the 128 MiB a part may inflate to.
    let matches = (200 << 20) / 258;
    let bomb = deflated_spaces(matches);
    let size = (1 + 258 * matches) as u32;
    write_zip(
        &raw.join("bomb.xlsx"),
        &xlsx_parts(),
        ("xl/worksheets/sheet1.xml", &bomb, size),
    );
    write_zip(
        &raw.join("bomb.docx"),
        &[("[Content_Types].xml", CONTENT_TYPES)],
        ("word/document.xml", &bomb, size),
    );
    // The same, declaring a small size (a lie).
    write_zip(
        &raw.join("lying-bomb.xlsx"),
        &xlsx_parts(),
        ("xl/worksheets/sheet1.xml", &bomb, 1000),
    );
    // A corrupt OLE file: the signature, then noise.
    let mut ole = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
    ole.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    std::fs::write(raw.join("corrupt.doc"), &ole).unwrap();
    std::fs::write(raw.join("corrupt.xls"), &ole).unwrap();
    // A real .doc cut short (a broken download); RTF and PDF under a Word name.
    let doc = std::fs::read(office("notice.doc")).unwrap();
    std::fs::write(raw.join("cut.doc"), &doc[..doc.len() / 3]).unwrap();
    std::fs::write(raw.join("pdf.doc"), "%PDF-1.4\n%\u{e2}\u{e3}").unwrap();
    let started = std::time::Instant::now();
    let (out, report) = import(&[&raw], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    for (file, why) in [
        ("bomb.xlsx", "zip bomb"),
        ("bomb.docx", "zip bomb"),
        ("lying-bomb.xlsx", ".xlsx"),
        ("corrupt.doc", "OLE container is damaged"),
        ("corrupt.xls", "OLE container is damaged"),
        ("cut.doc", "OLE container is damaged"),
        ("pdf.doc", "PDF"),
    ] {
        let lines: Vec<&str> = stderr
            .lines()
            .filter(|l| l.contains(&format!("/{file}:")))
            .collect();
        assert_eq!(lines.len(), 1, "{file}: one line: {stderr}");
        assert!(lines[0].contains(why), "{file}: {}", lines[0]);
        assert_eq!(entry(&report, file)["status"], "failed");
    }
    // Bounded: nothing inflated past the cap (a debug build reads 128 MiB in seconds).
    assert!(started.elapsed().as_secs() < 60, "{:?}", started.elapsed());
}

#[test]
fn a_sheet_of_a_million_rows_is_cut_and_said_so() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir(&raw).unwrap();
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\
         <row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>青溪县2023年低保发放明细</t></is></c></row>\
         <row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>序号</t></is></c><c r=\"B2\" t=\"inlineStr\"><is><t>金额</t></is></c></row>",
    );
    for i in 3..=1_000_000u32 {
        sheet.push_str(&format!(
            "<row r=\"{i}\"><c r=\"A{i}\"><v>{i}</v></c><c r=\"B{i}\"><v>1</v></c></row>"
        ));
    }
    sheet.push_str("</sheetData></worksheet>");
    let f = std::fs::File::create(raw.join("million.xlsx")).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, text) in xlsx_parts()
        .into_iter()
        .chain([("xl/worksheets/sheet1.xml", sheet.as_str())])
    {
        z.start_file(name, stored).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap();
    drop(sheet);
    let mut csv = String::from("序号,金额\n");
    for i in 1..=1_000_000u32 {
        csv.push_str(&format!("{i},1\n"));
    }
    std::fs::write(raw.join("million.csv"), csv).unwrap();

    let (out, report) = import(&[&raw], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for name in ["million.xlsx", "million.csv"] {
        let e = entry(&report, name);
        assert_eq!(e["status"], "imported", "{name}: {stderr}");
        let warnings = e["warnings"].to_string();
        assert!(warnings.contains("只导入了前50000行"), "{name}: {warnings}");
        let d = document(dir.path(), e);
        assert_eq!(d.front.completeness, Completeness::Incomplete, "{name}");
        let rows = d.body.lines().filter(|l| l.starts_with("| ")).count();
        // 50,000 rows read: the header and 49,999 (the xlsx's title row is the title).
        assert!((49_998..=50_001).contains(&rows), "{name}: {rows} rows");
        assert!(d.body.trim_end().ends_with("其余各行没有导入〕"), "{name}");
    }
}

#[test]
fn cut_and_damaged_office_files_never_crash() {
    // Each fixture cut short and with bytes overwritten at spread-out places, read
    // through the library as import reads it: an error or a document, never a panic.
    let rules = gongkai::import::rules::Rules::load(None, None).expect("rules");
    let names = [
        "notice.doc",
        "announcement.wps",
        "budget.xlsx",
        "budget.xls",
        "final-accounts.et",
        "sangong.csv",
    ];
    let mut seed = 0x9E37_79B9u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut read = 0;
    for name in names {
        let bytes = std::fs::read(office(name)).expect("fixture");
        let ext = name.rsplit('.').next().unwrap_or_default();
        let mut copies = Vec::new();
        for cut in [8, 512, 1536, bytes.len() / 2, bytes.len() - 1] {
            copies.push(bytes[..cut.min(bytes.len())].to_vec());
        }
        for _ in 0..60 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 8 {
                let at = next() as usize % b.len();
                b[at] = next() as u8;
            }
            copies.push(b);
        }
        for b in copies {
            let r = std::panic::catch_unwind(|| {
                gongkai::import::office::read(&b, ext, &rules).map(|r| {
                    gongkai::import::prepare(r.extracted, &rules, name.into(), "0".repeat(64), "x")
                        .is_ok()
                })
            });
            assert!(r.is_ok(), "{name}: a damaged copy panicked");
            read += usize::from(matches!(r, Ok(Ok(true))));
        }
    }
    // Most copies with a few bytes changed still read (the text is mostly intact).
    assert!(read > 100, "only {read} damaged copies read");
}
