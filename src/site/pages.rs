//! The pages of a site and the template context of each (see docs/templates.md).

mod columns;
pub(crate) mod sitemap;

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

use super::cache::{Hasher, Key, field, hash_json};
use super::model::{Site, TaxonomyKind, Term, sort_date};
use crate::config::SiteConfig;
use crate::diagnostic::Diagnostic;
use crate::document::{Completeness, Document};
use crate::render::encode_path;
use crate::render::markdown::{self, LinkResolver, RenderedBody, is_unsafe_url};
use crate::render::templates::Theme;

/// Site-wide values every template sees as `site`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteContext {
    pub title: String,
    pub base_url: String,
    pub language: String,
    pub organizer: String,
    pub site_id_code: String,
    /// ICP备案号 and 公网安备号 ("" when site.toml has none).
    pub icp: String,
    pub police_record: String,
    /// The office taking applications (依申请公开).
    pub office: crate::config::Office,
    pub domain: String,
}

/// A document in a list.
#[derive(Debug, Clone, Serialize)]
pub struct DocSummary {
    pub title: String,
    pub url_path: String,
    pub agency: String,
    pub published: String,
    /// 成文日期, for lists to show when there is no 发布时间.
    pub written: String,
    pub index_no: String,
    pub doc_no: String,
    pub complete: bool,
    pub year: Option<i32>,
}

impl DocSummary {
    pub fn of(d: &Document) -> DocSummary {
        let f = &d.front;
        DocSummary {
            title: f.title.clone(),
            url_path: d.url_path(),
            agency: f.agency.as_ref().map(|a| a.0.clone()).unwrap_or_default(),
            published: f.published.map(|p| p.date_string()).unwrap_or_default(),
            written: f.written.map(|p| p.date_string()).unwrap_or_default(),
            index_no: f
                .index_no
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            doc_no: f.doc_no.as_ref().map(|n| n.to_string()).unwrap_or_default(),
            complete: f.completeness == Completeness::Complete,
            year: f.year(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
struct TermContext<'a> {
    name: &'a str,
    url_path: &'a str,
    count: usize,
}

fn term_context(t: &Term) -> TermContext<'_> {
    TermContext {
        name: &t.name,
        url_path: &t.url_path,
        count: t.documents.len(),
    }
}

#[derive(Debug, Clone, Serialize)]
struct TaxonomyContext {
    kind: &'static str,
    label: &'static str,
    url_path: String,
}

fn taxonomy_context(kind: TaxonomyKind) -> TaxonomyContext {
    TaxonomyContext {
        kind: kind.slug(),
        label: kind.label(),
        url_path: format!("{}/", kind.slug()),
    }
}

#[derive(Debug, Clone, Serialize)]
struct AttachmentContext {
    name: String,
    url: String,
}

#[derive(Debug, Clone, Serialize)]
struct DocContext {
    #[serde(flatten)]
    summary: DocSummary,
    published_full: String,
    topic: String,
    genre: String,
    validity: String,
    disclosure: String,
    keywords: Vec<String>,
    incomplete_note: String,
    source_file: String,
    source_url: String,
    source_site: String,
    source_sha256: String,
    attachments: Vec<AttachmentContext>,
    description: String,
    body_html: String,
    agency_url_path: String,
    topic_url_path: String,
    year_url_path: String,
}

#[derive(Debug, Clone, Serialize)]
struct PageLink {
    number: usize,
    url_path: String,
    current: bool,
}

#[derive(Debug, Clone, Serialize)]
struct Paginator {
    current: usize,
    total_pages: usize,
    per_page: usize,
    total: usize,
    prev_url_path: String,
    next_url_path: String,
    pages: Vec<PageLink>,
}

#[derive(Debug, Clone, Serialize)]
struct FeedEntry {
    #[serde(flatten)]
    summary: DocSummary,
    abs_url: String,
    updated: String,
    #[serde(rename = "summary")]
    summary_text: String,
}

/// A page to write: its output path and its rendered bytes.
pub struct RenderedPage {
    pub path: String,
    /// The page's HTML (UTF-8).
    pub html: Vec<u8>,
}

/// Renders the pages of one site with one theme.
pub struct Renderer<'a> {
    pub theme: &'a Theme,
    pub site: &'a Site,
    pub config: &'a SiteConfig,
    base: tera::Context,
    base_path: String,
    abs_base: String,
    /// Each document's and page's path under content/ → the document (its page's site
    /// path is made when a link asks: kept for every document it would cost a string each).
    known_documents: HashMap<&'a str, &'a Document>,
    /// Key of what every page's context shares (site, column tree, generator).
    base_key: Key,
    /// Key of each document's list entry ([`DocSummary`]), made when first needed: a
    /// page shows its neighbours' entries.
    summary_keys: std::sync::OnceLock<Vec<Key>>,
}

/// A page that is not a document page, before it is rendered: its template, output path
/// and how to make its context. The context is made when the page is keyed or rendered
/// and dropped after: made for every list page at once, the contexts of 300,000
/// documents' lists held a gigabyte.
pub struct PageJob<'r> {
    pub template: &'static str,
    pub path: String,
    make_context: Box<dyn Fn() -> tera::Context + Send + Sync + 'r>,
}

