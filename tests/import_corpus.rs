//! The import corpus: every raw input under tests/fixtures/import/corpus with an
//! expectation file beside it (`<stem>.expect.toml`), and the seeds of ../shared with
//! tests/fixtures/import/seeds.expect.toml, run through the real binary and judged
//! check by check: the front-matter fields an archivist would write, phrases the body
//! must hold, chrome it must not, and that no content line of the source was removed.
//! bench/import_accuracy reads the same files and prints the same checks as accuracy
//! per field and per source kind; the format is described in
//! tests/fixtures/import/corpus/README.md.
//! Every check must pass.

mod import_support;

use std::path::{Path, PathBuf};

use gongkai::document::{DisclosureDate, Document};
use import_support::*;
use serde_json::Value;

/// The front-matter fields every expectation states, in report order.
const FIELDS: [&str; 7] = [
    "标题",
    "机构",
    "发布时间",
    "成文日期",
    "索引号",
    "文号",
    "完整性",
];

/// The source kinds an expectation may name (issue 12: detect the kind first), and
/// what the import report calls each (`source_kind`).
const KINDS: [&str; 6] = [
    "portal-page",
    "sharing-copy",
    "paywalled-blog",
    "wechat-article",
    "office-document",
    "plain-notice",
];
const REPORT_KINDS: [&str; 6] = ["portal", "sharing", "blog", "wechat", "office", "notice"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import/corpus")
}

/// What an archivist expects of one raw input.
#[derive(Debug)]
struct Expectation {
    kind: String,
    fields: toml::Table,
    has: Vec<String>,
    lacks: Vec<String>,
    /// Attachments the document keeps: named in its front matter (附件) or its body.
    attachments: Vec<String>,
    chrome: Vec<String>,
    chrome_lines: Vec<(usize, usize)>,
    front: Vec<String>,
    cut: Vec<String>,
    region: Option<String>,
}

fn strings(t: &toml::Table, key: &str, what: &str) -> Vec<String> {
    match t.get(key) {
        None => Vec::new(),
        Some(toml::Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .unwrap_or_else(|| panic!("{what}: `{key}` holds a non-string {v}"))
                    .to_string()
            })
            .collect(),
        Some(v) => panic!("{what}: `{key}` must be a list of strings, not {v}"),
    }
}

fn table<'a>(t: &'a toml::Table, key: &str, what: &str) -> Option<&'a toml::Table> {
    t.get(key).map(|v| {
        v.as_table()
            .unwrap_or_else(|| panic!("{what}: `{key}` must be a table"))
    })
}

/// `"3-7"` or `"12"`: an inclusive range of line numbers.
fn line_range(s: &str, what: &str) -> (usize, usize) {
    let num = |x: &str| {
        x.trim()
            .parse::<usize>()
            .unwrap_or_else(|_| panic!("{what}: `{s}` is not a line number or range"))
    };
    match s.split_once('-') {
        Some((a, b)) => (num(a), num(b)),
        None => (num(s), num(s)),
    }
}

impl Expectation {
    fn from_table(t: &toml::Table, what: &str) -> Expectation {
        for key in t.keys() {
            assert!(
                ["kind", "fields", "body", "lines"].contains(&key.as_str()),
                "{what}: unknown key `{key}`"
            );
        }
        let kind = t
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("{what}: no `kind`"))
            .to_string();
        assert!(
            KINDS.contains(&kind.as_str()),
            "{what}: kind `{kind}` is not one of {KINDS:?}"
        );
        let fields = table(t, "fields", what)
            .cloned()
            .unwrap_or_else(|| panic!("{what}: no [fields]"));
        for f in FIELDS {
            assert!(
                fields.contains_key(f),
                "{what}: [fields] must state {f} (false when the source does not give it)"
            );
        }
        for k in fields.keys() {
            assert!(FIELDS.contains(&k.as_str()), "{what}: unknown field `{k}`");
        }
        let empty = toml::Table::new();
        let body = table(t, "body", what).unwrap_or(&empty);
        let lines = table(t, "lines", what).unwrap_or(&empty);
        for key in body.keys() {
            assert!(
                ["has", "lacks", "attachments"].contains(&key.as_str()),
                "{what}: unknown key `body.{key}`"
            );
        }
        for key in lines.keys() {
            assert!(
                ["chrome", "chrome_lines", "front", "cut", "region"].contains(&key.as_str()),
                "{what}: unknown key `lines.{key}`"
            );
        }
        Expectation {
            kind,
            fields,
            has: strings(body, "has", what),
            lacks: strings(body, "lacks", what),
            attachments: strings(body, "attachments", what),
            chrome: strings(lines, "chrome", what),
            chrome_lines: strings(lines, "chrome_lines", what)
                .iter()
                .map(|s| line_range(s, what))
                .collect(),
            front: strings(lines, "front", what),
            cut: strings(lines, "cut", what),
            region: lines
                .get("region")
                .and_then(|v| v.as_str())
                .map(String::from),
        }
    }
}

