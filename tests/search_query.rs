//! The search query set over the fixture archive, run by the theme's own search.js in
//! node against the files `SearchIndex::write` wrote (the same code the browser runs).

mod common;
#[path = "browser/search_fixture.rs"]
mod fixture;

use std::path::Path;

use fixture::node;
use serde_json::{Value, json};

#[test]
fn query_set_finds_expected_documents() {
    let (docs, queries) = fixture::load();
    let dir = tempfile::tempdir().unwrap();
    let stats = fixture::write_site_index(dir.path(), &docs);
    assert_eq!(stats.documents, docs.len());
    let request: Vec<Value> = queries
        .iter()
        .map(|q| json!({"q": q.q, "agency": q.agency, "year": q.year}))
        .collect();
    let answers = node(dir.path(), &Value::Array(request));
    let mut failures = Vec::new();
    for (q, a) in queries.iter().zip(answers.as_array().expect("array")) {
        let urls: Vec<String> = a["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect();
        if let Err(e) = fixture::check(q, a["total"].as_u64().unwrap_or(0), &urls, "node") {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn browser_tokenizer_matches_the_build() {
    let samples = [
        "青溪县教育局关于落实“双减”工作的实施意见",
        "青教〔2022〕7号 ＡＢＣ１２３ WiFi-5G",
        "002658260/2021-17205",
        "二〇二五年，𠀀𠀁字与\u{3000}全角空格",
        "",
    ];
    let answers = node(Path::new("/nonexistent"), &json!({"tokenize": samples}));
    for (s, a) in samples.iter().zip(answers.as_array().expect("array")) {
        let js: Vec<String> = serde_json::from_value(a.clone()).expect("strings");
        assert_eq!(js, gongkai::search::tokenize::terms(s), "terms of {s:?}");
    }
}

#[test]
fn index_bytes_are_deterministic_and_stay_under_search() {
    let (docs, _) = fixture::load();
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    fixture::write_site_index(a.path(), &docs);
    // An earlier build's files in b must not survive into the new index.
    std::fs::create_dir_all(b.path().join("search/t/0")).unwrap();
    std::fs::write(b.path().join("search/t/0/999.js"), "stale").unwrap();
    // Batches (counted in parallel) must give the same bytes as one document at a time.
    fixture::write_site_index_in_batches(b.path(), &docs, 5);
    let list = common::tree;
    let (la, lb) = (list(a.path()), list(b.path()));
    assert_eq!(la, lb);
    assert!(
        la.iter()
            .all(|(p, _)| p.starts_with("search/") || p == "assets/search.js")
    );
    assert!(la.iter().any(|(p, _)| p == "search/core.js"));
}
