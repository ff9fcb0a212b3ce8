//! Fixtures of our own (tests/fixtures/import): encodings, a DOCX built here, a WeChat
//! page, hostile HTML, bad input; duplicates, --force and site rules.

mod import_support;

use std::io::Write as _;
use std::path::Path;

use gongkai::document::Completeness;
use import_support::*;

const DOCX_PARAGRAPHS: [(&str, &str); 8] = [
    ("Title", "青禾县交通运输局2024年农村公路养护工作方案"),
    ("numbered", "工作目标"),
    (
        "",
        "全年完成农村公路日常养护九百公里，优良中等路比例达到百分之八十以上。",
    ),
    ("2", "（一）重点路段"),
    ("list", "县道桥梁定期检测"),
    ("list", "乡道边沟清理疏通"),
    ("numbered", "保障措施"),
    ("", "青禾县交通运输局"),
];

/// A .docx as Word writes it: heading styles with Chinese-Word style ids, a bold run,
/// list items, a table.
fn write_docx(path: &Path) {
    let f = std::fs::File::create(path).expect("create docx");
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let mut body = String::new();
    for (style, text) in DOCX_PARAGRAPHS {
        let ppr = match style {
            "" => String::new(),
            "list" => {
                "<w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"1\"/></w:numPr></w:pPr>"
                    .into()
            }
            // Numbered by Word: the marker 一、 is not in the text.
            "numbered" => {
                "<w:pPr><w:numPr><w:ilvl w:val=\"0\"/><w:numId w:val=\"2\"/></w:numPr></w:pPr>"
                    .into()
            }
            s => format!("<w:pPr><w:pStyle w:val=\"{s}\"/></w:pPr>"),
        };
        if style.is_empty() && text.starts_with("全年") {
            // A bold run inside a paragraph.
            body.push_str(&format!(
                "<w:p>{ppr}<w:r><w:rPr><w:b/></w:rPr><w:t>全年完成</w:t></w:r><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                &text["全年完成".len()..]
            ));
        } else {
            body.push_str(&format!("<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>"));
        }
    }
    body.push_str(
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>路段</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>里程</w:t></w:r></w:p></w:tc></w:tr>\
         <w:tr><w:tc><w:p><w:r><w:t>东岭线</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>12.5</w:t></w:r></w:p></w:tc></w:tr></w:tbl>",
    );
    body.push_str("<w:p><w:r><w:t>2024年3月1日</w:t></w:r></w:p>");
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    let styles = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <w:styles xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
        <w:style w:type=\"paragraph\" w:styleId=\"Title\"><w:name w:val=\"Title\"/></w:style>\
        <w:style w:type=\"paragraph\" w:styleId=\"1\"><w:name w:val=\"heading 1\"/></w:style>\
        <w:style w:type=\"paragraph\" w:styleId=\"2\"><w:name w:val=\"heading 2\"/></w:style></w:styles>";
    let numbering = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
        <w:numbering xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">\
        <w:abstractNum w:abstractNumId=\"0\"><w:lvl w:ilvl=\"0\"><w:numFmt w:val=\"bullet\"/>\
        <w:lvlText w:val=\"•\"/></w:lvl></w:abstractNum>\
        <w:abstractNum w:abstractNumId=\"1\"><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/>\
        <w:numFmt w:val=\"chineseCounting\"/><w:lvlText w:val=\"%1、\"/></w:lvl></w:abstractNum>\
        <w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>\
        <w:num w:numId=\"2\"><w:abstractNumId w:val=\"1\"/></w:num></w:numbering>";
    for (name, content) in [
        ("word/numbering.xml", numbering),
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>",
        ),
        ("word/document.xml", document.as_str()),
        ("word/styles.xml", styles),
    ] {
        z.start_file(name, opts).expect("zip entry");
        z.write_all(content.as_bytes()).expect("zip write");
    }
    z.finish().expect("zip finish");
}

fn good_fixtures(dir: &Path) -> std::path::PathBuf {
    let raw = dir.join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    for f in [
        "gb18030_portal.html",
        "utf16_bom.txt",
        "wechat_article.html",
        "xss_page.html",
        "plain_portal.html",
    ] {
        std::fs::copy(fixture(f), raw.join(f)).expect("copy fixture");
    }
    write_docx(&raw.join("plan.docx"));
    raw
}

