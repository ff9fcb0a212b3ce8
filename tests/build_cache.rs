//! `gongkai build` with its build cache: a second build after a change renders only
//! what the change touches, in place, and its output is byte for byte what a `--clean`
//! build of the same sources writes (pages, lists, feed, sitemap, search index).

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{build, differing_files, repo, stderr, tree};

/// Copies the demo archive (site.toml, content/ with columns, bundles and attachment
/// texts) into `dir`.
fn demo_archive(dir: &Path) {
    std::fs::copy(repo().join("site.toml"), dir.join("site.toml")).unwrap();
    for entry in walkdir::WalkDir::new(repo().join("content")) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(repo()).unwrap();
        let to = dir.join(rel);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
}

/// Every folder under `dir` (an emptied folder left behind would show here).
fn folders(dir: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_dir())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

/// How many pages the build says it rendered again (`None`: a full build).
fn rendered_again(o: &std::process::Output) -> Option<usize> {
    let text = stderr(o);
    let line = text.lines().find(|l| l.starts_with("built "))?;
    let (_, rest) = line.split_once(": ")?;
    let (n, _) = rest.split_once(" of ")?;
    n.parse().ok()
}

/// Builds `root` into `out` (using the cache) and into a fresh `--clean` output beside
/// it, and checks the two hold the same files with the same bytes.
fn build_and_compare(root: &Path, out: &Path) -> Option<usize> {
    let o = build(root, out, &[]);
    let clean = out.with_file_name("clean");
    build(root, &clean, &["--clean"]);
    let differ = differing_files(out, &clean);
    assert!(differ.is_empty(), "differ from a clean build: {differ:?}");
    assert_eq!(folders(out), folders(&clean));
    rendered_again(&o)
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let path = root.join("content").join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, f(text)).unwrap();
}

/// The search record files of the output, as one text.
fn search_records(out: &Path) -> String {
    tree(&out.join("search"))
        .into_iter()
        .filter(|(p, _)| p.starts_with("d/") || p.starts_with("x/"))
        .map(|(_, b)| String::from_utf8(b).unwrap())
        .collect()
}

#[test]
fn a_changed_archive_is_built_again_in_place_as_a_clean_build_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    demo_archive(&root);
    let out = dir.path().join("public");

    // The first build is a full one and leaves its cache beside the output.
    let first = build(&root, &out, &[]);
    assert_eq!(rendered_again(&first), None, "{}", stderr(&first));
    assert!(dir.path().join(".public.gongkai-cache").is_dir());
    assert!(!tree(&out).keys().any(|p| p.contains("gongkai-cache")));

    // Nothing changed: nothing rendered; a file written again with the same bytes
    // (a new time) neither.
    assert_eq!(build_and_compare(&root, &out), Some(0));
    edit(&root, "2024/qjj-2024-007.md", |t| t);
    assert_eq!(build_and_compare(&root, &out), Some(0));

    // One document's body: its page (and what quotes it) again, its words searchable.
    edit(&root, "2024/qjj-2024-007.md", |t| {
        format!("{t}\n新增一段：紫云英绿肥种植补贴另行通知。\n")
    });
    let n = build_and_compare(&root, &out).expect("an in-place build");
    assert!((1..10).contains(&n), "{n} pages rendered again");
    assert!(search_records(&out).contains("紫云英绿肥种植补贴"));

    // A changed 机构 and 年份 move the document in the lists (and the search filters).
    edit(&root, "2024/qjj-2024-007.md", |t| {
        t.replacen("机构: 青溪县教育局", "机构: 青溪县财政局", 1)
            .replacen("发布时间: 2024-", "发布时间: 2022-", 1)
    });
    assert!(build_and_compare(&root, &out).is_some());
    let title = "秋季学期中小学校安全工作";
    let lists = |under: &str| -> Vec<String> {
        tree(&out.join(under))
            .into_values()
            .map(|b| String::from_utf8(b).unwrap())
            .filter(|page| page.contains(title))
            .collect()
    };
    assert!(lists("year/2022").len() == 1 && lists("year/2024").is_empty());
    let agencies = lists("agency");
    assert!(agencies.len() == 1 && agencies[0].contains("青溪县财政局"));

    // A title: the neighbours' links to it and the lists.
    edit(&root, "2023/qcz-2023-jh.md", |t| {
        t.replacen("标题: ", "标题: （修订）", 1)
    });
    assert!(build_and_compare(&root, &out).unwrap() > 1);

    // A document added after every other in page order (here a folder that sorts
    // last) is built in place; one added among them renumbers the search index after
    // it: a full build.
    let added = "---\n标题: 青溪县教育局关于新增课后服务点的公告\n机构: 青溪县教育局\n\
                 发布时间: 2026-03-02\n---\n\n新增课后服务点三处，紫云英小学等。\n";
    std::fs::create_dir_all(root.join("content/zz")).unwrap();
    std::fs::write(root.join("content/zz/new-notice.md"), added).unwrap();
    assert!(build_and_compare(&root, &out).is_some());
    assert!(search_records(&out).contains("新增课后服务点三处"));
    std::fs::write(root.join("content/2023/qcz-2023-new.md"), added).unwrap();
    assert_eq!(build_and_compare(&root, &out), None);

    // A deleted document disappears (a full build: the search index renumbers).
    std::fs::remove_file(root.join("content/2023/qcz-2023-jh.md")).unwrap();
    assert_eq!(build_and_compare(&root, &out), None);
    assert!(!out.join("2023/qcz-2023-jh/index.html").exists());

    // site.toml is in the cache's key: a full build.
    std::fs::write(
        root.join("site.toml"),
        std::fs::read_to_string(root.join("site.toml")).unwrap() + "\n# 注释\n",
    )
    .unwrap();
    assert_eq!(build_and_compare(&root, &out), None);
    assert_eq!(build_and_compare(&root, &out), Some(0));

    // --clean builds everything whatever the cache says.
    assert_eq!(rendered_again(&build(&root, &out, &["--clean"])), None);

    // An offline copy is built whole, and leaves no cache to trust afterwards.
    build(&root, &out, &["--offline"]);
    assert_eq!(rendered_again(&build(&root, &out, &[])), None);
}

#[test]
fn a_refused_change_leaves_the_output_and_its_cache_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    demo_archive(&root);
    let out = dir.path().join("public");
    build(&root, &out, &[]);
    let before = tree(&out);
    edit(&root, "2024/qjj-2024-007.md", |t| {
        t.replacen("机构: 青溪县教育局\n", "", 1)
    });
    let o = common::try_build(&root, &out, &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("qjj-2024-007.md"), "{}", stderr(&o));
    assert_eq!(tree(&out), before);
    // Put right, the next build is again an in-place one.
    edit(&root, "2024/qjj-2024-007.md", |t| {
        t.replacen("标题:", "机构: 青溪县教育局\n标题:", 1)
    });
    assert!(build_and_compare(&root, &out).is_some());
}
