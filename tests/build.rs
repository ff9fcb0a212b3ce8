//! `gongkai build` on the bundled demo archive and on archives written by the tests.

mod common;

use std::path::Path;

use common::{archive, assert_links_reach_files, build, documents, gongkai, repo, stderr, tree};
use scraper::{Html, Selector};

/// Resolves an internal link found in `page` (a path in the output) to a file there.
fn target_of(out: &Path, page: &str, href: &str, base_path: &str) -> Option<std::path::PathBuf> {
    let href = href.split(['#', '?']).next().unwrap_or("");
    if href.is_empty() {
        return None;
    }
    let lower = href.to_ascii_lowercase();
    if lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("mailto:") {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(href)
        .decode_utf8_lossy()
        .into_owned();
    let site_path = if let Some(rest) = decoded.strip_prefix(base_path) {
        rest.to_string()
    } else {
        assert!(
            !decoded.starts_with('/'),
            "{page}: link {href} is outside the base path {base_path}"
        );
        let dir = match page.rfind('/') {
            Some(i) => &page[..=i],
            None => "",
        };
        let joined = format!("{dir}{decoded}");
        let mut parts: Vec<&str> = Vec::new();
        for seg in joined.split('/') {
            match seg {
                "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        parts.join("/")
    };
    let mut p = out.join(&site_path);
    if site_path.is_empty() || site_path.ends_with('/') {
        p = p.join("index.html");
    }
    Some(p)
}

fn assert_links_resolve(out: &Path, base_path: &str) -> usize {
    assert_links_reach_files(out, &["href", "src"], |rel, _, _, v| {
        target_of(out, rel, v, base_path)
    })
}

#[test]
fn the_demo_builds_and_every_internal_link_resolves() {
    let out = tempfile::tempdir().unwrap();
    let o = build(&repo(), out.path(), &[]);
    assert!(stderr(&o).contains("built"), "{}", stderr(&o));
    let files = tree(out.path());
    for must in [
        "index.html",
        "404.html",
        "sitemap.xml",
        "atom.xml",
        "robots.txt",
        "search/index.html",
        "agency/index.html",
        "year/index.html",
        "topic/index.html",
    ] {
        assert!(files.contains_key(must), "{must} missing");
    }
    let checked = assert_links_resolve(out.path(), "/");
    assert!(checked > 100, "only {checked} links checked");
}

#[test]
fn links_resolve_under_a_base_url() {
    let out = tempfile::tempdir().unwrap();
    build(
        &repo(),
        out.path(),
        &["--base-url", "https://www.example.gov.cn/xxgk/"],
    );
    let checked = assert_links_resolve(out.path(), "/xxgk/");
    assert!(checked > 100);
    let sitemap =
        String::from_utf8(std::fs::read(out.path().join("sitemap.xml")).unwrap()).unwrap();
    assert!(
        sitemap.contains("<loc>https://www.example.gov.cn/xxgk/"),
        "{sitemap}"
    );
}

#[test]
fn document_pages_show_their_metadata() {
    let out = tempfile::tempdir().unwrap();
    build(&repo(), out.path(), &[]);
    let sel_table = Selector::parse("table").unwrap();
    let sel_h1 = Selector::parse("h1").unwrap();
    let mut seen = 0;
    for doc in documents(&repo().join("content")) {
        let rel = &doc.path;
        let page = out.path().join(doc.url_path()).join("index.html");
        let html = Html::parse_document(&std::fs::read_to_string(&page).unwrap());
        let h1: Vec<_> = html.select(&sel_h1).collect();
        assert_eq!(h1.len(), 1, "{rel}: one h1");
        assert_eq!(h1[0].text().collect::<String>().trim(), doc.front.title);
        let table: String = html
            .select(&sel_table)
            .next()
            .expect("metadata table")
            .text()
            .collect();
        let f = &doc.front;
        assert!(table.contains(&f.title), "{rel}: 名称 in table");
        assert!(
            table.contains(f.agency.as_ref().unwrap().as_str()),
            "{rel}: 机构"
        );
        match &f.index_no {
            Some(n) => assert!(table.contains(n.as_str()), "{rel}: 索引号"),
            None => assert!(table.contains("未注明"), "{rel}: empty 索引号"),
        }
        match &f.doc_no {
            Some(n) => assert!(table.contains(n.as_str()), "{rel}: 文号"),
            None => assert!(table.contains("无"), "{rel}: empty 文号"),
        }
        if let Some(d) = f.published {
            assert!(table.contains(&d.date_string()), "{rel}: 发布日期");
        }
        if let Some(d) = f.written {
            assert!(table.contains(&d.date_string()), "{rel}: 成文日期");
        }
        for v in [&f.topic, &f.validity].into_iter().flatten() {
            assert!(table.contains(v.as_str()), "{rel}: {v}");
        }
        let text = html.root_element().text().collect::<String>();
        if f.completeness == gongkai::document::Completeness::Incomplete {
            assert!(text.contains("不完整"), "{rel}: incomplete notice");
        }
        seen += 1;
    }
    assert!(seen >= 15, "demo has {seen} documents");
}

#[test]
fn two_builds_are_byte_identical() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build(&repo(), a.path(), &[]);
    build(&repo(), b.path(), &[]);
    assert_same_tree(a.path(), b.path(), "between builds");
}

/// The two folders hold the same files with the same bytes.
fn assert_same_tree(a: &Path, b: &Path, what: &str) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(v == &tb[k], "{k} differs {what}");
    }
}