/// Imports the fixture `name` alone (from [`good_fixtures`]) into `dir`: its report
/// entry and the document written.
fn import_fixture(dir: &Path, name: &str) -> (serde_json::Value, gongkai::document::Document) {
    let raw = good_fixtures(dir);
    let (out, report) = import(&[&raw.join(name)], dir, &[]);
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = entry(&report, name).clone();
    let d = document(dir, &e);
    (e, d)
}

#[test]
fn gb18030_portal_page_with_metadata_table() {
    let dir = temp();
    let (e, d) = import_fixture(dir.path(), "gb18030_portal.html");
    assert_eq!(e["encoding"], "GBK");
    assert_eq!(
        d.front.title,
        "青禾县林业局关于做好冬春季森林防火工作的通知"
    );
    // 县林业局 in the table, the full name in the signature.
    assert_eq!(agency(&d), Some("青禾县林业局"));
    assert_eq!(
        d.front.index_no.as_ref().map(|i| i.as_str()),
        Some("QH0012/2024-00031")
    );
    assert_eq!(
        d.front.doc_no.as_ref().map(|n| n.as_str()),
        Some("青林〔2024〕7号")
    );
    assert_eq!(
        d.front.published.map(|x| x.to_string()).as_deref(),
        Some("2024-11-05")
    );
    assert_eq!(
        d.front.written.map(|x| x.to_string()).as_deref(),
        Some("2024-11-02")
    );
    assert_eq!(d.front.topic.as_deref(), Some("农业、林业\\林业"));
    assert_gone(
        &d.body,
        &[
            "当前位置",
            "网站标识码",
            "打印本页",
            "门户网站",
            "索引号",
            "首页",
        ],
        "gb18030_portal.html",
    );
    assert!(d.body.contains("\n## 一、压实防火责任\n"));
    assert_eq!(e["output"], "2024/qh0012-2024-00031.md");
}

