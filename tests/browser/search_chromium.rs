//! Headless Chromium helpers for the search tests: run the query set through search.js
//! in a real page, and check the search page itself.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::fixture;

#[path = "headless.rs"]
mod headless;
pub use headless::required;

/// Writes `search/runner.html` under `root`: the whole query set in one page load
/// through the site's search.js (`url_prefix` + "assets/search.js").
pub fn write_runner(root: &Path, url_prefix: &str, queries: &[fixture::FixtureQuery]) {
    let request: Vec<Value> = queries
        .iter()
        .map(|q| json!({"q": q.q, "agency": q.agency, "year": q.year}))
        .collect();
    let runner = format!(
        r#"<!doctype html><html><head><meta charset="utf-8"></head><body><pre id="out">pending</pre>
<script src="{url_prefix}assets/search.js"></script>
<script>
(async function () {{
  var out = [];
  for (const r of {req}) {{
    const res = await gongkaiSearch.search(r.q, {{ agency: r.agency, year: r.year }});
    const page = await gongkaiSearch.results(res).next(10);
    out.push({{ q: r.q, total: res.total, urls: page.map(function (it) {{ return it.record.url; }}) }});
  }}
  document.getElementById("out").textContent = JSON.stringify(out);
}})().catch(function (e) {{ document.getElementById("out").textContent = "ERROR " + e; }});
</script></body></html>"#,
        req = Value::Array(request)
    );
    std::fs::write(root.join("search/runner.html"), runner).unwrap();
}

pub fn dump_dom(chrome: &Path, url: &str) -> String {
    dump_dom_with(chrome, url, "--virtual-time-budget=10000")
}

