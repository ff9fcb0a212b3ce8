//! `build`: content/ → a static site in the output folder.
//!
//! load ([`load`]) → order and group ([`model`]) → render pages in parallel ([`pages`])
//! and index them ([`crate::search`]) → write all-or-nothing ([`output`]).

pub mod bundle;
mod cache;
pub mod columns;
pub mod incremental;
pub mod load;
pub mod model;
pub mod offline;
pub mod output;
pub mod pages;
mod profile;
mod update;

use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::Document;
use crate::render::templates::Theme;
use crate::search::{self, AttachmentText, BuiltIndex, SearchDocument, SearchIndex};

/// Documents rendered together before their text goes to the search index.
const CHUNK: usize = 512;

/// What `gongkai build` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The archive's folder (holding site.toml).
    pub root: PathBuf,
    /// Output folder; default: `output_dir` of site.toml, under the root.
    pub output: Option<PathBuf>,
    /// Overrides `base_url` of site.toml.
    pub base_url: Option<String>,
    /// Build for file:// (a USB copy), whatever site.toml says; see [`offline`].
    pub offline: bool,
    /// Keep a build cache beside the output (`.NAME.gongkai-cache`) and, when it
    /// holds, change only what the sources' changes touch, in place ([`update`]).
    /// Offline copies are always built whole.
    pub cache: bool,
    /// With `cache`: build everything, whatever the cache holds (then write it anew).
    pub clean: bool,
}

/// What a successful build did.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    pub documents: usize,
    pub pages: usize,
    pub files: usize,
    pub output: PathBuf,
    /// For a build that changed the output in place: the pages it rendered again (the
    /// others were current).
    pub updated: Option<usize>,
}

impl fmt::Display for BuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.updated {
            Some(n) => write!(
                f,
                "built {} documents: {n} of {} pages were rendered again (the rest were \
                 current, as the build cache says) in {}",
                self.documents,
                self.pages,
                self.output.display()
            ),
            None => write!(
                f,
                "built {} documents: {} pages and {} other files in {}",
                self.documents,
                self.pages,
                self.files,
                self.output.display()
            ),
        }
    }
}

/// Builds the archive at `opts.root`. On any error nothing is written and the previous
/// output stays as it was; every problem found is returned.
pub fn build(opts: &BuildOptions) -> Result<BuildSummary, Diagnostics> {
    full_build(opts, false).map(|(summary, _)| summary)
}

/// What a build computed that a later, incremental build can reuse (see
/// [`incremental`]): the parsed site, the theme, each document's plain text and the
/// finished search index.
pub(crate) struct BuildState {
    pub config: SiteConfig,
    pub base_url: String,
    pub output: PathBuf,
    pub theme: Theme,
    pub site: model::Site,
    /// Plain text of each document's body, by its index in `site.documents`.
    pub texts: KeptTexts,
    /// The summary of each document (its feed entry, its Description).
    pub descriptions: Vec<String>,
    pub search: BuiltIndex,
    /// Each document's id in the search index, by its index in `site.documents`.
    pub search_ids: Vec<u32>,
}

/// Every document's plain text, kept by the preview: a changed document's old text says
/// which search postings to take it out of. Compressed (lz4), as at 100,000 documents
/// the plain texts are the largest part of the kept state.
#[derive(Default)]
pub(crate) struct KeptTexts(Vec<Box<[u8]>>);

impl KeptTexts {
    fn with_len(n: usize) -> KeptTexts {
        KeptTexts(vec![Box::default(); n])
    }

    /// Keeps each `(i, text)` as document `i`'s text (compressed in parallel).
    pub fn set_all(&mut self, texts: &[(usize, String)]) {
        let packed: Vec<(usize, Box<[u8]>)> = texts
            .par_iter()
            .map(|(i, text)| {
                let bytes = lz4_flex::compress_prepend_size(text.as_bytes());
                (*i, bytes.into_boxed_slice())
            })
            .collect();
        for (i, bytes) in packed {
            self.0[i] = bytes;
        }
    }

