//! `gongkai build --offline`: a copy that works from file:// — every internal link is
//! relative and reaches a file, folders are linked as `…/index.html`, and no address on
//! the network is left except the 原文链接 of documents.

mod common;
mod offline_support;

use std::collections::BTreeSet;
use std::path::Path;

use common::{assert_links_reach_files, build, documents, gongkai, repo, stderr, tree};
use offline_support::{EXTERNAL_IMAGE, SOURCE_URL, mini_archive};

const BASE: &str = "https://www.example.gov.cn/xxgk/";

/// The 原文链接 (and attachment addresses) of every document under `content`: the only
/// web addresses an offline copy may hold.
fn source_urls(content: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for doc in documents(content) {
        out.extend(doc.front.source.url.clone());
        out.extend(doc.front.attachments.iter().filter_map(|a| a.url.clone()));
    }
    out
}

/// Every http(s):// address in every file of `out` that is not one of `allowed`.
fn foreign_addresses(out: &Path, allowed: &BTreeSet<String>) -> Vec<String> {
    let re = regex::Regex::new(r#"(?i)https?://[^\s"'<>()\\]+"#).unwrap();
    let mut found = Vec::new();
    for (rel, bytes) in tree(out) {
        let text = String::from_utf8_lossy(&bytes);
        for m in re.find_iter(&text) {
            let url = m.as_str().trim_end_matches([',', '.', ';', '，', '。']);
            // As an attribute value the `&` of a query string is written `&amp;`.
            let url = url.replace("&amp;", "&");
            if !allowed.contains(&url) {
                found.push(format!("{rel}: {url}"));
            }
        }
    }
    found
}

/// Checks every link of every page: relative, not a folder, and reaching a file.
/// Returns how many were checked.
fn assert_relative_links_resolve(out: &Path) -> usize {
    // Raw text too: markup a parser does not see as elements (<noscript>) is followed
    // by browsers all the same.
    for (rel, bytes) in tree(out) {
        if rel.ends_with(".html") {
            let text = String::from_utf8_lossy(&bytes);
            for bad in [
                "href=\"/",
                "src=\"/",
                "action=\"/",
                "url(/",
                "url(\"/",
                "url('/",
            ] {
                assert!(!text.contains(bad), "{rel}: `{bad}…` is not relative");
            }
        }
    }
    assert_links_reach_files(
        out,
        &["href", "src", "action", "srcset"],
        |rel, el, attr, v| {
            let v = v.split_whitespace().next().unwrap_or("");
            let lower = v.to_ascii_lowercase();
            if v.is_empty()
                || v.starts_with('#')
                || lower.starts_with("mailto:")
                || lower.starts_with("data:")
            {
                return None;
            }
            if lower.starts_with("http:") || lower.starts_with("https:") {
                // Only links to the original source are left, never loads.
                assert_eq!(
                    el.value().name(),
                    "a",
                    "{rel}: {attr}=\"{v}\" would load from the network"
                );
                return None;
            }
            assert!(!v.starts_with('/'), "{rel}: {attr}=\"{v}\" is not relative");
            let path = v.split(['?', '#']).next().unwrap();
            assert!(
                !path.is_empty() && !path.ends_with('/'),
                "{rel}: {attr}=\"{v}\" links a folder, which file:// shows as a listing"
            );
            let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
            Some(out.join(rel).parent().unwrap().join(decoded.as_ref()))
        },
    )
}

#[test]
fn offline_links_are_relative_and_reach_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, BASE);
    let out = dir.path().join("out");
    build(&root, &out, &["--offline"]);
    let checked = assert_relative_links_resolve(&out);
    // Header, nav and lists on each of the pages: far more than a handful.
    assert!(checked > 40, "only {checked} links checked");

    let doc = std::fs::read_to_string(out.join("2021/notice/index.html")).unwrap();
    assert!(doc.contains(r#"href="../../index.html""#), "{doc}");
    assert!(doc.contains(r#"href="../../assets/mini.css""#), "{doc}");
    assert!(doc.contains(r#"action="../../search/index.html""#), "{doc}");
    assert!(
        doc.contains(r#"<meta name="Url" content="index.html">"#),
        "{doc}"
    );
    // A link between documents in the body, too.
    assert!(
        doc.contains(r#"href="../../2022/second/index.html""#),
        "{doc}"
    );
    assert!(doc.contains(&format!(r#"href="{SOURCE_URL}""#)), "{doc}");
    assert!(!doc.contains(EXTERNAL_IMAGE), "{doc}");
    assert!(
        !doc.contains("atom.xml") && !doc.contains("sitemap.xml"),
        "{doc}"
    );

    let css = std::fs::read_to_string(out.join("assets/mini.css")).unwrap();
    assert!(css.contains(r#"url("bg.png")"#), "{css}");
    assert!(css.contains("url(bg.png)"), "{css}");
    assert!(!css.contains("fonts.example.com"), "{css}");

    for web_only in ["sitemap.xml", "atom.xml", "robots.txt"] {
        assert!(
            !out.join(web_only).exists(),
            "{web_only} is in the offline copy"
        );
    }
    let foreign = foreign_addresses(&out, &source_urls(&root.join("content")));
    assert!(foreign.is_empty(), "addresses left: {foreign:#?}");

    // The same archive built for the web keeps its base path and web files.
    let web = dir.path().join("web");
    build(&root, &web, &[]);
    let page = std::fs::read_to_string(web.join("2021/notice/index.html")).unwrap();
    assert!(page.contains(r#"href="/xxgk/assets/mini.css""#), "{page}");
    assert!(web.join("sitemap.xml").is_file());
}

#[test]
fn offline_is_also_set_in_site_toml() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "/");
    let toml = root.join("site.toml");
    let text = std::fs::read_to_string(&toml).unwrap() + "offline = true\n";
    std::fs::write(&toml, text).unwrap();
    let out = dir.path().join("out");
    build(&root, &out, &[]);
    assert!(assert_relative_links_resolve(&out) > 40);
}

#[test]
fn the_demo_offline_has_no_network_address_but_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    build(&repo(), &out, &["--offline", "--base-url", BASE]);
    assert!(assert_relative_links_resolve(&out) > 50);
    let allowed = source_urls(&repo().join("content"));
    assert!(
        !allowed.is_empty(),
        "the demo has no 原文链接 to check against"
    );
    let foreign = foreign_addresses(&out, &allowed);
    assert!(foreign.is_empty(), "addresses left: {foreign:#?}");
    // Each 原文链接 is still there, as a link.
    let all: String = tree(&out)
        .into_iter()
        .filter(|(p, _)| p.ends_with(".html"))
        .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
        .collect();
    for url in &allowed {
        assert!(
            all.contains(&format!("href=\"{url}\"")),
            "{url} is not linked"
        );
    }
}

#[test]
fn two_offline_builds_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, BASE);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    build(&root, &a, &["--offline"]);
    build(&root, &b, &["--offline"]);
    assert_eq!(tree(&a), tree(&b));
}

#[test]
fn paths_that_do_not_fit_on_a_usb_stick_are_refused() {
    for (docs, expect) in [
        (&["con.md"][..], "reserved on Windows"),
        (
            &["Notice.md", "notice.md"][..],
            "differ only in upper/lower case",
        ),
        (&["a:b.md"][..], "do not allow"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        mini_archive(&root, "/");
        for name in docs {
            std::fs::write(
                root.join("content/2022").join(name),
                "---\n标题: 测试\n机构: 测试县教育局\n发布时间: 2022-01-01\n---\n\n正文。\n",
            )
            .unwrap();
        }
        let out = dir.path().join("out");
        let r = root.to_str().unwrap();
        let o = out.to_str().unwrap();
        // A web build is fine: web servers do not care.
        let web = gongkai(&["build", "--root", r, "--output", o]);
        assert!(web.status.success(), "{}", stderr(&web));
        std::fs::remove_dir_all(&out).unwrap();
        let off = gongkai(&["build", "--root", r, "--output", o, "--offline"]);
        let msg = stderr(&off);
        assert!(!off.status.success(), "{docs:?} was accepted offline");
        assert!(msg.contains(expect), "{docs:?}: {msg}");
        assert!(msg.contains("2022/"), "the message names the path: {msg}");
        assert!(!out.exists(), "a refused build wrote {}", out.display());
    }
}