/// As [`dump_dom`] with another timing flag: pages that keep a connection open (the
/// live reload of `gongkai serve`) never let virtual time run out, so they need
/// `--timeout=…` (real milliseconds) instead.
pub fn dump_dom_with(chrome: &Path, url: &str, timing: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = headless::command(chrome, profile.path())
        .arg(timing)
        .arg("--dump-dom")
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("chromium ran");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs the runner page (see [`write_runner`], same `queries`) and checks each answer.
pub fn check_runner(chrome: &Path, url: &str, how: &str, queries: &[fixture::FixtureQuery]) {
    let dom = dump_dom(chrome, url);
    let text = first_text(&scraper::Html::parse_document(&dom), "#out");
    let answers: Value = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{how}: runner page printed {text:?}"));
    let mut failures = Vec::new();
    for (q, a) in queries.iter().zip(answers.as_array().expect("array")) {
        let urls: Vec<String> = a["urls"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|u| u.as_str().map(str::to_string))
            .collect();
        if let Err(e) = fixture::check(q, a["total"].as_u64().unwrap_or(0), &urls, how) {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Loads the real search page with `?q=…` and returns (status text, result hrefs,
/// count of <mark> in results, the DOM).
pub fn search_page(chrome: &Path, page: &str, query: &str) -> (String, Vec<String>, usize, String) {
    let q: String = url_encode(query);
    let dom = dump_dom(chrome, &format!("{page}?q={q}"));
    let doc = scraper::Html::parse_document(&dom);
    let status = first_text(&doc, "#search-status");
    let links = result_links(&doc);
    let mark_sel = scraper::Selector::parse("#results mark").unwrap();
    let marks = doc.select(&mark_sel).count();
    (status, links, marks, dom)
}

/// The text of the first element `css` selects, or "" when there is none.
fn first_text(doc: &scraper::Html, css: &str) -> String {
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.text().collect())
        .unwrap_or_default()
}

/// The inner HTML of the first element `css` selects in `dom`, or "".
fn first_html(dom: &str, css: &str) -> String {
    let doc = scraper::Html::parse_document(dom);
    let sel = scraper::Selector::parse(css).unwrap();
    doc.select(&sel)
        .next()
        .map(|e| e.inner_html())
        .unwrap_or_default()
}

/// Where the search page's result links lead, in order.
fn result_links(doc: &scraper::Html) -> Vec<String> {
    let sel = scraper::Selector::parse("#results li a").unwrap();
    doc.select(&sel)
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect()
}

pub fn url_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The fixture's query set through the runner page, then the search page `page` (a path
/// under `site_root_url`) as a person uses it.
pub fn check_runner_and_page(chrome: &Path, site_root_url: &str, page: &str, how: &str) {
    check_runner(
        chrome,
        &format!("{site_root_url}search/runner.html"),
        how,
        &fixture::load().1,
    );
    check_page(
        chrome,
        &format!("{site_root_url}{page}"),
        site_root_url,
        how,
    );
}

pub fn check_page(chrome: &Path, page: &str, site_root_url: &str, how: &str) {
    let (status, links, marks, dom) = search_page(chrome, page, "双减");
    assert_eq!(status, "找到 2 条结果", "{how}: status of 双减; DOM: {dom}");
    assert_eq!(
        links.first().map(String::as_str),
        Some(format!("{site_root_url}2022/double-reduction/index.html").as_str()),
        "{how}: links {links:?}"
    );
    assert!(
        marks >= 2,
        "{how}: the match is highlighted in title and snippet"
    );
    assert!(dom.contains(r#"aria-live="polite""#));

    let (status, links, _, _) = search_page(chrome, page, "青教[2022]17号");
    assert!(status.starts_with("找到"), "{how}: {status}");
    assert!(
        links[0].ends_with("2022/after-school/index.html"),
        "{how}: {links:?}"
    );

    // Filters come from the URL as well, and the selects offer what the results hold.
    let dom = dump_dom(
        chrome,
        &format!("{page}?q={}&year=2021", url_encode("疫情防控")),
    );
    let doc = scraper::Html::parse_document(&dom);
    let hrefs = result_links(&doc);
    assert_eq!(hrefs.len(), 1, "{how}: year filter: {hrefs:?}");
    assert!(hrefs[0].ends_with("2021/vaccination/index.html"));
    let selected = first_text(&doc, "#search-year option[selected]");
    assert_eq!(
        selected, "2021年（1）",
        "{how}: selected year option, counted from the fact files"
    );
    // The 机构 list counts the unfiltered results by the names of search/f/agencies.js.
    let agencies = doc
        .select(&scraper::Selector::parse("#search-agency option").expect("selector"))
        .map(|o| o.text().collect::<String>())
        .collect::<Vec<_>>();
    assert!(
        agencies.len() > 1
            && agencies[1..]
                .iter()
                .all(|a| a.ends_with('）') && a.contains('（')),
        "{how}: 机构 options {agencies:?}"
    );

    // A match far into a long text: the snippet shows it, highlighted, not the opening.
    let (_, links, _, dom) = search_page(chrome, page, "集团化办学");
    assert!(
        links[0].ends_with("2021/long-plan/index.html"),
        "{how}: {links:?}"
    );
    let snippet = first_html(&dom, "#results li .search-snippet");
    assert!(
        snippet.contains("<mark>集团化办学</mark>") && snippet.starts_with('…'),
        "{how}: snippet of a match deep in the text: {snippet}"
    );

    // A quoted phrase: only the document holding it as typed, the phrase highlighted
    // whole; unquoted, the one holding its pieces apart (in its title) comes second.
    let (status, links, _, dom) = search_page(chrome, page, "“做好疫情防控工作”");
    assert_eq!(status, "找到 1 条完全一致的结果", "{how}");
    assert_eq!(links.len(), 1, "{how}: {links:?}");
    assert!(links[0].ends_with("2022/autumn-term/index.html"), "{how}");
    let snippet = first_html(&dom, "#results li .search-snippet");
    assert!(
        snippet.contains("<mark>做好疫情防控工作</mark>"),
        "{how}: {snippet}"
    );
    let (_, links, _, _) = search_page(chrome, page, "做好疫情防控工作");
    assert!(
        links[0].ends_with("2022/autumn-term/index.html")
            && links[1].ends_with("2022/staff-training/index.html"),
        "{how}: the phrase as typed ranks first: {links:?}"
    );

    let (status, links, _, _) = search_page(chrome, page, "不存在的词语组合");
    assert!(status.starts_with("没有找到"), "{how}: {status}");
    assert!(links.is_empty());
}

pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn serve(dir: &Path) -> (Server, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .arg("--directory")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs the test http server");
    let server = Server(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "http server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, port)
}
