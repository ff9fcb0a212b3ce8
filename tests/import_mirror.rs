//! `gongkai import` on a saved portal (tests/fixtures/mirror, written by
//! tests/fixtures/make_mirror.py): list pages skipped and reported, each document once,
//! attachments copied into page bundles with their links pointing at the copies; then
//! `build` (online and offline), `check`, `archive` and `verify` with the attachments.

mod common;
mod import_support;
mod mirror_support;

use std::path::Path;

use common::{assert_links_reach_files, build, documents, gongkai, stderr, tree};
use import_support::{entry, import};
use mirror_support::{ATTACHMENT_ONLY, HOST, SPRING, SPRING_DOCX, SPRING_TXT, import_mirror};
use serde_json::Value;

fn files_with_status<'a>(report: &'a Value, status: &str) -> Vec<&'a str> {
    report["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"] == status)
        .map(|f| {
            let input = f["input"].as_str().unwrap();
            input.split(&format!("{HOST}/")).nth(1).unwrap_or(input)
        })
        .collect()
}

#[test]
fn a_mirror_imports_each_document_once_with_its_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let report = import_mirror(dir.path());

    // Home, channel, list (with its pages) and search pages: skipped, each with why.
    let list_pages = files_with_status(&report, "list page");
    let list_page_name = if cfg!(unix) {
        "zwgk/zcwj/list.html?page=2"
    } else {
        "zwgk/zcwj/list.html@page=2"
    };
    let mut want = vec![
        "index.html",
        "search/index.html",
        "zwgk/index.html",
        "zwgk/tzgg/index.html",
        "zwgk/tzgg/index_1.html",
        "zwgk/zcwj/list.html",
        list_page_name,
    ];
    want.sort();
    let mut got = list_pages.clone();
    got.sort();
    assert_eq!(got, want);
    let reason = |name: &str| {
        entry(&report, name)["list_page"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(reason("zwgk/tzgg/index.html").contains("a pager (`共5条`"));
    assert!(reason("search/index.html").starts_with("search page"));
    assert!(reason(&format!("{HOST}/index.html")).starts_with("channel or home page"));
    assert_eq!(report["summary"]["list_pages"], 7);

    // The portal's assets and wget's robots.txt are no documents.
    let skipped: Vec<&str> = report["summary"]["skipped_files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str()?.split(&format!("{HOST}/")).nth(1))
        .collect();
    assert_eq!(skipped, ["css/style.css", "robots.txt"]);

    // Five documents; the page saved twice and the page saved as text are one each.
    assert_eq!(report["summary"]["imported"], 5);
    let dup = entry(&report, "t20240305_101.html");
    assert_eq!(dup["status"], "duplicate");
    assert!(
        dup["duplicate_of"]
            .as_str()
            .unwrap()
            .ends_with("t20240305_101.htm")
    );
    assert_eq!(dup["duplicate_by"], "the same 索引号 QX0301/2024-00101");
    let text_copy = entry(&report, "t20240220_88.txt");
    assert_eq!(text_copy["status"], "duplicate", "{text_copy:#}");
    assert_eq!(text_copy["duplicate_by"], "the same title and text");
    let docs = documents(&dir.path().join("content"));
    assert_eq!(
        docs.len(),
        5,
        "{:?}",
        docs.iter().map(|d| &d.path).collect::<Vec<_>>()
    );

    // The attachment files travel in their documents' bundles, not as documents.
    // (The PDF is one as well once import reads PDFs: until then it is a file of no
    // kind import reads, copied all the same.)
    let mut attached = files_with_status(&report, "attachment");
    attached.retain(|f| !f.ends_with(".pdf"));
    attached.sort();
    assert_eq!(
        attached,
        [
            "upload/2024/01/课后服务统计表.docx",
            "upload/2024/03/W020240305398765432100.txt",
            "zwgk/tzgg/202403/P020240305512345678901.docx",
        ]
    );
    let content = tree(&dir.path().join("content"));
    let names: Vec<&str> = content.keys().map(String::as_str).collect();
    for f in [
        format!("{SPRING}/index.md"),
        format!("{SPRING}/{SPRING_DOCX}"),
        format!("{SPRING}/{SPRING_DOCX}.txt"),
        format!("{SPRING}/{SPRING_TXT}"),
        "2024/qx0402-2024-00102/index.md".into(),
        "2024/qx0402-2024-00102/2404101234.pdf".into(),
        "2024/qx0205-2024-00077/课后服务统计表.docx".into(),
        "2024/qx0001-2024-00088.md".into(),
        "2024/qx0311-2024-00130.md".into(),
    ] {
        assert!(names.contains(&f.as_str()), "no {f} in {names:?}");
    }
    let source = dir.path().join("mirror").join(HOST);
    assert_eq!(
        content[&format!("{SPRING}/{SPRING_DOCX}")],
        std::fs::read(source.join("zwgk/tzgg/202403").join(SPRING_DOCX)).unwrap()
    );
    assert_eq!(
        content["2024/qx0402-2024-00102/2404101234.pdf"],
        std::fs::read(
            source.join("module/download/downfile.jsp@classid=0&filename=2404101234.pdf")
        )
        .unwrap()
    );

    // Links in the body and in 附件 point at the copies; the text read from the .docx
    // is beside it and named by 文本.
    let spring = docs
        .iter()
        .find(|d| d.path == format!("{SPRING}/index.md"))
        .unwrap();
    assert!(
        spring
            .body
            .contains(&format!("[附件1：2024年春耕生产补贴标准表]({SPRING_DOCX})"))
    );
    assert!(spring.body.contains(&format!("]({SPRING_TXT})")));
    let a = &spring.front.attachments[0];
    assert_eq!(a.url.as_deref(), Some(SPRING_DOCX));
    assert_eq!(
        a.source_url.as_deref(),
        Some("https://www.qingxi.example/zwgk/tzgg/202403/P020240305512345678901.docx")
    );
    assert_eq!(
        a.text.as_deref(),
        Some(format!("{SPRING_DOCX}.txt").as_str())
    );
    let text = String::from_utf8(content[&format!("{SPRING}/{SPRING_DOCX}.txt")].clone()).unwrap();
    assert!(text.contains(ATTACHMENT_ONLY), "{text}");
    assert!(!spring.body.contains(ATTACHMENT_ONLY));

    // A missing file keeps its link and is reported; a link out of the mirror is not
    // followed.
    let flood = entry(&report, "t20240520_130.html");
    let atts = flood["attachments"].as_array().unwrap();
    assert_eq!(atts[0]["status"], "missing", "{flood:#}");
    assert!(
        atts[0]["note"]
            .as_str()
            .unwrap()
            .contains("P020240520000000000001.pdf")
    );
    assert_eq!(atts[1]["status"], "outside", "{flood:#}");
    assert_eq!(atts[1]["link"], "../../../../../outside.docx");
    let flood_doc = docs
        .iter()
        .find(|d| d.path == "2024/qx0311-2024-00130.md")
        .unwrap();
    assert_eq!(
        flood_doc.front.attachments[0].url.as_deref(),
        Some("https://www.qingxi.example/zwgk/tzgg/202405/P020240520000000000001.pdf")
    );
    assert!(
        !content
            .values()
            .any(|b| String::from_utf8_lossy(b).contains("not to be read")),
        "the file outside the mirror was copied"
    );

    // Importing again changes nothing.
    let before = tree(&dir.path().join("content"));
    let (o, again) = import(&[&dir.path().join("mirror")], dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(entry(&again, "t20240305_101.htm")["status"], "unchanged");
    assert_eq!(before, tree(&dir.path().join("content")));
}

/// The href of the first `<a>` of the document page `page` whose text is `label`.
fn link_of(page: &Path, label: &str) -> String {
    let html = scraper::Html::parse_document(&std::fs::read_to_string(page).unwrap());
    let sel = scraper::Selector::parse("a").unwrap();
    html.select(&sel)
        .find(|a| a.text().collect::<String>().trim() == label)
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_else(|| panic!("no link {label} in {}", page.display()))
        .to_string()
}

#[test]
fn attachments_are_published_beside_their_page_and_searched() {
    let dir = tempfile::tempdir().unwrap();
    import_mirror(dir.path());
    let root = dir.path();

    // Online, under a base path: the page links to the copy, which is there.
    let out = root.join("public");
    build(root, &out, &["--base-url", "/xxgk/"]);
    let page = out.join(SPRING).join("index.html");
    let href = link_of(&page, "附件1：2024年春耕生产补贴标准表");
    assert_eq!(href, format!("/xxgk/{SPRING}/{SPRING_DOCX}"));
    let published = out.join(href.trim_start_matches("/xxgk/"));
    assert_eq!(
        std::fs::read(&published).unwrap(),
        std::fs::read(root.join("content").join(SPRING).join(SPRING_DOCX)).unwrap()
    );
    // Text files are read for search, not published.
    assert!(!out.join(SPRING).join(format!("{SPRING_DOCX}.txt")).exists());
    // The document's search files carry its attachments' names and text (the term
    // shards under t/ aside).
    let records: String = tree(&out.join("search"))
        .iter()
        .filter(|(path, _)| !path.starts_with("t/"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(
        records
            .contains("\"attachments\":[{\"name\":\"附件1：2024年春耕生产补贴标准表\",\"part\":")
    );
    assert!(records.contains(ATTACHMENT_ONLY));

    // Offline (file://): relative links, each reaching its file.
    let offline = root.join("offline");
    build(root, &offline, &["--offline"]);
    let href = link_of(
        &offline.join(SPRING).join("index.html"),
        "附件1：2024年春耕生产补贴标准表",
    );
    assert_eq!(href, SPRING_DOCX);
    let checked = assert_links_reach_files(&offline, &["href"], |page, _, _, v| {
        let rel = v.split(['#', '?']).next().unwrap_or(v);
        (!rel.is_empty() && !v.contains("://") && !v.starts_with("mailto:")).then(|| {
            let from = offline.join(page);
            let decoded = percent_encoding::percent_decode_str(rel)
                .decode_utf8_lossy()
                .into_owned();
            from.parent().unwrap().join(decoded)
        })
    });
    assert!(checked > 50, "{checked}");
    assert!(
        offline
            .join("2024/qx0205-2024-00077/课后服务统计表.docx")
            .is_file()
    );
}

#[test]
fn check_archive_and_verify_know_the_attachments() {
    let dir = tempfile::tempdir().unwrap();
    import_mirror(dir.path());
    let root = dir.path();

    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        !out.contains("附件") && !out.contains("leads to nothing"),
        "{out}"
    );

    // The zip holds the attachments, and SHA256SUMS covers them.
    let zip = root.join("信息公开.zip");
    let o = gongkai(&[
        "archive",
        "--root",
        root.to_str().unwrap(),
        "--output",
        zip.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let unpacked = root.join("unpacked");
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    z.extract(&unpacked).unwrap();
    let sums = std::fs::read_to_string(unpacked.join("SHA256SUMS")).unwrap();
    let docx = format!("{SPRING}/{SPRING_DOCX}");
    assert!(sums.contains(&format!("  {docx}\n")), "{sums}");
    assert!(!sums.contains(".docx.txt"), "{sums}");
    let o = gongkai(&["verify", zip.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // An altered attachment is found.
    std::fs::write(unpacked.join(&docx), b"changed").unwrap();
    let o = gongkai(&["verify", unpacked.to_str().unwrap()]);
    let said = format!("{}{}", String::from_utf8_lossy(&o.stdout), stderr(&o));
    assert!(!o.status.success() && said.contains(&docx), "{said}");

    // An attachment taken out of its bundle is a finding of check.
    std::fs::remove_file(root.join("content").join(&docx)).unwrap();
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "附件 `附件1：2024年春耕生产补贴标准表` links to `{SPRING_DOCX}`"
        )),
        "{out}"
    );
}