    /// Document `i`'s text ("" for one never set).
    pub fn get(&self, i: usize) -> String {
        lz4_flex::decompress_size_prepended(&self.0[i])
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

/// A document's page as rendered.
pub(crate) struct RenderedDocument {
    /// Output path of the page, and its HTML (UTF-8).
    pub path: String,
    pub html: Vec<u8>,
    /// The body's plain text.
    pub text: String,
    /// The relative links the body resolved ([`pages::Renderer::page_key`]).
    pub links: Vec<String>,
}

/// Renders document `i` of the site, its body read again from its file (the site holds
/// front matter only). The body is cut after the `---` block: its front matter was
/// parsed when the archive was loaded, and is not parsed again.
pub(crate) fn render_document(
    renderer: &pages::Renderer<'_>,
    i: usize,
    content_dir: &Path,
) -> Result<RenderedDocument, Vec<Diagnostic>> {
    let doc = &renderer.site.documents[i];
    let file = doc.file(content_dir);
    let bytes = load::read_bytes(&file)?;
    let text = load::utf8_text(&file, &bytes)?;
    match Document::body_of(text) {
        Some(body) => render_body(renderer, i, body),
        // The file lost its front matter since it was loaded: the messages of a parse.
        None => render_read_document(renderer, i, &Document::parse(&file, &doc.path, text)?),
    }
}

/// [`render_document`] for a document already read in full (`full` is document `i`
/// with its body).
pub(crate) fn render_read_document(
    renderer: &pages::Renderer<'_>,
    i: usize,
    full: &Document,
) -> Result<RenderedDocument, Vec<Diagnostic>> {
    render_body(renderer, i, &full.body)
}

/// Renders document `i`'s page with `markdown` as its body.
fn render_body(
    renderer: &pages::Renderer<'_>,
    i: usize,
    markdown: &str,
) -> Result<RenderedDocument, Vec<Diagnostic>> {
    let (body, links) = renderer.body_with_links(&renderer.site.documents[i], markdown);
    let page = renderer.document_page(i, &body).map_err(|e| vec![e])?;
    Ok(RenderedDocument {
        path: page.path,
        html: page.html,
        text: body.text,
        links,
    })
}

/// The settings of a build: site.toml with the command line's overrides applied.
fn settings(opts: &BuildOptions) -> Result<(SiteConfig, String, PathBuf), Diagnostics> {
    let root = &opts.root;
    let config = SiteConfig::load(root)?;
    let base_url = match &opts.base_url {
        Some(b) => {
            // The same check as site.toml's, naming the flag instead of the key.
            let probe = format!(
                "title = \"x\"\norganizer = \"x\"\nbase_url = {}\n",
                toml::Value::String(b.clone())
            );
            SiteConfig::parse(Path::new("--base-url"), &probe).map_err(|mut d| {
                d.line = None;
                Diagnostics::from(d)
            })?;
            b.clone()
        }
        None => config.base_url.clone(),
    };
    let output = opts
        .output
        .clone()
        .unwrap_or_else(|| root.join(&config.output_dir));
    check_output_location(root, &output)?;
    Ok((config, base_url, output))
}

/// A whole build. With `keep`, the state is returned for incremental rebuilds, which
/// costs the memory of every document's plain text and of the search index.
pub(crate) fn full_build(
    opts: &BuildOptions,
    keep: bool,
) -> Result<(BuildSummary, Option<BuildState>), Diagnostics> {
    let root = &opts.root;
    let timer = profile::Timer::start();
    let started_ns = cache::now_ns();
    let (config, base_url, output) = settings(opts)?;
    // Offline copies are rewritten as a whole after writing (see `offline`): no cache.
    let use_cache = opts.cache && !keep && !(opts.offline || config.offline);

    // Theme and content are both read before giving up, so all errors show at once.
    let mut errors = Diagnostics::new();
    let mut theme = Theme::load(root, &config.theme)
        .map_err(|e| errors.extend(e))
        .ok();
    let content_dir = root.join("content");
    let cache_key = match &theme {
        Some(theme) if use_cache => Some(cache::build_key(root, theme, &base_url, &output)),
        _ => None,
    };
    if let (Some(key), Some(theme), false) = (&cache_key, theme.as_mut(), opts.clean)
        && let Some(summary) = update::build_in_place(
            &update::Settings {
                root,
                config: &config,
                base_url: &base_url,
                output: &output,
                key: *key,
                started_ns,
            },
            theme,
        )?
    {
        return Ok((summary, None));
    }
    // Bodies are read again while rendering, a chunk at a time: an archive of 100,000
    // documents does not fit its 2 GB of Markdown in memory next to everything else.
    let (content, sources, content_errors) = if use_cache {
        load::load_sources(&content_dir, &Default::default(), started_ns)
    } else {
        let (content, errors) = load::load_content(&content_dir, load::Bodies::Drop);
        (content, Vec::new(), errors)
    };
    errors.extend(content_errors);
    let Some(mut theme) = theme.filter(|_| !errors.has_errors()) else {
        return Err(errors.sorted());
    };
    let (site, content_paths, content_files) =
        site_model(content.documents, &content.assets, &content_dir, &config)?;
    // Attachments' text files are read for search, never published.
    let text_files = bundle::text_files(&site.documents);
    timer.lap("load");
    let renderer = pages::Renderer::new(&mut theme, &site, &config, &base_url);
    let staging = output::Staging::new(&output)?;

    // Document pages, rendered in parallel a chunk at a time, in the order the search
    // index takes them; unless kept, only one chunk's plain text is held at once. The
    // index spills its postings past its budget into the staging folder (removed with
    // it, and before the commit).
    let mut index = SearchIndex::new().runs_in(staging.path());
    let mut kept_texts = if keep {
        KeptTexts::with_len(site.documents.len())
    } else {
        KeptTexts::default()
    };
    let mut descriptions = vec![String::new(); site.documents.len()];
    // Only the feed quotes descriptions (a kept state may need any later).
    let mut quoted = vec![keep; site.documents.len()];
    for i in renderer.feed_documents() {
        quoted[i] = true;
    }
    // With the cache: each document's page key and links, by index in the site.
    let mut keyed: Vec<(cache::Key, Vec<String>)> = Vec::new();
    if use_cache {
        keyed.resize(site.documents.len(), Default::default());
    }
    // The site's documents were sorted; the sources are in content order.
    let source_at = if use_cache {
        content_indices(&site, &content_paths)
    } else {
        Vec::new()
    };
    let order = search_order(&site);
    // The counted terms of the chunk before, merged into the postings while this chunk
    // renders: the merge is off the critical path, and merges still go in chunk order.
    let mut unmerged: Option<Vec<search::CountedDocument>> = None;
    for (c, chunk) in order.chunks(CHUNK).enumerate() {
        type Rendered = (
            String,
            search::CountedDocument,
            Option<(cache::Key, Vec<String>)>,
        );
        let render_chunk = || -> Vec<Result<Rendered, Vec<Diagnostic>>> {
            chunk
                .par_iter()
                .enumerate()
                .map(|(k, &i)| {
                    let page = render_document(&renderer, i, &content_dir)?;
                    staging.write(&page.path, &page.html).map_err(|e| vec![e])?;
                    let key = source_at
                        .get(i)
                        .and_then(|&at| sources.get(at as usize))
                        .map(|(s, _)| (renderer.page_key(i, &s.hash, &page.links), page.links));
                    let attached =
                        bundle::attachment_texts(&site.documents[i], &content_dir, &content_files)
                            .map_err(|e| vec![e])?;
                    // The document's own search files go out with its page (its id is its
                    // place in `order`), and its terms are counted in the same scan of its
                    // text; only adding them waits for the index.
                    let summary = pages::DocSummary::of(&site.documents[i]);
                    let id = (c * CHUNK + k) as u32;
                    let (files, counted) = search::prepare_document(
                        id,
                        &search_document(&summary, &page.text, &attached),
                    );
                    for (rel, file) in files {
                        staging
                            .write(&format!("search/{rel}"), file.as_bytes())
                            .map_err(|e| vec![e])?;
                    }
                    Ok((page.text, counted, key))
                })
                .collect()
        };
        let before = unmerged.take();
        let merge_before = || {
            if let Some(counted) = before {
                index.add_counted(counted);
            }
        };
        let ((), results) = rayon::join(merge_before, render_chunk);
        let mut batch: Vec<(usize, String)> = Vec::with_capacity(chunk.len());
        let mut counted: Vec<search::CountedDocument> = Vec::with_capacity(chunk.len());
        for (&i, r) in chunk.iter().zip(results) {
            match r {
                Ok((text, terms, key)) => {
                    if let Some(key) = key {
                        keyed[i] = key;
                    }
                    if quoted[i] {
                        descriptions[i] = pages::description(&text);
                    }
                    batch.push((i, text));
                    counted.push(terms);
                }
                Err(e) => errors.extend(e),
            }
        }
        unmerged = Some(counted);
        if keep {
            kept_texts.set_all(&batch);
        }
    }
    if let Some(counted) = unmerged {
        index.add_counted(counted);
    }
    timer.lap("document pages");
    let mut pages = site.documents.len();
    // Each list page's context is made, keyed, rendered and dropped in one step.
    let jobs = renderer.other_page_jobs(&descriptions);
    let render_list_pages = || -> Vec<Result<Option<cache::Key>, Diagnostic>> {
        jobs.par_iter()
            .map(|job| {
                let (context, key) = if use_cache {
                    let (context, key) = job.keyed_context();
                    (context, Some(key))
                } else {
                    (job.context(), None)
                };
                let page = renderer.render_job_with(job, &context)?;
                staging.write(&page.path, &page.html)?;
                Ok(key)
            })
            .collect()
    };
    // The search index's shards are merged and written while the list pages render:
    // the two write different files (search/t/, search/core.js; the pages' folders), and
    // the shards' merge is mostly one thread's work that the pages fill the other core
    // around. The index is written whether or not a list page fails (the staging folder
    // goes then, with it).
    let (runs, run_bytes) = index.spilled();
    let (rendered, search_written) = rayon::join(render_list_pages, || index.write(staging.path()));
    let mut page_keys: Vec<(String, cache::Key)> = Vec::new();
    for (job, r) in jobs.iter().zip(rendered) {
        match r {
            Ok(key) => {
                pages += 1;
                page_keys.extend(key.map(|k| (job.path.clone(), k)));
            }
            Err(e) => errors.push(e),
        }
    }
    drop(jobs);
    if errors.has_errors() {
        return Err(errors.sorted());
    }
    let (written, search_meta) =
        search_written.map_err(|e| Diagnostic::error(e.folder, None, e.message))?;
    let mut files = written.files;
    for f in &theme.static_files {
        staging.write(&f.path, &f.bytes)?;
        files += 1;
    }
    for (rel, path) in content
        .assets
        .iter()
        .filter(|(rel, _)| !text_files.contains(rel))
    {
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostic::error(path, None, format!("cannot read: {e}")))?;
        staging.write(&site.output_path(rel), &bytes)?;
        files += 1;
    }
    timer.lap("list pages and search index");
    timer.note(&format!(
        "search index: {runs} run files, {} MB spilled",
        run_bytes >> 20
    ));

    if opts.offline || config.offline {
        offline::make_relative(staging.path(), &base_url)?;
        timer.lap("offline rewrite");
    }

    let output = staging.commit()?;
    timer.lap("swap into place");
    match cache_key {
        Some(key) => {
            // Every file of content/, the column pages' too (their text is in their
            // column's page, whose key says when it changed); each entry made as it is
            // written.
            let mut at = vec![None; content_paths.len()];
            for (i, &c) in source_at.iter().enumerate() {
                if let Some(slot) = at.get_mut(c as usize) {
                    *slot = Some(i);
                }
            }
            let pages = column_pages(&site);
            let documents =
                content_paths
                    .iter()
                    .zip(sources)
                    .zip(at)
                    .map(|((path, (source, _)), at)| {
                        let (page_key, links, url_path, front) = match at {
                            Some(i) => {
                                let (key, links) = std::mem::take(&mut keyed[i]);
                                let doc = &site.documents[i];
                                (key, links, doc.url_path(), cache::front_bytes(doc))
                            }
                            None => {
                                let front = pages.get(path.as_str()).map(|d| cache::front_bytes(d));
                                (
                                    cache::Key::default(),
                                    Vec::new(),
                                    String::new(),
                                    front.unwrap_or_default(),
                                )
                            }
                        };
                        cache::CachedDocument {
                            path: path.clone(),
                            source,
                            front,
                            page_key,
                            links,
                            url_path,
                        }
                    });
            cache::BuildCache::save_streamed(
                &output,
                key,
                started_ns,
                documents,
                &cache::asset_stamps(&content.assets),
                &page_keys,
                &search_meta,
            )?;
            timer.lap("build cache");
        }
        // Whatever cache there was describes an output that is gone.
        None => cache::BuildCache::forget(&output)?,
    }
    let summary = BuildSummary {
        documents: site.documents.len(),
        pages,
        files,
        output: output.clone(),
        updated: None,
    };
    let state = keep.then(|| {
        let mut search_ids = vec![0u32; order.len()];
        for (id, &i) in order.iter().enumerate() {
            search_ids[i] = id as u32;
        }
        BuildState {
            config,
            base_url,
            output,
            theme,
            site,
            texts: kept_texts,
            descriptions,
            // Term shards are read from the output when a change first needs them.
            search: BuiltIndex::from_files(&summary.output, search_meta),
            search_ids,
        }
    });
    Ok((summary, state))
}

/// Document indices in the order the search index takes them: by page path.
/// The site model of the loaded content, as a full and an in-place build both make it:
/// the column tree, crowded folders nested, the column pages' bodies read (they are
/// few: once, here). Also the documents' paths in content order and the content's
/// other files (`assets`) as a set.
fn site_model(
    documents: Vec<Document>,
    assets: &[(String, PathBuf)],
    content_dir: &Path,
    config: &SiteConfig,
) -> Result<(model::Site, Vec<String>, bundle::ContentFiles), Diagnostics> {
    let columns = columns::Columns::from_config(&config.columns);
    let content_paths: Vec<String> = documents.iter().map(|d| d.path.clone()).collect();
    let mut site = model::Site::new(documents, content_dir, columns)?;
    site.nest_crowded_folders(config.max_documents_per_folder);
    for page in &mut site.pages {
        *page = load::read_document(&page.file(content_dir), &page.path).map_err(|e| {
            let mut all = Diagnostics::new();
            all.extend(e);
            all
        })?;
    }
    let content_files: bundle::ContentFiles = assets.iter().cloned().collect();
    Ok((site, content_paths, content_files))
}

/// For each of the site's documents, its place in `content_paths` (the order of the
/// loaded content and of its sources).
fn content_indices(site: &model::Site, content_paths: &[String]) -> Vec<u32> {
    let place: std::collections::HashMap<&str, u32> = content_paths
        .iter()
        .enumerate()
        .map(|(c, p)| (p.as_str(), c as u32))
        .collect();
    // Every document of the site was loaded from one of those paths.
    site.documents
        .iter()
        .map(|d| place.get(d.path.as_str()).copied().unwrap_or(u32::MAX))
        .collect()
}

/// The site's column pages (指南, 依申请公开 …) by path: content files that are not
/// among its documents.
fn column_pages(site: &model::Site) -> std::collections::HashMap<&str, &Document> {
    site.pages.iter().map(|d| (d.path.as_str(), d)).collect()
}

fn search_order(site: &model::Site) -> Vec<usize> {
    let url_paths: Vec<String> = site.documents.iter().map(|d| d.url_path()).collect();
    let mut order: Vec<usize> = (0..site.documents.len()).collect();
    order.sort_by(|&a, &b| url_paths[a].cmp(&url_paths[b]));
    order
}

/// A document as the search index takes it.
fn search_document<'a>(
    summary: &'a pages::DocSummary,
    text: &'a str,
    attachments: &'a [AttachmentText],
) -> SearchDocument<'a> {
    SearchDocument {
        url_path: &summary.url_path,
        title: &summary.title,
        agency: &summary.agency,
        published: &summary.published,
        year: summary.year,
        index_no: &summary.index_no,
        doc_no: &summary.doc_no,
        text,
        attachments,
    }
}

/// Refuses outputs that would swallow the archive itself when the old output is replaced.
fn check_output_location(root: &Path, output: &Path) -> Result<(), Diagnostic> {
    let (root_abs, out_abs) = (output::resolved(root), output::resolved(output));
    let content = root_abs.join("content");
    if root_abs.starts_with(&out_abs) || out_abs.starts_with(&content) {
        return Err(Diagnostic::error(
            output,
            None,
            "the output folder would contain the archive (or sit inside content/); \
             choose a folder of its own, e.g. --output public",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::KeptTexts;

    #[test]
    fn kept_texts_come_back_as_they_were_put() {
        let mut texts = KeptTexts::with_len(3);
        let long = "各乡镇人民政府，县直各部门：现将有关事项通知如下。".repeat(200);
        texts.set_all(&[(0, long.clone()), (2, "短".to_string())]);
        assert_eq!(texts.get(0), long);
        assert_eq!(texts.get(1), "");
        assert_eq!(texts.get(2), "短");
        // Repetitive Chinese text is kept in a fraction of its size.
        assert!(texts.0[0].len() * 4 < long.len());
    }
}