impl<'r> PageJob<'r> {
    fn new(
        template: &'static str,
        path: String,
        make_context: impl Fn() -> tera::Context + Send + Sync + 'r,
    ) -> PageJob<'r> {
        PageJob {
            template,
            path,
            make_context: Box::new(make_context),
        }
    }

    /// A job whose context is made already (a page of its own, not one of a list).
    fn made(template: &'static str, path: String, context: tera::Context) -> PageJob<'r> {
        PageJob::new(template, path, move || context.clone())
    }

    /// The page's context.
    pub fn context(&self) -> tera::Context {
        (self.make_context)()
    }

    /// The page's context and the key of its template and context: equal keys, equal
    /// pages (the theme is in the build cache's own key).
    pub fn keyed_context(&self) -> (tera::Context, Key) {
        let mut h = Hasher::new();
        field(&mut h, self.template.as_bytes());
        // The context as JSON and back, rather than a copy: a sitemap's context holds
        // every document.
        let json = self.context().into_json();
        hash_json(&mut h, &json);
        let context = tera::Context::from_value(json).unwrap_or_default();
        (context, h.finalize().into())
    }

    /// [`keyed_context`](Self::keyed_context)'s key alone.
    pub fn key(&self) -> Key {
        self.keyed_context().1
    }
}

/// How far either side of the current page the pager's links reach.
const PAGER_REACH: usize = 3;

/// How many documents the home page lists, and the feed carries.
const HOME_LATEST: usize = 20;
const FEED_ENTRIES: usize = 50;

