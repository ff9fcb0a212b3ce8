//! A folder with more documents than `max_documents_per_folder` has its pages nested one
//! folder down (README, "Large archives"): pages, links between documents, a bundle's
//! attachment and the search records follow, online and offline; folders within the
//! limit keep their URLs. The limit is lowered to 2 here so a few documents show it.

mod common;

use std::path::Path;

use common::{assert_links_reach_files, build, gongkai, stderr};

fn doc(title: &str, date: &str, body: &str) -> String {
    format!("---\n标题: {title}\n机构: 青禾县农业农村局\n发布时间: {date}\n---\n\n{body}\n")
}

/// The folder a nested page goes in (the FNV-1a rule of `site::model::nest_of`).
fn nest(name: &str) -> String {
    gongkai::site::model::nest_of(name)
}

fn archive(root: &Path) {
    let docs = [
        (
            "2024/qh-a.md",
            doc(
                "春耕通知",
                "2024-03-01",
                "详见[备耕方案](qh-b.md)和[补贴表](qh-c/补贴表.docx)。",
            ),
        ),
        (
            "2024/qh-b.md",
            doc("备耕方案", "2024-02-01", "备耕方案正文。"),
        ),
        (
            "2024/qh-c/index.md",
            "---\n标题: 补贴标准\n机构: 青禾县农业农村局\n发布时间: 2024-01-05\n附件:\n  - {名称: 补贴表, 链接: 补贴表.docx}\n---\n\n补贴标准正文。\n"
                .to_string(),
        ),
        (
            "2023/qh-d.md",
            doc("去年总结", "2023-12-01", "见[春耕通知](../2024/qh-a.md)。"),
        ),
    ];
    std::fs::write(
        root.join("site.toml"),
        "title = \"青禾县信息公开\"\norganizer = \"青禾县人民政府办公室\"\nmax_documents_per_folder = 2\n",
    )
    .unwrap();
    for (path, text) in docs {
        let p = root.join("content").join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::write(root.join("content/2024/qh-c/补贴表.docx"), b"docx bytes").unwrap();
}

#[test]
fn a_crowded_folder_nests_its_pages_and_everything_follows() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(root);
    let out = root.join("public");
    build(root, &out, &[]);

    let (a, b, c) = (
        format!("2024/{}/qh-a/", nest("qh-a")),
        format!("2024/{}/qh-b/", nest("qh-b")),
        format!("2024/{}/qh-c/", nest("qh-c")),
    );
    for page in [&a, &b, &c, &"2023/qh-d/".to_string()] {
        assert!(
            out.join(page).join("index.html").is_file(),
            "{page} missing"
        );
    }
    assert!(
        !out.join("2024/qh-a").exists(),
        "the crowded folder's pages moved"
    );
    // The bundle's attachment is published beside its page.
    assert_eq!(
        std::fs::read(out.join(&c).join("补贴表.docx")).unwrap(),
        b"docx bytes"
    );
    let page_a = std::fs::read_to_string(out.join(&a).join("index.html")).unwrap();
    assert!(page_a.contains(&format!("href=\"/{b}\"")), "{page_a}");
    // 补贴表.docx, percent-encoded in the link.
    let attachment = format!("href=\"/{c}%E8%A1%A5%E8%B4%B4%E8%A1%A8.docx\"");
    assert!(page_a.contains(&attachment), "{page_a}");
    let page_d = std::fs::read_to_string(out.join("2023/qh-d/index.html")).unwrap();
    assert!(page_d.contains(&format!("href=\"/{a}\"")), "{page_d}");
    // The search records name the nested pages.
    let records: String = common::tree(&out.join("search/d"))
        .into_values()
        .map(|b| String::from_utf8(b).unwrap())
        .collect();
    assert!(records.contains(&format!("\"url\":\"{a}\"")), "{records}");

    // Offline, every relative link reaches its file.
    let offline = root.join("usb");
    build(root, &offline, &["--offline"]);
    let checked = assert_links_reach_files(&offline, &["href", "src"], |page, _, _, v| {
        let rel = v.split(['#', '?']).next().unwrap_or(v);
        (!rel.is_empty() && !v.contains("://") && !v.starts_with("mailto:")).then(|| {
            let decoded = percent_encoding::percent_decode_str(rel)
                .decode_utf8_lossy()
                .into_owned();
            offline.join(page).parent().unwrap().join(decoded)
        })
    });
    assert!(checked > 20, "{checked}");

    // check knows the nested pages (no broken link, no page left unchecked).
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn within_the_limit_urls_stay_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(root);
    let toml = std::fs::read_to_string(root.join("site.toml")).unwrap();
    std::fs::write(
        root.join("site.toml"),
        toml.replace(
            "max_documents_per_folder = 2",
            "max_documents_per_folder = 3",
        ),
    )
    .unwrap();
    let out = root.join("public");
    build(root, &out, &[]);
    for page in ["2024/qh-a/", "2024/qh-b/", "2024/qh-c/", "2023/qh-d/"] {
        assert!(
            out.join(page).join("index.html").is_file(),
            "{page} missing"
        );
    }
    assert!(out.join("2024/qh-c/补贴表.docx").is_file());
}
