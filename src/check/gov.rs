//! `check --gov`: what a static archive can answer of the national inspection of
//! government websites and of the rules for a 政府信息公开 section. Each check names the
//! indicator it serves ([`Indicator`]) at the head of its findings; docs/gov-check.md
//! lists them with their sources.
//!
//! The column checks read the same [`Site`] model the build renders from, and the page
//! checks read the pages the build wrote, so a finding and a page never disagree.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;
use scraper::{Html, Selector};

use super::Rendered;
use crate::config::{ColumnKind, ColumnRole, FILE_NAME, SiteConfig};
use crate::diagnostic::Diagnostic;
use crate::document::{DisclosureDate, Document, Key};
use crate::render::templates::escape_html;
use crate::site::columns::Column;
use crate::site::model::{Site, sort_date};

/// The indicator a finding serves: its tag in the message, and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indicator {
    /// 政府网站发展指引 (国办发〔2017〕47号): every page's footer shows 主办单位, 网站标识码,
    /// ICP备案编号 and 公安机关备案标识.
    Identifiers,
    /// 检查指标 (国办秘函〔2019〕19号), 扣分指标 · 链接可用性: links that do not open (错链).
    BrokenLink,
    /// 检查指标, 单项否决 · 栏目不更新: columns with nothing in them (空白栏目).
    BlankColumn,
    /// 检查指标, 单项否决 · 栏目不更新: columns not updated within their period (通知公告、
    /// 政策文件类 six months).
    NotUpdated,
    /// 政府信息公开条例 第四十九条: each year's report published by 31 January of the next.
    AnnualReport,
    /// 政府信息公开条例 第十二条: the 指南 (with the office's name, address, hours, phone
    /// and online contact) kept up to date.
    Guide,
    /// 国办公开办函〔2019〕61号 (规范政府信息公开平台): the section's standard parts.
    Catalogue,
}

impl Indicator {
    /// The tag at the head of a finding's message.
    pub fn tag(self) -> &'static str {
        match self {
            Indicator::Identifiers => "[网站标识]",
            Indicator::BrokenLink => "[错链]",
            Indicator::BlankColumn => "[空白栏目]",
            Indicator::NotUpdated => "[更新不及时]",
            Indicator::AnnualReport => "[年报]",
            Indicator::Guide => "[指南]",
            Indicator::Catalogue => "[信息公开目录]",
        }
    }
}

fn finding(indicator: Indicator, file: &Path, line: Option<usize>, message: String) -> Diagnostic {
    Diagnostic::error(file, line, format!("{} {message}", indicator.tag()))
}

/// Today in Beijing time, or the day `GONGKAI_TODAY` names (`YYYY-MM-DD`), so tests
/// and re-runs of an old inspection are deterministic.
pub fn beijing_today() -> NaiveDate {
    if let Some(day) = std::env::var("GONGKAI_TODAY")
        .ok()
        .and_then(|s| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok())
    {
        return day;
    }
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn naive(d: DisclosureDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year, d.month.into(), d.day.into())
}

/// The footer identifiers of site.toml: (key, label, value).
fn identifiers(config: &SiteConfig) -> [(&'static str, &'static str, &str); 4] {
    fn value(v: &Option<String>) -> &str {
        v.as_deref().map(str::trim).unwrap_or("")
    }
    [
        ("organizer", "主办单位", config.organizer.trim()),
        ("site_id_code", "网站标识码", value(&config.site_id_code)),
        ("icp", "ICP备案号", value(&config.icp)),
        ("police_record", "公网安备号", value(&config.police_record)),
    ]
}

/// What site.toml itself must say: the footer identifiers, the standard parts of the
/// column tree, and the office that takes applications.
pub fn settings(root: &Path, config: &SiteConfig) -> Vec<Diagnostic> {
    let file = root.join(FILE_NAME);
    let mut out = Vec::new();
    for (key, label, value) in identifiers(config) {
        if value.is_empty() {
            out.push(finding(
                Indicator::Identifiers,
                &file,
                None,
                format!(
                    "{label} is not set: every page's footer must show it; add `{key} = \"…\"` \
                     (or `\"{label}\" = \"…\"`)"
                ),
            ));
        }
    }
    if config.columns.is_empty() {
        out.push(finding(
            Indicator::Catalogue,
            &file,
            None,
            "site.toml has no column tree: a 政府信息公开 section has 指南, 制度, 法定主动公开内容, \
             年报 and 依申请公开; copy the `[[columns]]` tables that `gongkai init` writes"
                .into(),
        ));
        return out;
    }
    let roles: Vec<ColumnRole> = crate::config::walk_columns(&config.columns)
        .iter()
        .filter_map(|(c, _, _)| c.role)
        .collect();
    for role in [
        ColumnRole::Guide,
        ColumnRole::Rules,
        ColumnRole::Statutory,
        ColumnRole::AnnualReport,
        ColumnRole::Application,
    ] {
        if !roles.contains(&role) {
            out.push(finding(
                Indicator::Catalogue,
                &file,
                None,
                format!(
                    "no column is the section's {0}: add `role = \"{0}\"` to the column that \
                     holds it (or a column for it)",
                    role.label()
                ),
            ));
        }
    }
    if roles.contains(&ColumnRole::Application) {
        let missing: Vec<&str> = config
            .office
            .fields()
            .iter()
            .filter(|(_, v)| v.trim().is_empty())
            .map(|(label, _)| *label)
            .collect();
        if !missing.is_empty() {
            out.push(finding(
                Indicator::Guide,
                &file,
                None,
                format!(
                    "the office taking applications lacks {}: the 依申请公开 page shows them \
                     from `[office]` (name, address, postcode, phone, hours, email)",
                    missing.join("、")
                ),
            ));
        }
    }
    out
}

