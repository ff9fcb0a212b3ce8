//! The search fixture archive (tests/browser/search_fixture.json, fictional text) and its
//! query set, shared by tests/search_query.rs (node) and tests/search_browser.rs (Chromium).
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use gongkai::search::{SearchDocument, SearchIndex, SearchStats, write_document};
use serde_json::Value;

pub struct FixtureDoc {
    pub url_path: String,
    pub title: String,
    pub agency: String,
    pub published: String,
    pub year: Option<i32>,
    pub index_no: String,
    pub doc_no: String,
    pub text: String,
}

impl FixtureDoc {
    pub fn as_search(&self) -> SearchDocument<'_> {
        SearchDocument {
            url_path: &self.url_path,
            title: &self.title,
            agency: &self.agency,
            published: &self.published,
            year: self.year,
            index_no: &self.index_no,
            doc_no: &self.doc_no,
            text: &self.text,
            attachments: &[],
        }
    }
}

pub struct FixtureQuery {
    pub q: String,
    pub agency: String,
    pub year: String,
    pub first: Option<String>,
    pub top10: Vec<String>,
    pub total: Option<u64>,
    /// The results, all of them, in order (a quoted query returns these and no others).
    pub only: Option<Vec<String>>,
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn search_js() -> PathBuf {
    repo().join("themes/default/static/assets/search.js")
}

/// Runs the theme's search.js in node (tests/browser/search_harness.js) against the site
/// written under `root` with `request` on its stdin; returns what it prints.
pub fn node(root: &Path, request: &Value) -> Value {
    let mut child = Command::new("node")
        .arg(repo().join("tests/browser/search_harness.js"))
        .arg(root)
        .arg(search_js())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (20 or later) must be installed to test search.js");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(request.to_string().as_bytes())
        .expect("request written");
    let out = child.wait_with_output().expect("node ran");
    assert!(
        out.status.success(),
        "search.js failed in node: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("harness prints JSON")
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or("").to_string()
}

pub fn load() -> (Vec<FixtureDoc>, Vec<FixtureQuery>) {
    let path = repo().join("tests/browser/search_fixture.json");
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    let v: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let long = &v["long_text"];
    let long_text = format!(
        "{}{}",
        s(long, "filler").repeat(long["repeat"].as_u64().unwrap_or(1) as usize),
        s(long, "tail")
    );
    let mut docs: Vec<FixtureDoc> = v["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .map(|d| FixtureDoc {
            url_path: s(d, "url_path"),
            title: s(d, "title"),
            agency: s(d, "agency"),
            published: s(d, "published"),
            year: d["year"].as_i64().map(|y| y as i32),
            index_no: s(d, "index_no"),
            doc_no: s(d, "doc_no"),
            text: if s(d, "text") == "LONGTEXT" {
                long_text.clone()
            } else {
                s(d, "text")
            },
        })
        .collect();
    // The build adds documents in url_path order.
    docs.sort_by(|a, b| a.url_path.cmp(&b.url_path));
    let queries = v["queries"]
        .as_array()
        .expect("queries")
        .iter()
        .map(|q| FixtureQuery {
            q: s(q, "q"),
            agency: s(q, "agency"),
            year: s(q, "year"),
            first: q["first"].as_str().map(str::to_string),
            top10: q["top10"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            total: q["total"].as_u64(),
            only: q["only"].as_array().map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            }),
        })
        .collect();
    (docs, queries)
}

/// Writes the index of the fixture under `root/search/` and search.js to `root/assets/`.
pub fn write_site_index(root: &Path, docs: &[FixtureDoc]) -> SearchStats {
    write_site_index_in_batches(root, docs, 1)
}

/// As [`write_site_index`], adding `batch` documents at a time (1: `add` each).
pub fn write_site_index_in_batches(root: &Path, docs: &[FixtureDoc], batch: usize) -> SearchStats {
    write_site_index_with(root, docs, batch, SearchIndex::new())
}

/// As [`write_site_index_in_batches`], into `index` (made with its settings).
pub fn write_site_index_with(
    root: &Path,
    docs: &[FixtureDoc],
    batch: usize,
    mut index: SearchIndex,
) -> SearchStats {
    for group in docs.chunks(batch.max(1)) {
        if batch == 1 {
            index.add(&group[0].as_search());
        } else {
            let g: Vec<_> = group.iter().map(FixtureDoc::as_search).collect();
            index.add_batch(&g);
        }
    }
    let (mut stats, _) = index.write(root).expect("index written");
    for (id, d) in docs.iter().enumerate() {
        let own = write_document(root, id as u32, &d.as_search()).expect("document files written");
        stats.files += own.files;
        stats.bytes += own.bytes;
    }
    std::fs::create_dir_all(root.join("assets")).expect("assets dir");
    std::fs::copy(search_js(), root.join("assets/search.js")).expect("search.js copied");
    stats
}

/// Checks one query's answer (`total`, `urls` of the first ten) against the expectations.
pub fn check(q: &FixtureQuery, total: u64, urls: &[String], how: &str) -> Result<(), String> {
    let label = format!(
        "{how}: query {:?} (机构 {:?}, 年份 {:?})",
        q.q, q.agency, q.year
    );
    if let Some(first) = &q.first
        && urls.first() != Some(first)
    {
        return Err(format!("{label}: expected {first} first, got {urls:?}"));
    }
    for want in &q.top10 {
        if !urls.contains(want) {
            return Err(format!("{label}: {want} missing from the top 10 {urls:?}"));
        }
    }
    if let Some(only) = &q.only
        && urls != only.as_slice()
    {
        return Err(format!("{label}: expected exactly {only:?}, got {urls:?}"));
    }
    if let Some(t) = q.total
        && t != total
    {
        return Err(format!(
            "{label}: expected {t} results, got {total} ({urls:?})"
        ));
    }
    Ok(())
}