#[test]
fn all_errors_are_reported_and_the_old_output_stays() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let good = "---\n标题: 好文件\n机构: 测试局\n发布时间: 2024-01-02\n---\n\n正文\n";
    archive(root, &[("2024/good.md", good)]);
    let out = root.join("public");
    build(root, &out, &[]);
    let before = tree(&out);
    assert!(!before.is_empty());

    std::fs::write(
        root.join("content/2024/bad-date.md"),
        "---\n标题: 日期错误\n机构: 测试局\n发布时间: 2024-13-45\n---\n正文\n",
    )
    .unwrap();
    std::fs::write(
        root.join("content/2024/bad-key.md"),
        "---\n标题: 字段错误\n机构: 测试局\n\n发布日期: 2024-01-01\n---\n正文\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("templates/term.html"), "{% extends \"base.html\" %}\n{% block content %}\n{{ term.name | }}\n{% endblock content %}\n").unwrap();

    let o = common::try_build(root, &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    let bad_date = root.join("content/2024/bad-date.md");
    let bad_key = root.join("content/2024/bad-key.md");
    let tpl = root.join("templates/term.html");
    assert!(
        err.contains(&format!("{}:4: ", bad_date.display())),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "{}:5: unknown front-matter key `发布日期`; did you mean `发布时间`?",
            bad_key.display()
        )),
        "{err}"
    );
    assert!(err.contains(&format!("{}:3: ", tpl.display())), "{err}");
    assert_eq!(tree(&out), before, "the previous output is untouched");
    // No half-built folder is left beside it.
    let beside: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        beside
            .iter()
            .all(|n| !n.to_string_lossy().contains("building")),
        "{beside:?}"
    );
}

#[test]
fn a_build_removes_what_a_killed_build_of_its_output_left() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[("2024/a.md", "---\n标题: 甲\n机构: 测试局\n---\n正文\n")],
    );
    let out = root.join("site");
    // A build killed with SIGKILL leaves its staging folder (and, killed while
    // swapping, the parked previous output) beside the output.
    for stale in [".site.building-Xy12ab", ".site.old-Qr34cd/site"] {
        std::fs::create_dir_all(root.join(stale).join("2024")).unwrap();
        std::fs::write(root.join(stale).join("index.html"), "旧").unwrap();
    }
    build(root, &out, &[]);
    let mut beside: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".site."))
        .collect();
    beside.sort();
    assert_eq!(
        beside,
        [".site.gongkai-cache", ".site.lock"],
        "only the build cache and the lock file stay beside the output"
    );
    assert!(out.join("2024/a/index.html").is_file());
}

