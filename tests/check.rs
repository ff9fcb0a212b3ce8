//! `gongkai check`: every finding as `file:line: level: message`, exit 1 on errors.

mod common;

use common::{archive, gongkai, repo};

#[test]
fn the_demo_has_no_errors() {
    let o = gongkai(&["check", "--root", repo().to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains(" 0 errors"), "{out}");
}

#[test]
fn finds_each_kind_of_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[
            (
                "2024/a.md",
                "---\n标题: 甲\n机构: 测试局\n发布时间: 2024-01-02\n成文日期: 2024-03-01\n索引号: 001/2024-1\n文号: 测(2024)07号\n有效性: 很好\n---\n\n正文\n\n[坏链接](nowhere.md)\n",
            ),
            (
                "2024/b.md",
                "---\n标题: 乙\n机构: 测试局\n索引号: 001/2024-1\n---\n\n正文\n",
            ),
            (
                "2024/c.md",
                "---\n标题: 丙\n机构: 测试局\n发布日期: 2024-01-01\n---\n",
            ),
        ],
    );
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let a = root.join("content/2024/a.md");
    let b = root.join("content/2024/b.md");
    let c = root.join("content/2024/c.md");
    for want in [
        format!("{}:5: error: `成文日期`", a.display()),
        format!("{}:7: warning: `文号`", a.display()),
        format!("{}:8: error: `有效性`", a.display()),
        format!("{}:13: error: link `nowhere.md`", a.display()),
        format!("{}:4: error: `索引号` 001/2024-1 is also", b.display()),
        format!(
            "{}:4: error: unknown front-matter key `发布日期`",
            c.display()
        ),
    ] {
        assert!(out.contains(&want), "missing {want}\n{out}");
    }
    // site.toml has no full base_url: a warning, not an error.
    assert!(out.contains("site.toml: warning: `base_url`"), "{out}");
    assert!(out.contains("5 errors, 2 warnings"), "{out}");
    // Nothing was written into the archive.
    assert!(!root.join("public").exists());

    let o = gongkai(&[
        "check",
        "--root",
        root.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(report["errors"], 5);
    assert_eq!(report["findings"].as_array().unwrap().len(), 7);
}

#[test]
fn lints_the_rendered_pages() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[
            (
                "2024/a.md",
                "---\n标题: 甲\n机构: 测试局\n---\n\n正文\n\n#### 跳级标题\n\n![](pic.png)\n",
            ),
            ("2024/pic.png", "png"),
        ],
    );
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    let a = root.join("content/2024/a.md");
    assert!(
        out.contains(&format!(
            "{}:8: warning: heading “跳级标题” skips",
            a.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}:10: warning: image", a.display())),
        "{out}"
    );
}

#[test]
fn a_broken_template_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(root, &[("a.md", "---\n标题: 甲\n机构: 测试局\n---\n")]);
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("templates/404.html"), "{% if %}\n").unwrap();
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!(
            "{}:1: error: template syntax error",
            root.join("templates/404.html").display()
        )),
        "{out}"
    );
}

#[test]
fn every_finding_of_a_file_is_reported_not_just_the_first_kind() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    archive(
        root,
        &[
            (
                "2024/a.md",
                "---\n标题: 甲\n机构: 测试局\n索引号: 001/2024-9\n---\n正文\n",
            ),
            // A bad date and, in the same file, a duplicate 索引号 and a broken link.
            (
                "2024/b.md",
                "---\n标题: 乙\n机构: 测试局\n发布时间: 2024-13-01\n索引号: 001/2024-9\n---\n\n[链接](nowhere.md)\n",
            ),
        ],
    );
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let b = root.join("content/2024/b.md");
    for want in [
        format!("{}:4: error: `发布时间`", b.display()),
        format!("{}:5: error: `索引号` 001/2024-9 is also", b.display()),
        format!("{}:8: error: link `nowhere.md`", b.display()),
    ] {
        assert!(out.contains(&want), "missing {want}\n{out}");
    }
}
