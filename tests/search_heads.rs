//! Broad terms cut to their heads (`SearchIndex::head_bytes`): search.js must give the
//! same results from heads and rests as from whole lists — the first page, its order,
//! the count and every later hit — and show a first page of broad words from the heads
//! alone. Run by the theme's search.js in node, as tests/search_query.rs does, and the
//! built search page in headless Chromium.

#[path = "browser/search_chromium.rs"]
mod chromium;
mod common;
#[path = "browser/search_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::Command;

use fixture::FixtureDoc;
use gongkai::search::SearchIndex;
use serde_json::{Value, json};

/// The harness's answers to `request` on the site under `root`.
fn node(root: &Path, request: &Value) -> Vec<Value> {
    fixture::node(root, request)
        .as_array()
        .expect("array")
        .clone()
}

/// A fictional county's 800 notices: words drawn so that a few are in most documents
/// (broad), many in some, and a few in one.
fn archive() -> Vec<FixtureDoc> {
    const WORDS: &[&str] = &[
        "工作",
        "青溪县",
        "教育",
        "安全",
        "通知",
        "管理",
        "发展",
        "建设",
        "服务",
        "会议",
        "落实",
        "检查",
        "学校",
        "农业",
        "水利",
        "防汛",
        "卫生",
        "医疗",
        "交通",
        "道路",
        "养老",
        "保险",
        "就业",
        "培训",
        "招聘",
        "预算",
        "审计",
        "统计",
        "环境",
        "治理",
        "森林",
        "防火",
        "消防",
        "应急",
        "演练",
        "社区",
        "村委",
        "文化",
        "旅游",
        "茶叶",
    ];
    const AGENCIES: &[&str] = &[
        "青溪县教育局",
        "青溪县财政局",
        "青溪县水利局",
        "青溪县卫健委",
    ];
    let mut x: u64 = 20_261_204;
    let mut next = |m: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % m
    };
    (0..800)
        .map(|n| {
            // Skewed: the first words far more often than the last.
            let word = |next: &mut dyn FnMut(u64) -> u64| {
                let r = next(1000) as f64 / 1000.0;
                WORDS[((r * r * r) * WORDS.len() as f64) as usize]
            };
            let title: String = (0..3).map(|_| word(&mut next)).collect::<Vec<_>>().concat();
            let body: Vec<&str> = (0..(20 + next(200))).map(|_| word(&mut next)).collect();
            let year = 2015 + n % 10;
            FixtureDoc {
                url_path: format!("{year}/{n:04}/"),
                title: format!("关于{title}的通知"),
                agency: AGENCIES[next(4) as usize].to_string(),
                published: format!("{year}-03-{:02}", 1 + n % 28),
                year: Some(year),
                index_no: format!("11330000/{year}-{n:05}"),
                doc_no: format!("青政〔{year}〕{}号", n % 90 + 1),
                text: body.join(if n % 3 == 0 { "，" } else { "" }),
            }
        })
        .collect()
}

#[test]
fn heads_and_rests_give_the_results_of_whole_lists() {
    let docs = {
        let mut d = archive();
        d.sort_by(|a, b| a.url_path.cmp(&b.url_path));
        d
    };
    let whole = tempfile::tempdir().unwrap();
    let cut = tempfile::tempdir().unwrap();
    fixture::write_site_index_with(whole.path(), &docs, 50, SearchIndex::new());
    fixture::write_site_index_with(cut.path(), &docs, 50, SearchIndex::new().head_bytes(48));
    let rests = common::tree(cut.path())
        .iter()
        .filter(|(p, _)| p.starts_with("search/t/") && p.contains('-'))
        .count();
    assert!(rests >= 10, "only {rests} terms were cut");

    let queries = [
        "工作",
        "青",
        "教育",
        "工作 教育",
        "安全工作",
        "工作 茶叶",
        "茶叶",
        "\"工作教育\"",
        "“管理发展”",
        "通知",
        "青溪县 通知 工作",
        "11330000/2019-00004",
        "青政[2016]2号",
        "防汛 演练",
    ];
    for all in [false, true] {
        let request: Vec<Value> = queries
            .iter()
            .map(|q| json!({"q": q, "all": all}))
            .collect();
        let (a, b) = (
            node(whole.path(), &Value::Array(request.clone())),
            node(cut.path(), &Value::Array(request)),
        );
        for ((q, a), b) in queries.iter().zip(&a).zip(&b) {
            for field in ["total", "urls", "exact"] {
                assert_eq!(a[field], b[field], "{field} of {q} (all: {all})");
            }
            assert!(a["total"].as_u64().unwrap_or(0) > 0, "{q} finds nothing");
        }
        if !all {
            // A broad word's first page comes from its head alone.
            for (q, b) in queries.iter().zip(&b) {
                let files = b["files"].as_array().unwrap();
                let rest_loaded = files.iter().any(|f| {
                    f.as_str()
                        .is_some_and(|f| f.starts_with("t/") && f.contains('-'))
                });
                if ["工作", "教育", "通知"].contains(q) {
                    assert!(!rest_loaded, "{q} loaded a rest: {files:?}");
                }
            }
        }
    }
}

