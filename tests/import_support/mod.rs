//! Helpers shared by the import tests: running the binary, reading the report, and
//! the "nothing lost" check.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Output;

use gongkai::document::Document;
use serde_json::Value;

pub fn gongkai() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
}

/// Runs `gongkai import <inputs> --out <dir>/content --report <dir>/report.json`.
pub fn import(inputs: &[&Path], dir: &Path, extra: &[&str]) -> (Output, Value) {
    import_threads(inputs, dir, extra, None)
}

/// The same, with RAYON_NUM_THREADS set when `threads` is given.
pub fn import_threads(
    inputs: &[&Path],
    dir: &Path,
    extra: &[&str],
    threads: Option<usize>,
) -> (Output, Value) {
    let out = dir.join("content");
    let report = dir.join("report.json");
    let mut cmd = gongkai();
    cmd.arg("import")
        .args(inputs)
        .arg("--out")
        .arg(&out)
        .arg("--report")
        .arg(&report);
    cmd.arg("--root").arg(dir);
    cmd.args(extra);
    if let Some(n) = threads {
        cmd.env("RAYON_NUM_THREADS", n.to_string());
    }
    let output = cmd.output().expect("the binary runs");
    let json = std::fs::read_to_string(&report)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    (output, json)
}

/// The report entry of the input whose path ends with `name`.
pub fn entry<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["files"]
        .as_array()
        .and_then(|files| {
            files
                .iter()
                .find(|f| f["input"].as_str().is_some_and(|i| i.ends_with(name)))
        })
        .unwrap_or_else(|| panic!("no report entry for {name}: {report:#}"))
}

/// The document written for a report entry, read back through the document model.
pub fn document(dir: &Path, entry: &Value) -> Document {
    let rel = entry["output"].as_str().expect("an output path");
    let path = dir.join("content").join(rel);
    let text = std::fs::read_to_string(&path).expect("the document was written");
    Document::parse(&path, rel, &text).unwrap_or_else(|e| panic!("{rel} does not read back: {e:?}"))
}

/// The 机构 of a document, as text.
pub fn agency(d: &Document) -> Option<&str> {
    d.front.agency.as_ref().map(|a| a.as_str())
}

pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}' | '〇')
}

pub fn cjk(s: &str) -> Vec<char> {
    s.chars().filter(|&c| is_cjk(c)).collect()
}

