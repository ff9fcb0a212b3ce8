//! Pages of a saved portal that are not documents: the home page, channel pages, lists
//! and their pagination, search pages. A mirror (wget `--mirror`, HTTrack) holds as many
//! of them as documents; they are recognised here, skipped and reported with the reason.
//!
//! What tells them apart is what a document has and they lack: a document has
//! paragraphs of its own; a list is mostly links to other pages, often under a pager
//! (`共24条`, `下一页`, `末页`, `第1页/共5页`); a search page has a search form and no text.

use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use super::extract::{Extracted, LineKind, LinkStats, Region};

/// A pager's words, on a short line of their own.
static PAGER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"共\s*\d+\s*(?:条|页|篇|记录)|第\s*\d+\s*页\s*/\s*共?\s*\d+\s*页|\d+\s*/\s*\d+\s*页|下一页|上一页|末页|尾页|首页\s*上一页",
    )
    .expect("constant pattern")
});

/// A pager line is short; a sentence that mentions 共12条 is not one.
const PAGER_LINE: usize = 80;
/// A document has a line of text this long without links (a paragraph, a title).
const PARAGRAPH: usize = 40;
/// Fewer links to other pages than this are not a list.
const MIN_LINKS: usize = 5;
/// A list has at least this many entries that read as titles.
const MIN_ENTRIES: usize = 3;

/// Why the page at `path` is a list page and not a document, or `None` for a document.
pub fn list_page(x: &Extracted, path: &Path) -> Option<String> {
    let stats = &x.page.links;
    let pager: Vec<&str> = x
        .lines
        .iter()
        .map(|l| x.line_text(l).trim())
        .filter(|t| t.chars().count() <= PAGER_LINE)
        .flat_map(|t| PAGER.find_iter(t).map(|m| m.as_str()))
        .fold(Vec::new(), |mut found, m| {
            if !found.contains(&m) && found.len() < 3 {
                found.push(m);
            }
            found
        });
    let mostly_links = stats.links >= MIN_LINKS && stats.link_chars * 2 >= stats.text_chars;
    // Without a pager, more is asked: entries that read as titles (a short notice under
    // a menu the page does not mark as <nav> is a document), or nothing but links.
    let entries = stats.title_links >= MIN_ENTRIES;
    let all_links = stats.links >= 2 * MIN_LINKS && stats.link_chars * 3 >= stats.text_chars * 2;
    let no_paragraph = stats.longest_plain_line < PARAGRAPH;
    let name_hint = list_name(path);
    // Attachments in its text make a page a document, however little else it says.
    let attaches = x
        .lines
        .iter()
        .any(|l| l.region == Region::Content && matches!(l.kind, LineKind::Attachment(_)));
    let kind = if !pager.is_empty() && (mostly_links || (no_paragraph && stats.links >= MIN_LINKS))
    {
        "list page"
    } else if attaches {
        return None;
    } else if stats.search_form && search_named(path) && (no_paragraph || mostly_links) {
        // Every page of a portal may have a search box: a search page is saved as one.
        "search page"
    } else if no_paragraph && (all_links || (mostly_links && entries)) {
        if name_hint.is_some() {
            "list page"
        } else {
            "channel or home page"
        }
    } else {
        return None;
    };
    let mut why = Vec::new();
    if !pager.is_empty() {
        let words: Vec<String> = pager.iter().map(|w| format!("`{w}`")).collect();
        why.push(format!("a pager ({})", words.join(", ")));
    }
    if stats.search_form {
        why.push("a search form".into());
    }
    why.push(links_said(stats));
    if no_paragraph {
        why.push("no paragraph of text".into());
    }
    if let Some(n) = name_hint {
        why.push(format!("a list's file name ({n})"));
    }
    Some(format!("{kind}: {}", why.join(", ")))
}

fn links_said(stats: &LinkStats) -> String {
    let share = (stats.link_chars * 100)
        .checked_div(stats.text_chars)
        .unwrap_or(0);
    format!(
        "{} link{} to pages ({share}% of its text, {} reading as titles)",
        stats.links,
        if stats.links == 1 { "" } else { "s" },
        stats.title_links
    )
}

/// A file a mirroring tool writes for itself, not a page of the site: wget's copy of the
/// site's `robots.txt`, HTTrack's cache and logs.
pub fn mirror_file(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase());
    matches!(
        name.as_deref(),
        Some("robots.txt" | "hts-log.txt" | "hts-err.txt" | "hts-ioinfo.txt")
    ) || path.components().any(|c| c.as_os_str() == "hts-cache")
}

/// A page saved under a search address (`search/index.html`, `search.jsp@q=…`): its
/// name or its folder's says so (not a folder further up, `research/` say).
fn search_named(path: &Path) -> bool {
    let named = |p: Option<&std::ffi::OsStr>| {
        p.map(|n| n.to_string_lossy().to_ascii_lowercase())
            .is_some_and(|n| n.contains("search") || n.contains("sousuo"))
    };
    named(path.file_name()) || named(path.parent().and_then(Path::file_name))
}

