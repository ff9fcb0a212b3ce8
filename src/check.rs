//! `check`: validates an archive without writing it — front matter, cross-document
//! rules (duplicate 索引号), links and assets of bodies, templates, and an accessibility
//! lint of the rendered pages; with `--gov`, the national inspection indicators for
//! government websites as well ([`gov`]).

pub mod gov;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use scraper::{Html, Selector};
use serde::Serialize;

use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics, Level, display_path};
use crate::document::{Document, Key, VALIDITY_VALUES};
use crate::render::markdown::{self, LinkResolver};
use crate::render::templates::{Theme, files_under};
use crate::site::model::Site;

/// The accepted values of 公开方式.
const DISCLOSURE_VALUES: [&str; 3] = ["主动公开", "依申请公开", "不予公开"];

/// Everything `check` found, errors first within each file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckReport {
    pub findings: Vec<Diagnostic>,
    pub errors: usize,
    pub warnings: usize,
    pub documents: usize,
}

impl CheckReport {
    fn new(findings: Diagnostics, documents: usize) -> CheckReport {
        let findings = findings.sorted().0;
        CheckReport {
            errors: findings.iter().filter(|d| d.level == Level::Error).count(),
            warnings: findings
                .iter()
                .filter(|d| d.level == Level::Warning)
                .count(),
            findings,
            documents,
        }
    }

    /// `file:line: level: message` lines and a count.
    pub fn human(&self) -> String {
        let mut out = String::new();
        for d in &self.findings {
            out.push_str(&display_path(&d.file).to_string());
            if let Some(l) = d.line {
                out.push_str(&format!(":{l}"));
            }
            out.push_str(&format!(": {}: {}\n", d.level, d.message));
        }
        out.push_str(&format!(
            "checked {} documents: {} error{}, {} warning{}\n",
            self.documents,
            self.errors,
            if self.errors == 1 { "" } else { "s" },
            self.warnings,
            if self.warnings == 1 { "" } else { "s" },
        ));
        out
    }
}

/// What `check` is asked to look at besides the archive itself.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Also the inspection indicators of government websites ([`gov`]).
    pub gov: bool,
    /// The day the indicators are judged on (Beijing time); default today.
    pub today: Option<chrono::NaiveDate>,
}

/// Checks the archive at `root`. Nothing is written there; the rendered pages are
/// linted in a temporary folder.
pub fn check(root: &Path) -> CheckReport {
    check_with(root, &CheckOptions::default())
}