#[test]
fn raw_html_and_script_links_in_a_body_are_inert() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[(
            "2024/xss.md",
            "---\n标题: 脚本测试\n机构: 测试局\n来源:\n  原文链接: javascript:alert(1)\n附件:\n  - {名称: 附件, 链接: \"javascript:alert(2)\"}\n---\n\n<script>alert(3)</script>\n\n<img src=x onerror=alert(4)>\n\n[点击](javascript:alert(5)) <iframe src=\"https://evil.example/\"></iframe>\n\n## 小节 {onclick=alert(6) style=\"position:fixed\"}\n",
        )],
    );
    let out = root.join("public");
    build(root, &out, &[]);
    let page = std::fs::read_to_string(out.join("2024/xss/index.html")).unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(3)&lt;/script&gt;"),
        "{page}"
    );
    let html = Html::parse_document(&page);
    for tag in [
        "iframe",
        "img[onerror]",
        "[onerror]",
        "[onclick]",
        "h2[style]",
    ] {
        assert!(
            html.select(&Selector::parse(tag).unwrap()).next().is_none(),
            "{tag} is live"
        );
    }
    for el in html.select(&Selector::parse("script").unwrap()) {
        assert!(
            !el.text().collect::<String>().contains("alert"),
            "a live script"
        );
    }
    assert!(
        !page.to_ascii_lowercase().contains("javascript:alert"),
        "{page}"
    );
}

#[test]
fn non_ascii_file_names_work() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[
            (
                "通知 一.md",
                "---\n标题: 中文文件名\n机构: 测试局\n---\n\n[看附件](附件/说明.txt)\n",
            ),
            ("附件/说明.txt", "说明"),
        ],
    );
    let out = root.join("public");
    build(root, &out, &[]);
    assert!(out.join("通知 一/index.html").is_file());
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        home.contains("/%E9%80%9A%E7%9F%A5%20%E4%B8%80/"),
        "percent-encoded link on the home page"
    );
    assert_links_resolve(&out, "/");
}

#[test]
fn init_makes_an_archive_that_builds_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("新档案");
    let o = gongkai(&["init", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = root.join("public");
    // The archive has no themes/: the built-in theme is used.
    assert!(!root.join("themes").exists());
    build(&root, &out, &[]);
    assert!(out.join("2026/welcome/index.html").is_file());
    assert_links_resolve(&out, "/");
    let again = gongkai(&["init", root.to_str().unwrap()]);
    assert!(!again.status.success());
}

#[test]
fn missing_or_bad_site_toml_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let o = gongkai(&["build", "--root", dir.path().to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("gongkai init"), "{}", stderr(&o));
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"x\"\norganizer = \"y\"\nper_page = -1\n",
    )
    .unwrap();
    let o = gongkai(&["build", "--root", dir.path().to_str().unwrap()]);
    assert!(stderr(&o).contains("site.toml:3:"), "{}", stderr(&o));
}

#[test]
fn every_command_has_help() {
    for cmd in [
        vec!["--help"],
        vec!["build", "--help"],
        vec!["init", "--help"],
        vec!["import", "--help"],
    ] {
        let o = gongkai(&cmd);
        assert!(o.status.success(), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{cmd:?}"
        );
    }
}

#[test]
fn parallel_output_is_the_same_as_single_threaded() {
    // The speed work (chunks, parallel rendering, batched indexing) must not change a
    // byte: one thread, in plain order, is the reference.
    let (one, many) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = repo();
    let run = |out: &Path, threads: &str| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_gongkai"))
            .args([
                "build",
                "--root",
                root.to_str().unwrap(),
                "--output",
                out.to_str().unwrap(),
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    };
    run(one.path(), "1");
    run(many.path(), "4");
    assert_same_tree(one.path(), many.path(), "between 1 and 4 threads");
}

#[test]
fn an_output_that_would_swallow_the_archive_is_refused_however_it_is_spelled() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("archive");
    std::fs::create_dir_all(&root).unwrap();
    archive(
        &root,
        &[("a.md", "---\n标题: 通知\n机构: 测试局\n---\n\n正文\n")],
    );
    std::fs::create_dir_all(root.join("sub")).unwrap();
    let before = common::tree(dir.path());
    let mut outputs: Vec<std::path::PathBuf> = vec![
        root.clone(),
        root.join("content"),
        root.join("content/new"),
        root.join("sub/.."),
        root.join("nope/../content/new"),
        root.join("sub/../.."),
        dir.path().to_path_buf(),
    ];
    #[cfg(unix)]
    {
        let link = dir.path().join("link-to-archive");
        std::os::unix::fs::symlink(&root, &link).unwrap();
        outputs.push(link);
    }
    for out in &outputs {
        let o = common::try_build(&root, out, &[]);
        assert!(!o.status.success(), "{} was accepted", out.display());
        assert!(
            stderr(&o).contains("would contain the archive"),
            "{}: {}",
            out.display(),
            stderr(&o)
        );
        let after = common::tree(dir.path());
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "{}",
            out.display()
        );
    }
}