impl<'a> Renderer<'a> {
    pub fn new(
        theme: &'a mut Theme,
        site: &'a Site,
        config: &'a SiteConfig,
        base_url: &str,
    ) -> Renderer<'a> {
        let base_path = crate::config::base_path_of(base_url);
        let abs_base = if base_url.starts_with("http://") || base_url.starts_with("https://") {
            let mut b = base_url
                .split(['?', '#'])
                .next()
                .unwrap_or(base_url)
                .to_string();
            if !b.ends_with('/') {
                b.push('/');
            }
            b
        } else {
            base_path.clone()
        };
        let domain = abs_base
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
            .to_string();
        register_link_function(theme, "url", base_path.clone());
        register_link_function(theme, "abs_url", abs_base.clone());
        let mut base = tera::Context::new();
        base.insert(
            "site",
            &SiteContext {
                title: config.title.clone(),
                base_url: base_url.to_string(),
                language: config.language.clone(),
                organizer: config.organizer.clone(),
                site_id_code: config.site_id_code.clone().unwrap_or_default(),
                icp: config.icp.clone().unwrap_or_default(),
                police_record: config.police_record.clone().unwrap_or_default(),
                office: config.office.clone(),
                domain,
            },
        );
        base.insert("columns", &columns::tree(&site.columns));
        base.insert("trail", &Vec::<()>::new());
        base.insert(
            "generator",
            &format!("gongkai {}", env!("CARGO_PKG_VERSION")),
        );
        let theme: &'a Theme = theme;
        let base_key = {
            let mut h = Hasher::new();
            hash_json(&mut h, &base.clone().into_json());
            h.finalize().into()
        };
        Renderer {
            base_key,
            summary_keys: Default::default(),
            theme,
            site,
            config,
            base,
            base_path,
            abs_base,
            known_documents: site
                .documents
                .iter()
                .chain(&site.pages)
                .map(|d| (d.path.as_str(), d))
                .collect(),
        }
    }

    fn context(&self, kind: &str, page_path: &str) -> tera::Context {
        let mut c = self.base.clone();
        c.insert("page_kind", kind);
        c.insert("page_path", page_path);
        c
    }

    fn render(
        &self,
        template: &str,
        path: String,
        ctx: &tera::Context,
    ) -> Result<RenderedPage, Diagnostic> {
        if !self.theme.has(template) {
            // Only the column pages are new to themes written before them.
            return Err(Diagnostic::error(
                self.theme.origin("base.html"),
                None,
                format!(
                    "the theme has no `{template}`, which the columns (栏目) of site.toml \
                     need; copy it from gongkai's themes/default/templates/"
                ),
            ));
        }
        Ok(RenderedPage {
            html: self.theme.render(template, ctx)?,
            path,
        })
    }

    /// Renders a document's body (Markdown → HTML and plain text).
    pub fn body(&self, doc: &Document) -> RenderedBody {
        markdown::render(&doc.body, &self.body_links(doc))
    }

    /// [`body`](Self::body) of `doc` whose Markdown is `markdown` (its body, which the
    /// site's documents do not hold), with the relative links it resolved (sorted, each
    /// once): their targets go into the page's [`page_key`](Self::page_key).
    pub fn body_with_links(&self, doc: &Document, markdown: &str) -> (RenderedBody, Vec<String>) {
        let links = RecordedLinks {
            inner: self.body_links(doc),
            seen: Default::default(),
        };
        let body = markdown::render(markdown, &links);
        let mut seen = links.seen.into_inner();
        seen.sort();
        seen.dedup();
        (body, seen)
    }

    /// The key of everything document `i`'s page is made of: its file (`source`), what
    /// every page shares, its address, its 机构/主题/年份 pages' addresses, its column
    /// trail, its neighbours in the lists, and where its links (`links`, as
    /// [`body_with_links`](Self::body_with_links) gave them, and its attachments') lead.
    pub fn page_key(&self, i: usize, source: &Key, links: &[String]) -> Key {
        let doc = &self.site.documents[i];
        let mut h = Hasher::new();
        h.update(&self.base_key);
        h.update(source);
        let term_path = |kind, name: Option<&str>| {
            name.and_then(|n| self.site.term_of(kind, n))
                .map_or("", |t| t.url_path.as_str())
        };
        let f = &doc.front;
        for part in [
            doc.url_path().as_str(),
            term_path(
                TaxonomyKind::Agency,
                f.agency.as_ref().map(|a| a.0.as_str()),
            ),
            term_path(TaxonomyKind::Topic, f.topic.as_deref()),
            self.site.year_of(doc).map_or("", |t| t.url_path.as_str()),
        ] {
            field(&mut h, part.as_bytes());
        }
        let home = self.site.columns.of_document.get(i).copied().flatten();
        hash_json(&mut h, &columns::trail(&self.site.columns, home));
        let summaries = self.summary_keys.get_or_init(|| {
            self.site
                .documents
                .par_iter()
                .map(|d| {
                    let mut h = Hasher::new();
                    hash_json(&mut h, &DocSummary::of(d));
                    h.finalize().into()
                })
                .collect()
        });
        // Newer and older neighbour (none: a key no list entry has).
        for j in [i.checked_sub(1), Some(i + 1)] {
            h.update(j.and_then(|j| summaries.get(j)).unwrap_or(&[0; 32]));
        }
        let resolver = self.body_links(doc);
        let attachments = f.attachments.iter().filter_map(|a| a.url.as_deref());
        for dest in links.iter().map(String::as_str).chain(attachments) {
            field(&mut h, dest.as_bytes());
            field(
                &mut h,
                resolver.resolve(dest).unwrap_or_default().as_bytes(),
            );
        }
        h.finalize().into()
    }

    /// Resolves the links written in `doc` (its body, its 原文链接 and attachments).
    fn body_links<'s>(&'s self, doc: &'s Document) -> BodyLinks<'s> {
        BodyLinks {
            dir: doc.folder(),
            base_path: &self.base_path,
            known: &self.known_documents,
            moved: &self.site.moved_bundles,
        }
    }

    /// The page of document `i` of the site, from its rendered body.
    pub fn document_page(&self, i: usize, body: &RenderedBody) -> Result<RenderedPage, Diagnostic> {
        let doc = &self.site.documents[i];
        let f = &doc.front;
        let links = self.body_links(doc);
        let safe_link = |u: &str| -> String {
            if is_unsafe_url(u) {
                String::new()
            } else if u.starts_with("http://") || u.starts_with("https://") {
                u.to_string()
            } else {
                links.resolve(u).unwrap_or_default()
            }
        };
        let term_path = |kind, name: &str| {
            self.site
                .term_of(kind, name)
                .map(|t| t.url_path.clone())
                .unwrap_or_default()
        };
        let summary = DocSummary::of(doc);
        let ctx_doc = DocContext {
            agency_url_path: term_path(TaxonomyKind::Agency, &summary.agency),
            topic_url_path: f
                .topic
                .as_deref()
                .map(|t| term_path(TaxonomyKind::Topic, t))
                .unwrap_or_default(),
            year_url_path: self
                .site
                .year_of(doc)
                .map(|t| t.url_path.clone())
                .unwrap_or_default(),
            summary,
            published_full: f.published.map(|d| d.to_string()).unwrap_or_default(),
            topic: f.topic.clone().unwrap_or_default(),
            genre: f.genre.clone().unwrap_or_default(),
            validity: f.validity.clone().unwrap_or_default(),
            disclosure: f.disclosure.clone().unwrap_or_default(),
            keywords: f.keywords.clone(),
            incomplete_note: f.completeness_note.clone().unwrap_or_default(),
            source_file: f.source.file.clone().unwrap_or_default(),
            // Only a web address is a link to the original; anything else is dropped.
            source_url: f
                .source
                .url
                .clone()
                .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
                .unwrap_or_default(),
            source_site: f.source.site.clone().unwrap_or_default(),
            source_sha256: f.source.sha256.clone().unwrap_or_default(),
            attachments: f
                .attachments
                .iter()
                .map(|a| AttachmentContext {
                    name: a.name.clone(),
                    url: a.url.as_deref().map(safe_link).unwrap_or_default(),
                })
                .collect(),
            description: description(&body.text),
            body_html: body.html.clone(),
        };
        let url_path = doc.url_path();
        let mut ctx = self.context("document", &url_path);
        ctx.insert("doc", &ctx_doc);
        let home = self.site.columns.of_document.get(i).copied().flatten();
        ctx.insert("trail", &columns::trail(&self.site.columns, home));
        // Neighbours in date order: newer is before in the list.
        let newer = i
            .checked_sub(1)
            .map(|j| DocSummary::of(&self.site.documents[j]));
        let older = self.site.documents.get(i + 1).map(DocSummary::of);
        ctx.insert("prev", &newer);
        ctx.insert("next", &older);
        self.render("document.html", format!("{url_path}index.html"), &ctx)
    }

    /// Every page that is not a document page.
    /// `descriptions` are the documents' summaries, by index (the feed quotes them).
    pub fn other_pages(&self, descriptions: &[String]) -> Vec<Result<RenderedPage, Diagnostic>> {
        self.other_pages_where(descriptions, |_| true)
    }

    /// The pages that are not document pages and whose output path passes `keep`.
    pub fn other_pages_where(
        &self,
        descriptions: &[String],
        keep: impl Fn(&str) -> bool + Sync,
    ) -> Vec<Result<RenderedPage, Diagnostic>> {
        self.other_page_jobs(descriptions)
            .into_par_iter()
            .filter(|job| keep(&job.path))
            .map(|job| self.render_job(&job))
            .collect()
    }

    /// Renders a page that is not a document page.
    pub fn render_job(&self, job: &PageJob<'_>) -> Result<RenderedPage, Diagnostic> {
        self.render_job_with(job, &job.context())
    }

    /// [`render_job`](Self::render_job) with the job's context made already.
    pub fn render_job_with(
        &self,
        job: &PageJob<'_>,
        context: &tera::Context,
    ) -> Result<RenderedPage, Diagnostic> {
        self.render(job.template, job.path.clone(), context)
    }

    /// Every page that is not a document page, not yet rendered, in a fixed order.
    pub fn other_page_jobs(&self, descriptions: &[String]) -> Vec<PageJob<'_>> {
        let mut out: Vec<PageJob<'_>> = Vec::new();
        let site = self.site;
        let summaries = |ids: &[usize]| self.summaries(ids);
        let all: Vec<usize> = (0..site.documents.len()).collect();

        let mut ctx = self.context("home", "");
        ctx.insert("latest", &summaries(&all[..all.len().min(HOME_LATEST)]));
        ctx.insert(
            "agencies",
            &site.agencies.iter().map(term_context).collect::<Vec<_>>(),
        );
        ctx.insert(
            "years",
            &site.years.iter().map(term_context).collect::<Vec<_>>(),
        );
        ctx.insert(
            "topics",
            &site.topics.iter().map(term_context).collect::<Vec<_>>(),
        );
        ctx.insert("total", &site.documents.len());
        out.push(PageJob::made("index.html", "index.html".into(), ctx));

        let per_page = self.config.per_page.max(1);
        for kind in TaxonomyKind::ALL {
            let terms = site.terms(kind);
            let tax = taxonomy_context(kind);
            let mut ctx = self.context("taxonomy", &tax.url_path);
            ctx.insert("taxonomy", &tax);
            ctx.insert("terms", &terms.iter().map(term_context).collect::<Vec<_>>());
            let page = format!("{}index.html", tax.url_path);
            out.push(PageJob::made("taxonomy.html", page, ctx));
            for term in terms {
                for (path, paginator, chunk) in paginate(&term.url_path, &term.documents, per_page)
                {
                    let page = format!("{path}index.html");
                    let tax = tax.clone();
                    out.push(PageJob::new("term.html", page, move || {
                        let mut ctx = self.context("term", &path);
                        ctx.insert("taxonomy", &tax);
                        ctx.insert("term", &term_context(term));
                        ctx.insert("docs", &self.summaries(chunk));
                        ctx.insert("paginator", &paginator);
                        ctx
                    }));
                }
            }
        }
        self.column_pages(&mut out);

        if self.theme.has("search.html") {
            let ctx = self.context("search", "search/");
            out.push(PageJob::made(
                "search.html",
                "search/index.html".into(),
                ctx,
            ));
        }
        let ctx = self.context("404", "404.html");
        out.push(PageJob::made("404.html", "404.html".into(), ctx));

        // Each sitemap file's entries are made when it is rendered (one holds up to 50,000).
        self.sitemap_pages(&mut out);

        let feed: Vec<FeedEntry> = self
            .feed_documents()
            .into_iter()
            .map(|i| (i, &site.documents[i]))
            .map(|(i, d)| FeedEntry {
                summary: DocSummary::of(d),
                abs_url: self.abs(&d.url_path()),
                updated: sort_date(d).map(|x| x.rfc3339()).unwrap_or_default(),
                summary_text: descriptions.get(i).cloned().unwrap_or_default(),
            })
            .collect();
        let updated = feed
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| "1970-01-01T00:00:00+08:00".into());
        let mut ctx = self.context("feed", "atom.xml");
        ctx.insert("entries", &feed);
        ctx.insert("updated", &updated);
        out.push(PageJob::made("atom.xml", "atom.xml".into(), ctx));

        let ctx = self.context("robots", "robots.txt");
        out.push(PageJob::made("robots.txt", "robots.txt".into(), ctx));
        out
    }

    /// The documents the feed quotes (the newest dated ones): only their descriptions
    /// are read by [`other_page_jobs`](Self::other_page_jobs).
    pub fn feed_documents(&self) -> Vec<usize> {
        self.site
            .documents
            .iter()
            .enumerate()
            .filter(|(_, d)| sort_date(d).is_some())
            .take(FEED_ENTRIES)
            .map(|(i, _)| i)
            .collect()
    }

    /// The list entries of documents `ids`.
    fn summaries(&self, ids: &[usize]) -> Vec<DocSummary> {
        ids.iter()
            .map(|&i| DocSummary::of(&self.site.documents[i]))
            .collect()
    }

    fn abs(&self, path: &str) -> String {
        format!("{}{}", self.abs_base, encode_path(path))
    }
}