/// [`check`], with the options of `opts`.
pub fn check_with(root: &Path, opts: &CheckOptions) -> CheckReport {
    let mut found = Diagnostics::new();
    let config = match SiteConfig::load(root) {
        Ok(c) => c,
        Err(d) => return CheckReport::new(d.into(), 0),
    };
    if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
        found.push(Diagnostic::warning(
            root.join(crate::config::FILE_NAME),
            None,
            format!(
                "`base_url` is `{}`, not a full address: sitemap.xml and atom.xml then hold \
                 paths, not URLs; set the address the site is published at (or build with \
                 --base-url) before publishing",
                config.base_url
            ),
        ));
    }
    let theme_ok = match Theme::load(root, &config.theme) {
        Ok(_) => true,
        Err(e) => {
            found.extend(e);
            false
        }
    };
    let content_dir = root.join("content");
    let (content, errors) =
        crate::site::load::load_content(&content_dir, crate::site::load::Bodies::Keep);
    let readable = errors.is_empty();
    found.extend(errors);
    // A file with a front-matter error is still checked for everything else, so a
    // duplicate 索引号 shows next to a bad date, not in the run after it is fixed.
    let partial = partial_documents(&content_dir, &content.documents);
    let all: Vec<Document> = content.documents.iter().chain(&partial).cloned().collect();
    let documents = all.len();
    let columns = crate::site::columns::Columns::from_config(&config.columns);
    found.extend(Site::refusals(&all, &content_dir, &columns));
    for d in &all {
        found.extend(document_rules(d, &content_dir));
    }
    found.extend(duplicate_index_numbers(&all, &content_dir));
    let assets: HashSet<&str> = content.assets.iter().map(|(rel, _)| rel.as_str()).collect();
    let statics: HashSet<String> = files_under(&root.join("static"))
        .into_iter()
        .map(|(rel, _)| rel)
        .collect();
    let docs: HashSet<&str> = all.iter().map(|d| d.path.as_str()).collect();
    let column_paths: HashSet<&str> = columns
        .all
        .iter()
        .map(|c| c.url_path.trim_end_matches('/'))
        .collect();
    let known = Known {
        docs: &docs,
        assets: &assets,
        statics: &statics,
        columns: &column_paths,
    };
    for d in &all {
        found.extend(broken_links(d, &content_dir, &known));
        found.extend(crate::site::bundle::missing_files(d, &content_dir, &assets));
    }
    let site = if opts.gov && readable && !found.has_errors() {
        Site::new(content.documents.clone(), &content_dir, columns)
            .map_err(|e| found.extend(e))
            .ok()
    } else {
        None
    };
    // The page checks need rendered pages: only when the site can be built.
    let buildable = theme_ok && !found.has_errors();
    if opts.gov {
        let today = opts.today.unwrap_or_else(gov::beijing_today);
        found.extend(gov::settings(root, &config));
        if let Some(site) = &site {
            found.extend(gov::columns(root, &content_dir, site, today));
        }
        found.extend(gov::script_links(&all, &content_dir));
    }

    if buildable {
        match Rendered::build(root, &content.documents, &content_dir) {
            Ok(pages) => {
                found.extend(lint_rendered(&pages));
                if opts.gov {
                    found.extend(gov::pages(&pages, &config));
                }
            }
            Err(e) => found.extend(e),
        }
    }
    CheckReport::new(found, documents)
}

/// The documents that [`crate::site::load::load_content`] could not read for a
/// front-matter error, with the fields that could be read.
fn partial_documents(content_dir: &Path, read: &[Document]) -> Vec<Document> {
    let read: HashSet<&str> = read.iter().map(|d| d.path.as_str()).collect();
    files_under(content_dir)
        .into_iter()
        .filter(|(rel, _)| {
            rel.to_ascii_lowercase().ends_with(".md") && !read.contains(rel.as_str())
        })
        .filter_map(|(rel, path)| {
            let text = std::fs::read_to_string(&path).ok()?;
            Document::parse_partial(&path, &rel, &text).0
        })
        .collect()
}

/// Rules on the values of one document.
fn document_rules(d: &Document, content_dir: &Path) -> Vec<Diagnostic> {
    let file = d.file(content_dir);
    let f = &d.front;
    let mut out = Vec::new();
    if let (Some(w), Some(p)) = (f.written, f.published) {
        let (w, p) = ((w.year, w.month, w.day), (p.year, p.month, p.day));
        if w > p {
            out.push(Diagnostic::error(
                &file,
                Some(d.line_of(Key::Written)),
                format!(
                    "`成文日期` {} is after `发布时间` {}: a document is signed before it is \
                     published; check both dates",
                    f.written.map(|x| x.date_string()).unwrap_or_default(),
                    f.published.map(|x| x.date_string()).unwrap_or_default()
                ),
            ));
        }
    }
    if let Some(n) = &f.doc_no
        && !n.is_standard()
    {
        out.push(Diagnostic::warning(
            &file,
            Some(d.line_of(Key::DocNo)),
            format!(
                "`文号` `{n}` is not in the form 机关代字〔年份〕序号号 (e.g. 青教〔2024〕7号, \
                     GB/T 9704-2012); check it against the original"
            ),
        ));
    }
    if let Some(v) = &f.validity
        && !VALIDITY_VALUES.contains(&v.as_str())
    {
        out.push(Diagnostic::error(
            &file,
            Some(d.line_of(Key::Validity)),
            format!(
                "`有效性` is `{v}`; write one of {}",
                VALIDITY_VALUES.join(", ")
            ),
        ));
    }
    if let Some(v) = &f.disclosure
        && !DISCLOSURE_VALUES.contains(&v.as_str())
    {
        out.push(Diagnostic::warning(
            &file,
            Some(d.line_of(Key::Disclosure)),
            format!(
                "`公开方式` is `{v}`; usually one of {}",
                DISCLOSURE_VALUES.join(", ")
            ),
        ));
    }
    if f.completeness == crate::document::Completeness::Incomplete && f.completeness_note.is_none()
    {
        out.push(Diagnostic::warning(
            &file,
            Some(d.line_of(Key::Completeness)),
            "`完整性: 不完整` without `完整性说明`: say where and why the copy is incomplete",
        ));
    }
    out
}

