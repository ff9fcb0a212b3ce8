//! `gongkai build` when the output's build cache holds ([`super::cache`]): the site is
//! made as a full build makes it (every document's front matter, the lists, the search
//! order), but only the pages whose key changed are rendered, only the search files a
//! changed document touches are written, and everything is written in place.
//!
//! Writing in place instead of into a staging folder that is swapped in: a full copy of
//! a 100,000-document output is gigabytes, which no five-second build can write. What
//! keeps it safe: (1) everything is rendered, and every error found, before the first
//! file is touched, so a refused build changes nothing; (2) each file is replaced through
//! a temporary name and a rename, so a reader (a web server, a browser) sees the old
//! bytes or the new, never half; (3) the cache is removed before the first write and
//! written again after the last, so a build stopped in between leaves no cache and the
//! next build is a full one, into a staging folder. The output's lock is held throughout.
//!
//! A document removed, or one added anywhere but after every other in the search
//! index's order (which numbers documents by page path: the others would be
//! renumbered), a folder newly nested, a changed attachment or image under content/, or
//! an output that is not there: a full build. A document added after the others (a new
//! year's, or the next number of a year) is an in-place build like a change.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use super::cache::{self, BuildCache, CachedDocument, Key, Source};
use super::incremental::write_replacing;
use super::pages::{DocSummary, PageJob, Renderer, description};
use super::{
    BuildSummary, RenderedDocument, bundle, load, output, profile, render_document,
    search_document, search_order,
};
use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::render::templates::Theme;
use crate::search::BuiltIndex;

/// What a build was asked for, as [`super::full_build`] worked it out.
pub(super) struct Settings<'a> {
    pub root: &'a Path,
    pub config: &'a SiteConfig,
    pub base_url: &'a str,
    pub output: &'a Path,
    pub key: Key,
    pub started_ns: u64,
}