/// The pages of a list at `url_path` holding `ids`, `per_page` to a page: each page's
/// site path (`…/`, `…/page/2/`), its paginator and its share of `ids`. An empty list
/// still has its first page.
fn paginate<'i>(
    url_path: &str,
    ids: &'i [usize],
    per_page: usize,
) -> Vec<(String, Paginator, &'i [usize])> {
    let mut chunks: Vec<&[usize]> = ids.chunks(per_page).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let total_pages = chunks.len();
    let page_path = |n: usize| {
        if n <= 1 {
            url_path.to_string()
        } else {
            format!("{url_path}page/{n}/")
        }
    };
    chunks
        .into_iter()
        .enumerate()
        .map(|(n, chunk)| {
            let number = n + 1;
            let paginator = Paginator {
                current: number,
                total_pages,
                per_page,
                total: ids.len(),
                prev_url_path: if number > 1 {
                    page_path(number - 1)
                } else {
                    String::new()
                },
                next_url_path: if number < total_pages {
                    page_path(number + 1)
                } else {
                    String::new()
                },
                // A pager shows the ends and the neighbourhood of the current page;
                // listing every page on every page would be quadratic.
                pages: (1..=total_pages)
                    .filter(|&k| k == 1 || k == total_pages || k.abs_diff(number) <= PAGER_REACH)
                    .map(|k| PageLink {
                        number: k,
                        url_path: page_path(k),
                        current: k == number,
                    })
                    .collect(),
            };
            (page_path(number), paginator, chunk)
        })
        .collect()
}

