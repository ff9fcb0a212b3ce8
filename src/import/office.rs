//! Office files (.doc, .wps, .xls, .xlsx, .et, .csv) → lines. What the bytes are
//! decides the reader, not the extension: old portals served HTML pages, RTF and
//! plain text as .doc and .xls, and a .docx renamed .doc is common; the report says
//! when the content was not what its name claims.

use std::cell::Cell;
use std::io::Cursor;
use std::panic::AssertUnwindSafe;
use std::sync::Once;

use super::extract::{self, Extracted};
use super::rules::Rules;
use super::{doc, read, rtf, sheet};

/// The office extensions this module reads (lower case).
pub const EXTENSIONS: [&str; 6] = ["doc", "wps", "xls", "xlsx", "et", "csv"];

/// A file read: its lines, how it was read (the report's `encoding`), what the
/// report should say, and why the file was not read whole, if it was not.
#[derive(Debug)]
pub struct Reading {
    pub extracted: Extracted,
    pub encoding: &'static str,
    pub warnings: Vec<String>,
    pub cut: Option<String>,
}

impl Reading {
    fn of(extracted: Extracted, encoding: &'static str) -> Reading {
        Reading {
            extracted,
            encoding,
            warnings: Vec::new(),
            cut: None,
        }
    }
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// An OLE compound file (.doc, .wps, .xls, .et; also encrypted Office files).
    Ole,
    /// A zip (.docx, .xlsx).
    Zip,
    Rtf,
    Pdf,
    /// An HTML page (a web page saved, or served, under an office name).
    Html,
    /// A MIME "single file web page" (.mht) as Word saves it.
    Mime,
    Text,
}

/// Sniffs the container from the first bytes.
pub fn sniff(bytes: &[u8]) -> Container {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Container::Ole;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Container::Zip;
    }
    if bytes.starts_with(b"%PDF") {
        return Container::Pdf;
    }
    // Text formats: past a BOM and white space, case-insensitively.
    let head = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..head.len().min(start + 1024)];
    let lower = head.to_ascii_lowercase();
    if lower.starts_with(b"{\\rtf") {
        return Container::Rtf;
    }
    if lower.starts_with(b"mime-version:")
        || (lower.starts_with(b"from:") || lower.starts_with(b"content-type: multipart"))
            && contains(&lower, b"multipart/related")
    {
        return Container::Mime;
    }
    if lower.starts_with(b"<!doctype html")
        || lower.starts_with(b"<html")
        || (lower.starts_with(b"<") && (contains(&lower, b"<html") || contains(&lower, b"<table")))
    {
        return Container::Html;
    }
    Container::Text
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Reads an office file whose extension is `ext` (one of [`EXTENSIONS`]).
pub fn read(bytes: &[u8], ext: &str, rules: &Rules) -> Result<Reading, String> {
    let word = matches!(ext, "doc" | "wps");
    let container = sniff(bytes);
    let mut reading = match container {
        Container::Ole => ole(bytes, ext)?,
        Container::Zip => zip(bytes, ext)?,
        Container::Pdf => {
            return Err(format!(
                "this .{ext} is a PDF file; rename it to .pdf to import it"
            ));
        }
        Container::Rtf => Reading::of(rtf::read(bytes)?, "rtf"),
        Container::Mime => {
            return Err(format!(
                "this .{ext} is a Word \"single file web page\" (MHT); open it in Word or WPS and save it as .docx, or as .html"
            ));
        }
        Container::Html => {
            let d = read::decode(bytes, true).map_err(|e| e.to_string())?;
            Reading::of(extract::html(&d.text, rules), d.encoding)
        }
        Container::Text if !word => {
            let (book, encoding) = sheet::csv(bytes)?;
            let mut r = Reading::of(sheet::lines(&book), encoding);
            r.cut = book.cut;
            r
        }
        Container::Text => {
            let d = read::decode(bytes, false).map_err(|e| match e {
                read::ReadError::Binary => "not a Word document (neither the Word binary format nor text); open it in Word or WPS and save it as .docx".to_string(),
                e => e.to_string(),
            })?;
            Reading::of(extract::text(d.text), d.encoding)
        }
    };
    let expected = match ext {
        "doc" | "wps" => Container::Ole,
        "xlsx" => Container::Zip,
        "xls" | "et" => Container::Ole,
        _ => Container::Text,
    };
    if container != expected && !(ext == "et" && container == Container::Zip) {
        reading.warnings.push(format!(
            "this .{ext} is really {}; read as such",
            match container {
                Container::Ole => "an OLE (Office 97–2003) file",
                Container::Zip => "an Office Open XML (zip) file",
                Container::Html => "an HTML page",
                Container::Rtf => "an RTF file",
                Container::Text => "plain text",
                _ => "another format",
            }
        ));
    }
    Ok(reading)
}

/// Puts what the reader found into the prepared document: warnings into the
/// report; a cut (a cap reached) marks the document incomplete, with a marker at
/// the end of its body where the rest was left out.
pub fn note(p: &mut super::Prepared, warnings: Vec<String>, cut: Option<String>) {
    p.report.warnings.extend(warnings);
    if let Some(why) = cut {
        p.body.push_str("\n\n");
        p.body.push_str(&super::structure::gap_marker(&why));
        p.report.warnings.push(why.clone());
        let note = match p.front.completeness_note.take() {
            Some(n) => format!("{n}；{why}"),
            None => why,
        };
        p.front.completeness = crate::document::Completeness::Incomplete;
        p.report.completeness = p.front.completeness.label().to_string();
        p.report.completeness_note = Some(note.clone());
        p.front.completeness_note = Some(note);
    }
}