/// The search page of `site` (an offline build) for `q`, in headless Chromium once its
/// scripts are done: the status text, the result ids in order, and the files the first
/// page loaded.
fn page(chrome: &Path, site: &Path, q: &str) -> (String, Vec<String>, String) {
    let url = format!("file://{}/search/index.html", site.display());
    let (status, _, _, dom) = chromium::search_page(chrome, &url, q);
    let doc = scraper::Html::parse_document(&dom);
    let done = scraper::Selector::parse("html[data-search-state=done]").unwrap();
    assert!(
        doc.select(&done).next().is_some(),
        "{q}: the page did not finish"
    );
    let items = scraper::Selector::parse("#results li[data-doc]").unwrap();
    let ids = doc
        .select(&items)
        .filter_map(|li| li.value().attr("data-doc").map(str::to_string))
        .collect();
    let status_el = scraper::Selector::parse("#search-status").unwrap();
    let files = doc
        .select(&status_el)
        .next()
        .and_then(|e| e.value().attr("data-files"))
        .unwrap_or("")
        .to_string();
    (status, ids, files)
}

/// The same archive built by `gongkai build --offline` with whole lists and with heads
/// of 48 bytes: the page shows the same results and, once every hit is ranked, the same
/// count; a broad word's first page loads no rest.
#[test]
fn the_page_shows_the_same_results_from_heads() {
    let Some(chrome) = chromium::required() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    let docs: Vec<(String, String)> = archive()
        .iter()
        .map(|d| {
            (
                format!("{}.md", d.url_path.trim_end_matches('/')),
                format!(
                    "---\n标题: {}\n机构: {}\n发布时间: {}\n索引号: {}\n文号: {}\n---\n\n{}\n",
                    d.title, d.agency, d.published, d.index_no, d.doc_no, d.text
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = docs.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    common::archive(&root, &refs);
    let build = |out: &Path, head_bytes: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args(common::build_args(&root, out, &["--offline"]))
            .env("GONGKAI_SEARCH_HEAD_BYTES", head_bytes)
            .output()
            .expect("gongkai runs");
        assert!(o.status.success(), "{}", common::stderr(&o));
    };
    let (whole, cut) = (dir.path().join("whole"), dir.path().join("cut"));
    build(&whole, "1000000");
    build(&cut, "48");
    assert!(
        common::tree(&cut)
            .keys()
            .any(|p| p.starts_with("search/t/") && p.contains('-')),
        "no term was cut"
    );
    for q in ["工作", "工作 茶叶", "“管理发展”"] {
        let (a, b) = (page(&chrome, &whole, q), page(&chrome, &cut, q));
        assert!(a.0.starts_with("找到"), "{q}: {}", a.0);
        assert_eq!(a.0, b.0, "{q}: the count");
        assert_eq!(a.1, b.1, "{q}: the results");
        assert_eq!(b.1.len(), 10, "{q}");
        let shards: Vec<&str> = b.2.split(' ').filter(|f| f.starts_with("t/")).collect();
        assert!(!shards.is_empty(), "{q}: files of the first page: {}", b.2);
        if q == "工作" {
            assert!(
                shards.iter().all(|f| !f.contains('-')),
                "{q} loaded a rest first: {}",
                b.2
            );
        }
    }
}
