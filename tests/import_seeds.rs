//! Golden tests over the five real raw reports in ../shared/seeds (the table of
//! issue 3), and the "nothing lost" property on each.

mod common;
mod import_support;

use gongkai::document::{Completeness, Document};
use import_support::*;
use serde_json::Value;

struct Run {
    dir: tempfile::TempDir,
    report: Value,
}

/// The seeds imported into a fresh folder; `None` (the test is skipped) when
/// ../shared is not beside the repository.
fn run() -> Option<Run> {
    let seeds = shared_or_skip("seeds")?;
    let dir = temp();
    let (out, report) = import(&[&seeds], dir.path(), &[]);
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Run { dir, report })
}

fn seed(r: &Run, prefix: &str) -> (Value, Document) {
    let e = entry_prefix(&r.report, prefix);
    let d = document(r.dir.path(), &e);
    (e, d)
}

fn entry_prefix(report: &Value, prefix: &str) -> Value {
    report["files"]
        .as_array()
        .and_then(|f| {
            f.iter().find(|e| {
                e["input"]
                    .as_str()
                    .and_then(|i| i.rsplit('/').next())
                    .is_some_and(|n| n.starts_with(prefix))
            })
        })
        .cloned()
        .unwrap_or_else(|| panic!("no seed {prefix} in the report"))
}

/// The 完整性说明, "" when there is none.
fn note(d: &Document) -> &str {
    d.front.completeness_note.as_deref().unwrap_or("")
}

fn date(d: &Option<gongkai::document::DisclosureDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

#[test]
fn seed_000_paywalled_blog() {
    let Some(r) = run() else { return };
    let (e, d) = seed(&r, "000");
    assert!(
        d.front.title.ends_with("——区教体局2022年工作总结"),
        "{}",
        d.front.title
    );
    assert!(d.front.title.starts_with("扛旗争先"));
    assert_eq!(agency(&d), Some("区教体局"));
    assert_eq!(d.front.published, None);
    assert_eq!(d.front.index_no, None);
    assert_eq!(d.front.completeness, Completeness::Incomplete);
    assert!(note(&d).contains("付费"));
    assert_gone(
        &d.body,
        &["隐藏内容", "会员免费查看", "此处内容需要权限查看", "积分"],
        "seed 000",
    );
    // The marker sits where the paywall was: after the 存在问题 heading.
    let gap = d.body.find("〔此处原文不完整").expect("a gap marker");
    let heading = d.body.find("## 二、存在问题").expect("the heading");
    assert!(heading < gap);
    // Redaction marks are text, not emphasis.
    assert!(d.body.contains("\\*教育"));
    // Numbered headings glued to their first sentence come apart.
    let subheads: Vec<&str> = d.body.lines().filter(|l| l.starts_with("#### ")).collect();
    assert!(subheads.len() >= 6, "{subheads:?}");
    assert!(
        subheads
            .iter()
            .all(|h| !h.contains("一是") && h.chars().count() < 30)
    );
    assert_eq!(e["title_derived"], false);
}

#[test]
fn seed_001_sharing_page_merged_and_cut() {
    let Some(r) = run() else { return };
    let (e, d) = seed(&r, "001");
    assert!(
        d.front.title == "2023年县教育局重点工作总结"
            || d.front.title == "县教育体育局重点工作总结",
        "{}",
        d.front.title
    );
    assert_eq!(agency(&d), Some("县教育体育局"));
    assert!(matches!(
        date(&d.front.published).as_deref(),
        None | Some("2023-04-19")
    ));
    assert_eq!(d.front.completeness, Completeness::Incomplete);
    assert!(note(&d).contains("中断"));
    // Everything before the body title is gone; so is the chrome after the text.
    // The body starts with the report's opening paragraph (the title went into
    // the front matter), and every line above the title is listed as removed.
    let first = d.body.trim_start().lines().next().unwrap_or("");
    assert!(
        !first.starts_with('#') && first.chars().count() > 40 && first.ends_with('。'),
        "body starts with {first}"
    );
    let title_line = e["removed"]
        .as_array()
        .and_then(|r| {
            r.iter().find(|x| {
                x["reason"]
                    .as_str()
                    .is_some_and(|s| s.starts_with("the title"))
            })
        })
        .and_then(|x| x["line"].as_u64())
        .expect("the title line is reported");
    let removed_lines: Vec<u64> = e["removed"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["line"].as_u64()).collect())
        .unwrap_or_default();
    let raw = std::fs::read_to_string(e["input"].as_str().unwrap_or("")).expect("the seed");
    assert!(
        title_line > 10,
        "the title is below the sharing page's chrome"
    );
    for (n, l) in raw.lines().enumerate().take(title_line as usize - 1) {
        let n = n as u64 + 1;
        assert!(
            l.trim().is_empty() || removed_lines.contains(&n),
            "line {n} `{l}` above the title stayed"
        );
    }
    assert_gone(
        &d.body,
        &[
            "下载文档",
            "温馨提示",
            "网站客服",
            "ID:",
            "此文档下载收益",
            "你可能关注的文档",
        ],
        "seed 001",
    );
    // Split back into paragraphs, with outline headings.
    assert!(
        d.body.contains("\n## 一、围绕疫情防控抓统筹\n"),
        "{}",
        d.body
    );
    assert!(d.body.contains("\n## 九、"));
    assert!(d.body.lines().filter(|l| !l.is_empty()).count() > 40);
    assert!(!d.body.contains('〞') && !d.body.contains('〝'));
    // The same converter wrote 〔〕 for （）; only a year keeps them.
    for piece in without_markers(&d.body).split('〔').skip(1) {
        let inner = piece.split('〕').next().unwrap_or("");
        assert!(
            inner.len() == 4 && inner.bytes().all(|b| b.is_ascii_digit()),
            "〔{inner}〕"
        );
    }
    // The cut is marked at the end.
    assert!(d.body.trim_end().ends_with('〕'));
    let warnings = e["warnings"].to_string();
    assert!(warnings.contains("spinning"), "{warnings}");
}

