//! The demo archive (content/ of this repository) built with `gongkai build`, searched
//! in headless Chromium from file:// (offline copy) and over http under /xxgk/: every
//! document that contains the query's words is in the top 10 (recall 100%), and the
//! exact 索引号/文号 or the title match ranks first (tests/browser/search_demo_queries.json).

#[path = "browser/search_chromium.rs"]
mod chromium;
mod common;
#[path = "browser/search_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::Command;

use fixture::FixtureQuery;
use serde_json::Value;

struct DemoDoc {
    url_path: String,
    agency: String,
    year: Option<i32>,
    /// Title, 机构, numbers and the Markdown body: what a word may be found in.
    text: String,
}

fn demo_docs() -> Vec<DemoDoc> {
    let mut out = Vec::new();
    for doc in common::documents(&fixture::repo().join("content")) {
        let f = &doc.front;
        out.push(DemoDoc {
            url_path: doc.url_path(),
            agency: f.agency.as_ref().map_or("", |a| a.as_str()).to_string(),
            year: f.year(),
            text: format!(
                "{}\n{}\n{}\n{}\n{}",
                f.title,
                f.agency.as_ref().map_or("", |a| a.as_str()),
                f.index_no.as_ref().map_or("", |n| n.as_str()),
                f.doc_no.as_ref().map_or("", |n| n.as_str()),
                doc.body
            ),
        });
    }
    out.sort_by(|a, b| a.url_path.cmp(&b.url_path));
    out
}

/// The query set, with the expected top 10 worked out from the demo's text.
fn demo_queries(docs: &[DemoDoc]) -> Vec<FixtureQuery> {
    let path = fixture::repo().join("tests/browser/search_demo_queries.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for q in v["queries"].as_array().unwrap() {
        let text = q["q"].as_str().unwrap().to_string();
        let agency = q["agency"].as_str().unwrap_or("").to_string();
        let year = q["year"].as_str().unwrap_or("").to_string();
        let first = q["first"].as_str().map(str::to_string);
        let (top10, total) = if q["id"].as_bool().unwrap_or(false) {
            (first.iter().cloned().collect(), None)
        } else {
            let hits: Vec<String> = docs
                .iter()
                .filter(|d| text.split_whitespace().all(|w| d.text.contains(w)))
                .filter(|d| agency.is_empty() || d.agency == agency)
                .filter(|d| year.is_empty() || d.year.map(|y| y.to_string()) == Some(year.clone()))
                .map(|d| d.url_path.clone())
                .collect();
            assert!(
                !hits.is_empty(),
                "demo query {text:?} matches no demo document; fix the query set"
            );
            assert!(
                hits.len() <= 10,
                "demo query {text:?} matches more than 10 documents"
            );
            let n = hits.len() as u64;
            (hits, Some(n))
        };
        out.push(FixtureQuery {
            q: text,
            agency,
            year,
            first,
            top10,
            total,
            only: None,
        });
    }
    out
}

fn build(args: &[&str]) {
    let repo = fixture::repo();
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["build", "--root", repo.to_str().unwrap()])
        .args(args)
        .output()
        .expect("gongkai runs");
    assert!(
        out.status.success(),
        "build of the demo failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn runner_prefix(site: &Path, base: &str) -> String {
    let page = std::fs::read_to_string(site.join("search/index.html")).unwrap();
    if page.contains(&format!("src=\"{base}assets/search.js\"")) {
        base.to_string()
    } else {
        "../".to_string()
    }
}

#[test]
fn demo_query_set_from_file_and_http() {
    let Some(chrome) = chromium::required() else {
        return;
    };
    let docs = demo_docs();
    assert!(docs.len() >= 10, "the demo archive is in content/");
    let queries = demo_queries(&docs);
    let work = tempfile::tempdir().unwrap();

    let usb = work.path().join("usb");
    let usb_s = format!("{}/", usb.display());
    build(&["--offline", "--base-url", &usb_s, "--output", &usb_s]);
    chromium::write_runner(&usb, &runner_prefix(&usb, &usb_s), &queries);
    chromium::check_runner(
        &chrome,
        &format!("file://{usb_s}search/runner.html"),
        "demo file://",
        &queries,
    );

    let www = work.path().join("www");
    let site = www.join("xxgk");
    build(&["--base-url", "/xxgk/", "--output", site.to_str().unwrap()]);
    chromium::write_runner(&site, "/xxgk/", &queries);
    let (_server, port) = chromium::serve(&www);
    chromium::check_runner(
        &chrome,
        &format!("http://127.0.0.1:{port}/xxgk/search/runner.html"),
        "demo http",
        &queries,
    );
}

/// `gongkai serve`, stopped with Ctrl-C (SIGINT) so it removes its temporary site.
struct Preview(std::process::Child);

impl Drop for Preview {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-INT", &self.0.id().to_string()])
            .status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_search_page_in_serve() {
    let Some(chrome) = chromium::required() else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(["serve", "--root"])
        .arg(fixture::repo())
        .args(["--port", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("gongkai serve starts");
    let _preview = Preview(child);
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "gongkai serve did not listen on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let root = format!("http://127.0.0.1:{port}/");
    // The exact 文号 first; a word finds every demo document that holds it.
    for (q, first, want) in [
        ("青卫健[2023]15号", true, vec!["2023/qwj-2023-015/"]),
        (
            "双减",
            false,
            vec!["2022/qjj-2022-zj/", "2023/qjj-2023-yd/"],
        ),
    ] {
        let url = format!("{root}search/index.html?q={}", chromium::url_encode(q));
        let dom = chromium::dump_dom_with(&chrome, &url, "--timeout=8000");
        let doc = scraper::Html::parse_document(&dom);
        let link = scraper::Selector::parse("#results li a").unwrap();
        let hrefs: Vec<String> = doc
            .select(&link)
            .filter_map(|a| a.value().attr("href"))
            .map(|h| {
                h.trim_start_matches(&root)
                    .trim_end_matches("index.html")
                    .to_string()
            })
            .collect();
        if first {
            assert_eq!(
                hrefs.first().map(String::as_str),
                Some(want[0]),
                "serve: {q}: {hrefs:?}"
            );
        }
        for w in &want {
            assert!(
                hrefs.iter().any(|h| h == w),
                "serve: {q}: {w} missing from {hrefs:?}"
            );
        }
    }
}
