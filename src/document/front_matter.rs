//! The YAML front matter of a document: reading with line numbers, validating, and
//! writing it back in canonical form.

use std::fmt::Write as _;

use saphyr::{AnnotatedMappingOwned, MarkedYamlOwned, YamlDataOwned};
use saphyr_parser::Parser;
use serde::{Deserialize, Serialize};

use super::date::DisclosureDate;
use super::keys::{ATTACHMENT_KEYS, Key, SOURCE_KEYS};
use super::numbers::{DocNumber, IndexNumber};

/// The issuing organ (机构), its full official name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Agency(pub String);

impl Agency {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether the copy holds the whole document (完整性).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Completeness {
    #[default]
    Complete,
    Incomplete,
}

impl Completeness {
    pub fn label(self) -> &'static str {
        match self {
            Completeness::Complete => "完整",
            Completeness::Incomplete => "不完整",
        }
    }
}

/// Where the document came from (来源).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Source {
    /// The raw file it was imported from (文件).
    pub file: Option<String>,
    pub sha256: Option<String>,
    /// The original page (原文链接).
    pub url: Option<String>,
    /// The site it was found on (站点).
    pub site: Option<String>,
    /// Which pages the text was recognised from images by OCR (文字识别); it may hold
    /// recognition errors. Absent when the text came from the file's own text.
    pub ocr: Option<String>,
}

impl Source {
    fn is_empty(&self) -> bool {
        self.file.is_none()
            && self.sha256.is_none()
            && self.url.is_none()
            && self.site.is_none()
            && self.ocr.is_none()
    }
}

/// An attachment (附件): a name, and a link when one is known.
///
/// An attachment copied into the document's bundle (`content/2024/slug/index.md` and its
/// files) links to its copy (`链接: a.docx`, relative to the document's folder), keeps
/// the link the page had as `原文链接`, and names the plain text read from it as `文本`
/// (`a.docx.txt`, written by `import`): the build indexes that text for search without
/// reading PDFs or Word files itself.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub url: Option<String>,
    /// The link as the original page had it, when `url` points at a copy.
    pub source_url: Option<String>,
    /// The file holding the attachment's text, relative to the document's folder.
    pub text: Option<String>,
}

/// The metadata of a disclosure item.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FrontMatter {
    /// 标题
    pub title: String,
    /// 机构; required to build, but the importer may leave it out when the raw
    /// report does not say (a human fills it in).
    pub agency: Option<Agency>,
    /// 发布时间
    pub published: Option<DisclosureDate>,
    /// 成文日期
    pub written: Option<DisclosureDate>,
    /// 索引号
    pub index_no: Option<IndexNumber>,
    /// 文号
    pub doc_no: Option<DocNumber>,
    /// 主题分类, possibly two levels written `卫生、体育\医药管理`.
    pub topic: Option<String>,
    /// 体裁分类
    pub genre: Option<String>,
    /// 主题词
    pub keywords: Vec<String>,
    /// 有效性: 有效/失效/废止/已修订
    pub validity: Option<String>,
    /// 公开方式: 主动公开/依申请公开
    pub disclosure: Option<String>,
    /// 完整性
    pub completeness: Completeness,
    /// 完整性说明: where and why a copy is incomplete.
    pub completeness_note: Option<String>,
    /// 来源
    pub source: Source,
    /// 附件
    pub attachments: Vec<Attachment>,
    /// 栏目: the column (by name, or `父栏目/子栏目`) the document is listed in, besides
    /// the columns whose rules in site.toml take it.
    pub column: Option<String>,
    /// 更新时间: when a page that is not a disclosure document (指南, 依申请公开) was
    /// last revised; such pages carry it instead of 索引号 and 发布时间.
    pub updated: Option<DisclosureDate>,
}

/// The line of each key given in a front matter (within the YAML text); eight bytes a
/// key, as a site keeps them for every document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyLines(pub Vec<(Key, u32)>);

impl KeyLines {
    pub fn get(&self, key: Key) -> Option<usize> {
        self.0
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, l)| *l as usize)
    }
}