/// Registers a template function `name(path=…)` that returns `prefix` + the encoded path.
fn register_link_function(theme: &mut Theme, name: &'static str, prefix: String) {
    theme
        .tera
        .register_function(name, move |args: &HashMap<String, tera::Value>| {
            let path = path_arg(args, name)?;
            Ok(tera::Value::String(format!(
                "{prefix}{}",
                encode_path(path.trim_start_matches('/'))
            )))
        });
}

fn path_arg<'v>(args: &'v HashMap<String, tera::Value>, func: &str) -> tera::Result<&'v str> {
    args.get("path").and_then(|v| v.as_str()).ok_or_else(|| {
        tera::Error::msg(format!(
            "{func}() needs a path, e.g. {func}(path=\"agency/\")"
        ))
    })
}

/// The first sentences of a body, for `<meta name="Description">` and the feed.
pub fn description(text: &str) -> String {
    const MAX: usize = 120;
    let mut out = String::with_capacity(text.len().min(MAX * 3) + 3);
    // Characters in `out`, counted as they go in (counting `out` again for each one was
    // most of the function's time).
    let mut count = 0;
    for c in text.chars() {
        if count >= MAX {
            out.push('…');
            break;
        }
        if c.is_whitespace() {
            if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
                count += 1;
            }
        } else if !matches!(c, '#' | '*' | '\\' | '|' | '>' | '`') {
            out.push(c);
            count += 1;
        }
    }
    // White space is only ever a single space, never the first: only the end can have
    // one to trim.
    let end = out.trim_end().len();
    out.truncate(end);
    out
}

