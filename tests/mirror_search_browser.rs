//! What a person sees in headless Chromium after importing a saved portal: searching the
//! offline copy (file://) for a word that only an attachment holds finds its document,
//! and the result says 附件 with the attachment's name; the document page's link to the
//! attachment leads to the copied file. Chromium is required (`apt-get install -y
//! chromium`); GONGKAI_SKIP_BROWSER=1 skips on machines without it.

mod common;
mod import_support;
mod mirror_support;

#[path = "browser/search_chromium.rs"]
mod chromium;
#[path = "browser/search_fixture.rs"]
mod fixture;

use mirror_support::{ATTACHMENT_ONLY, SPRING, SPRING_DOCX, import_mirror};

#[test]
fn a_word_only_in_an_attachment_is_found_and_labelled() {
    let Some(chrome) = chromium::required() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    import_mirror(dir.path());
    let site = dir.path().join("offline");
    common::build(dir.path(), &site, &["--offline"]);

    let page = format!("file://{}/search/index.html", site.display());
    let (status, links, marks, dom) = chromium::search_page(&chrome, &page, ATTACHMENT_ONLY);
    assert_eq!(status, "找到 1 条结果", "DOM: {dom}");
    let doc_page = format!("file://{}/{SPRING}/index.html", site.display());
    assert_eq!(links, std::slice::from_ref(&doc_page));
    let html = scraper::Html::parse_document(&dom);
    let label = scraper::Selector::parse("#results .search-snippet .search-attachment").unwrap();
    let labels: Vec<String> = html.select(&label).map(|e| e.text().collect()).collect();
    assert_eq!(labels, ["附件1：2024年春耕生产补贴标准表"], "DOM: {dom}");
    assert!(
        marks >= 1 && dom.contains(&format!("<mark>{ATTACHMENT_ONLY}</mark>")),
        "{dom}"
    );

    // A word of the body: its snippet is the body's, with no 附件 label.
    let (_, _, _, dom) = chromium::search_page(&chrome, &page, "惠农一卡通");
    let html = scraper::Html::parse_document(&dom);
    assert_eq!(html.select(&label).count(), 0, "{dom}");

    // The document page links to the copy beside it, which is there.
    let dom = chromium::dump_dom(&chrome, &doc_page);
    let html = scraper::Html::parse_document(&dom);
    let a = scraper::Selector::parse(".doc-attachments a").unwrap();
    let hrefs: Vec<&str> = html
        .select(&a)
        .filter_map(|e| e.value().attr("href"))
        .collect();
    assert!(hrefs.contains(&SPRING_DOCX), "{hrefs:?}");
    assert!(site.join(SPRING).join(SPRING_DOCX).is_file());
}
