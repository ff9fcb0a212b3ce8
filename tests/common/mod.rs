//! Shared by the integration tests: running the real binary and reading its output.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use gongkai::document::Document;
use scraper::{ElementRef, Html, Selector};

/// The repository root (holds the demo archive).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared` beside the repository, where the sample reports live.
pub fn shared() -> PathBuf {
    repo().join("..").join("shared")
}

pub fn gongkai(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gongkai"))
        .args(args)
        .output()
        .expect("the gongkai binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Builds the archive at `root` into `out`, asserting success.
pub fn build(root: &Path, out: &Path, extra: &[&str]) -> Output {
    let o = try_build(root, out, extra);
    assert!(o.status.success(), "build failed:\n{}", stderr(&o));
    o
}

/// Runs `gongkai build --root root --output out extra…`, whatever comes of it.
pub fn try_build(root: &Path, out: &Path, extra: &[&str]) -> Output {
    gongkai(&build_args(root, out, extra))
}

/// The arguments of `gongkai build --root root --output out extra…`.
pub fn build_args<'a>(root: &'a Path, out: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "build",
        "--root",
        root.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

/// The files that differ between the trees under `a` and `b` (missing from one, or
/// with other bytes), by relative path.
pub fn differing_files(a: &Path, b: &Path) -> Vec<String> {
    let (a, b) = (tree(a), tree(b));
    a.keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}

/// `path` relative to `dir`, with `/` between folders on every system.
fn rel_path(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap()
        .to_string_lossy()
        .replace('\\', "/")
}

/// Every file under `dir`, by relative path with `/`, with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (rel_path(dir, e.path()), std::fs::read(e.path()).unwrap()))
        .collect()
}

/// A small archive written by a test: site.toml and the given documents.
pub fn archive(dir: &Path, docs: &[(&str, &str)]) {
    std::fs::write(
        dir.join("site.toml"),
        "title = \"测试档案\"\norganizer = \"测试县人民政府办公室\"\nper_page = 2\n",
    )
    .unwrap();
    for (path, text) in docs {
        let p = dir.join("content").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Every document (`.md` file) under the content folder `content`, in path order. The
/// texts of the archive's page columns (指南, 依申请公开) are pages, not documents, and
/// are left out.
pub fn documents(content: &Path) -> Vec<Document> {
    let columns = content
        .parent()
        .and_then(|root| gongkai::config::SiteConfig::load(root).ok())
        .map(|c| gongkai::site::columns::Columns::from_config(&c.columns))
        .unwrap_or_default();
    walkdir::WalkDir::new(content)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| {
            let rel = rel_path(content, e.path());
            let text = std::fs::read_to_string(e.path()).unwrap();
            Document::parse(e.path(), &rel, &text)
                .unwrap_or_else(|d| panic!("{rel} does not parse: {d:?}"))
        })
        .filter(|d| !columns.is_page(&d.url_path()))
        .collect()
}

/// Follows the links of the HTML pages under `out`: each of `attrs` an element has goes
/// through `resolve(page, element, attribute, value)` (`page` relative to `out`), and the
/// file it names must exist; `None` means the link is not one to follow. Returns how
/// many links were checked.
pub fn assert_links_reach_files(
    out: &Path,
    attrs: &[&str],
    mut resolve: impl FnMut(&str, ElementRef<'_>, &str, &str) -> Option<PathBuf>,
) -> usize {
    let any: Vec<String> = attrs.iter().map(|a| format!("[{a}]")).collect();
    let sel = Selector::parse(&any.join(", ")).unwrap();
    let mut checked = 0;
    for (rel, bytes) in tree(out) {
        if !rel.ends_with(".html") {
            continue;
        }
        let html = Html::parse_document(&String::from_utf8(bytes).unwrap());
        for el in html.select(&sel) {
            for &attr in attrs {
                let Some(v) = el.value().attr(attr) else {
                    continue;
                };
                if let Some(target) = resolve(&rel, el, attr, v) {
                    assert!(
                        target.is_file(),
                        "{rel}: {attr}=\"{v}\" → {} is missing",
                        target.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    checked
}
