//! PDFs and images through the real binary: the fixtures in tests/fixtures/formats/pdf
//! are made by tests/fixtures/formats/generate-pdf from text written for this project,
//! and each `<name>.txt` there holds the text its PDF was made from.
//!
//! OCR tests need Tesseract with Chinese; without it they print one line and pass,
//! except with GONGKAI_REQUIRE_OCR=1 (set by .ci/run), where they fail.

mod import_support;

use std::path::{Path, PathBuf};

use import_support::*;
use serde_json::Value;

fn pdf_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/formats/pdf")
        .join(name)
}

/// The paragraphs a fixture was made from (`#` lines are comments).
fn source_lines(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(pdf_fixture(name)).expect("the fixture's text");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(String::from)
        .collect()
}

fn body_lines(body: &str) -> Vec<&str> {
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Imports one fixture; returns (document, its report entry, the run's output).
fn import_one(
    name: &str,
    dir: &Path,
    extra: &[&str],
) -> (gongkai::document::Document, Value, std::process::Output) {
    let (out, report) = import(&[&pdf_fixture(name)], dir, extra);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = entry(&report, name).clone();
    (document(dir, &e), e, out)
}

/// Nothing of the source text lost: every CJK character of the text the PDF was made
/// from is in the body in order, unless the report lists it as removed. The removals
/// of page furniture (running headers, page numbers) are not in that text.
fn assert_nothing_lost(name: &str, e: &Value, body: &str) {
    let raw: Vec<char> = cjk(&source_lines(name).join("\n"));
    let mut e = e.clone();
    if let Some(list) = e["removed"].as_array_mut() {
        list.retain(|r| !r["reason"].as_str().unwrap_or("").starts_with("PDF "));
    }
    assert_nothing_lost_cjk(&raw, &e, body, name);
}

fn reasons(e: &Value) -> Vec<(String, String)> {
    e["removed"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["reason"].as_str().unwrap_or("").to_string(),
                        r["text"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// No space between Chinese and a Latin letter or digit (`2024 年`), as glyph gaps
/// would suggest.
fn assert_no_invented_spaces(body: &str, what: &str) {
    let chars: Vec<char> = body.chars().collect();
    for w in chars.windows(3) {
        let (a, b) = (w[0], w[2]);
        let mixed =
            (is_cjk(a) && b.is_ascii_alphanumeric()) || (a.is_ascii_alphanumeric() && is_cjk(b));
        assert!(
            !(w[1] == ' ' && mixed),
            "{what}: a space between `{a}` and `{b}`"
        );
    }
}

#[test]
fn a_red_header_notice_keeps_its_fields_title_table_and_text() {
    let dir = temp();
    let (doc, e, _) = import_one("notice.pdf", dir.path(), &[]);
    let src = source_lines("notice.txt");
    let title = &src[2];
    assert_eq!(
        title,
        "青溪县人民政府办公室关于印发青溪县2024年政务公开工作要点的通知"
    );
    // The title set over two lines is one line: the title, or a line of the body.
    assert!(
        doc.front.title == *title || body_lines(&doc.body).contains(&title.as_str()),
        "the title over two lines was not joined: {}\n{}",
        doc.front.title,
        doc.body
    );
    assert_eq!(
        doc.front.doc_no.as_ref().map(|d| d.as_str()),
        Some("青政办发〔2024〕12号")
    );
    assert_eq!(
        doc.front.written.map(|d| d.to_string()).as_deref(),
        Some("2024-03-20")
    );
    assert_eq!(agency(&doc), Some("青溪县人民政府办公室"));
    // Page numbers `— 1 —` are gone, each in the report with its reason.
    assert!(
        !doc.body.contains("— 1 —") && !doc.body.contains("—1—"),
        "{}",
        doc.body
    );
    let pages: Vec<_> = reasons(&e)
        .into_iter()
        .filter(|(r, _)| r.starts_with("PDF page number"))
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    // The table: rows with their cells, as a Markdown table.
    assert!(
        doc.body.contains("| 项目 | 2023年 | 2024年目标 |"),
        "{}",
        doc.body
    );
    assert!(
        doc.body
            .contains("| 依申请公开办理 | 47件 | 按时办结率100% |")
    );
    // Every row is in the table, or in the report with the rule that took it out.
    for row in src.iter().filter(|l| l.contains('\t')) {
        let md = format!("| {} |", row.replace('\t', " | "));
        let removed = reasons(&e).iter().any(|(_, t)| t == row);
        assert!(doc.body.contains(&md) || removed, "table row lost: {row}");
    }
    // Paragraphs joined across lines, digits without invented spaces.
    assert!(
        doc.body.contains(
            "各单位要在2024年3月20日前明确分管负责同志和具体联络人员，报县政府办公室备案。"
        )
    );
    assert!(doc.body.contains("## 一、总体要求"), "{}", doc.body);
    assert_no_invented_spaces(&doc.body, "notice.pdf");
    assert_nothing_lost("notice.txt", &e, &doc.body);
}

#[test]
fn a_report_runs_across_page_breaks_without_its_running_header_and_page_numbers() {
    let dir = temp();
    let (doc, e, _) = import_one("report.pdf", dir.path(), &[]);
    let src = source_lines("report.txt");
    assert_eq!(doc.front.title, src[0]);
    let lines = body_lines(&doc.body);
    // Every paragraph whole: one of them runs from page 1 onto page 2, one onto page 3.
    for p in src.iter().skip(1).filter(|p| p.chars().count() > 40) {
        assert!(lines.contains(&p.as_str()), "not whole: {p}\n{}", doc.body);
    }
    let removed = reasons(&e);
    let header = removed
        .iter()
        .filter(|(r, t)| r.starts_with("PDF running header") && t == &src[0])
        .count();
    assert_eq!(header, 3, "{removed:?}");
    for n in 1..=3 {
        let footer = format!("第{n}页共3页");
        assert!(
            removed
                .iter()
                .any(|(r, t)| r.starts_with("PDF page number") && t.replace(' ', "") == footer),
            "{footer} not reported: {removed:?}"
        );
        assert!(!doc.body.contains(&format!("第{n}页")));
    }
    assert!(doc.body.contains("截至2023年12月31日"));
    assert_no_invented_spaces(&doc.body, "report.pdf");
    assert_nothing_lost("report.txt", &e, &doc.body);
}

#[test]
fn cid_fonts_with_tounicode_maps_read_as_text() {
    let dir = temp();
    let (doc, e, _) = import_one("cid.pdf", dir.path(), &[]);
    let src = source_lines("cid.txt");
    assert_eq!(doc.front.title, src[0]);
    assert_eq!(e["encoding"], "pdf");
    // A line broken before a long Latin word is still one paragraph.
    assert!(lines_contain(&doc.body, &src[2]), "{}", doc.body);
    assert!(doc.body.contains("GB 2763-2021"), "{}", doc.body);
    assert_no_invented_spaces(&doc.body, "cid.pdf");
    assert_nothing_lost("cid.txt", &e, &doc.body);
    assert!(doc.front.source.ocr.is_none());
}

fn lines_contain(body: &str, line: &str) -> bool {
    body_lines(body).contains(&line)
}

#[test]
fn the_same_pdf_imports_to_the_same_bytes() {
    let (a, b) = (temp(), temp());
    for d in [&a, &b] {
        let (out, _) = import(
            &[&pdf_fixture("notice.pdf"), &pdf_fixture("report.pdf")],
            d.path(),
            &[],
        );
        assert!(out.status.success());
    }
    let files = |d: &Path| {
        let mut v: Vec<(PathBuf, Vec<u8>)> = walkdir::WalkDir::new(d.join("content"))
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .map(|p| {
                (
                    p.strip_prefix(d).unwrap_or(&p).to_path_buf(),
                    std::fs::read(&p).unwrap_or_default(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let first = files(a.path());
    assert_eq!(first.len(), 2, "two documents written");
    assert_eq!(first, files(b.path()));
}

#[test]
fn bad_pdfs_and_huge_images_fail_on_one_line_each_and_the_rest_imports() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).expect("folder");
    std::fs::copy(pdf_fixture("encrypted.pdf"), raw.join("encrypted.pdf")).expect("copy");
    std::fs::write(
        raw.join("garbage.pdf"),
        b"%PDF-1.7\nthis is not really a PDF",
    )
    .expect("write");
    let notice = std::fs::read(pdf_fixture("notice.pdf")).expect("read");
    // Cut in the middle: what can be read is read, or the file fails on one line.
    std::fs::write(raw.join("truncated.pdf"), &notice[..notice.len() / 2]).expect("write");
    // A PNG header claiming 20,000 × 20,000 pixels.
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&20_000u32.to_be_bytes());
    png.extend_from_slice(&[8, 0, 0, 0, 0, 0, 0, 0, 0]);
    std::fs::write(raw.join("huge.png"), png).expect("write");
    std::fs::copy(pdf_fixture("cid.pdf"), raw.join("good.pdf")).expect("copy");
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(!out.status.success(), "failures give exit code 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(entry(&report, "good.pdf")["status"], "imported");
    for (name, says) in [
        ("encrypted.pdf", "encrypted with a password"),
        ("garbage.pdf", "not a readable PDF"),
        ("huge.png", "20000 × 20000 pixels"),
    ] {
        let e = entry(&report, name);
        assert_eq!(e["status"], "failed", "{name}");
        let err = e["error"].as_str().unwrap_or("");
        assert!(err.contains(says) && !err.contains('\n'), "{name}: {err}");
        let line = stderr
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("no line for {name}: {stderr}"));
        assert!(line.contains(says), "{line}");
    }
    let t = entry(&report, "truncated.pdf");
    assert!(
        t["status"] == "imported" || t["error"].as_str().is_some_and(|e| !e.contains('\n')),
        "{t:#}"
    );
}

/// Whether OCR can run here; `None` (after printing why) when the test should skip.
fn ocr_available(test: &str) -> Option<()> {
    let ok = std::process::Command::new("tesseract")
        .arg("--list-langs")
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == "chi_sim")
        });
    if ok {
        return Some(());
    }
    if std::env::var("GONGKAI_REQUIRE_OCR").is_ok_and(|v| v == "1") {
        panic!("{test}: GONGKAI_REQUIRE_OCR=1 but tesseract with chi_sim is not installed");
    }
    eprintln!(
        "skipped {test}: tesseract with chi_sim is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
    );
    None
}

/// The share of `want`'s characters found in order in `got` (longest common subsequence).
fn recognised_share(want: &[char], got: &[char]) -> f64 {
    let mut prev = vec![0usize; got.len() + 1];
    for a in want {
        let mut cur = vec![0usize; got.len() + 1];
        for (j, b) in got.iter().enumerate() {
            cur[j + 1] = if a == b {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        prev = cur;
    }
    prev[got.len()] as f64 / want.len().max(1) as f64
}

#[test]
fn scans_and_images_are_read_by_ocr_and_marked_so() {
    if ocr_available("scans_and_images_are_read_by_ocr_and_marked_so").is_none() {
        return;
    }
    let src = source_lines("scan.txt");
    let want = cjk(&src.join("\n"));
    for (name, method) in [("scan.pdf", "pdf (ocr)"), ("scan.png", "ocr")] {
        let dir = temp();
        let (doc, e, _) = import_one(name, dir.path(), &[]);
        assert_eq!(e["encoding"], method, "{name}");
        // Recognition errors are allowed; losing the text is not.
        let mut got = cjk(&doc.front.title);
        got.extend(cjk(&doc.body));
        let share = recognised_share(&want, &got);
        assert!(
            share >= 0.9,
            "{name}: {:.0}% of the characters recognised:\n{}",
            share * 100.0,
            doc.body
        );
        assert_eq!(doc.front.title, src[1], "{name}");
        let note = doc.front.source.ocr.as_deref().unwrap_or("");
        assert!(
            note.contains("第1页") && note.contains("Tesseract"),
            "{name}: {note}"
        );
        let warned = e["warnings"].as_array().is_some_and(|w| {
            w.iter()
                .any(|w| w.as_str().is_some_and(|w| w.starts_with("ocr:")))
        });
        assert!(warned, "{name}: {e:#}");
        // The wrapped first paragraph is one paragraph again.
        let para = body_lines(&doc.body)
            .into_iter()
            .find(|l| l.starts_with("当前正值"))
            .unwrap_or_default();
        assert!(para.ends_with("通知如下。"), "{name}: {}", doc.body);
    }
}

#[test]
fn without_ocr_a_scan_fails_saying_how_to_read_it_and_text_pdfs_still_import() {
    // No tesseract on PATH: what a machine without it sees.
    let dir = temp();
    let empty = dir.path().join("no-programs");
    std::fs::create_dir_all(&empty).expect("folder");
    let mut cmd = gongkai();
    cmd.arg("import")
        .arg(pdf_fixture("scan.pdf"))
        .arg(pdf_fixture("cid.pdf"))
        .arg("--out")
        .arg(dir.path().join("content"))
        .env("PATH", &empty);
    let out = cmd.output().expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let line = stderr
        .lines()
        .find(|l| l.contains("scan.pdf"))
        .unwrap_or_default();
    assert!(
        line.contains("apt-get install tesseract-ocr tesseract-ocr-chi-sim"),
        "{stderr}"
    );
    assert!(stderr.contains("imported 1"), "{stderr}");

    // --ocr never: the scan and the image say why they were not read.
    let dir = temp();
    let (out, report) = import(
        &[&pdf_fixture("scan.pdf"), &pdf_fixture("scan.png")],
        dir.path(),
        &["--ocr", "never"],
    );
    assert!(!out.status.success());
    for name in ["scan.pdf", "scan.png"] {
        let err = entry(&report, name)["error"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(err.contains("--ocr never"), "{name}: {err}");
    }
}
