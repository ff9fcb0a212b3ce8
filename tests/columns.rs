//! The column tree (栏目) of site.toml as a reader meets it: the navigation, a column's
//! paginated list newest first, breadcrumbs through the tree, a page column with the
//! office's details; and the errors a user can make in it, with file and line.

mod common;

use std::path::Path;

use common::{build, stderr, try_build};
use scraper::{Html, Selector};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `gongkai init`'s standard tree, two documents a page, with five 通知 in the 政策文件
/// folder and one more document that names the column. Returns site.toml's text.
fn archive(root: &Path) -> String {
    let o = common::gongkai(&["init", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let toml = std::fs::read_to_string(root.join("site.toml"))
        .unwrap()
        .replace("per_page = 20", "per_page = 2");
    write(root, "site.toml", &toml);
    std::fs::remove_dir_all(root.join("content/2026")).unwrap();
    for day in 1..=5 {
        write(
            root,
            &format!("content/fdzdgknr/zcwj/tz-{day}.md"),
            &format!(
                "---\n标题: 青禾县第{day}号通知\n机构: 青禾县人民政府办公室\n\
                 发布时间: 2024-03-0{day}\n---\n\n正文。\n"
            ),
        );
    }
    write(
        root,
        "content/2024/ys.md",
        "---\n标题: 青禾县2024年预算公开\n机构: 青禾县财政局\n发布时间: 2024-02-01\n\
         栏目: 政策文件\n---\n\n正文。\n",
    );
    write(
        root,
        "content/zhinan.md",
        "---\n标题: 青禾县政府信息公开指南\n更新时间: 2025-01-02\n---\n\n指南正文，见[依申请公开](ysqgk.md)。\n",
    );
    toml
}

fn page(out: &Path, rel: &str) -> Html {
    Html::parse_document(&std::fs::read_to_string(out.join(rel)).unwrap())
}

fn texts(html: &Html, selector: &str) -> Vec<String> {
    let sel = Selector::parse(selector).unwrap();
    html.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn columns_are_in_the_nav_lists_and_breadcrumbs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    archive(&root);
    let out = dir.path().join("out");
    build(&root, &out, &[]);

    // The navigation follows the tree, the browse views stay.
    let home = page(&out, "index.html");
    let nav = texts(&home, ".site-nav a");
    assert_eq!(
        nav,
        [
            "首页",
            "政府信息公开指南",
            "政府信息公开制度",
            "法定主动公开内容",
            "政府信息公开年报",
            "依申请公开",
            "按机构",
            "按年份",
            "按主题分类",
            "搜索"
        ]
    );
    assert!(texts(&home, ".column-tree a").contains(&"财政预决算".to_string()));
    assert!(out.join("agency/index.html").is_file());

    // 政策文件: its five 通知 and the document that names it, newest first, 2 a page.
    let first = page(&out, "fdzdgknr/zcwj/index.html");
    assert_eq!(
        texts(&first, ".doc-item-title"),
        ["青禾县第5号通知", "青禾县第4号通知"]
    );
    assert!(texts(&first, ".count-line")[0].contains("共 6 件"));
    let last = page(&out, "fdzdgknr/zcwj/page/3/index.html");
    assert_eq!(
        texts(&last, ".doc-item-title"),
        ["青禾县第1号通知", "青禾县2024年预算公开"]
    );
    assert_eq!(
        texts(&first, ".breadcrumb li"),
        ["首页", ">法定主动公开内容", ">政策文件"]
    );
    let current = Selector::parse(".site-nav a[aria-current]").unwrap();
    let marked: Vec<String> = first.select(&current).map(|a| a.text().collect()).collect();
    assert_eq!(marked, ["法定主动公开内容"]);
    // The parent lists its children's documents and links them.
    let parent = page(&out, "fdzdgknr/index.html");
    assert!(texts(&parent, ".count-line")[0].contains("共 6 件"));
    assert_eq!(
        texts(&parent, ".column-children a"),
        [
            "机构职能",
            "政策文件",
            "规划计划",
            "财政预决算",
            "人事信息",
            "重点领域信息"
        ]
    );

    // A document's breadcrumb goes through its column.
    let doc = page(&out, "fdzdgknr/zcwj/tz-3/index.html");
    assert_eq!(
        texts(&doc, ".breadcrumb li"),
        ["首页", ">法定主动公开内容", ">政策文件", ">正文"]
    );

    // A page column shows its file, and 依申请公开 the office from site.toml.
    let guide = page(&out, "zhinan/index.html");
    assert_eq!(texts(&guide, "h1"), ["青禾县政府信息公开指南"]);
    assert!(texts(&guide, ".doc-tools")[0].contains("2025-01-02"));
    let link = Selector::parse(".doc-body a").unwrap();
    assert_eq!(
        guide.select(&link).next().unwrap().value().attr("href"),
        Some("/ysqgk/")
    );
    let apply = page(&out, "ysqgk/index.html");
    let office = texts(&apply, ".office dd");
    assert_eq!(
        office,
        [
            "某某县人民政府办公室",
            "某某县某某镇某某路1号",
            "000000",
            "0000-0000000",
            "工作日上午8:30—12:00，下午14:30—17:30",
            "xxgk@example.gov.cn"
        ]
    );
    // Pages are not documents: in no list and in no year.
    assert!(!out.join("year/undated/index.html").exists());
}

#[test]
fn mistakes_in_the_tree_name_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    let toml = archive(&root);
    write(
        &root,
        "content/2024/x.md",
        "---\n标题: 无处可去\n机构: 青禾县人民政府办公室\n栏目: 干部任免\n---\n正文\n",
    );
    write(
        &root,
        "content/zhinan.md",
        "---\n标题: 指南\n索引号: 001/2025-1\n---\n正文\n",
    );
    let out = dir.path().join("out");
    let o = try_build(&root, &out, &[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    let x = root.join("content/2024/x.md");
    let zhinan = root.join("content/zhinan.md");
    for want in [
        format!(
            "{}:4: `栏目` is `干部任免`, which no column of site.toml is called",
            x.display()
        ),
        format!(
            "{}:2: this is a column's page: it needs `更新时间",
            zhinan.display()
        ),
        format!(
            "{}:3: this is a column's page, not a disclosure document",
            zhinan.display()
        ),
    ] {
        assert!(err.contains(&want), "missing {want}\n{err}");
    }

    // A slug the site uses itself, on the line of its column's name.
    let bad = toml.replace("slug = \"zcwj\"", "slug = \"Zheng Ce\"");
    write(&root, "site.toml", &bad);
    let o = try_build(&root, &out, &[]);
    let line = bad.lines().position(|l| l.contains("政策文件")).unwrap() + 1;
    assert!(
        stderr(&o).contains(&format!(
            "site.toml:{line}: the `slug` of column `政策文件` may hold only"
        )),
        "{}",
        stderr(&o)
    );
}