/// Brings the output up to date in place from its cache. `Ok(None)` when the cache
/// cannot serve (none, another key, documents added or removed …): the caller then makes
/// a full build, which also reports any error in the sources.
pub(super) fn build_in_place(
    s: &Settings<'_>,
    theme: &mut Theme,
) -> Result<Option<BuildSummary>, Diagnostics> {
    if !s.output.join("search").is_dir() {
        return Ok(None);
    }
    let _lock = output::lock(s.output)?;
    let Some(previous) = BuildCache::load(s.output, &s.key) else {
        return Ok(None);
    };
    let timer = profile::Timer::start();
    let content_dir = s.root.join("content");
    let cached: HashMap<&str, &CachedDocument> = previous
        .documents
        .iter()
        .map(|d| (d.path.as_str(), d))
        .collect();
    let (content, sources, errors) = load::load_sources(&content_dir, &cached, previous.started_ns);
    drop(cached);
    let paths: HashSet<&str> = content.documents.iter().map(|d| d.path.as_str()).collect();
    let removed = previous
        .documents
        .iter()
        .any(|c| !paths.contains(c.path.as_str()));
    drop(paths);
    if errors.has_errors() || removed || cache::asset_stamps(&content.assets) != previous.assets {
        return Ok(None);
    }
    timer.lap("load (cache)");

    // The site as a full build makes it.
    let (site, content_paths, content_files) =
        super::site_model(content.documents, &content.assets, &content_dir, s.config)?;
    let renderer = Renderer::new(theme, &site, s.config, s.base_url);
    let was: HashMap<&str, &CachedDocument> = previous
        .documents
        .iter()
        .map(|d| (d.path.as_str(), d))
        .collect();
    let now: HashMap<&str, &(Source, bool)> = content_paths
        .iter()
        .map(String::as_str)
        .zip(&sources)
        .collect();

    // Document pages whose key changed: their own file, a neighbour, a link's target …
    let stale: Vec<usize> = (0..site.documents.len())
        .into_par_iter()
        .filter(|&i| {
            let path = site.documents[i].path.as_str();
            match (was.get(path), now.get(path)) {
                (Some(c), Some((source, _))) => {
                    renderer.page_key(i, &source.hash, &c.links) != c.page_key
                }
                _ => true,
            }
        })
        .collect();
    let rendered: Vec<Result<(usize, RenderedDocument), Vec<Diagnostic>>> = stale
        .par_iter()
        .map(|&i| render_document(&renderer, i, &content_dir).map(|page| (i, page)))
        .collect();
    let mut errors = Diagnostics::new();
    let mut pages: Vec<(usize, RenderedDocument)> = Vec::with_capacity(rendered.len());
    for r in rendered {
        match r {
            Ok(page) => pages.push(page),
            Err(e) => errors.extend(e),
        }
    }
    if errors.has_errors() {
        return Err(errors.sorted());
    }
    timer.lap("document pages");

    // Descriptions: only the feed quotes them, so only the feed's documents need one
    // (from its text, rendered again if its page was current).
    let mut descriptions = vec![String::new(); site.documents.len()];
    let rendered_text: HashMap<usize, &str> =
        pages.iter().map(|(i, p)| (*i, p.text.as_str())).collect();
    let quoted: Vec<Result<(usize, String), Vec<Diagnostic>>> = renderer
        .feed_documents()
        .into_par_iter()
        .map(|i| match rendered_text.get(&i) {
            Some(text) => Ok((i, description(text))),
            None => {
                let d = &site.documents[i];
                let full = load::read_document(&d.file(&content_dir), &d.path)?;
                Ok((i, description(&renderer.body(&full).text)))
            }
        })
        .collect();
    for r in quoted {
        match r {
            Ok((i, d)) => descriptions[i] = d,
            Err(e) => errors.extend(e),
        }
    }

    // The other pages whose context changed, and those no longer made.
    let jobs = renderer.other_page_jobs(&descriptions);
    let keys: Vec<Key> = jobs.par_iter().map(PageJob::key).collect();
    let before: HashMap<&str, &Key> = previous
        .pages
        .iter()
        .map(|(p, k)| (p.as_str(), k))
        .collect();
    let other: Vec<Result<super::pages::RenderedPage, Diagnostic>> = jobs
        .par_iter()
        .zip(&keys)
        .filter(|(job, key)| before.get(job.path.as_str()) != Some(key))
        .map(|(job, _)| renderer.render_job(job))
        .collect();
    let made: HashSet<&str> = jobs.iter().map(|j| j.path.as_str()).collect();
    let gone: Vec<&str> = previous
        .pages
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| !made.contains(p))
        .collect();
    let mut other_pages = Vec::with_capacity(other.len());
    for r in other {
        match r {
            Ok(p) => other_pages.push(p),
            Err(e) => errors.push(e),
        }
    }
    if errors.has_errors() {
        return Err(errors.sorted());
    }
    timer.lap("list pages");

    // The search index: each document whose file changed, out as the output's files hold
    // it and in as it is now. Ids are places in path order, as in a full build.
    let order = search_order(&site);
    let mut ids = vec![0u32; order.len()];
    for (id, &i) in order.iter().enumerate() {
        ids[i] = id as u32;
    }
    // Documents added: each must come after every earlier one in that order (a new
    // year's, a new number's), so that no other document is renumbered, and no page may
    // have moved (a folder newly nested).
    let mut index = BuiltIndex::from_files(s.output, previous.search.clone());
    let earlier = index.documents();
    let mut added: Vec<usize> = Vec::new();
    for (i, d) in site.documents.iter().enumerate() {
        match was.get(d.path.as_str()) {
            Some(c) if c.url_path != d.url_path() => return Ok(None),
            Some(_) => {}
            None if (ids[i] as usize) < earlier => return Ok(None),
            None => added.push(i),
        }
    }
    if earlier + added.len() != site.documents.len() {
        return Ok(None);
    }
    added.sort_by_key(|&i| ids[i]);
    let search_error = |e: std::io::Error| {
        Diagnostic::error(
            s.output.join("search"),
            None,
            format!(
                "cannot update the search index: {e}; run `gongkai build --clean` to build \
                 the whole site again"
            ),
        )
    };
    let text_of: HashMap<usize, &RenderedDocument> = pages.iter().map(|(i, p)| (*i, p)).collect();
    for (i, page) in &pages {
        let doc = &site.documents[*i];
        if !was.contains_key(doc.path.as_str())
            || !now
                .get(doc.path.as_str())
                .is_some_and(|(_, changed)| *changed)
        {
            continue;
        }
        let old = index.read_document(ids[*i]).map_err(search_error)?;
        let summary = DocSummary::of(doc);
        let attached = bundle::attachment_texts(doc, &content_dir, &content_files)?;
        index
            .replace_document(
                ids[*i],
                &old.search_document(),
                &search_document(&summary, &page.text, &attached),
            )
            .map_err(search_error)?;
    }
    for &i in &added {
        // A new document has no key in the cache: its page was rendered.
        let Some(page) = text_of.get(&i) else {
            return Ok(None);
        };
        let doc = &site.documents[i];
        let summary = DocSummary::of(doc);
        let attached = bundle::attachment_texts(doc, &content_dir, &content_files)?;
        index
            .append_document(&search_document(&summary, &page.text, &attached))
            .map_err(search_error)?;
    }
    timer.lap("search index");

    // Nothing was written so far; from here on the output changes.
    BuildCache::forget(s.output)?;
    let written: Vec<Result<(), Diagnostic>> = pages
        .par_iter()
        .map(|(_, p)| (p.path.as_str(), &p.html))
        .chain(other_pages.par_iter().map(|p| (p.path.as_str(), &p.html)))
        .map(|(path, bytes)| write_replacing(s.output, path, bytes))
        .collect();
    for r in written {
        r?;
    }
    for path in &gone {
        remove_page(s.output, path)?;
    }
    index.write_changed(s.output).map_err(search_error)?;
    timer.lap("write");

    let mut made_now: HashMap<&str, (Key, Vec<String>)> = HashMap::new();
    for (i, page) in &pages {
        let path = site.documents[*i].path.as_str();
        if let Some((source, _)) = now.get(path) {
            let key = renderer.page_key(*i, &source.hash, &page.links);
            made_now.insert(path, (key, page.links.clone()));
        }
    }
    let url_paths: HashMap<&str, String> = site
        .documents
        .iter()
        .map(|d| (d.path.as_str(), d.url_path()))
        .collect();
    let loaded: HashMap<&str, &crate::document::Document> = super::column_pages(&site)
        .into_iter()
        .chain(site.documents.iter().map(|d| (d.path.as_str(), d)))
        .collect();
    let documents = content_paths
        .iter()
        .zip(sources)
        .map(|(path, (source, _))| {
            let (page_key, links) = made_now
                .remove(path.as_str())
                .or_else(|| {
                    was.get(path.as_str())
                        .map(|c| (c.page_key, c.links.clone()))
                })
                .unwrap_or_default();
            CachedDocument {
                path: path.clone(),
                source,
                front: loaded
                    .get(path.as_str())
                    .map(|d| cache::front_bytes(d))
                    .unwrap_or_default(),
                page_key,
                links,
                url_path: url_paths.get(path.as_str()).cloned().unwrap_or_default(),
            }
        });
    let page_keys: Vec<(String, Key)> = jobs.iter().map(|j| j.path.clone()).zip(keys).collect();
    BuildCache::save_streamed(
        s.output,
        s.key,
        s.started_ns,
        documents,
        &previous.assets,
        &page_keys,
        &index.meta(),
    )?;
    timer.lap("build cache");
    Ok(Some(BuildSummary {
        documents: site.documents.len(),
        pages: site.documents.len() + jobs.len(),
        files: 0,
        output: s.output.to_path_buf(),
        updated: Some(pages.len() + other_pages.len()),
    }))
}

/// Removes a page no longer made, and the folders it leaves empty.
fn remove_page(root: &Path, rel: &str) -> Result<(), Diagnostic> {
    let path = rel
        .split('/')
        .filter(|s| !s.is_empty())
        .fold(root.to_path_buf(), |p, s| p.join(s));
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(Diagnostic::error(
                &path,
                None,
                format!("cannot remove: {e}"),
            ));
        }
        _ => {}
    }
    let mut dir = path.parent();
    while let Some(d) = dir.filter(|d| *d != root) {
        // Fails when the folder still holds something: then so do those above it.
        if std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
    Ok(())
}
