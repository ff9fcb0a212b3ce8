//! The 15 real portal pages of ../shared/real-pages: 标题 is the page's ArticleTitle,
//! 发布时间 its PubDate, and the body comes from div.article_content only.

mod import_support;

use gongkai::document::DisclosureDate;
use import_support::*;

fn meta(html: &str, name: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(&format!("meta[name=\"{name}\"]")).ok()?;
    doc.select(&sel)
        .next()?
        .value()
        .attr("content")
        .map(|s| s.trim().to_string())
}

fn pages() -> Vec<String> {
    let index = std::fs::read_to_string(shared("real-pages/index.tsv")).expect("index.tsv");
    index
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').next())
        .filter(|n| n.ends_with(".html"))
        .map(String::from)
        .collect()
}

#[test]
fn every_real_page_imports_with_its_own_title_and_date() {
    let Some(folder) = shared_or_skip("real-pages") else {
        return;
    };
    let dir = temp();
    let (out, report) = import(&[&folder], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let pages = pages();
    assert_eq!(pages.len(), 15);
    assert!(
        stderr.contains("index.tsv"),
        "the .tsv is listed as skipped: {stderr}"
    );
    for name in &pages {
        let html = std::fs::read_to_string(shared(&format!("real-pages/{name}"))).expect("page");
        let e = entry(&report, name);
        let d = document(dir.path(), e);
        let title = meta(&html, "ArticleTitle").expect("ArticleTitle");
        assert_eq!(d.front.title, title, "{name}");
        let pub_date: DisclosureDate = meta(&html, "PubDate")
            .expect("PubDate")
            .parse()
            .expect("a date");
        assert_eq!(d.front.published, Some(pub_date), "{name}");

        // The title is in the front matter, not again at the top of the body.
        let squeeze = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
        assert!(
            !squeeze(&d.body).starts_with(&squeeze(&title)),
            "{name}: the body repeats the title"
        );

        // The body is the article's text and nothing else.
        let content = html_cjk(&html, Some("div.article_content"));
        let body = without_markers(&d.body);
        assert!(!cjk(&body).is_empty(), "{name}: empty body");
        assert_subsequence(
            &cjk(&body),
            &content,
            &format!("{name}: body outside article_content"),
        );
        assert_gone(
            &d.body,
            &[
                "当前位置",
                "网站标识码",
                "扫一扫",
                "长者模式",
                "无障碍",
                "浏览量",
                "关闭",
                "分享到",
            ],
            name,
        );
        // Nothing of the page's text is lost unless the report says why.
        assert_nothing_lost_cjk(&html_cjk(&html, None), e, &d.body, name);
    }
}
