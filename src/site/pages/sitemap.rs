//! The sitemap (sitemaps.org protocol): one `sitemap.xml` while every URL of the site
//! fits in one file; past that, `sitemap.xml` is a sitemap index listing
//! `sitemap-1.xml`, `sitemap-2.xml` …, each holding a run of the URLs in the same order
//! (home, browse pages, columns, documents newest first). See docs/templates.md.
//!
//! Each file's entries are made when it is rendered and dropped after: the sitemap of
//! 1,000,000 documents is never held whole.

use std::ops::Range;

use rayon::prelude::*;
use serde::Serialize;

use super::{PageJob, Renderer};
use crate::document::Document;
use crate::site::columns::Column;
use crate::site::model::{TaxonomyKind, Term, sort_date};

/// The most URLs a sitemap file may hold (sitemaps.org; 百度搜索资源平台 alike).
pub const MAX_URLS: usize = 50_000;

/// The most bytes a sitemap file may hold: sitemaps.org allows 50 MB, but Baidu,
/// which most visitors of a government archive search with, takes 10 MB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// What an entry is reckoned to write besides its address and date (the default
/// theme writes 44 bytes; the rest is room for a theme's own).
const ENTRY_MARKUP: usize = 64;

/// What a file writes besides its entries (XML declaration, `<urlset>`).
const FILE_MARKUP: usize = 1024;

/// The environment variable that lowers [`MAX_URLS`] (it never raises it): the tests
/// split an archive of a few documents with it, where 50,000 would take minutes.
pub const MAX_URLS_VAR: &str = "GONGKAI_SITEMAP_MAX_URLS";

/// One URL in a sitemap, or one sitemap in the index: `loc` absolute, `lastmod`
/// `YYYY-MM-DD` or "".
#[derive(Debug, Clone, Serialize)]
struct SitemapEntry {
    loc: String,
    lastmod: String,
}