/// A problem in the front matter, at a line counted from the start of the YAML text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub line: usize,
    pub message: String,
}

/// The accepted values of 有效性.
pub const VALIDITY_VALUES: [&str; 4] = ["有效", "失效", "废止", "已修订"];

impl FrontMatter {
    /// Reads front matter from YAML text. Every problem found is returned, each with
    /// its line (1-based, within `yaml`).
    pub fn from_yaml(yaml: &str) -> Result<FrontMatter, Vec<FieldError>> {
        FrontMatter::from_yaml_with_lines(yaml).map(|(fm, _)| fm)
    }

    /// Like [`FrontMatter::from_yaml`], also returning the line of each key given, for
    /// messages about a value (a duplicated 索引号, dates out of order).
    pub fn from_yaml_with_lines(yaml: &str) -> Result<(FrontMatter, KeyLines), Vec<FieldError>> {
        let (fm, lines, errors) = FrontMatter::from_yaml_partial(yaml);
        if errors.is_empty() {
            Ok((fm, lines))
        } else {
            Err(errors)
        }
    }

    /// Reads what can be read: the fields that are valid, their lines, and every
    /// problem found. `check` uses it to report a file's other findings (a duplicate
    /// 索引号) next to a bad date, instead of only the first kind.
    pub fn from_yaml_partial(yaml: &str) -> (FrontMatter, KeyLines, Vec<FieldError>) {
        let mut fm = FrontMatter::default();
        let mut seen = KeyLines::default();
        let root = match load_yaml(yaml) {
            Ok(root) => root,
            Err(errors) => return (fm, seen, errors),
        };
        let mut errors = Vec::new();
        let mut title_seen = false;
        let map = match &root.data {
            YamlDataOwned::Mapping(m) => m,
            // An empty front matter block is an empty mapping.
            YamlDataOwned::Value(saphyr::ScalarOwned::Null) => {
                return (fm, seen, vec![missing_title(1)]);
            }
            YamlDataOwned::Representation(s, ..) if s.trim().is_empty() || s == "~" => {
                return (fm, seen, vec![missing_title(1)]);
            }
            _ => {
                let e = FieldError {
                    line: line(&root),
                    message: "front matter must be `key: value` lines".into(),
                };
                return (fm, seen, vec![e]);
            }
        };
        for (k, v) in map.iter() {
            let Some(name) = scalar(k) else {
                errors.push(FieldError {
                    line: line(k),
                    message: "a front-matter key must be a plain name".into(),
                });
                continue;
            };
            let Some(key) = Key::from_name(name.trim()) else {
                let hint = match Key::suggest(name.trim()) {
                    Some(s) => format!("; did you mean `{}`?", s.canonical()),
                    None => format!(
                        "; known keys are {}",
                        Key::ALL.map(|k| k.canonical()).join(", ")
                    ),
                };
                errors.push(FieldError {
                    line: line(k),
                    message: format!("unknown front-matter key `{name}`{hint}"),
                });
                continue;
            };
            if seen.get(key).is_some() {
                errors.push(FieldError {
                    line: line(k),
                    message: format!(
                        "`{name}` is given twice (`{}` and its aliases name one field)",
                        key.canonical()
                    ),
                });
                continue;
            }
            seen.0
                .push((key, u32::try_from(line(k)).unwrap_or(u32::MAX)));
            if let Err(e) = fm.set(key, v) {
                errors.push(e);
            }
            if key == Key::Title {
                title_seen = true;
            }
        }
        if (!title_seen || fm.title.is_empty())
            && !errors.iter().any(|e| e.message.contains("标题"))
        {
            errors.push(missing_title(line(&root)));
        }
        errors.sort_by_key(|e| e.line);
        (fm, seen, errors)
    }