/// The document's value of a field as the archive shows it; `None` when absent.
fn field_value(d: &Document, field: &str) -> Option<String> {
    match field {
        "标题" => Some(d.front.title.clone()).filter(|t| !t.is_empty()),
        "机构" => agency(d).map(String::from),
        "发布时间" => d.front.published.map(|x| x.to_string()),
        "成文日期" => d.front.written.map(|x| x.to_string()),
        "索引号" => d.front.index_no.as_ref().map(|x| x.as_str().to_string()),
        "文号" => d.front.doc_no.as_ref().map(|x| x.as_str().to_string()),
        "完整性" => Some(d.front.completeness.label().to_string()),
        _ => None,
    }
}

/// One accepted value: a string (dates compare as dates), or `false` for absent.
fn accepts(field: &str, want: &toml::Value, got: Option<&str>, what: &str) -> bool {
    match want {
        toml::Value::Boolean(false) => got.is_none(),
        toml::Value::String(s) if field == "发布时间" || field == "成文日期" => {
            let w: DisclosureDate = s
                .parse()
                .unwrap_or_else(|e| panic!("{what}: {field} `{s}` is not a date: {e:?}"));
            got.and_then(|g| g.parse::<DisclosureDate>().ok()) == Some(w)
        }
        toml::Value::String(s) => got == Some(s.as_str()),
        other => panic!("{what}: {field} = {other} (a string, false, a list of them, or a table)"),
    }
}

/// Whether the document's field matches the expectation: a value, a list of accepted
/// values, or (for a title the source does not give) `{ contains = […], derived = true }`.
fn field_ok(
    field: &str,
    want: &toml::Value,
    d: &Document,
    entry: &Value,
    what: &str,
) -> Result<(), String> {
    let got = field_value(d, field);
    let ok = match want {
        toml::Value::Array(a) => a.iter().any(|w| accepts(field, w, got.as_deref(), what)),
        toml::Value::Table(t) => {
            let parts = strings(t, "contains", what);
            let derived = t.get("derived").and_then(|v| v.as_bool());
            got.as_deref()
                .is_some_and(|g| parts.iter().all(|p| g.contains(p.as_str())))
                && derived.is_none_or(|x| entry["title_derived"].as_bool() == Some(x))
        }
        w => accepts(field, w, got.as_deref(), what),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected {want}, got {}",
            got.map_or("nothing".into(), |g| format!("`{g}`"))
        ))
    }
}

