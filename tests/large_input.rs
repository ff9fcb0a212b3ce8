//! Large and odd input: each is handled (no crash, nothing lost) within a generous bound.
//! Speed itself is measured by bench/run; these bounds only catch a blow-up (quadratic
//! time, unbounded recursion).

mod common;

use std::time::{Duration, Instant};

use common::{archive, gongkai, stderr};

const BOUND: Duration = Duration::from_secs(120);

/// Imports `raw` into `out` within [`BOUND`]; returns the documents written, as text.
fn import_within_bound(raw: &std::path::Path, out: &std::path::Path) -> Vec<String> {
    let t = Instant::now();
    let o = gongkai(&[
        "import",
        raw.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(t.elapsed() < BOUND, "took {:?}", t.elapsed());
    common::tree(out)
        .into_values()
        .map(|bytes| String::from_utf8(bytes).unwrap())
        .collect()
}

#[test]
fn a_50_mb_raw_report_imports() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let para = "我局认真落实各项工作，取得了明显成效。".repeat(50);
    let mut text = String::from("测试县教育局2024年工作总结\n\n");
    let mut n = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "{}、第{n}项工作\n\n{para}\n\n",
            ["一", "二", "三"][n % 3]
        ));
        n += 1;
    }
    std::fs::write(raw.join("大 文件.txt"), &text).unwrap();
    let out = dir.path().join("content");
    let written = import_within_bound(&raw, &out);
    assert_eq!(written.len(), 1);
    let md = &written[0];
    // Every paragraph of the report is there.
    assert_eq!(md.matches("我局认真落实各项工作").count(), n * 50);
}

#[test]
fn deeply_nested_html_imports_in_linear_time_and_keeps_its_text() {
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    // Deep enough to overflow a recursive walk's stack, and to take minutes where the
    // tree builder's scope checks are quadratic in depth (40,000 levels took 3 s in a
    // release build before the depth cap); with the cap, well under a second.
    let depth = 200_000;
    let mut page = String::from(
        "<html><head><meta charset=\"utf-8\"><title>测试县教育局关于嵌套测试的通知</title></head><body>",
    );
    for level in 0..depth {
        page.push_str("<div>");
        if level % 10_000 == 0 {
            page.push_str(&format!("第{level}层。"));
        }
    }
    page.push_str("<p>各学校：深层正文。</p>");
    page.push_str(&"</div>".repeat(depth));
    page.push_str("<p>末段正文。</p></body></html>");
    std::fs::write(raw.join("deep.html"), page).unwrap();
    let out = dir.path().join("content");
    let md: String = import_within_bound(&raw, &out).concat();
    let mut at = 0;
    for level in (0..depth).step_by(10_000) {
        let marker = format!("第{level}层。");
        let found = md[at..].find(&marker);
        assert!(found.is_some(), "{marker} missing or out of order:\n{md}");
        at += found.unwrap_or(0);
    }
    assert!(md[at..].contains("各学校：深层正文。"), "{md}");
    assert!(md.contains("末段正文。"), "{md}");
}

#[test]
fn long_documents_wide_tables_and_deep_nesting_build() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lines: String = (0..100_000).map(|i| format!("第{i}行内容。\n\n")).collect();
    let header = format!(
        "| {} |\n|{}\n",
        (0..10)
            .map(|c| format!("列{c}"))
            .collect::<Vec<_>>()
            .join(" | "),
        "---|".repeat(10)
    );
    let rows: String = (0..1_000)
        .map(|r| {
            format!(
                "| {} |\n",
                (0..10)
                    .map(|c| format!("格{r}-{c}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            )
        })
        .collect();
    let nested = format!(
        "{} 深层引用\n\n{}列表\n",
        ">".repeat(50_000),
        "- ".repeat(20_000)
    );
    let doc = |title: &str, body: &str| format!("---\n标题: {title}\n机构: 测试局\n---\n\n{body}");
    archive(
        root,
        &[
            ("lines.md", &doc("十万行", &lines)),
            ("table.md", &doc("万格表格", &format!("{header}{rows}"))),
            ("nested.md", &doc("深层嵌套", &nested)),
        ],
    );
    let out = root.join("public");
    let t = Instant::now();
    common::build(root, &out, &[]);
    assert!(t.elapsed() < BOUND);
    let lines_page = std::fs::read_to_string(out.join("lines/index.html")).unwrap();
    assert!(lines_page.contains("第99999行内容。"));
    let table_page = std::fs::read_to_string(out.join("table/index.html")).unwrap();
    assert_eq!(table_page.matches("<td>格").count(), 10_000);
    let nested_page = std::fs::read_to_string(out.join("nested/index.html")).unwrap();
    assert!(nested_page.contains("深层引用"));
}