#[test]
fn seed_002_compilation_preview() {
    let Some(r) = run() else { return };
    let (_, d) = seed(&r, "002");
    assert_eq!(d.front.title, "市教育系统工作会议上作交流发言汇编(4篇)");
    assert_eq!(d.front.agency, None);
    let dates = [date(&d.front.published), date(&d.front.written)];
    assert!(dates.contains(&Some("2024-01-11".into())), "{dates:?}");
    assert_eq!(d.front.completeness, Completeness::Incomplete);
    assert!(note(&d).contains("预览"));
    assert_gone(
        &d.body,
        &[
            "gongwenhui",
            "公文汇",
            "当前位置",
            "多个关键词搜索",
            "Copyright",
            "预览结束",
            "栏目",
        ],
        "seed 002",
    );
    // The two speeches present start with their own headings.
    assert!(
        d.body.trim_start().starts_with("## 以教育同质战略"),
        "{}",
        d.body
    );
    assert!(d.body.contains("\n## 做好学校心育工作"));
    assert!(
        !d.body.contains("汇编(4篇)"),
        "the title is not repeated in the body"
    );
}

#[test]
fn seed_003_county_disclosure_page() {
    let Some(r) = run() else { return };
    let (e, d) = seed(&r, "003");
    assert_eq!(
        d.front.title,
        "庆元县教育局关于印发2020年工作总结暨2021年工作思路的通知"
    );
    assert_eq!(agency(&d), Some("庆元县教育局"));
    assert_eq!(
        date(&d.front.published).as_deref(),
        Some("2021-01-12 16:15:50")
    );
    assert_eq!(date(&d.front.written).as_deref(), Some("2021-01-08"));
    assert_eq!(
        d.front.index_no.as_ref().map(|i| i.as_str()),
        Some("002658260/2021-17205")
    );
    assert_eq!(d.front.completeness, Completeness::Complete);
    assert_gone(
        &d.body,
        &[
            "法定主动公开内容",
            "点击数",
            "原文链接",
            "政策解读链接",
            "索引号",
        ],
        "seed 003",
    );
    assert!(
        !d.body.lines().any(|l| l.trim().starts_with("附件")),
        "empty 附件 lines remain"
    );
    // Path from the 索引号.
    assert_eq!(e["output"], "2021/002658260-2021-17205.md");
    assert_eq!(
        e["fields"]["机构"]["from"]
            .as_str()
            .map(|s| s.contains("full name")),
        Some(true)
    );
    assert_eq!(
        e["warnings"].as_array().map(Vec::len),
        Some(0),
        "no spinning warning on a clean copy"
    );
}

#[test]
fn seed_004_body_only() {
    let Some(r) = run() else { return };
    let (e, d) = seed(&r, "004");
    assert!(
        d.front
            .title
            .starts_with("区教委2022年上半年工作总结和下半年"),
        "{}",
        d.front.title
    );
    assert_eq!(e["title_derived"], true);
    assert_eq!(agency(&d), Some("区教委"));
    assert_eq!(d.front.published, None);
    assert_eq!(d.front.written, None);
    assert_eq!(d.front.completeness, Completeness::Complete);
    assert_gone(
        &d.body,
        &["如有侵权请联系删除", "本文由转载于互联网"],
        "seed 004",
    );
    assert!(d.body.lines().any(|l| l.starts_with("### (一)")));
    assert!(
        e["output"]
            .as_str()
            .is_some_and(|o| o.starts_with("undated/"))
    );
}