fn duplicate_index_numbers(docs: &[Document], content_dir: &Path) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &Document> = BTreeMap::new();
    let mut out = Vec::new();
    let mut sorted: Vec<&Document> = docs.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    for d in sorted {
        let Some(n) = &d.front.index_no else { continue };
        match first.get(n.as_str()) {
            Some(other) => out.push(Diagnostic::error(
                d.file(content_dir),
                Some(d.line_of(Key::IndexNo)),
                format!(
                    "`索引号` {n} is also the 索引号 of {}; an index number names one document",
                    display_path(&other.file(content_dir))
                ),
            )),
            None => {
                first.insert(n.as_str(), d);
            }
        }
    }
    out
}

/// What a body may link to: documents, assets, the site's static files and the
/// columns' pages (each by its path in content/ or the site).
struct Known<'a> {
    docs: &'a HashSet<&'a str>,
    assets: &'a HashSet<&'a str>,
    statics: &'a HashSet<String>,
    columns: &'a HashSet<&'a str>,
}

/// Relative links of a body that lead nowhere in the archive.
fn broken_links(d: &Document, content_dir: &Path, known: &Known<'_>) -> Vec<Diagnostic> {
    struct Collect<'a> {
        dir: &'a str,
    }
    impl LinkResolver for Collect<'_> {
        fn resolve(&self, dest: &str) -> Option<String> {
            let path = dest.split(['?', '#']).next().unwrap_or("");
            if path.is_empty() {
                return None;
            }
            // Leaving the archive: never a file of it.
            Some(crate::document::content_path(self.dir, path).map_or_else(
                || format!("../{path}"),
                |p| p.trim_end_matches('/').to_string(),
            ))
        }
    }
    let dir = d.folder();
    let body = markdown::render(&d.body, &Collect { dir });
    let mut out = Vec::new();
    for dest in &body.links {
        let Some(target) = (Collect { dir }).resolve(dest) else {
            continue;
        };
        let t = target.trim_end_matches('/');
        let ok = known.docs.contains(target.as_str())
            || known.assets.contains(target.as_str())
            || known.statics.contains(&target)
            || known.docs.contains(format!("{t}.md").as_str())
            || known.docs.contains(format!("{t}/index.md").as_str())
            || known.columns.contains(t)
            || site_page(t);
        if !ok {
            out.push(Diagnostic::error(
                d.file(content_dir),
                Some(body_line(d, dest)),
                format!(
                    "link `{dest}` leads to nothing in the archive (looked for content/{target})"
                ),
            ));
        }
    }
    out
}

/// Pages the build writes itself, which a body may link to.
fn site_page(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    path.is_empty()
        || matches!(first, "agency" | "year" | "topic" | "search")
        || crate::site::offline::is_web_only(path)
}

/// The file line of the first body line containing `needle`, else the body's first line.
fn body_line(d: &Document, needle: &str) -> usize {
    d.body
        .lines()
        .position(|l| l.contains(needle))
        .map_or(d.body_line, |i| d.body_line + i)
}

/// The site built into a temporary folder, for the checks of rendered pages, with what
/// leads from a page back to the file a person edits.
pub struct Rendered {
    _tmp: tempfile::TempDir,
    /// The built site.
    pub dir: PathBuf,
    theme: Option<Theme>,
    content_dir: PathBuf,
    by_page: BTreeMap<String, Document>,
    /// The columns' site paths and whether each is a page column.
    columns: Vec<(String, bool)>,
}