#[test]
fn utf16_text_and_docx() {
    let dir = temp();
    let raw = good_fixtures(dir.path());
    let (out, report) = import(
        &[&raw.join("utf16_bom.txt"), &raw.join("plan.docx")],
        dir.path(),
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = entry(&report, "utf16_bom.txt");
    assert_eq!(e["encoding"], "UTF-16LE");
    let d = document(dir.path(), e);
    assert_eq!(d.front.title, "青禾县农业农村局2023年工作总结");
    assert_eq!(
        d.front.written.map(|x| x.to_string()).as_deref(),
        Some("2024-01-10")
    );
    assert!(!d.body.contains('\r'));

    let e = entry(&report, "plan.docx");
    let d = document(dir.path(), e);
    assert_eq!(d.front.title, DOCX_PARAGRAPHS[0].1);
    assert_eq!(agency(&d), Some("青禾县交通运输局"));
    assert!(d.body.contains("\n## 一、工作目标\n"), "{}", d.body);
    assert!(d.body.contains("\n## 二、保障措施\n"), "{}", d.body);
    assert!(d.body.contains("\n### （一）重点路段\n"));
    assert!(d.body.contains("**全年完成**农村公路"));
    assert!(
        d.body.contains("\n- 县道桥梁定期检测\n- 乡道边沟清理疏通")
            || d.body.contains("- 县道桥梁定期检测\n\n- 乡道边沟清理疏通"),
        "{}",
        d.body
    );
    assert!(
        d.body
            .contains("| 路段 | 里程 |\n| --- | --- |\n| 东岭线 | 12.5 |"),
        "{}",
        d.body
    );
    // Nothing lost: every w:t text, in order.
    let raw_text: String =
        DOCX_PARAGRAPHS.iter().map(|p| p.1).collect::<String>() + "路段里程东岭线2024年3月1日";
    assert_nothing_lost_cjk(&cjk(&raw_text), e, &d.body, "plan.docx");
}

#[test]
fn portal_page_without_known_content_element() {
    let dir = temp();
    let (e, d) = import_fixture(dir.path(), "plain_portal.html");
    // The <title> without the site name after `_`.
    assert_eq!(d.front.title, "青禾县文化馆2024年春季公益培训招生公告");
    // Named by the <title>, and the first line of the text agrees.
    let from = e["fields"]["标题"]["from"].as_str().unwrap_or("");
    assert!(from.starts_with("<title>, agreeing with"), "{from}");
    assert_gone(
        &d.body,
        &["首页", "政务公开", "办事服务", "更多通知公告", "网站地图"],
        "plain_portal.html",
    );
    // A link inside a sentence is text.
    assert!(d.body.contains("报名请点击这里填写登记表。"));
}

#[test]
fn wechat_article() {
    let dir = temp();
    let (_, d) = import_fixture(dir.path(), "wechat_article.html");
    assert_eq!(d.front.title, "青禾县图书馆开展寒假阅读季活动");
    // var ct = 1706745600 is 2024-02-01 00:00 UTC, 08:00 in Beijing.
    assert_eq!(
        d.front.published.map(|x| x.to_string()).as_deref(),
        Some("2024-02-01 08:00:00")
    );
    assert_gone(
        &d.body,
        &[
            "微信扫一扫",
            "预览时标签不可点",
            "继续滑动",
            "阅读原文",
            "青禾文旅",
        ],
        "wechat_article.html",
    );
    assert!(d.body.contains("**所有活动免费参加**"));
}

#[test]
fn hostile_html_renders_as_text() {
    let dir = temp();
    let (_, d) = import_fixture(dir.path(), "xss_page.html");
    assert_gone(
        &d.body,
        &[
            "<script",
            "onerror",
            "<iframe",
            "javascript:",
            "脚本里的字",
            "框架里的字",
            "图片注入",
            "链接注入",
            "提交表单",
        ],
        "xss_page.html",
    );
    assert!(
        d.front.attachments.is_empty(),
        "a javascript: link is no attachment"
    );
    assert!(d.body.contains("附件清单"));
    let mut html = String::new();
    let opts =
        pulldown_cmark::Options::ENABLE_TABLES | pulldown_cmark::Options::ENABLE_STRIKETHROUGH;
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new_ext(&d.body, opts));
    // What was written is what shows: no tags, links, headings or lists made up.
    for bad in [
        "<script", "<img", "<iframe", "<a ", "<h1", "<ol", "<em>", "<西岭>",
    ] {
        assert!(!html.contains(bad), "`{bad}` in the rendered body: {html}");
    }
    assert!(
        html.contains("# 不是标题 [不是链接](http://x) 1. 不是列表"),
        "{html}"
    );
    assert!(
        html.contains("<td>*某某</td>")
            && html.contains("<td>_某_</td>")
            && html.contains("&lt;西岭&gt;水库"),
        "{html}"
    );
    assert!(html.contains("<strong>安全度汛</strong>"));
}

#[test]
fn nothing_lost_on_every_fixture() {
    let dir = temp();
    let raw = good_fixtures(dir.path());
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "gb18030_portal.html",
        "wechat_article.html",
        "xss_page.html",
        "plain_portal.html",
    ] {
        let bytes = std::fs::read(raw.join(name)).expect("fixture");
        let text = if name.starts_with("gb") {
            encoding_rs::GB18030.decode(&bytes).0.into_owned()
        } else {
            String::from_utf8(bytes).expect("utf-8")
        };
        let e = entry(&report, name);
        let d = document(dir.path(), e);
        assert_nothing_lost_cjk(&html_cjk(&text, None), e, &d.body, name);
    }
    let bytes = std::fs::read(raw.join("utf16_bom.txt")).expect("fixture");
    let (text, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(&bytes[2..]);
    let text = text.replace("\r\n", "\n");
    let e = entry(&report, "utf16_bom.txt");
    let d = document(dir.path(), e);
    assert_nothing_lost_exact(&text, e, &d.body, "utf16_bom.txt");
}