#[test]
fn nothing_lost_on_every_seed() {
    let Some(r) = run() else { return };
    for f in std::fs::read_dir(shared("seeds")).expect("seeds") {
        let path = f.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let raw = std::fs::read_to_string(&path).expect("utf-8 seed");
        let raw = raw
            .strip_prefix('\u{feff}')
            .unwrap_or(&raw)
            .replace("\r\n", "\n")
            .replace('\r', "\n");
        let e = entry(&r.report, &name);
        let d = document(r.dir.path(), e);
        assert_nothing_lost_exact(&raw, e, &d.body, &name);
        // And the body holds nothing the raw text does not.
        assert_subsequence(
            &cjk(&without_markers(&d.body)),
            &cjk(&raw),
            &format!("{name} (reverse)"),
        );
    }
}

#[test]
fn same_input_same_bytes_and_no_overwrite() {
    let Some(a) = run() else { return };
    // Another run, on one thread: the same report and documents whatever the
    // parallelism.
    let b = {
        let dir = temp();
        let (out, report) = import_threads(&[&shared("seeds")], dir.path(), &[], Some(1));
        assert!(out.status.success());
        Run { dir, report }
    };
    assert_eq!(a.report["files"], b.report["files"]);
    let files = |d: &std::path::Path| common::tree(&d.join("content"));
    let fa = files(a.dir.path());
    assert_eq!(fa.len(), 5);
    assert_eq!(fa, files(b.dir.path()));
    assert!(fa.iter().all(|(p, _)| p.is_ascii()));
    // Importing again into the same folder changes nothing and is not an error.
    let (out, report) = import(&[&shared("seeds")], a.dir.path(), &[]);
    assert!(out.status.success());
    assert!(
        report["files"]
            .as_array()
            .is_some_and(|f| f.iter().all(|e| e["status"] == "unchanged"))
    );
    assert_eq!(fa, files(a.dir.path()));
}

#[test]
fn cut_and_damaged_copies_never_crash() {
    // Every seed and real page cut at several byte offsets (often inside a
    // character), as a broken download would leave it.
    if shared_or_skip("seeds").is_none() || shared_or_skip("real-pages").is_none() {
        return;
    }
    let dir = temp();
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).expect("mkdir");
    let mut n = 0;
    for folder in ["seeds", "real-pages"] {
        for f in std::fs::read_dir(shared(folder)).expect("folder") {
            let path = f.expect("entry").path();
            let Some(ext) = path.extension().and_then(|e| e.to_str()).map(String::from) else {
                continue;
            };
            if ext == "tsv" {
                continue;
            }
            let bytes = std::fs::read(&path).expect("read");
            for (k, cut) in [7, 301, 1999, bytes.len() / 2, bytes.len() - 1]
                .into_iter()
                .enumerate()
            {
                let cut = cut.min(bytes.len());
                std::fs::write(raw.join(format!("{n:03}-{k}.{ext}")), &bytes[..cut])
                    .expect("write");
            }
            n += 1;
        }
    }
    let (out, report) = import(&[&raw], dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    let files = report["files"].as_array().expect("files");
    assert_eq!(files.len(), n * 5);
    // Every written document reads back, and holds only text of its original (no
    // mojibake from a wrong guess of the encoding); a failure says why.
    let originals: Vec<(String, Vec<char>)> = std::fs::read_dir(shared("seeds"))
        .expect("seeds")
        .map(|f| {
            let p = f.expect("entry").path();
            let text = std::fs::read_to_string(&p).expect("utf-8");
            (
                p.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("")
                    .to_string(),
                cjk(&text),
            )
        })
        .collect();
    let mut seeds = 0;
    for e in files {
        let input = e["input"].as_str().unwrap_or("");
        if e["status"] == "failed" {
            assert!(e["error"].as_str().is_some_and(|m| !m.is_empty()));
            // A copy cut at half its length or by one byte still has its text.
            assert!(
                !(input.ends_with("-3.txt") || input.ends_with("-4.txt")),
                "{input}: {}",
                e["error"]
            );
            continue;
        }
        let d = document(dir.path(), e);
        if e["input"].as_str().is_some_and(|i| i.ends_with(".txt")) {
            let body = cjk(&without_markers(&d.body));
            let from_one = originals.iter().any(|(_, o)| {
                let mut it = o.iter();
                body.iter().all(|c| it.any(|x| x == c))
            });
            assert!(from_one, "{}: the body is not text of a seed", e["input"]);
            seeds += 1;
        }
    }
    assert!(seeds >= 10, "cut seeds import ({seeds})");
}
