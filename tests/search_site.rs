//! End to end: `gongkai build` of an archive holding the search fixture documents, then
//! the query set and the search page in headless Chromium from file:// (an offline
//! build) and from a local http server under a base path.

#[path = "browser/search_chromium.rs"]
mod chromium;
#[path = "browser/search_fixture.rs"]
mod fixture;

use std::path::Path;
use std::process::Command;

fn gongkai(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(args)
        .output()
        .expect("gongkai runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn yaml(s: &str) -> String {
    // A JSON string is a YAML double-quoted scalar.
    serde_json::to_string(s).unwrap_or_default()
}

/// An archive with the fixture documents as content/<url_path>.md.
fn write_archive(dir: &Path) {
    let d = dir.to_str().unwrap();
    let (ok, out) = gongkai(&["init", d]);
    assert!(ok, "init: {out}");
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    let (docs, _) = fixture::load();
    for doc in &docs {
        let mut front = format!("标题: {}\n机构: {}\n", yaml(&doc.title), yaml(&doc.agency));
        for (key, value) in [
            ("发布时间", &doc.published),
            ("索引号", &doc.index_no),
            ("文号", &doc.doc_no),
        ] {
            if !value.is_empty() {
                front.push_str(&format!("{key}: {}\n", yaml(value)));
            }
        }
        let path = dir
            .join("content")
            .join(format!("{}.md", doc.url_path.trim_end_matches('/')));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("---\n{front}---\n\n{}\n", doc.text)).unwrap();
    }
}

/// Stand-ins for theme templates that this branch's theme lacks (base.html and the
/// others are written on another branch); with the full theme none are added.
fn stub_missing_templates(dir: &Path, build_output: &str) {
    let re = regex::Regex::new(r"has no template `([^`]+)`").unwrap();
    let base = r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{% block title %}{% endblock title %}</title>{% block head %}{% endblock head %}</head><body><main id="main">{% block content %}{% endblock content %}</main>{% block scripts %}{% endblock scripts %}</body></html>"#;
    for cap in re.captures_iter(build_output) {
        let name = &cap[1];
        let text = if name == "base.html" { base } else { "stub" };
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("templates").join(name), text).unwrap();
    }
}

fn build(archive: &Path, args: &[&str]) {
    let root = archive.to_str().unwrap();
    let mut all = vec!["build", "--root", root];
    all.extend_from_slice(args);
    let (ok, out) = gongkai(&all);
    if !ok {
        stub_missing_templates(archive, &out);
        let (ok, out) = gongkai(&all);
        assert!(ok, "build: {out}");
    }
}

#[test]
fn built_site_answers_the_query_set_from_file_and_http() {
    let Some(chrome) = chromium::required() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let archive = work.path().join("archive");
    write_archive(&archive);

    // Offline copy. Its base path is the folder itself, so the links work from file://
    // with or without the offline pass's relative rewrite.
    let offline = work.path().join("usb");
    let offline_s = format!("{}/", offline.display());
    build(
        &archive,
        &[
            "--offline",
            "--base-url",
            &offline_s,
            "--output",
            &offline_s,
        ],
    );
    let script = std::fs::read_to_string(offline.join("search/index.html")).unwrap();
    let prefix = if script.contains(&format!("src=\"{offline_s}assets/search.js\"")) {
        offline_s.clone()
    } else {
        "../".to_string()
    };
    chromium::write_runner(&offline, &prefix, &fixture::load().1);
    let root_url = format!("file://{offline_s}");
    chromium::check_runner_and_page(&chrome, &root_url, "search/index.html", "file://");
    // A result link to a page under a non-ASCII path opens that page's file.
    let (_, links, _, _) =
        chromium::search_page(&chrome, &format!("{root_url}search/index.html"), "三公经费");
    let href = links.first().expect("a result for 三公经费");
    let path = percent_encoding::percent_decode_str(href.trim_start_matches("file://"))
        .decode_utf8()
        .unwrap()
        .into_owned();
    assert!(path.ends_with("2019/预算说明/index.html"), "{href}");
    assert!(Path::new(&path).is_file(), "{href} does not open a file");

    // Published under /xxgk/, served over http.
    let served = work.path().join("www");
    let site = served.join("xxgk");
    build(
        &archive,
        &["--base-url", "/xxgk/", "--output", site.to_str().unwrap()],
    );
    chromium::write_runner(&site, "/xxgk/", &fixture::load().1);
    let (_server, port) = chromium::serve(&served);
    let root_url = format!("http://127.0.0.1:{port}/xxgk/");
    chromium::check_runner_and_page(&chrome, &root_url, "search/", "http");
}
