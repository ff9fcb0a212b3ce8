//! What the fuzz targets assert, one function per target. Shared, by `#[path]`, between
//! the libFuzzer targets in fuzz_targets/ and the regression tests in
//! tests/fuzz_regressions.rs, which replay every input kept in fuzz/regressions/.
//!
//! Each check takes any bytes. Besides "does not panic" (and, under libFuzzer, "does not
//! take seconds"), each states a property a user relies on:
//! - front_matter: a document that parses writes back (`Document::to_text`) to text that
//!   parses to the same front matter and body; an error names a line of the file.
//! - text_import: an imported .txt gives a document that parses back, and nothing is
//!   lost: every Han character of the text is in the body unless the report lists the
//!   span that removed it (and the span's text is the text at that span).
//! - html_import: an imported page gives a document that parses back, whose rendered
//!   body runs nothing.
//! - markdown_render: a rendered body runs nothing, whatever Markdown it comes from.
//! - pdf_import: a PDF (OCR off) gives a document that parses back, and nothing of its
//!   text layer is lost but what the report lists (page furniture included).
//! - doc_import, sheet_import: a file named .doc or .xls, whatever its bytes are (the
//!   Word or Excel binary format, a zip, RTF, text; what they are decides the reader),
//!   is an error or a document that parses back, and nothing of the text the reader
//!   found is lost unless the report lists it (HTML aside, as for html_import).
#![allow(dead_code)]

use std::path::Path;
use std::sync::LazyLock;

use gongkai::document::Document;
use gongkai::import::{self, Prepared, extract, office, read, rules::Rules};
use gongkai::render::markdown::{NoRewrite, is_unsafe_url, render};
use gongkai::search::tokenize::is_han;

/// What the importer is given as the raw file's digest (the checks do not hash).
const SHA256: &str = "0000000000000000000000000000000000000000000000000000000000000000";

static RULES: LazyLock<Rules> =
    LazyLock::new(|| Rules::load(None, None).unwrap_or_else(|e| panic!("embedded rules: {e}")));

pub fn front_matter(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.lines().count() + 1;
    let doc = match Document::parse(Path::new("fuzz.md"), "fuzz.md", text) {
        Ok(doc) => doc,
        Err(errors) => {
            assert!(!errors.is_empty(), "an error without a message");
            for e in errors {
                let line = e.line.unwrap_or(1);
                assert!(
                    (1..=lines).contains(&line),
                    "error on line {line} of a {lines}-line file: {e}"
                );
            }
            return;
        }
    };
    written_back_parses(&doc.front, &doc.body);
}

pub fn text_import(data: &[u8]) {
    let Ok(decoded) = read::decode(data, false) else {
        return;
    };
    let x = extract::text(decoded.text);
    let raw = x.text.clone();
    let Ok(prepared) = import::prepare(x, &RULES, "fuzz.txt".into(), SHA256.into(), "utf-8") else {
        return;
    };
    written_back_parses(&prepared.front, &prepared.body);
    nothing_lost(&raw, &prepared);
}

pub fn html_import(data: &[u8]) {
    let Ok(decoded) = read::decode(data, true) else {
        return;
    };
    let x = extract::html(&decoded.text, &RULES);
    let Ok(prepared) = import::prepare(x, &RULES, "fuzz.html".into(), SHA256.into(), "utf-8")
    else {
        return;
    };
    written_back_parses(&prepared.front, &prepared.body);
    assert_inert(&render(&prepared.body, &NoRewrite).html);
}

pub fn pdf_import(data: &[u8]) {
    let progress = import::ocr::Progress::default();
    let Ok(read) = import::pdf::extract(data, "fuzz.pdf", import::ocr::OcrMode::Never, &progress)
    else {
        return;
    };
    let raw = read.extracted.text.clone();
    let Ok(prepared) = import::prepare(
        read.extracted,
        &RULES,
        "fuzz.pdf".into(),
        SHA256.into(),
        "pdf",
    ) else {
        return;
    };
    written_back_parses(&prepared.front, &prepared.body);
    nothing_lost(&raw, &prepared);
}

pub fn doc_import(data: &[u8]) {
    office_import(data, "doc");
}

pub fn sheet_import(data: &[u8]) {
    office_import(data, "xls");
}

fn office_import(data: &[u8], ext: &str) {
    let Ok(reading) = office::read(data, ext, &RULES) else {
        return;
    };
    let raw = reading.extracted.text.clone();
    let name = format!("fuzz.{ext}");
    let Ok(prepared) = import::prepare(reading.extracted, &RULES, name, SHA256.into(), "doc")
    else {
        return;
    };
    written_back_parses(&prepared.front, &prepared.body);
    if office::sniff(data) != office::Container::Html {
        nothing_lost(&raw, &prepared);
    }
}

pub fn markdown_render(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert_inert(&render(text, &NoRewrite).html);
}

/// A document written as a content file reads back the same.
fn written_back_parses(front: &gongkai::document::FrontMatter, body: &str) {
    let text = Document::to_text(front, body);
    let again = Document::parse(Path::new("fuzz.md"), "fuzz.md", &text)
        .unwrap_or_else(|e| panic!("the written document does not parse: {e:?}\n{text}"));
    assert_eq!(
        &again.front, front,
        "front matter changed on the way\n{text}"
    );
    // Writing drops the blank lines the body starts with and ends it with one newline.
    let trim = |b: &str| {
        b.trim_start_matches('\n')
            .trim_end_matches('\n')
            .to_string()
    };
    assert_eq!(
        trim(&again.body),
        trim(body),
        "body changed on the way\n{text}"
    );
}

fn nothing_lost(raw: &str, prepared: &Prepared) {
    let mut spans: Vec<(usize, usize, &str)> = prepared
        .report
        .removed
        .iter()
        .map(|r| (r.start, r.end, r.text.as_str()))
        .collect();
    spans.sort();
    let mut kept = String::new();
    let mut at = 0;
    for (start, end, text) in spans {
        assert!(start >= at, "removed spans overlap at {start}");
        assert_eq!(raw.get(start..end), Some(text), "span {start}..{end}");
        kept.push_str(&raw[at..start]);
        at = end;
    }
    kept.push_str(&raw[at..]);
    let mut body = prepared.body.chars().filter(|&c| is_han(c));
    for (i, c) in kept.chars().filter(|&c| is_han(c)).enumerate() {
        assert!(
            body.any(|b| b == c),
            "character {i} `{c}` of the kept text is not in the body\n--- raw:\n{raw}\n--- body:\n{}",
            prepared.body
        );
    }
}

/// Nothing in rendered body HTML can run script or load a frame or object.
pub fn assert_inert(html: &str) {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        assert!(
            !matches!(
                el.name(),
                "script"
                    | "iframe"
                    | "frame"
                    | "object"
                    | "embed"
                    | "base"
                    | "meta"
                    | "link"
                    | "form"
                    | "svg"
                    | "math"
                    | "style"
            ),
            "<{}> is live in {html}",
            el.name()
        );
        for (name, value) in el.attrs() {
            assert!(
                !name.to_ascii_lowercase().starts_with("on"),
                "event attribute {name} in {html}"
            );
            if matches!(
                name,
                "href" | "src" | "action" | "formaction" | "poster" | "xlink:href"
            ) {
                assert!(!is_unsafe_url(value), "{name}={value:?} in {html}");
            }
        }
    }
}