impl Rendered {
    /// Builds the archive at `root` (its `documents`, read with bodies) into a
    /// temporary folder.
    fn build(
        root: &Path,
        documents: &[Document],
        content_dir: &Path,
    ) -> Result<Rendered, Vec<Diagnostic>> {
        let tmp = tempfile::tempdir().map_err(|e| {
            vec![Diagnostic::warning(
                root,
                None,
                format!(
                    "cannot make a temporary folder ({e}); the checks of rendered pages are skipped"
                ),
            )]
        })?;
        let dir = tmp.path().join("site");
        let opts = crate::site::BuildOptions {
            root: root.to_path_buf(),
            output: Some(dir.clone()),
            base_url: None,
            offline: false,
            ..Default::default()
        };
        crate::site::build(&opts).map_err(|e| e.0)?;
        let config = SiteConfig::load(root).ok();
        // Pages of a crowded folder were built one folder down: find them there.
        let mut documents = documents.to_vec();
        if let Some(c) = &config {
            crate::site::model::nest_crowded(&mut documents, c.max_documents_per_folder);
        }
        let theme = config
            .as_ref()
            .and_then(|c| Theme::load(root, &c.theme).ok());
        let columns = config
            .map(|c| {
                crate::config::walk_columns(&c.columns)
                    .into_iter()
                    .map(|(c, path, _)| (path, c.kind == crate::config::ColumnKind::Page))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Rendered {
            columns,
            _tmp: tmp,
            dir,
            theme,
            content_dir: content_dir.to_path_buf(),
            by_page: documents
                .iter()
                .map(|d| (format!("{}index.html", d.url_path()), d.clone()))
                .collect(),
        })
    }

    /// Every HTML page: its path in the site and its text.
    pub fn pages(&self) -> impl Iterator<Item = (String, String)> + '_ {
        files_under(&self.dir)
            .into_iter()
            .filter(|(rel, _)| rel.ends_with(".html"))
            .filter_map(|(rel, path)| Some((rel, std::fs::read_to_string(&path).ok()?)))
    }

    /// The template a page that is not a document's was made from.
    pub fn template_of(&self, rel: &str) -> PathBuf {
        let name = self.template_name(rel);
        self.theme
            .as_ref()
            .map(|t| t.origin(name))
            .unwrap_or_else(|| PathBuf::from(name))
    }

    fn template_name(&self, rel: &str) -> &'static str {
        if self.by_page.contains_key(rel) {
            return "document.html";
        }
        match rel {
            "index.html" => "index.html",
            "404.html" => "404.html",
            "search/index.html" => "search.html",
            r if r.starts_with("agency/") || r.starts_with("year/") || r.starts_with("topic/") => {
                if r.matches('/').count() == 1 {
                    "taxonomy.html"
                } else {
                    "term.html"
                }
            }
            r => match self
                .columns
                .iter()
                .filter(|(path, _)| r.starts_with(path.as_str()))
                .max_by_key(|(path, _)| path.len())
            {
                Some((_, true)) => "page.html",
                Some((_, false)) => "column.html",
                None => "term.html",
            },
        }
    }

    /// The template file that wrote `needle` on page `rel`: the page's template or one
    /// it extends.
    fn template_holding(&self, rel: &str, needle: &str) -> PathBuf {
        let name = self.template_name(rel);
        self.theme
            .as_ref()
            .map(|t| t.origin_of_text(name, needle))
            .unwrap_or_else(|| PathBuf::from(name))
    }

    /// The file a finding on page `rel` belongs to, and its line: the document's own file
    /// (at the body line holding `needle`), else the page's template.
    pub fn source(&self, rel: &str, needle: Option<&str>) -> (PathBuf, Option<usize>) {
        match self.by_page.get(rel) {
            // What the body does not hold came from the template around it.
            Some(d) if needle.is_some_and(|n| !d.body.contains(n)) => {
                (self.template_holding(rel, needle.unwrap_or("")), None)
            }
            Some(d) => (
                d.file(&self.content_dir),
                Some(needle.map_or(d.body_line, |n| body_line(d, n))),
            ),
            None => match needle {
                Some(n) => (self.template_holding(rel, n), None),
                None => (self.template_of(rel), None),
            },
        }
    }
}