/// The characters a check compares: Han characters and digits, full-width digits as
/// ASCII. Punctuation, spaces, Latin letters, 〇 and Markdown are left out, so repaired
/// artifacts (〝〞, 〔〕, the letter O made 〇) and escapes do not count as changes.
fn significant(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            '〇' => None,
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '0'..='9' => Some(c),
            c if is_cjk(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// The text of a raw file: UTF-8 (BOM stripped), UTF-16 with a BOM, else GB18030;
/// line ends as LF.
fn decode(bytes: &[u8]) -> String {
    let text = if let Some((enc, skip)) = encoding_rs::Encoding::for_bom(bytes) {
        enc.decode_without_bom_handling(&bytes[skip..])
            .0
            .into_owned()
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        s.to_string()
    } else {
        encoding_rs::GB18030.decode(bytes).0.into_owned()
    };
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Elements that start a new line of text (a table row is one line, its cells
/// side by side).
const BLOCKS: [&str; 25] = [
    "p",
    "div",
    "br",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "tbody",
    "thead",
    "section",
    "article",
    "blockquote",
    "pre",
    "center",
    "dd",
    "dt",
    "dl",
    "hr",
];

/// The lines of an HTML page's content region (`region`, else `<body>`): its text
/// broken at block elements, scripts and styles left out.
fn html_lines(html: &str, region: Option<&str>) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(region.unwrap_or("body")).expect("a CSS selector");
    let Some(root) = doc.select(&sel).next() else {
        return Vec::new();
    };
    let mut lines = vec![String::new()];
    walk_blocks(root, &mut lines);
    lines
        .into_iter()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn walk_blocks(element: scraper::ElementRef<'_>, lines: &mut Vec<String>) {
    for child in element.children() {
        if let Some(t) = child.value().as_text() {
            if let Some(l) = lines.last_mut() {
                l.push_str(t);
            }
        } else if let Some(e) = scraper::ElementRef::wrap(child) {
            let name = e.value().name();
            if matches!(name, "script" | "style" | "noscript" | "template") {
                continue;
            }
            let block = BLOCKS.contains(&name);
            if block {
                lines.push(String::new());
            }
            walk_blocks(e, lines);
            if block {
                lines.push(String::new());
            }
        }
    }
}

/// The paragraphs of a .docx in document order; a table row is one line, its
/// cells' paragraphs joined by tabs.
fn docx_lines(bytes: &[u8]) -> Vec<String> {
    use quick_xml::events::Event;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a .docx");
    let mut xml = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("word/document.xml").expect("document.xml"),
        &mut xml,
    )
    .expect("UTF-8 XML");
    let mut reader = quick_xml::Reader::from_str(&xml);
    let mut lines = Vec::new();
    let (mut line, mut row) = (String::new(), String::new());
    let mut in_text = false;
    let mut tables = 0usize;
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => match e.local_name().as_ref() {
                "t" => in_text = true,
                "tbl" => tables += 1,
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "tbl" => tables = tables.saturating_sub(1),
                "p" if tables > 0 => {
                    if !row.is_empty() {
                        row.push('\t');
                    }
                    row.push_str(&std::mem::take(&mut line));
                }
                "p" => lines.push(std::mem::take(&mut line)),
                "tr" => lines.push(std::mem::take(&mut row)),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "tab" => line.push(' '),
            Event::Text(t) if in_text => line.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_text => {
                let name: String = (*r).to_string();
                line.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    lines.into_iter().filter(|l| !l.trim().is_empty()).collect()
}

/// The source's lines (numbered from 1) and the CJK text the nothing-lost property
/// compares with the report.
struct Source {
    lines: Vec<(usize, String)>,
    /// For .txt: the decoded text the report's spans index.
    text: Option<String>,
    /// For HTML and .docx: the CJK characters of the whole page or document.
    raw_cjk: Vec<char>,
}

fn source(path: &Path, exp: &Expectation) -> Source {
    let bytes = std::fs::read(path).expect("the raw input");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    let numbered = |v: Vec<String>| -> Vec<(usize, String)> {
        v.into_iter().enumerate().map(|(i, l)| (i + 1, l)).collect()
    };
    match ext {
        "html" | "htm" => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_lowercase();
            let text = if head.contains("charset=gb") || head.contains("charset=\"gb") {
                encoding_rs::GB18030.decode(&bytes).0.into_owned()
            } else {
                decode(&bytes)
            };
            Source {
                lines: numbered(html_lines(&text, exp.region.as_deref())),
                text: None,
                raw_cjk: html_cjk(&text, None),
            }
        }
        "docx" => {
            let lines = docx_lines(&bytes);
            Source {
                raw_cjk: cjk(&lines.concat()),
                lines: numbered(lines),
                text: None,
            }
        }
        _ => {
            let text = decode(&bytes);
            Source {
                lines: numbered(text.lines().map(String::from).collect()),
                text: Some(text),
                raw_cjk: Vec::new(),
            }
        }
    }
}

/// Every check on one input: (check, why it failed) for each failure, and the number
/// of checks run. An input that was not imported fails every check, so the pending
/// list names each one and shrinks check by check as the engine improves.
fn judge(
    name: &str,
    path: &Path,
    exp: &Expectation,
    dir: &Path,
    e: &Value,
) -> (Vec<(String, String)>, usize) {
    let mut failed = Vec::new();
    let mut run = 0;
    let d = (e["status"] == "imported").then(|| document(dir, e));
    let not_imported = format!("not imported: {} {}", e["status"], e["error"]);
    let mut check = |id: String, result: Result<(), String>| {
        run += 1;
        match (&d, result) {
            (None, _) => failed.push((id, not_imported.clone())),
            (Some(_), Err(why)) => failed.push((id, why)),
            (Some(_), Ok(())) => {}
        }
    };
    let body = d.as_ref().map_or("", |d| d.body.as_str());
    let want = KINDS
        .iter()
        .position(|k| *k == exp.kind)
        .map_or("", |i| REPORT_KINDS[i]);
    check(
        "kind".into(),
        if e["source_kind"] == want {
            Ok(())
        } else {
            Err(format!(
                "expected {want}, the report says {}",
                e["source_kind"]
            ))
        },
    );
    for f in FIELDS {
        let r = d
            .as_ref()
            .map_or(Ok(()), |d| field_ok(f, &exp.fields[f], d, e, name));
        check(f.to_string(), r);
    }
    for p in &exp.has {
        let r = if body.contains(p.as_str()) {
            Ok(())
        } else {
            Err("not in the body".into())
        };
        check(format!("has: {p}"), r);
    }
    for p in &exp.lacks {
        let r = if body.contains(p.as_str()) {
            Err("still in the body".into())
        } else {
            Ok(())
        };
        check(format!("lacks: {p}"), r);
    }
    // A page may list its attachments outside the text (北京's 相关附件): they travel
    // with the document in its front matter, or stay as links in its body.
    for name in &exp.attachments {
        let listed = d
            .as_ref()
            .is_some_and(|d| d.front.attachments.iter().any(|a| a.name == *name));
        let r = if listed || body.contains(name.as_str()) {
            Ok(())
        } else {
            Err("neither in 附件 nor in the body".into())
        };
        check(format!("attachment: {name}"), r);
    }
    // No content line removed: each line that is not chrome or front matter (once
    // spliced spam is cut out of it) is in the body. Lines of the title
    // are matched against the true title, whatever the import made of it.
    let src = source(path, exp);
    let body_sig = significant(&without_markers(body));
    let title = match &exp.fields["标题"] {
        toml::Value::String(t) => significant(t),
        _ => significant(d.as_ref().map_or("", |d| d.front.title.as_str())),
    };
    for (n, line) in &src.lines {
        let t = line.trim();
        let chrome = exp.chrome.iter().any(|c| t.starts_with(c.as_str()))
            || exp.chrome_lines.iter().any(|(a, b)| (a..=b).contains(&n));
        if t.is_empty() || chrome || exp.front.iter().any(|f| t.starts_with(f.as_str())) {
            continue;
        }
        let mut kept = t.to_string();
        for c in &exp.cut {
            kept = kept.replace(c.as_str(), "");
        }
        let mut s = significant(&kept);
        // A title merged with the text after it (a sharing copy's one long line)
        // went into the front matter; the rest of the line is body.
        if !title.is_empty() && s.starts_with(&title) && s.len() > title.len() {
            s.replace_range(..title.len(), "");
        }
        if s.is_empty() || title.contains(&s) {
            continue;
        }
        // Anywhere in the body: an order check would turn one missing line into a
        // cascade of false misses when its text also occurs further on.
        let r = if body_sig.contains(&s) {
            Ok(())
        } else {
            let short: String = t.chars().take(24).collect();
            Err(format!("`{short}…` is not in the body"))
        };
        check(format!("line {n}"), r);
    }
    let lost = d.as_ref().map_or(Ok(()), |d| match &src.text {
        Some(text) => nothing_lost_exact(text, e, &d.body, name),
        None => nothing_lost_cjk(&src.raw_cjk, e, &d.body, name),
    });
    check("nothing lost".into(), lost);
    (failed, run)
}

/// Judges every input against its expectation; every failed check is listed.
fn judge_all(inputs: &[(String, PathBuf, Expectation)]) {
    let dir = temp();
    let paths: Vec<&Path> = inputs.iter().map(|(_, p, _)| p.as_path()).collect();
    let (out, report) = import(&paths, dir.path(), &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let mut failures = Vec::new();
    let mut checks = 0;
    for (name, path, exp) in inputs {
        let e = entry(&report, &format!("/{name}"));
        let (failed, run) = judge(name, path, exp, dir.path(), e);
        checks += run;
        for (check, why) in failed {
            failures.push(format!(
                "{name} [{}]: {}: {why}",
                exp.kind,
                check.escape_debug()
            ));
        }
    }
    eprintln!("{} inputs, {checks} checks", inputs.len());
    assert!(
        failures.is_empty(),
        "failed checks ({}):\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).expect("an expectation file");
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every fixture of the corpus with its expectation.
fn fixtures() -> Vec<(String, PathBuf, Expectation)> {
    let dir = corpus();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for exp_path in files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".expect.toml"))
    {
        let file = exp_path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let stem = file.trim_end_matches(".expect.toml");
        let raws: Vec<&PathBuf> = files
            .iter()
            .filter(|p| {
                p.file_stem().and_then(|s| s.to_str()) == Some(stem)
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| ["txt", "html", "htm", "docx"].contains(&e))
            })
            .collect();
        assert_eq!(raws.len(), 1, "{file}: one raw input named {stem}.*");
        let name = raws[0]
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let exp = Expectation::from_table(&read_toml(exp_path), file);
        out.push((name, raws[0].clone(), exp));
    }
    out
}

#[test]
fn every_fixture_meets_its_expectation() {
    let inputs = fixtures();
    assert!(
        inputs.len() >= 8,
        "{} fixtures with expectations",
        inputs.len()
    );
    // Every raw input of the corpus has its expectation.
    for f in std::fs::read_dir(corpus()).expect("corpus") {
        let p = f.expect("entry").path();
        let is_raw = p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| ["txt", "html", "htm", "docx"].contains(&e));
        if is_raw {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                inputs.iter().any(|(n, _, _)| n == name),
                "{name} has no expectation file"
            );
        }
    }
    judge_all(&inputs);
}

#[test]
fn every_seed_meets_its_expectation() {
    let Some(seeds) = shared_or_skip("seeds") else {
        return;
    };
    let all = read_toml(&corpus().join("../seeds.expect.toml"));
    let mut inputs = Vec::new();
    for (name, t) in &all {
        let t = t
            .as_table()
            .unwrap_or_else(|| panic!("seeds.expect.toml: [\"{name}\"] is not a table"));
        inputs.push((
            name.clone(),
            seeds.join(name),
            Expectation::from_table(t, &format!("seeds.expect.toml [\"{name}\"]")),
        ));
    }
    assert_eq!(inputs.len(), 5, "an expectation for each seed");
    judge_all(&inputs);
}

#[test]
fn a_content_line_removed_by_a_rule_is_caught_even_when_reported() {
    // A site rule that deletes a content line: the report lists it (so the
    // report-based nothing-lost property holds), but the line check must not pass.
    let inputs: Vec<_> = fixtures()
        .into_iter()
        .filter(|(n, _, _)| n == "paywalled_blog.txt")
        .collect();
    let (name, path, exp) = &inputs[0];
    let dir = temp();
    std::fs::write(
        dir.path().join("site.toml"),
        "title = \"t\"\norganizer = \"o\"\n[import]\n[[import.noise]]\n\
         pattern = '^2\\.强基层'\nreason = \"a rule that is wrong\"\n",
    )
    .expect("site.toml");
    let (out, report) = import(&[path], dir.path(), &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let e = entry(&report, name);
    assert!(e["removed"].to_string().contains("a rule that is wrong"));
    let (failed, _) = judge(name, path, exp, dir.path(), e);
    let checks: Vec<&str> = failed.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(checks, ["line 23"], "{failed:?}");
}