#[test]
fn bad_input_fails_per_file_and_the_rest_is_imported() {
    let dir = temp();
    let raw = good_fixtures(dir.path());
    for f in ["garbage.txt", "empty.txt", "corrupt.docx"] {
        std::fs::copy(fixture(f), raw.join(f)).expect("copy");
    }
    std::fs::write(raw.join("notes.md"), "# not a raw report").expect("write");
    let missing = dir.path().join("no-such-file.txt");
    let (out, report) = import(&[&raw, &missing], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (file, why) in [
        ("garbage.txt", "not text"),
        ("empty.txt", "empty"),
        ("corrupt.docx", ".docx"),
        ("no-such-file.txt", "cannot read"),
    ] {
        let line = stderr
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no line for {file}: {stderr}"));
        assert!(line.contains(why), "{line}");
    }
    assert!(!stderr.contains("panicked"));
    assert!(
        stderr.contains("notes.md"),
        "skipped files are listed: {stderr}"
    );
    assert!(
        stderr.contains("imported 6") && stderr.contains("failed 4"),
        "{stderr}"
    );
    assert_eq!(report["summary"]["failed"], 4);
    assert_eq!(entry(&report, "corrupt.docx")["status"], "failed");
}

#[test]
fn duplicates_are_reported_not_written_twice() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    std::fs::copy(fixture("utf16_bom.txt"), raw.join("a.txt")).expect("copy");
    // The same report, saved again as UTF-8 with CRLF.
    let bytes = std::fs::read(fixture("utf16_bom.txt")).expect("read");
    let (text, _) = encoding_rs::UTF_16LE.decode_with_bom_removal(&bytes[2..]);
    std::fs::write(raw.join("b.txt"), text.as_bytes()).expect("write");
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(out.status.success());
    assert_eq!(report["summary"]["duplicates"], 1);
    assert_eq!(entry(&report, "b.txt")["status"], "duplicate");
    let written = walkdir::WalkDir::new(dir.path().join("content"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(written, 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("duplicate of"));

    // A copy imported in a later run is a duplicate too, not a conflict.
    let later = temp();
    let (out, _) = import(&[&raw.join("a.txt")], later.path(), &[]);
    assert!(out.status.success());
    let (out, report) = import(&[&raw.join("b.txt")], later.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(entry(&report, "b.txt")["status"], "duplicate");
}

#[test]
fn existing_content_needs_force() {
    let dir = temp();
    let raw = good_fixtures(dir.path());
    let input = raw.join("utf16_bom.txt");
    let (_, report) = import(&[&input], dir.path(), &[]);
    let rel = entry(&report, "utf16_bom.txt")["output"]
        .as_str()
        .expect("output")
        .to_string();
    let target = dir.path().join("content").join(&rel);
    std::fs::write(&target, "edited by hand").expect("edit");
    let (out, _) = import(&[&input], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(
        std::fs::read_to_string(&target).expect("read"),
        "edited by hand"
    );
    let (out, _) = import(&[&input], dir.path(), &["--force"]);
    assert!(out.status.success());
    assert!(
        std::fs::read_to_string(&target)
            .expect("read")
            .starts_with("---\n标题: ")
    );
}

#[test]
fn site_rules_extend_the_rules_file() {
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    std::fs::write(
        raw.join("notice.txt"),
        "青禾县民政局关于开展冬季送温暖活动的通知\n青禾政务网独家整理\n各乡镇：今冬将为困难群众发放棉被和慰问金，请做好登记。\n",
    )
    .expect("write");
    let site = "title = \"青禾县政府信息公开\"\nbase_url = \"https://example.gov.cn/\"\norganizer = \"青禾县人民政府办公室\"\n\n\
                [import]\n[[import.noise]]\npattern = '^青禾政务网独家整理$'\nreason = \"site watermark\"\n";
    std::fs::write(dir.path().join("site.toml"), site).expect("site.toml");
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = entry(&report, "notice.txt");
    let d = document(dir.path(), e);
    assert!(!d.body.contains("独家整理"));
    assert!(e["removed"].to_string().contains("site watermark"));

    // A broken rule names site.toml and the key.
    std::fs::write(
        dir.path().join("site.toml"),
        site.replace("'^青禾政务网独家整理$'", "'(unclosed'"),
    )
    .expect("site.toml");
    let (out, _) = import(&[&raw], dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("site.toml") && stderr.contains("[import].noise[0].pattern"),
        "{stderr}"
    );
}

#[test]
fn every_fixture_document_reads_back() {
    let dir = temp();
    let raw = good_fixtures(dir.path());
    let (out, report) = import(&[&raw], dir.path(), &[]);
    assert!(out.status.success());
    for e in report["files"].as_array().expect("files") {
        let d = document(dir.path(), e);
        assert!(!d.front.title.is_empty());
        assert_eq!(
            d.front.completeness,
            Completeness::Complete,
            "{}",
            e["input"]
        );
        assert!(e["output"].as_str().is_some_and(|o| o.is_ascii()));
    }
}