/// Lints every page of a built site for accessibility.
fn lint_rendered(site: &Rendered) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for (rel, text) in site.pages() {
        for (message, needle, level) in lint_page(&text) {
            let (file, line) = site.source(&rel, needle.as_deref());
            found.push(Diagnostic {
                file,
                line,
                level,
                message,
            });
        }
    }
    found
}

/// Accessibility problems of one page: message, a text to find the source line by, level.
fn lint_page(html: &str) -> Vec<(String, Option<String>, Level)> {
    let page = Html::parse_document(html);
    let sel = |s: &str| Selector::parse(s).ok();
    let mut out = Vec::new();
    if let Some(s) = sel("html") {
        let lang = page
            .select(&s)
            .next()
            .and_then(|h| h.value().attr("lang"))
            .unwrap_or("");
        if lang.trim().is_empty() {
            out.push((
                "the page has no `lang` (screen readers need zh-CN)".to_string(),
                None,
                Level::Error,
            ));
        }
    }
    if let Some(s) = sel("img") {
        for img in page.select(&s) {
            let src = img.value().attr("src").unwrap_or("").to_string();
            match img.value().attr("alt").map(str::trim) {
                None => out.push((
                    format!("image `{src}` has no text alternative; write ![说明](…)"),
                    Some(last_segment(&src)),
                    Level::Error,
                )),
                // Empty alt marks decoration; in a disclosure text an image is content.
                Some("") => out.push((
                    format!("image `{src}` has an empty text alternative; describe it: ![说明](…)"),
                    Some(last_segment(&src)),
                    Level::Warning,
                )),
                Some(_) => {}
            }
        }
    }
    if let Some(s) = sel("a[href]") {
        for a in page.select(&s) {
            let text: String = a.text().collect();
            let labelled = a
                .value()
                .attr("aria-label")
                .is_some_and(|l| !l.trim().is_empty())
                || a.value()
                    .attr("title")
                    .is_some_and(|l| !l.trim().is_empty())
                || a.select(&Selector::parse("img[alt]").expect("valid selector"))
                    .next()
                    .is_some();
            if text.trim().is_empty() && !labelled {
                let href = a.value().attr("href").unwrap_or("").to_string();
                let needle = last_segment(&href);
                out.push((
                    format!("link to `{href}` has no text"),
                    Some(needle),
                    Level::Error,
                ));
            }
        }
    }
    if let Some(s) = sel("h1, h2, h3, h4, h5, h6") {
        let mut last = 0u8;
        let mut h1s = 0;
        for h in page.select(&s) {
            let level = h.value().name().as_bytes()[1] - b'0';
            if level == 1 {
                h1s += 1;
            }
            if last > 0 && level > last + 1 {
                let text: String = h.text().collect();
                out.push((
                    format!("heading “{}” skips from h{last} to h{level}", text.trim()),
                    Some(text.trim().to_string()),
                    Level::Warning,
                ));
            }
            last = level;
        }
        if h1s != 1 {
            out.push((
                format!("the page has {h1s} h1 headings; it needs exactly one"),
                None,
                Level::Error,
            ));
        }
    }
    out
}

/// The file name of a (rewritten) link, which the Markdown source also contains.
fn last_segment(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let path = path.trim_end_matches('/');
    let seg = path.rsplit('/').next().unwrap_or(path);
    percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lints_a_page() {
        let found = lint_page(
            "<html><body><h1>题</h1><h3>跳</h3><img src=\"a.png\"><a href=\"x\"> </a><a href=\"y\" aria-label=\"下一页\"></a></body></html>",
        );
        let messages: Vec<_> = found.iter().map(|(m, _, _)| m.as_str()).collect();
        assert_eq!(found.len(), 4, "{messages:?}");
        assert!(messages[0].contains("lang"));
        assert!(messages.iter().any(|m| m.contains("a.png")));
        assert!(messages.iter().any(|m| m.contains("`x` has no text")));
        assert!(messages.iter().any(|m| m.contains("h1 to h3")));
    }

    #[test]
    fn one_h1_is_required() {
        let found = lint_page("<html lang=\"zh-CN\"><body><h2>a</h2></body></html>");
        assert_eq!(found.len(), 1);
        assert!(found[0].0.contains("0 h1"));
    }
}
