//! The column tree (栏目) of site.toml as a reader meets it: the navigation, a column's
//! paginated list newest first, breadcrumbs through the tree, a page column with the
//! office's details; and the errors a user can make in it, with file and line.

mod common;

use std::path::Path;

use common::{build, stderr, try_build};
use scraper::{Html, Selector};

const SITE: &str = r#"title = "青禾县人民政府信息公开"
organizer = "青禾县人民政府办公室"
per_page = 2

[office]
name = "青禾县政府信息公开办公室"
address = "青禾县禾兴路2号"
postcode = "339800"
phone = "0998-7654321"
hours = "工作日 9:00—17:00"
email = "gk@qinghe.example"

[[columns]]
name = "政府信息公开指南"
slug = "zhinan"
kind = "page"
role = "指南"

[[columns]]
name = "法定主动公开内容"
slug = "fdzdgknr"

  [[columns.children]]
  name = "政策文件"
  slug = "zcwj"
  genres = ["通知"]

  [[columns.children]]
  name = "财政预决算"
  slug = "czyjs"
  topics = ["财政"]

[[columns]]
name = "依申请公开"
slug = "ysqgk"
kind = "page"
role = "依申请公开"
"#;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn archive(root: &Path) {
    write(root, "site.toml", SITE);
    for day in 1..=5 {
        write(
            root,
            &format!("content/2024/tz-{day}.md"),
            &format!(
                "---\n标题: 青禾县第{day}号通知\n机构: 青禾县人民政府办公室\n\
                 发布时间: 2024-03-0{day}\n体裁分类: 通知\n---\n\n正文。\n"
            ),
        );
    }
    write(
        root,
        "content/2024/ys.md",
        "---\n标题: 青禾县2024年预算公开\n机构: 青禾县财政局\n发布时间: 2024-02-01\n\
         主题分类: 财政、金融、审计\\财政\n栏目: 政策文件\n---\n\n正文。\n",
    );
    write(
        root,
        "content/zhinan.md",
        "---\n标题: 青禾县政府信息公开指南\n更新时间: 2025-01-02\n---\n\n指南正文，见[依申请公开](ysqgk.md)。\n",
    );
    write(
        root,
        "content/ysqgk.md",
        "---\n标题: 依申请公开\n更新时间: 2025-01-02\n---\n\n申请方式说明。\n",
    );
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
            "法定主动公开内容",
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
        ["政策文件", "财政预决算"]
    );

    // A document's breadcrumb goes through its column.
    let doc = page(&out, "2024/tz-3/index.html");
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
            "青禾县政府信息公开办公室",
            "青禾县禾兴路2号",
            "339800",
            "0998-7654321",
            "工作日 9:00—17:00",
            "gk@qinghe.example"
        ]
    );
    // Pages are not documents: in no list and in no year.
    assert!(!out.join("year/undated/index.html").exists());
}

#[test]
fn mistakes_in_the_tree_name_their_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    archive(&root);
    write(
        &root,
        "content/2024/x.md",
        "---\n标题: 无处可去\n机构: 青禾县人民政府办公室\n栏目: 人事信息\n---\n正文\n",
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
            "{}:4: `栏目` is `人事信息`, which no column of site.toml is called",
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
    let bad = SITE.replace("slug = \"zcwj\"", "slug = \"Zheng Ce\"");
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