/// The saved name of a list page: `list.html`, `list_2.html`, `index_3.htm`, `…?page=2`,
/// `…@page=2` (a plain `index.html` is any channel's, or the home page's).
fn list_name(path: &Path) -> Option<String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:list|more)(?:_\d+)?\.s?html?$|^index_\d+\.s?html?$|[?@&](?:page|pageno|pagenum|p|cpage)=\d+")
            .expect("constant pattern")
    });
    let name = path.file_name()?.to_string_lossy();
    NAME.is_match(&name).then(|| name.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::extract;
    use crate::import::rules::Rules;

    fn page(body: &str) -> Extracted {
        let rules = Rules::load(None, None).unwrap();
        extract::html(
            &format!("<html><head><title>青溪县人民政府</title></head><body>{body}</body></html>"),
            &rules,
        )
    }

    fn items(n: usize) -> String {
        (1..=n)
            .map(|i| {
                format!(
                    "<li><a href=\"t2024030{i}_{i}.html\">青溪县农业农村局关于做好第{i}批春耕备耕工作的通知</a><span>2024-03-0{i}</span></li>"
                )
            })
            .collect()
    }

    #[test]
    fn a_list_with_a_pager_is_a_list_page() {
        let x = page(&format!(
            "<div class=\"nav\"><a href=\"/\">首页</a></div><ul>{}</ul>\
             <div class=\"pager\">共24条 第1页/共3页 <a href=\"list_2.html\">下一页</a> <a href=\"list_3.html\">末页</a></div>",
            items(8)
        ));
        let why = list_page(&x, Path::new("mirror/zwgk/tzgg/list_1.html")).unwrap();
        assert!(why.starts_with("list page: a pager (`共24条`"), "{why}");
        assert!(why.contains("list_1.html"), "{why}");
    }

    #[test]
    fn a_page_of_links_without_a_pager_is_a_channel() {
        let x = page(&format!(
            "<h2>通知公告</h2><ul>{}</ul><h2>政策文件</h2><ul>{}</ul>",
            items(6),
            items(6)
        ));
        let why = list_page(&x, Path::new("mirror/zwgk/list_2.html")).unwrap();
        assert!(
            why.starts_with("list page") && why.ends_with("(list_2.html)"),
            "{why}"
        );
        let why = list_page(&x, Path::new("mirror/zwgk/lanmu.html")).unwrap();
        assert!(why.starts_with("channel or home page: 12 links"), "{why}");
        // A home page's search box does not make it a search page.
        let home = page(&format!(
            "<form action=\"/search.jsp\"><input name=\"keyword\"></form><h2>最新信息</h2><ul>{}</ul>",
            items(6)
        ));
        let why = list_page(&home, Path::new("mirror/index.html")).unwrap();
        assert!(
            why.starts_with("channel or home page: a search form"),
            "{why}"
        );
    }

    #[test]
    fn a_mirroring_tools_own_files_are_not_pages() {
        assert!(mirror_file(Path::new("m/www.qingxi.example/robots.txt")));
        assert!(mirror_file(Path::new("m/hts-cache/new.txt")));
        assert!(mirror_file(Path::new("m/hts-log.txt")));
        assert!(!mirror_file(Path::new("m/www.qingxi.example/zwgk/t1.txt")));
    }

    #[test]
    fn a_search_page_is_recognised_by_its_form() {
        let x = page(
            "<form action=\"/search.jsp\"><input type=\"text\" name=\"keyword\"><input type=\"submit\" value=\"检索\"></form>\
             <p>请输入关键词检索本站信息。</p>",
        );
        assert_eq!(list_page(&x, Path::new("mirror/about.html")), None);
        assert_eq!(list_page(&x, Path::new("research/mirror/about.html")), None);
        let why = list_page(&x, Path::new("mirror/search.html")).unwrap();
        assert!(why.starts_with("search page: a search form"), "{why}");
    }

    #[test]
    fn a_document_with_a_search_box_and_a_menu_is_a_document() {
        let menu: String = (1..=12)
            .map(|i| format!("<a href=\"/c{i}/\">栏目{i}</a> "))
            .collect();
        let x = page(&format!(
            "<div>{menu}</div><form action=\"/search.jsp\"><input name=\"keyword\"></form>\
             <h1>青溪县农业农村局关于做好春耕备耕工作的通知</h1>\
             <p>各乡镇人民政府，县直有关单位：为切实做好今年春耕备耕工作，确保粮食生产稳定，现将有关事项通知如下。</p>\
             <p>一、提高思想认识。各地要充分认识春耕备耕工作的重要性，加强组织领导，落实工作责任。</p>\
             <div>共2页 <a href=\"t_1.html\">下一页</a></div>"
        ));
        assert_eq!(list_page(&x, Path::new("mirror/t20240301_1.html")), None);
    }

    #[test]
    fn a_short_notice_under_a_menu_is_a_document() {
        let menu: String = (1..=20)
            .map(|i| format!("<a href=\"/c{i}/\">栏目{i}</a> "))
            .collect();
        let x = page(&format!(
            "<div>{menu}</div><h1>青溪县关于2024年春节放假安排的通知</h1><div>发布时间：2024-01-20 来源：县政府办公室</div>\
             <p>根据国务院办公厅通知，2月10日至17日放假调休，共8天。</p>"
        ));
        assert_eq!(list_page(&x, Path::new("mirror/t20240120_3.html")), None);
    }

    #[test]
    fn a_notice_that_is_only_its_attachment_is_a_document() {
        let x = page(
            "<form action=\"/search.jsp\"><input type=\"text\" name=\"keyword\"></form>\
             <h1>2024年第一季度检查情况公示</h1><p><a href=\"./W0201.xls\">2024年第一季度检查情况公示.xls</a></p>",
        );
        assert_eq!(list_page(&x, Path::new("mirror/t20240407_5.html")), None);
    }

    #[test]
    fn a_short_notice_whose_text_is_its_attachments_is_a_document() {
        let x = page(
            "<div class=\"article_content\"><p>现将《青溪县2024年春耕补贴方案》印发给你们，请认真贯彻执行。</p>\
             <p><a href=\"a.docx\">附件1：补贴标准.docx</a></p><p><a href=\"b.xls\">附件2：汇总表.xls</a></p></div>",
        );
        assert_eq!(list_page(&x, Path::new("mirror/t1.html")), None);
    }
}
