//! The sitemap past what one file may hold: `sitemap.xml` becomes a sitemap index over
//! `sitemap-1.xml` … that hold every URL once. The archives here have a few documents, so
//! the URLs per file are lowered with `GONGKAI_SITEMAP_MAX_URLS` (50,000 otherwise).

mod common;
mod offline_support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use common::{build_args, differing_files, repo, stderr, tree};
use quick_xml::events::Event;

const BASE: &str = "https://www.qingxi.gov.cn/xxgk/";

/// Runs gongkai with `args`, its URLs per sitemap file lowered to `max_urls` if given.
fn run(args: &[&str], max_urls: Option<usize>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gongkai"));
    cmd.args(args).env_remove("GONGKAI_SITEMAP_MAX_URLS");
    if let Some(n) = max_urls {
        cmd.env("GONGKAI_SITEMAP_MAX_URLS", n.to_string());
    }
    cmd.output().expect("the gongkai binary runs")
}

/// Builds `root` into `out`, asserting success.
fn build(root: &Path, out: &Path, max_urls: Option<usize>, extra: &[&str]) -> Output {
    let o = run(&build_args(root, out, extra), max_urls);
    assert!(o.status.success(), "build failed:\n{}", stderr(&o));
    o
}

/// A sitemap file read as XML: its root element and each entry's `<loc>` and
/// `<lastmod>` ("" when none). Panics when the file is not well-formed.
fn parse(path: &Path) -> (String, Vec<(String, String)>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let (mut root, mut entries) = (String::new(), Vec::new());
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_string();
                if root.is_empty() {
                    root = name.clone();
                    let ns = e.try_get_attribute("xmlns").unwrap().unwrap();
                    assert_eq!(&*ns.value, "http://www.sitemaps.org/schemas/sitemap/0.9");
                } else if name == "url" || name == "sitemap" {
                    entries.push((String::new(), String::new()));
                }
                open.push(name);
            }
            Ok(Event::Text(t)) => {
                let value = t.xml10_content().trim().to_string();
                let Some(entry) = entries.last_mut() else {
                    continue;
                };
                match open.last().map(String::as_str) {
                    Some("loc") => entry.0.push_str(&value),
                    Some("lastmod") => entry.1.push_str(&value),
                    _ => {}
                }
            }
            Ok(Event::End(_)) => {
                open.pop();
            }
            Ok(Event::Eof) => break,
            Err(e) => panic!("{} is not well-formed XML: {e}", path.display()),
            _ => {}
        }
    }
    assert!(open.is_empty(), "{}: unclosed {open:?}", path.display());
    (root, entries)
}

/// The names of the sitemap files at the top of `out`.
fn sitemap_files(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("sitemap"))
        .collect();
    names.sort_by_key(|n| (n.len(), n.clone()));
    names
}

/// Checks the sitemap of `out` split in parts of at most `max_urls` URLs, and returns
/// every URL of the parts, in order.
fn split_urls(out: &Path, max_urls: usize) -> Vec<(String, String)> {
    let (root, parts) = parse(&out.join("sitemap.xml"));
    assert_eq!(root, "sitemapindex");
    assert!(parts.len() > 1, "{parts:?}");
    let mut expected = vec!["sitemap.xml".to_string()];
    expected.extend((1..=parts.len()).map(|n| format!("sitemap-{n}.xml")));
    assert_eq!(sitemap_files(out), expected, "no part more or less");
    let mut urls = Vec::new();
    for (n, (loc, lastmod)) in parts.iter().enumerate() {
        let name = format!("sitemap-{}.xml", n + 1);
        assert_eq!(loc, &format!("{BASE}{name}"));
        let (root, entries) = parse(&out.join(&name));
        assert_eq!(root, "urlset", "{name}");
        assert!(
            (1..=max_urls).contains(&entries.len()),
            "{name}: {entries:?}"
        );
        // A part's date: its newest URL's (when the theme writes them).
        let newest = entries.iter().map(|(_, d)| d.clone()).max().unwrap();
        if !newest.is_empty() {
            assert_eq!(lastmod, &newest, "{name}");
        }
        urls.extend(entries);
    }
    urls
}

/// A fictional archive of `n` documents of 青溪县, over several years and agencies,
/// one undated and one with a Chinese file name.
fn archive(root: &Path, n: usize) {
    std::fs::write(
        root.join("site.toml"),
        format!("title = \"青溪县政府信息公开\"\norganizer = \"青溪县人民政府办公室\"\nbase_url = \"{BASE}\"\n"),
    )
    .unwrap();
    for i in 0..n {
        add_document(root, i);
    }
}

fn add_document(root: &Path, i: usize) {
    let agency = ["青溪县教育局", "青溪县财政局", "青溪县水利局"][i % 3];
    let (path, date) = match i {
        0 => ("undated/qx-0.md".to_string(), String::new()),
        1 => (
            "2023/防汛工作通知.md".to_string(),
            "发布时间: 2023-06-01\n".into(),
        ),
        _ => {
            let year = 2020 + i % 5;
            (
                format!("{year}/qx-{i:03}.md"),
                format!("发布时间: {year}-{:02}-{:02}\n", 1 + i % 12, 1 + i % 28),
            )
        }
    };
    let p = root.join("content").join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(
        p,
        format!(
            "---\n标题: 青溪县第{i}号通知\n机构: {agency}\n{date}---\n\n正文第{i}段，见[网站地图](../sitemap.xml)。\n"
        ),
    )
    .unwrap();
}