/// The removed entries of a report entry: (start, end, text).
pub fn removed(entry: &Value) -> Vec<(usize, usize, String)> {
    entry["removed"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| {
                    (
                        r["start"].as_u64().unwrap_or(0) as usize,
                        r["end"].as_u64().unwrap_or(0) as usize,
                        r["text"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `needle` is a subsequence of `hay`; on failure, says where it stopped.
pub fn assert_subsequence(needle: &[char], hay: &[char], what: &str) {
    if let Err(e) = subsequence(needle, hay, what) {
        panic!("{e}");
    }
}

/// [`assert_subsequence`] as a result, for tests that gather every failure.
pub fn subsequence(needle: &[char], hay: &[char], what: &str) -> Result<(), String> {
    let mut h = 0;
    for (i, c) in needle.iter().enumerate() {
        while h < hay.len() && hay[h] != *c {
            h += 1;
        }
        if h == hay.len() {
            let ctx: String = needle[i.saturating_sub(10)..(i + 10).min(needle.len())]
                .iter()
                .collect();
            return Err(format!(
                "{what}: character {i} `{c}` of the raw text is missing from the body (around `{ctx}`)"
            ));
        }
        h += 1;
    }
    Ok(())
}

/// Nothing lost, with exact spans: `raw` is the text the spans index (a .txt file's
/// decoded text). Checks each span's text, then that every CJK character outside the
/// spans is in the body in order.
pub fn assert_nothing_lost_exact(raw: &str, entry: &Value, body: &str, what: &str) {
    if let Err(e) = nothing_lost_exact(raw, entry, body, what) {
        panic!("{e}");
    }
}

/// [`assert_nothing_lost_exact`] as a result.
pub fn nothing_lost_exact(raw: &str, entry: &Value, body: &str, what: &str) -> Result<(), String> {
    let mut kept = String::new();
    let mut at = 0;
    let mut spans = removed(entry);
    spans.sort();
    for (s, e, t) in &spans {
        if raw.get(*s..*e) != Some(t.as_str()) {
            return Err(format!(
                "{what}: the report's span {s}..{e} is not its text"
            ));
        }
        if *s < at {
            return Err(format!("{what}: removed spans overlap at {s}"));
        }
        kept.push_str(&raw[at..*s]);
        at = *e;
    }
    kept.push_str(&raw[at..]);
    subsequence(&cjk(&kept), &cjk(body), what)
}

/// Nothing lost, for formats whose text the test extracts itself (HTML, DOCX): each
/// removed text is cut where it occurs (in report order), the rest must be in the
/// body in order.
pub fn assert_nothing_lost_cjk(raw: &[char], entry: &Value, body: &str, what: &str) {
    if let Err(e) = nothing_lost_cjk(raw, entry, body, what) {
        panic!("{e}");
    }
}

/// [`assert_nothing_lost_cjk`] as a result.
pub fn nothing_lost_cjk(raw: &[char], entry: &Value, body: &str, what: &str) -> Result<(), String> {
    let mut kept = Vec::new();
    let mut at = 0;
    for (_, _, t) in removed(entry) {
        let r = cjk(&t);
        if r.is_empty() {
            continue;
        }
        let pos = (at..=raw.len().saturating_sub(r.len()))
            .find(|&p| raw[p..p + r.len()] == r[..])
            .ok_or_else(|| format!("{what}: removed text `{t}` is not in the raw text"))?;
        kept.extend_from_slice(&raw[at..pos]);
        at = pos + r.len();
    }
    kept.extend_from_slice(&raw[at..]);
    subsequence(&kept, &cjk(body), what)
}

/// The CJK text of an HTML page as a reader sees it: every text node under <body>
/// except scripts, styles and embedded frames.
pub fn html_cjk(html: &str, root_selector: Option<&str>) -> Vec<char> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(root_selector.unwrap_or("body")).expect("selector");
    let Some(root) = doc.select(&sel).next() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for node in root.descendants() {
        if let Some(t) = node.value().as_text() {
            let hidden = node.ancestors().any(|a| {
                a.value().as_element().is_some_and(|e| {
                    matches!(
                        e.name(),
                        "script" | "style" | "noscript" | "template" | "iframe" | "svg" | "object"
                    )
                })
            });
            if !hidden {
                out.extend(cjk(t));
            }
        }
    }
    out
}

pub fn temp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel)
}

/// Set to `1` (as `.ci/run` does) to make a missing ../shared a failure, not a skip.
pub const REQUIRE_SHARED: &str = "GONGKAI_REQUIRE_SHARED";

/// `../shared/<rel>` when it is there. When it is not, a test that needs it prints
/// one line saying it was skipped and why, and gets `None` to return early; with
/// GONGKAI_REQUIRE_SHARED=1 its absence fails the test instead, so CI cannot pass
/// by skipping.
pub fn shared_or_skip(rel: &str) -> Option<PathBuf> {
    let path = shared(rel);
    if path.exists() {
        return Some(path);
    }
    let top = rel.split('/').next().unwrap_or(rel);
    assert!(
        std::env::var(REQUIRE_SHARED).as_deref() != Ok("1"),
        "../shared/{top} is not beside the repository, and {REQUIRE_SHARED}=1 requires it"
    );
    // Once per test binary, and straight to stderr, not through eprintln!, which
    // the test harness captures: the line shows in a passing `cargo test` run too.
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|t| t == top) {
        return None;
    }
    said.push(top.to_string());
    let _ = writeln!(
        std::io::stderr(),
        "skipped: ../shared/{top} is not beside the repository (see README: Tests)"
    );
    None
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// None of `what` (page chrome, paywall text, markup) is left in `body` of `what_doc`.
pub fn assert_gone(body: &str, what: &[&str], what_doc: &str) {
    for w in what {
        assert!(
            !body.contains(w),
            "{what_doc}: `{w}` is still in the body:\n{body}"
        );
    }
}

/// Lines of the body without the gap markers the importer adds.
pub fn without_markers(body: &str) -> String {
    body.lines()
        .filter(|l| !l.starts_with("〔此处原文不完整"))
        .collect::<Vec<_>>()
        .join("\n")
}