/// The columns of the built site: blank ones, ones not updated in their period, the
/// yearly reports, the 指南's date.
pub fn columns(root: &Path, content_dir: &Path, site: &Site, today: NaiveDate) -> Vec<Diagnostic> {
    let file = root.join(FILE_NAME);
    let mut out = Vec::new();
    for c in &site.columns.all {
        let at = |indicator, message: String| {
            finding(
                indicator,
                &file,
                Some(c.line),
                format!("栏目「{}」 {message}", c.full_name),
            )
        };
        match c.kind {
            ColumnKind::List if c.documents.is_empty() => out.push(at(
                Indicator::BlankColumn,
                format!(
                    "lists no document: put documents in content/{}, give them `栏目: {}`, \
                     or remove the column",
                    c.url_path, c.name
                ),
            )),
            ColumnKind::Page if c.page.is_none() => out.push(at(
                Indicator::BlankColumn,
                format!(
                    "is a page and content/{}.md does not exist: write it (标题 and 更新时间)",
                    c.url_path.trim_end_matches('/')
                ),
            )),
            _ => {}
        }
        if let (Some(days), false) = (c.update_days, c.documents.is_empty()) {
            // Undated documents count as never updated (as the inspection counts them).
            let newest = c
                .documents
                .iter()
                .find_map(|&i| sort_date(&site.documents[i]))
                .and_then(naive);
            let stale = newest.is_none_or(|d| (today - d).num_days() > i64::from(days));
            if stale {
                let when = newest.map_or("none of its documents has a date".to_string(), |d| {
                    format!(
                        "its newest document is of {d}, {} days ago",
                        (today - d).num_days()
                    )
                });
                out.push(at(
                    Indicator::NotUpdated,
                    format!("is to be updated every {days} days (`update_days`) and {when}"),
                ));
            }
        }
    }
    if let Some(c) = site.columns.with_role(ColumnRole::AnnualReport) {
        out.extend(annual_reports(&file, site, c, today));
    }
    if let Some(c) = site.columns.with_role(ColumnRole::Guide) {
        out.extend(guide(&file, content_dir, site, c, today));
    }
    out
}

static YEAR_IN_TITLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"((?:19|20)\d{2})\s*年").expect("valid regex"));

/// The year a 年报 reports on: the first year its title names, else the year before it
/// was published.
fn report_year(d: &Document) -> Option<i32> {
    YEAR_IN_TITLE
        .captures(&d.front.title)
        .and_then(|c| c[1].parse().ok())
        .or_else(|| d.front.year().map(|y| y - 1))
}

/// A 年报 for every year from the archive's first to the last one due by `today` (the
/// report of year Y is due by 31 January of Y+1).
fn annual_reports(file: &Path, site: &Site, c: &Column, today: NaiveDate) -> Vec<Diagnostic> {
    let reports: HashSet<usize> = c.documents.iter().copied().collect();
    let covered: HashSet<i32> = c
        .documents
        .iter()
        .filter_map(|&i| report_year(&site.documents[i]))
        .collect();
    let first = site
        .documents
        .iter()
        .enumerate()
        .filter(|(i, _)| !reports.contains(i))
        .filter_map(|(_, d)| d.front.year())
        .chain(covered.iter().copied())
        .min();
    let Some(first) = first else {
        return Vec::new();
    };
    let last_due = if (today.month(), today.day()) > (1, 31) {
        today.year() - 1
    } else {
        today.year() - 2
    };
    (first..=last_due)
        .filter(|y| !covered.contains(y))
        .map(|y| {
            finding(
                Indicator::AnnualReport,
                file,
                Some(c.line),
                format!(
                    "栏目「{}」 has no 政府信息公开工作年度报告 for {y} (due by {}-01-31): \
                     add it, its title naming the year (…{y}年政府信息公开工作年度报告)",
                    c.full_name,
                    y + 1
                ),
            )
        })
        .collect()
}