/// Body links that remember which destinations they were asked for.
struct RecordedLinks<'a> {
    inner: BodyLinks<'a>,
    seen: std::cell::RefCell<Vec<String>>,
}

impl LinkResolver for RecordedLinks<'_> {
    fn resolve(&self, dest: &str) -> Option<String> {
        self.seen.borrow_mut().push(dest.to_string());
        self.inner.resolve(dest)
    }
}

/// Resolves relative links of a body against the document's folder in content/: a link
/// to another `.md` becomes a link to that document's page, any other file a link to
/// its copy in the output.
struct BodyLinks<'a> {
    dir: &'a str,
    base_path: &'a str,
    known: &'a HashMap<&'a str, &'a Document>,
    moved: &'a crate::site::model::MovedBundles,
}

impl LinkResolver for BodyLinks<'_> {
    fn resolve(&self, dest: &str) -> Option<String> {
        let split = dest.find(['?', '#']).unwrap_or(dest.len());
        let (path, rest) = dest.split_at(split);
        if path.is_empty() {
            return None;
        }
        let decoded = crate::document::content_path(self.dir, path)?;
        let target = match self.known.get(decoded.as_str()) {
            Some(doc) => doc.url_path(),
            None => self.moved.output_path(&decoded).into_owned(),
        };
        Some(format!("{}{}{rest}", self.base_path, encode_path(&target)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_links_resolve_against_the_document_folder() {
        let documents: Vec<Document> = ["2021/b.md", "2020/通知.md", "2021/c/index.md"]
            .into_iter()
            .map(|p| Document::parse(std::path::Path::new(p), p, "---\n标题: 通知\n---\n").unwrap())
            .collect();
        let known: HashMap<&str, &Document> =
            documents.iter().map(|d| (d.path.as_str(), d)).collect();
        let moved = crate::site::model::MovedBundles::default();
        let l = BodyLinks {
            dir: "2021/",
            base_path: "/gk/",
            known: &known,
            moved: &moved,
        };
        assert_eq!(l.resolve("b.md").as_deref(), Some("/gk/2021/b/"));
        assert_eq!(l.resolve("b.md#一").as_deref(), Some("/gk/2021/b/#一"));
        assert_eq!(
            l.resolve("../2020/通知.md").as_deref(),
            Some("/gk/2020/%E9%80%9A%E7%9F%A5/")
        );
        assert_eq!(
            l.resolve("files/附件.pdf").as_deref(),
            Some("/gk/2021/files/%E9%99%84%E4%BB%B6.pdf")
        );
        assert_eq!(l.resolve("/year/2021/").as_deref(), Some("/gk/year/2021/"));
        assert_eq!(l.resolve("c/index.md").as_deref(), Some("/gk/2021/c/"));
        assert_eq!(l.resolve("../../../etc/passwd"), None);
    }

    #[test]
    fn description_is_short_plain_text() {
        let d = description("一、工作\n双减落实。\n");
        assert_eq!(d, "一、工作 双减落实。");
        let long = "字".repeat(300);
        assert_eq!(description(&long).chars().count(), 121);
        // Space at the cut stays before the ellipsis; trailing space goes.
        let at_cut = format!("{}\n\n正文", "字".repeat(119));
        assert_eq!(description(&at_cut), format!("{} …", "字".repeat(119)));
        assert_eq!(description("  # 标题 **粗** \u{3000}\n"), "标题 粗");
        assert_eq!(description(" \t\n"), "");
    }
}