    fn set(&mut self, key: Key, v: &MarkedYamlOwned) -> Result<(), FieldError> {
        let at = line(v);
        let err = |message: String| FieldError { line: at, message };
        let text = || -> Result<Option<String>, FieldError> {
            match &v.data {
                YamlDataOwned::Sequence(_) | YamlDataOwned::Mapping(_) => Err(err(format!(
                    "`{}` takes a single value, not a list or map",
                    key.canonical()
                ))),
                _ => Ok(scalar(v)
                    .map(str::trim)
                    .filter(|s| !s.is_empty() && *s != "~")
                    .map(String::from)),
            }
        };
        match key {
            Key::Title => match text()? {
                Some(t) => self.title = t,
                None => return Err(err("`标题` is empty; every document needs a title".into())),
            },
            Key::Agency => self.agency = text()?.map(Agency),
            Key::Published | Key::Written | Key::Updated => {
                let date = match text()? {
                    Some(s) => Some(
                        s.parse::<DisclosureDate>()
                            .map_err(|e| err(format!("`{}`: {e}", key.canonical())))?,
                    ),
                    None => None,
                };
                match key {
                    Key::Published => self.published = date,
                    Key::Written => self.written = date,
                    _ => self.updated = date,
                }
            }
            Key::IndexNo => self.index_no = text()?.and_then(|s| IndexNumber::new(&s)),
            Key::DocNo => self.doc_no = text()?.and_then(|s| DocNumber::new(&s)),
            Key::Topic => self.topic = text()?,
            Key::Column => self.column = text()?,
            Key::Genre => self.genre = text()?,
            Key::Validity => self.validity = text()?,
            Key::Disclosure => self.disclosure = text()?,
            Key::CompletenessNote => self.completeness_note = text()?,
            Key::Completeness => {
                self.completeness = match text()?.as_deref() {
                    None | Some("完整") => Completeness::Complete,
                    Some("不完整") => Completeness::Incomplete,
                    Some(other) => {
                        return Err(err(format!("`完整性` is `{other}`; write 完整 or 不完整")));
                    }
                }
            }
            Key::Keywords => {
                self.keywords = match &v.data {
                    YamlDataOwned::Sequence(items) => items
                        .iter()
                        .map(|i| {
                            scalar(i)
                                .map(|s| s.trim().to_string())
                                .ok_or_else(|| FieldError {
                                    line: line(i),
                                    message: "`主题词` entries must be words".into(),
                                })
                        })
                        .filter(|r| r.as_ref().map_or(true, |s| !s.is_empty()))
                        .collect::<Result<_, _>>()?,
                    // `主题词: 教育 总结` is how portals print them: split on any
                    // white space (tabs too: a list item is trimmed the same way).
                    _ => text()?
                        .map(|s| {
                            s.split(|c: char| {
                                c.is_whitespace() || matches!(c, '，' | ',' | '、' | ';' | '；')
                            })
                            .filter(|w| !w.is_empty())
                            .map(String::from)
                            .collect()
                        })
                        .unwrap_or_default(),
                }
            }
            Key::Source => {
                let m = mapping(v).ok_or_else(|| {
                    err("`来源` is a map: 文件, sha256, 原文链接, 站点, 文字识别".into())
                })?;
                let fields = sub_fields(m, &SOURCE_KEYS, "来源")?;
                self.source = Source {
                    file: fields[0].clone(),
                    sha256: fields[1].clone(),
                    url: fields[2].clone(),
                    site: fields[3].clone(),
                    ocr: fields[4].clone(),
                };
            }
            Key::Attachments => {
                let YamlDataOwned::Sequence(items) = &v.data else {
                    if text()?.is_none() {
                        return Ok(());
                    }
                    return Err(err(
                        "`附件` is a list: `- 名称` or `- {名称: …, 链接: …, 原文链接: …, 文本: …}`".into()
                    ));
                };
                for item in items {
                    if let Some(m) = mapping(item) {
                        let f = sub_fields(m, &ATTACHMENT_KEYS, "附件")?;
                        let Some(name) = f[0].clone() else {
                            return Err(FieldError {
                                line: line(item),
                                message: "an `附件` entry needs a `名称`".into(),
                            });
                        };
                        self.attachments.push(Attachment {
                            name,
                            url: f[1].clone(),
                            source_url: f[2].clone(),
                            text: f[3].clone(),
                        });
                    } else if let Some(name) = scalar(item).map(str::trim).filter(|s| !s.is_empty())
                    {
                        self.attachments.push(Attachment {
                            name: name.to_string(),
                            ..Attachment::default()
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The front matter as YAML, keys in canonical order, empty fields left out.
    /// Reading the result back with [`FrontMatter::from_yaml`] gives `self` again.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        let mut line = |k: &str, v: &str| {
            let _ = writeln!(out, "{k}: {}", yaml_scalar(v));
        };
        line(Key::Title.canonical(), &self.title);
        if let Some(a) = &self.agency {
            line(Key::Agency.canonical(), a.as_str());
        }
        if let Some(d) = &self.published {
            line(Key::Published.canonical(), &d.to_string());
        }
        if let Some(d) = &self.written {
            line(Key::Written.canonical(), &d.to_string());
        }
        if let Some(d) = &self.updated {
            line(Key::Updated.canonical(), &d.to_string());
        }
        if let Some(n) = &self.index_no {
            line(Key::IndexNo.canonical(), n.as_str());
        }
        if let Some(n) = &self.doc_no {
            line(Key::DocNo.canonical(), n.as_str());
        }
        for (key, value) in [
            (Key::Topic, &self.topic),
            (Key::Genre, &self.genre),
            (Key::Column, &self.column),
        ] {
            if let Some(v) = value {
                line(key.canonical(), v);
            }
        }
        if !self.keywords.is_empty() {
            let _ = writeln!(out, "{}:", Key::Keywords.canonical());
            for k in &self.keywords {
                let _ = writeln!(out, "  - {}", yaml_scalar(k));
            }
        }
        let mut line = |k: &str, v: &str| {
            let _ = writeln!(out, "{k}: {}", yaml_scalar(v));
        };
        for (key, value) in [
            (Key::Validity, &self.validity),
            (Key::Disclosure, &self.disclosure),
        ] {
            if let Some(v) = value {
                line(key.canonical(), v);
            }
        }
        if self.completeness == Completeness::Incomplete {
            line(
                Key::Completeness.canonical(),
                Completeness::Incomplete.label(),
            );
        }
        if let Some(n) = &self.completeness_note {
            line(Key::CompletenessNote.canonical(), n);
        }
        if !self.source.is_empty() {
            let _ = writeln!(out, "{}:", Key::Source.canonical());
            let s = &self.source;
            for (i, v) in [&s.file, &s.sha256, &s.url, &s.site, &s.ocr]
                .into_iter()
                .enumerate()
            {
                if let Some(v) = v {
                    let _ = writeln!(out, "  {}: {}", SOURCE_KEYS[i].0, yaml_scalar(v));
                }
            }
        }
        if !self.attachments.is_empty() {
            let _ = writeln!(out, "{}:", Key::Attachments.canonical());
            for a in &self.attachments {
                let fields = [&a.url, &a.source_url, &a.text];
                if fields.iter().all(|f| f.is_none()) {
                    let _ = writeln!(out, "  - {}", yaml_scalar(&a.name));
                    continue;
                }
                let _ = writeln!(
                    out,
                    "  - {}: {}",
                    ATTACHMENT_KEYS[0].0,
                    yaml_scalar(&a.name)
                );
                for (i, v) in fields.into_iter().enumerate() {
                    if let Some(v) = v {
                        let _ =
                            writeln!(out, "    {}: {}", ATTACHMENT_KEYS[i + 1].0, yaml_scalar(v));
                    }
                }
            }
        }
        out
    }

    /// The year the document belongs to: of 发布时间, else of 成文日期.
    pub fn year(&self) -> Option<i32> {
        self.published.or(self.written).map(|d| d.year)
    }
}

fn missing_title(line: usize) -> FieldError {
    FieldError {
        line,
        message: "`标题` is missing; every document needs `标题: …`".into(),
    }
}

fn load_yaml(yaml: &str) -> Result<MarkedYamlOwned, Vec<FieldError>> {
    let mut loader = saphyr::YamlLoader::<MarkedYamlOwned>::default();
    // Keep every scalar as written: a 索引号 like 0012 or a 文号 like 5 must not become
    // a number, and `是`/`否`/`on` must not become booleans.
    loader.early_parse(false);
    let mut parser = Parser::new_from_str(yaml);
    let scan = parser.load(&mut loader, false);
    let problem = scan.err().or_else(|| loader.error().cloned());
    if let Some(e) = problem {
        return Err(vec![FieldError {
            line: e.marker().line(),
            message: format!(
                "front matter is not valid YAML: {}; write one `key: value` per line",
                e.info()
            ),
        }]);
    }
    Ok(loader
        .into_documents()
        .into_iter()
        .next()
        .unwrap_or_else(|| MarkedYamlOwned::scalar_from_string(String::new())))
}

fn line(node: &MarkedYamlOwned) -> usize {
    node.span.start.line().max(1)
}

fn scalar(node: &MarkedYamlOwned) -> Option<&str> {
    match &node.data {
        YamlDataOwned::Representation(s, ..) => Some(s),
        YamlDataOwned::Value(saphyr::ScalarOwned::String(s)) => Some(s),
        YamlDataOwned::Tagged(_, inner) => scalar(inner),
        _ => None,
    }
}

fn mapping(node: &MarkedYamlOwned) -> Option<&AnnotatedMappingOwned<MarkedYamlOwned>> {
    match &node.data {
        YamlDataOwned::Mapping(m) => Some(m),
        _ => None,
    }
}

/// Reads the fields of a small nested map (`来源`, an `附件` entry), by position in `keys`.
fn sub_fields(
    m: &AnnotatedMappingOwned<MarkedYamlOwned>,
    keys: &[(&str, &[&str])],
    parent: &str,
) -> Result<Vec<Option<String>>, FieldError> {
    let mut out = vec![None; keys.len()];
    for (k, v) in m.iter() {
        let name = scalar(k).unwrap_or("").trim();
        let Some(i) = keys
            .iter()
            .position(|(canon, aliases)| *canon == name || aliases.contains(&name))
        else {
            let known: Vec<&str> = keys.iter().map(|(c, _)| *c).collect();
            return Err(FieldError {
                line: line(k),
                message: format!(
                    "unknown key `{name}` in `{parent}`; known keys are {}",
                    known.join(", ")
                ),
            });
        };
        out[i] = scalar(v)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from);
    }
    Ok(out)
}

/// A YAML scalar for `s`: plain when that reads back as the same string in any YAML
/// parser, double-quoted otherwise.
pub fn yaml_scalar(s: &str) -> String {
    if plain_is_safe(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s || s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`~".contains(first) {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}') {
        return false;
    }
    // Words and numbers other YAML readers would turn into non-strings.
    let lower = s.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
    ) {
        return false;
    }
    // A date reads back as the same text in YAML 1.2 (and as a date, not a number, in
    // 1.1), so it stays unquoted like the other dates people write.
    s.parse::<DisclosureDate>().is_ok()
        || !s
            .chars()
            .all(|c| c.is_ascii_digit() || ".+-_eExXoO".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(y: &str) -> Result<FrontMatter, Vec<FieldError>> {
        FrontMatter::from_yaml(y)
    }

    #[test]
    fn reads_canonical_keys() {
        let fm = parse(
            "标题: 关于印发工作要点的通知\n机构: 青溪县教育局\n发布时间: 2021-01-12 16:15:50\n\
             成文日期: 2021-01-08\n索引号: 002658260/2021-17205\n文号: 青教[2021]5号\n\
             主题词: [教育, 通知]\n完整性: 不完整\n来源:\n  文件: a.txt\n  原文链接: https://x.gov.cn/a\n\
             附件:\n  - 附件1.docx\n  - {名称: 附件2, 链接: f/2.pdf}\n  - {名称: 附件3, 链接: 3.docx, 原文链接: /upload/3.docx, 文本: 3.docx.txt}\n",
        )
        .unwrap();
        assert_eq!(fm.title, "关于印发工作要点的通知");
        assert_eq!(fm.agency.as_ref().unwrap().as_str(), "青溪县教育局");
        assert_eq!(fm.published.unwrap().to_string(), "2021-01-12 16:15:50");
        assert_eq!(fm.doc_no.as_ref().unwrap().as_str(), "青教〔2021〕5号");
        assert_eq!(fm.keywords, ["教育", "通知"]);
        assert_eq!(fm.completeness, Completeness::Incomplete);
        assert_eq!(fm.source.url.as_deref(), Some("https://x.gov.cn/a"));
        assert_eq!(fm.attachments.len(), 3);
        assert_eq!(fm.attachments[1].url.as_deref(), Some("f/2.pdf"));
        assert_eq!(
            fm.attachments[2].source_url.as_deref(),
            Some("/upload/3.docx")
        );
        assert_eq!(fm.attachments[2].text.as_deref(), Some("3.docx.txt"));
    }

    #[test]
    fn keeps_number_like_values_as_written() {
        let fm = parse("标题: 2021\n机构: 局\n索引号: 000123\n").unwrap();
        assert_eq!(fm.title, "2021");
        assert_eq!(fm.index_no.unwrap().as_str(), "000123");
    }

    #[test]
    fn english_aliases() {
        let fm =
            parse("title: T\nagency: A\ndate: 2020-01-01\nindex_no: X/1\ndoc_no: 无\n").unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(fm.published.unwrap().to_string(), "2020-01-01");
        assert_eq!(fm.doc_no, None);
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let errs =
            parse("标题: T\n发布日期: 2020-01-01\n成文日期: 2020-13-01\n完整性: 半\n").unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert_eq!(errs[0].line, 2);
        assert!(errs[0].message.contains("发布日期") && errs[0].message.contains("发布时间"));
        assert_eq!(errs[1].line, 3);
        assert_eq!(errs[2].line, 4);
    }

    #[test]
    fn missing_title_and_bad_yaml() {
        let errs = parse("机构: A\n").unwrap_err();
        assert!(errs[0].message.contains("标题"));
        let errs = parse("标题: [unclosed\n机构: A\n").unwrap_err();
        assert!(errs[0].message.contains("YAML"));
        let errs = parse("标题: a\ntitle: b\n").unwrap_err();
        assert!(errs[0].message.contains("twice"));
    }

    #[test]
    fn round_trips() {
        let fm = FrontMatter {
            title: "关于“双减”: 工作的通知 #1".into(),
            agency: Some(Agency("青溪县教育局".into())),
            published: "2021-01-12 16:15:50".parse().ok(),
            written: "2021-01-08".parse().ok(),
            index_no: IndexNumber::new("002658260/2021-17205"),
            doc_no: DocNumber::new("青教〔2021〕5号"),
            topic: Some("教育\\基础教育".into()),
            genre: None,
            keywords: vec!["教育".into(), "yes".into()],
            validity: Some("有效".into()),
            disclosure: Some("主动公开".into()),
            completeness: Completeness::Incomplete,
            completeness_note: Some("正文在“三、”处中断".into()),
            source: Source {
                file: Some("raw/a b.txt".into()),
                sha256: Some("00ab".into()),
                url: Some("https://x.gov.cn/a?b=1#c".into()),
                site: None,
                ocr: Some("第1页由 Tesseract 识别（chi_sim+eng），可能有识别错误".into()),
            },
            attachments: vec![
                Attachment {
                    name: "附件1".into(),
                    ..Attachment::default()
                },
                Attachment {
                    name: "- 附件2".into(),
                    url: Some("a.pdf".into()),
                    ..Attachment::default()
                },
                Attachment {
                    name: "附件3：统计表".into(),
                    url: Some("w0201.xls".into()),
                    source_url: Some("/upload/w0201.xls?id=3".into()),
                    text: Some("w0201.xls.txt".into()),
                },
            ],
            column: Some("法定主动公开内容/政策文件".into()),
            updated: "2024-05-06".parse().ok(),
        };
        let y = fm.to_yaml();
        assert_eq!(parse(&y).unwrap(), fm, "{y}");
    }
}
