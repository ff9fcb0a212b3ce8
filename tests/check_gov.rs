//! `gongkai check --gov`: the inspection indicators of government websites, each
//! finding `file:line` (or site.toml's line naming the column) with its indicator, as a
//! human list and as JSON, exit 1 on any error. Dates are judged with `--today`.

mod common;

use std::path::Path;

use common::{gongkai, repo};

fn check_gov(root: &Path, today: &str, json: bool) -> (Option<i32>, String) {
    let mut args = vec![
        "check",
        "--gov",
        "--root",
        root.to_str().unwrap(),
        "--today",
        today,
    ];
    if json {
        args.extend(["--format", "json"]);
    }
    let o = gongkai(&args);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
    )
}

#[test]
fn the_demo_passes_on_a_day_it_is_up_to_date() {
    let (code, out) = check_gov(&repo(), "2026-03-01", false);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(" 0 errors"), "{out}");
    // Ten months later its 政策文件 column is overdue, named by site.toml's line.
    let (code, out) = check_gov(&repo(), "2026-12-03", false);
    assert_eq!(code, Some(1), "{out}");
    let toml = std::fs::read_to_string(repo().join("site.toml")).unwrap();
    let line = toml
        .lines()
        .position(|l| l.contains("name = \"政策文件\""))
        .unwrap()
        + 1;
    assert!(
        out.contains(&format!(
            "site.toml:{line}: error: [更新不及时] 栏目「法定主动公开内容/政策文件」"
        )),
        "{out}"
    );
    assert!(out.contains(" 1 error"), "{out}");
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `gongkai init`'s archive with one of each problem: no ICP备案号 or 公网安备号 (init
/// leaves them commented out), blank columns, no 依申请公开 page, the office without
/// postcode, phone, hours or email, a 年报 missing for 2024, an old 指南, a body link to
/// `javascript:` and a template with a broken link. Returns site.toml's text.
fn flawed(root: &Path) -> String {
    let o = gongkai(&["init", root.to_str().unwrap()]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let toml: String = std::fs::read_to_string(root.join("site.toml"))
        .unwrap()
        .lines()
        .filter(|l| {
            !["postcode", "phone", "hours", "email"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    write(root, "site.toml", &toml);
    std::fs::remove_file(root.join("content/ysqgk.md")).unwrap();
    std::fs::remove_dir_all(root.join("content/2026")).unwrap();
    write(
        root,
        "content/zhinan.md",
        "---\n标题: 青禾县人民政府信息公开指南\n更新时间: 2024-05-01\n---\n\n指南正文。\n",
    );
    write(
        root,
        "content/fdzdgknr/zcwj/tz-1.md",
        "---\n标题: 青禾县人民政府办公室关于某事项的通知\n机构: 青禾县人民政府办公室\n\
         发布时间: 2023-04-01\n---\n\n正文。\n\n[点此](javascript:alert(1))\n",
    );
    write(
        root,
        "content/ndbg/nb-2023.md",
        "---\n标题: 青禾县人民政府2023年政府信息公开工作年度报告\n机构: 青禾县人民政府办公室\n\
         发布时间: 2024-01-20\n---\n\n报告正文。\n",
    );
    // A theme override whose footer links to a page that does not exist.
    let base = std::fs::read_to_string(repo().join("themes/default/templates/base.html"))
        .unwrap()
        .replace(
            "<p class=\"footer-small\">",
            "<p><a href=\"{{ url(path='lianxi/') }}\">联系我们</a></p><p class=\"footer-small\">",
        );
    write(root, "templates/base.html", &base);
    toml
}

#[test]
fn finds_each_indicator_with_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let site = flawed(root);
    let (code, out) = check_gov(root, "2025-06-01", false);
    assert_eq!(code, Some(1), "{out}");
    let toml = root.join("site.toml").display().to_string();
    let line_of = |needle: &str| site.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let doc = root
        .join("content/fdzdgknr/zcwj/tz-1.md")
        .display()
        .to_string();
    let guide = root.join("content/zhinan.md").display().to_string();
    let base = root.join("templates/base.html").display().to_string();
    for want in [
        format!("{toml}: error: [网站标识] ICP备案号 is not set"),
        format!("{toml}: error: [网站标识] 公网安备号 is not set"),
        format!(
            "{toml}:{}: error: [空白栏目] 栏目「政府信息公开制度」 lists no document",
            line_of("name = \"政府信息公开制度\"")
        ),
        format!(
            "{toml}:{}: error: [空白栏目] 栏目「依申请公开」 is a page and content/ysqgk.md does not exist",
            line_of("name = \"依申请公开\"")
        ),
        format!(
            "{toml}:{}: error: [更新不及时] 栏目「法定主动公开内容/政策文件」",
            line_of("name = \"政策文件\"")
        ),
        format!(
            "{toml}:{}: error: [年报] 栏目「政府信息公开年报」 has no 政府信息公开工作年度报告 for 2024 (due by 2025-01-31)",
            line_of("name = \"政府信息公开年报\"")
        ),
        format!("{guide}:3: error: [指南] the 政府信息公开指南 was last revised 396 days ago"),
        format!(
            "{toml}: error: [指南] the office taking applications lacks 邮编、电话、办公时间、电子邮箱"
        ),
        format!("{doc}:9: error: [错链] a `javascript:` link"),
        format!("{base}: error: [错链] `/lianxi/` leads to no file of the built site (on "),
    ] {
        assert!(out.contains(&want), "missing {want}\n{out}");
    }
    // The 2023 report is there; the years before the archive's first are not asked for.
    assert!(!out.contains("for 2023"), "{out}");
    assert!(!out.contains("for 2022"), "{out}");

    let (code, json) = check_gov(root, "2025-06-01", true);
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(messages.iter().any(|m| m.starts_with("[年报]")), "{json}");
    assert_eq!(
        report["errors"].as_u64().unwrap() as usize,
        out.matches(": error: ").count()
    );
}

#[test]
fn the_yearly_report_is_due_after_the_thirty_first_of_january() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    flawed(root);
    // The 2024 report may still come on 31 January 2025, not after it.
    let (_, on_the_day) = check_gov(root, "2025-01-31", false);
    assert!(!on_the_day.contains("for 2024"), "{on_the_day}");
    let (_, after) = check_gov(root, "2025-02-01", false);
    assert!(
        after.contains("no 政府信息公开工作年度报告 for 2024"),
        "{after}"
    );
    // Without --gov none of this is looked at.
    let o = gongkai(&["check", "--root", root.to_str().unwrap()]);
    let plain = String::from_utf8_lossy(&o.stdout);
    assert!(
        !plain.contains("[年报]") && !plain.contains("[空白栏目]"),
        "{plain}"
    );
}

#[test]
fn an_archive_without_columns_is_told_what_a_section_has() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    common::archive(
        root,
        &[(
            "2024/a.md",
            "---\n标题: 甲\n机构: 测试局\n发布时间: 2024-01-02\n---\n正文\n",
        )],
    );
    let (code, out) = check_gov(root, "2024-06-01", false);
    assert_eq!(code, Some(1));
    assert!(
        out.contains("error: [信息公开目录] site.toml has no column tree"),
        "{out}"
    );
}