/// The 指南 revised within the last year.
fn guide(
    file: &Path,
    content_dir: &Path,
    site: &Site,
    c: &Column,
    today: NaiveDate,
) -> Vec<Diagnostic> {
    let (source, line, date) = match (c.kind, c.page) {
        (ColumnKind::Page, Some(p)) => {
            let page = &site.pages[p];
            (
                page.file(content_dir),
                Some(page.line_of(Key::Updated)),
                page.front.updated,
            )
        }
        (ColumnKind::List, _) if !c.documents.is_empty() => {
            let d = &site.documents[c.documents[0]];
            (
                d.file(content_dir),
                Some(d.line_of(Key::Published)),
                sort_date(d),
            )
        }
        // A blank 指南 is reported as a blank column.
        _ => return Vec::new(),
    };
    let age = date.and_then(naive).map(|d| (today - d).num_days());
    match age {
        Some(days) if days <= 365 => Vec::new(),
        _ => vec![finding(
            Indicator::Guide,
            &source,
            line,
            format!(
                "the 政府信息公开指南 was last revised {}: revise it at least once a year and \
                 set its `更新时间` (see also {})",
                age.map_or("on no given date".to_string(), |d| format!("{d} days ago")),
                crate::diagnostic::display_path(file)
            ),
        )],
    }
}

static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.\-]*:").expect("valid regex"));

static SCRIPT_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(\]\(\s*<?\s*javascript:|href\s*=\s*["']?\s*javascript:)"#)
        .expect("valid regex")
});

/// `javascript:` links written in bodies: the build drops them, so a reader meets a
/// dead link.
pub fn script_links(docs: &[Document], content_dir: &Path) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for d in docs {
        for (i, line) in d.body.lines().enumerate() {
            if SCRIPT_LINK.is_match(line) {
                out.push(finding(
                    Indicator::BrokenLink,
                    &d.file(content_dir),
                    Some(d.body_line + i),
                    "a `javascript:` link: the site drops it, so readers meet a dead link; \
                     link to a page or a file instead"
                        .into(),
                ));
            }
        }
    }
    out
}

/// The pages as built: the footer identifiers on every page, and every internal link
/// and resource leading to a file of the site.
pub fn pages(site: &Rendered, config: &SiteConfig) -> Vec<Diagnostic> {
    let base_path = config.base_path();
    let wanted: Vec<(&str, String)> = identifiers(config)
        .into_iter()
        .filter(|(_, _, v)| !v.is_empty())
        .map(|(_, label, v)| (label, escape_html(v)))
        .collect();
    let refs = Selector::parse(
        "a[href], link[href], script[src], img[src], iframe[src], source[src], form[action]",
    )
    .expect("valid selector");
    // (template, label) → pages lacking it; (source file, line, link) → pages.
    let mut unlabelled: BTreeMap<(PathBuf, &str), usize> = BTreeMap::new();
    let mut broken: BTreeMap<(PathBuf, Option<usize>, String, bool), usize> = BTreeMap::new();
    for (rel, html) in site.pages() {
        for (label, value) in &wanted {
            if !html.contains(value.as_str()) {
                *unlabelled
                    .entry((site.template_of(&rel), label))
                    .or_default() += 1;
            }
        }
        let page = Html::parse_document(&html);
        for el in page.select(&refs) {
            let attr = ["href", "src", "action"]
                .into_iter()
                .find_map(|a| el.value().attr(a))
                .unwrap_or("");
            let v = attr.trim();
            let script = v.to_ascii_lowercase().starts_with("javascript:");
            if script || leads_nowhere(&site.dir, &base_path, &rel, v) {
                let needle = v.rsplit('/').find(|s| !s.is_empty()).unwrap_or(v);
                let (file, line) = site.source(&rel, Some(needle));
                *broken
                    .entry((file, line, v.to_string(), script))
                    .or_default() += 1;
            }
        }
    }
    let mut out = Vec::new();
    for ((template, label), n) in unlabelled {
        out.push(finding(
            Indicator::Identifiers,
            &template,
            None,
            format!(
                "{n} page{} made from this template do not show {label} (site.toml has it): \
                 show it in the footer, as the default theme's base.html does",
                if n == 1 { "" } else { "s" }
            ),
        ));
    }
    for ((file, line, link, script), n) in broken {
        let on = if n == 1 {
            String::new()
        } else {
            format!(" (on {n} pages)")
        };
        let what = if script {
            format!("`{link}` is a `javascript:` link{on}: link to a page or file instead")
        } else {
            format!("`{link}` leads to no file of the built site{on}")
        };
        out.push(finding(Indicator::BrokenLink, &file, line, what));
    }
    out
}

/// Whether `link`, found on page `rel`, points into the site at a file it does not
/// have. Links to other sites are not followed (a static check has no network).
fn leads_nowhere(dir: &Path, base_path: &str, rel: &str, link: &str) -> bool {
    if link.is_empty() || link.starts_with('#') || link.starts_with("//") || SCHEME.is_match(link) {
        return false;
    }
    let path = link.split(['?', '#']).next().unwrap_or("");
    let joined = match path.strip_prefix('/') {
        Some(abs) => match format!("/{abs}").strip_prefix(base_path) {
            Some(in_site) => in_site.to_string(),
            // Another part of the same host: not this site's to check.
            None => return false,
        },
        None => {
            let page_dir = rel.rfind('/').map_or("", |i| &rel[..=i]);
            format!("{page_dir}{path}")
        }
    };
    let mut parts: Vec<String> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return true;
                }
            }
            s => parts.push(
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned(),
            ),
        }
    }
    let target = parts.iter().fold(dir.to_path_buf(), |p, s| p.join(s));
    !(target.is_file() || target.join("index.html").is_file())
}