/// The place a URL of the sitemap leads to.
enum Place<'a> {
    Home,
    Taxonomy(TaxonomyKind),
    Term(&'a Term),
    Column(&'a Column),
    Document(&'a Document),
}

/// The site path of part `n` (from 1) of a sitemap split in parts.
pub fn part_path(n: usize) -> String {
    format!("sitemap-{n}.xml")
}

/// Whether `path` (a site path) is a part of a split sitemap, `sitemap-N.xml`.
pub fn is_part_path(path: &str) -> bool {
    path.strip_prefix("sitemap-")
        .and_then(|rest| rest.strip_suffix(".xml"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The URLs per sitemap file: [`MAX_URLS`], or less as [`MAX_URLS_VAR`] says.
fn max_urls() -> usize {
    std::env::var(MAX_URLS_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .map_or(MAX_URLS, |n| n.clamp(1, MAX_URLS))
}

/// Splits the URLs whose entries take `sizes` bytes into runs, in order, each of at
/// most `max_urls` URLs and, but for a URL too big on its own, `max_bytes` bytes. There
/// is always one run, if empty.
fn runs(sizes: &[u32], max_urls: usize, max_bytes: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, FILE_MARKUP);
    for (i, &size) in sizes.iter().enumerate() {
        let size = size as usize;
        if i > start && (i - start == max_urls || bytes + size > max_bytes) {
            out.push(start..i);
            (start, bytes) = (i, FILE_MARKUP);
        }
        bytes += size;
    }
    out.push(start..sizes.len());
    out
}

impl<'a> Renderer<'a> {
    /// The sitemap's pages: `sitemap.xml` alone, or the index and its parts.
    pub(super) fn sitemap_pages<'r>(&'r self, out: &mut Vec<PageJob<'r>>) {
        let places = self.sitemap_places();
        let documents = &self.site.documents;
        let sizes: Vec<u32> = (0..places.len() + documents.len())
            .into_par_iter()
            .map(|k| {
                let entry = self.sitemap_entry(&places, k);
                let size = escaped_len(&entry.loc) + entry.lastmod.len() + ENTRY_MARKUP;
                u32::try_from(size).unwrap_or(u32::MAX)
            })
            .collect();
        let runs = runs(&sizes, max_urls(), MAX_BYTES);
        let first_document = places.len();
        drop((places, sizes));
        if let [all] = runs.as_slice() {
            let all = all.clone();
            out.push(PageJob::new(
                "sitemap.xml",
                "sitemap.xml".into(),
                move || self.sitemap_context("sitemap.xml", all.clone()),
            ));
            return;
        }
        // A part's lastmod: the newest date of its documents (none: no lastmod).
        let parts: Vec<SitemapEntry> = runs
            .iter()
            .enumerate()
            .map(|(n, run)| {
                let from = run.start.max(first_document) - first_document;
                let to = run.end.max(first_document) - first_document;
                SitemapEntry {
                    loc: self.abs(&part_path(n + 1)),
                    lastmod: documents[from..to]
                        .iter()
                        .filter_map(sort_date)
                        .max()
                        .map(|d| d.date_string())
                        .unwrap_or_default(),
                }
            })
            .collect();
        let mut ctx = self.context("sitemap_index", "sitemap.xml");
        ctx.insert("sitemaps", &parts);
        out.push(PageJob::made(
            "sitemap-index.xml",
            "sitemap.xml".into(),
            ctx,
        ));
        for (n, run) in runs.into_iter().enumerate() {
            let path = part_path(n + 1);
            out.push(PageJob::new("sitemap.xml", path.clone(), move || {
                self.sitemap_context(&path, run.clone())
            }));
        }
    }

    /// The context of the sitemap file at `path` holding URLs `run`.
    fn sitemap_context(&self, path: &str, run: Range<usize>) -> tera::Context {
        let places = self.sitemap_places();
        let entries: Vec<SitemapEntry> = run.map(|k| self.sitemap_entry(&places, k)).collect();
        let mut ctx = self.context("sitemap", path);
        ctx.insert("entries", &entries);
        ctx
    }

    /// The places of the sitemap before the documents: home, browse pages, columns.
    /// (A few hundred: made again whenever needed.)
    fn sitemap_places(&self) -> Vec<Place<'a>> {
        let site = self.site;
        let mut places = vec![Place::Home];
        for kind in TaxonomyKind::ALL {
            places.push(Place::Taxonomy(kind));
            places.extend(site.terms(kind).iter().map(Place::Term));
        }
        places.extend(site.columns.all.iter().map(Place::Column));
        places
    }

    /// The entry of URL `k` of the sitemap: `places[k]`, or a document past them.
    fn sitemap_entry(&self, places: &[Place<'a>], k: usize) -> SitemapEntry {
        let place = match places.get(k) {
            Some(p) => p,
            None => &Place::Document(&self.site.documents[k - places.len()]),
        };
        let (loc, lastmod) = match place {
            Place::Home => (self.abs(""), String::new()),
            Place::Taxonomy(kind) => (self.abs(&format!("{}/", kind.slug())), String::new()),
            Place::Term(t) => (self.abs(&t.url_path), String::new()),
            Place::Column(c) => (self.abs(&c.url_path), String::new()),
            Place::Document(d) => (
                self.abs(&d.url_path()),
                sort_date(d).map(|x| x.date_string()).unwrap_or_default(),
            ),
        };
        SitemapEntry { loc, lastmod }
    }
}

/// The length of `text` once escaped for XML (as templates escape it).
fn escaped_len(text: &str) -> usize {
    text.len()
        + text
            .bytes()
            .map(|b| match b {
                b'&' => 4,
                b'<' | b'>' => 3,
                b'"' => 5,
                b'\'' => 4,
                _ => 0,
            })
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_hold_at_most_so_many_urls_and_bytes_in_order() {
        let sizes = vec![100u32; 10];
        assert_eq!(runs(&sizes, 4, usize::MAX), vec![0..4, 4..8, 8..10]);
        assert_eq!(runs(&sizes, 5, usize::MAX), vec![0..5, 5..10]);
        assert_eq!(runs(&sizes, 10, usize::MAX), vec![0..10]);
        assert_eq!(runs(&sizes, 50, usize::MAX), vec![0..10]);
        // Bytes: the file's own markup, then as many entries as fit.
        assert_eq!(
            runs(&sizes, 50, FILE_MARKUP + 300),
            vec![0..3, 3..6, 6..9, 9..10]
        );
        // A URL too big for a file on its own still gets one.
        assert_eq!(
            runs(&[10, 5000, 10], 50, FILE_MARKUP + 100),
            vec![0..1, 1..2, 2..3]
        );
        // Every URL once, in order.
        let sizes: Vec<u32> = (0..1000).map(|i| 50 + (i * 37 % 200)).collect();
        let split = runs(&sizes, 70, 8000);
        assert!(split.len() > 1);
        assert_eq!(split.first().map(|r| r.start), Some(0));
        assert_eq!(split.last().map(|r| r.end), Some(1000));
        for pair in split.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for r in &split {
            let bytes: u32 = sizes[r.clone()].iter().sum();
            assert!(
                r.len() <= 70 && bytes as usize + FILE_MARKUP <= 8000,
                "{r:?}"
            );
        }
        assert_eq!(runs(&[], 4, 100), vec![0..0]);
    }

    #[test]
    fn part_paths_are_told_from_other_files() {
        assert_eq!(part_path(12), "sitemap-12.xml");
        assert!(is_part_path("sitemap-1.xml"));
        assert!(is_part_path(&part_path(40)));
        for other in [
            "sitemap.xml",
            "sitemap-.xml",
            "sitemap-a.xml",
            "x/sitemap-1.xml",
        ] {
            assert!(!is_part_path(other), "{other}");
        }
    }

    #[test]
    fn escaped_length_counts_entities() {
        assert_eq!(escaped_len("https://a/b?x=1&y=2"), 23);
        assert_eq!(escaped_len("<'\">"), "&lt;&#39;&quot;&gt;".len());
    }
}