thread_local!(static CONTAINED: Cell<bool> = const { Cell::new(false) });

/// Runs a third-party reader on untrusted bytes; None if it panicked. The readers of
/// the old binary formats (calamine's BIFF parser among them) index into records
/// whose lengths a damaged file gets wrong, and a damaged file must be one error, not
/// a crash. The panic's message is kept quiet: the caller reports the file.
pub(crate) fn contained<T>(f: impl FnOnce() -> T) -> Option<T> {
    static QUIET_HOOK: Once = Once::new();
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                previous(info);
            }
        }));
    });
    let outer = CONTAINED.with(|c| c.replace(true));
    let r = std::panic::catch_unwind(AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(outer));
    r.ok()
}

/// An OLE compound file: a Word document or a workbook, by the streams inside.
fn ole(bytes: &[u8], ext: &str) -> Result<Reading, String> {
    let file = contained(|| cfb::CompoundFile::open(Cursor::new(bytes)))
        .unwrap_or_else(|| Err(std::io::Error::other("inconsistent sector chains")))
        .map_err(|e| {
            format!("not a readable .{ext} (the OLE container is damaged: {e}); open it in its program and save it again")
        })?;
    let has = |name: &str| file.is_stream(name);
    if has("EncryptedPackage") {
        return Err(
            "not imported: the file is password-protected; open it, remove the password and save it again"
                .into(),
        );
    }
    if has("WordDocument") {
        let label = if ext == "wps" { "wps" } else { "doc" };
        return Ok(Reading::of(doc::read(bytes)?, label));
    }
    if has("Workbook") || has("Book") {
        let book = sheet::xls(bytes, &format!(".{ext}"))?;
        let label = if ext == "et" { "et" } else { "xls" };
        let mut r = Reading::of(sheet::lines(&book), label);
        r.warnings = book.notes;
        r.cut = book.cut;
        return Ok(r);
    }
    // Microsoft Works used .wps too; its files hold a `MatOST` stream.
    if has("MatOST") || has("CONTENTS") {
        return Err(format!(
            "not imported: this .{ext} is a Microsoft Works document, not WPS Office; open it in Word or LibreOffice and save it as .docx"
        ));
    }
    Err(format!(
        "not imported: this .{ext} is an OLE file with neither a Word document nor a workbook inside (an older WPS or another program's format); open it in its program and save it as .docx or .xlsx"
    ))
}

/// A zip: a .docx or an .xlsx, by the parts inside.
fn zip(bytes: &[u8], ext: &str) -> Result<Reading, String> {
    let names: Vec<String> = zip::ZipArchive::new(Cursor::new(bytes))
        .map(|z| {
            z.file_names()
                .map(|n| n.map(|n| n.to_string()).unwrap_or_default())
                .collect()
        })
        .unwrap_or_default();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") {
        return Ok(Reading::of(extract::docx(bytes)?, "docx"));
    }
    if has("xl/workbook.xml") || names.is_empty() {
        let book = sheet::xlsx(bytes)?;
        let mut r = Reading::of(sheet::lines(&book), "xlsx");
        r.warnings = book.notes;
        r.cut = book.cut;
        return Ok(r);
    }
    Err(format!(
        "not imported: this .{ext} is a zip archive with no Word document or workbook inside; unpack it and import its files"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(
            sniff(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest"),
            Container::Ole
        );
        assert_eq!(sniff(b"PK\x03\x04"), Container::Zip);
        assert_eq!(sniff(b"  {\\rtf1\\ansi"), Container::Rtf);
        assert_eq!(sniff(b"\xEF\xBB\xBF<!DOCTYPE html><html>"), Container::Html);
        assert_eq!(
            sniff(b"<meta charset=gbk><table><tr><td>1</td></tr></table>"),
            Container::Html
        );
        assert_eq!(
            sniff(b"MIME-Version: 1.0\r\nContent-Type: multipart/related;"),
            Container::Mime
        );
        assert_eq!(sniff("项目,金额\n".as_bytes()), Container::Text);
        assert_eq!(sniff(b"%PDF-1.7"), Container::Pdf);
    }

    #[test]
    fn an_html_page_named_doc_is_read_as_html() {
        let rules = Rules::load(None, None).unwrap();
        let page = "<html><body><p>青溪县农业农村局关于春耕备耕的通知</p><table><tr><td>乡镇</td><td>面积</td></tr></table></body></html>";
        let r = read(page.as_bytes(), "doc", &rules).unwrap();
        assert!(r.extracted.text.contains("春耕备耕"));
        assert!(r.warnings[0].contains("an HTML page"), "{:?}", r.warnings);
        let r = read(page.as_bytes(), "xls", &rules).unwrap();
        assert!(r.extracted.text.contains("乡镇\t面积"));
    }

    #[test]
    fn a_corrupt_ole_file_is_one_error() {
        let rules = Rules::load(None, None).unwrap();
        let mut bytes = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1".to_vec();
        bytes.extend([0u8; 600]);
        let e = read(&bytes, "doc", &rules).unwrap_err();
        assert!(e.contains("OLE container is damaged"), "{e}");
    }
}