/// Builds `root` into `out` (with the build cache) and into a clean output beside it,
/// and checks the two hold the same files with the same bytes.
fn build_and_compare(root: &Path, out: &Path, max_urls: Option<usize>) {
    build(root, out, max_urls, &[]);
    let clean = out.with_file_name("clean");
    build(root, &clean, max_urls, &["--clean"]);
    let differ = differing_files(out, &clean);
    assert!(differ.is_empty(), "differ from a clean build: {differ:?}");
}

#[test]
fn a_split_sitemap_holds_every_url_once_and_no_part_outlives_its_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    archive(&root, 14);

    // Within the limit: one sitemap, as always.
    let single = dir.path().join("single");
    build(&root, &single, None, &[]);
    let (kind, all) = parse(&single.join("sitemap.xml"));
    assert_eq!(kind, "urlset");
    assert_eq!(sitemap_files(&single), ["sitemap.xml"]);
    assert!(all.iter().all(|(loc, _)| loc.starts_with(BASE)), "{all:?}");
    assert!(
        all.iter()
            .any(|(loc, _)| loc
                .ends_with("/%E9%98%B2%E6%B1%9B%E5%B7%A5%E4%BD%9C%E9%80%9A%E7%9F%A5/")),
        "{all:?}"
    );
    let mut distinct: Vec<&String> = all.iter().map(|(loc, _)| loc).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), all.len(), "a URL twice: {all:?}");
    // robots.txt names the sitemap (its index, once split) whatever it holds.
    let robots = format!("Sitemap: {BASE}sitemap.xml");
    assert!(
        std::fs::read_to_string(single.join("robots.txt"))
            .unwrap()
            .contains(&robots)
    );

    // Past it: an index and parts holding the same URLs in the same order, each once.
    let out = dir.path().join("public");
    build(&root, &out, Some(4), &[]);
    assert_eq!(split_urls(&out, 4), all);
    assert!(
        std::fs::read_to_string(out.join("robots.txt"))
            .unwrap()
            .contains(&robots)
    );

    // Fewer parts, then none, in place: no part of the bigger split is left behind.
    build_and_compare(&root, &out, Some(9));
    assert_eq!(split_urls(&out, 9), all);
    build_and_compare(&root, &out, None);
    assert_eq!(sitemap_files(&out), ["sitemap.xml"]);
    assert_eq!(
        std::fs::read(out.join("sitemap.xml")).unwrap(),
        std::fs::read(single.join("sitemap.xml")).unwrap()
    );

    // More documents, more parts; then one changed document: as a clean build has them.
    build_and_compare(&root, &out, Some(4));
    for i in 14..20 {
        add_document(&root, i);
    }
    build_and_compare(&root, &out, Some(4));
    let grown = split_urls(&out, 4);
    assert_eq!(grown.len(), all.len() + 6, "{grown:?}");
    let doc = root.join("content/2023/防汛工作通知.md");
    let text = std::fs::read_to_string(&doc).unwrap();
    std::fs::write(&doc, format!("{text}\n补充一段。\n")).unwrap();
    build_and_compare(&root, &out, Some(4));
    assert_eq!(split_urls(&out, 4), grown);

    // `check` builds the site too: the parts are no broken links, nor any finding.
    let o = run(&["check", "--root", root.to_str().unwrap()], Some(4));
    let report = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{report}");
    assert!(!report.contains("sitemap"), "{report}");
}

#[test]
fn a_theme_without_an_index_template_splits_with_the_built_in_one_and_offline_leaves_all_out() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    // A theme of its own, written before sitemap indexes: its sitemap.xml makes the parts.
    offline_support::mini_archive(&root, BASE);
    assert!(
        !root
            .join("themes/mini/templates/sitemap-index.xml")
            .exists()
    );
    let out = dir.path().join("public");
    build(&root, &out, Some(3), &[]);
    let urls = split_urls(&out, 3);
    for n in 1..=urls.len().div_ceil(3) {
        let part = std::fs::read_to_string(out.join(format!("sitemap-{n}.xml"))).unwrap();
        assert!(
            part.contains("0.9\"><url><loc>") && !part.contains("lastmod"),
            "the theme's sitemap.xml made the part:\n{part}"
        );
    }
    let single = dir.path().join("single");
    build(&root, &single, None, &[]);
    assert_eq!(parse(&single.join("sitemap.xml")).1, urls);

    // The offline copy is for file://: no sitemap, split or not, nor links to one.
    let offline = dir.path().join("offline");
    build(&root, &offline, Some(3), &["--offline"]);
    assert!(
        sitemap_files(&offline).is_empty(),
        "{:?}",
        sitemap_files(&offline)
    );
    let pages: BTreeMap<String, Vec<u8>> = tree(&offline);
    for (rel, bytes) in &pages {
        assert!(!String::from_utf8_lossy(bytes).contains("sitemap"), "{rel}");
    }
    assert!(
        repo()
            .join("themes/default/templates/sitemap-index.xml")
            .is_file()
    );
}
