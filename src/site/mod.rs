//! `build`: content/ → a static site in the output folder.
//!
//! load ([`load`]) → order and group ([`model`]) → render pages in parallel ([`pages`])
//! and index them ([`crate::search`]) → write all-or-nothing ([`output`]).

pub mod load;
pub mod model;
pub mod offline;
pub mod output;
pub mod pages;

use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::render::templates::Theme;
use crate::search::{SearchDocument, SearchIndex};

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
}

/// What a successful build did.
#[derive(Debug, Clone, Default)]
pub struct BuildSummary {
    pub documents: usize,
    pub pages: usize,
    pub files: usize,
    pub output: PathBuf,
}

impl fmt::Display for BuildSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "built {} documents: {} pages and {} other files in {}",
            self.documents,
            self.pages,
            self.files,
            self.output.display()
        )
    }
}

/// Builds the archive at `opts.root`. On any error nothing is written and the previous
/// output stays as it was; every problem found is returned.
pub fn build(opts: &BuildOptions) -> Result<BuildSummary, Diagnostics> {
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

    // Theme and content are both read before giving up, so all errors show at once.
    let mut errors = Diagnostics::new();
    let theme = Theme::load(root, &config.theme)
        .map_err(|e| errors.extend(e))
        .ok();
    let content_dir = root.join("content");
    let (content, content_errors) = load::load_content(&content_dir);
    errors.extend(content_errors);
    let Some(mut theme) = theme.filter(|_| !errors.has_errors()) else {
        return Err(errors.sorted());
    };
    let site = model::Site::new(content.documents, &content_dir)?;
    let renderer = pages::Renderer::new(&mut theme, &site, &config, &base_url);
    let staging = output::Staging::new(&output)?;

    // Document pages, rendered in parallel a chunk at a time, in the order the search
    // index takes them; only one chunk's plain text is held at once.
    let mut index = SearchIndex::new();
    let url_paths: Vec<String> = site.documents.iter().map(|d| d.url_path()).collect();
    let mut order: Vec<usize> = (0..site.documents.len()).collect();
    order.sort_by(|&a, &b| url_paths[a].cmp(&url_paths[b]));
    for chunk in order.chunks(CHUNK) {
        let results: Vec<Result<String, Diagnostic>> = chunk
            .par_iter()
            .map(|&i| {
                let body = renderer.body(&site.documents[i]);
                let page = renderer.document_page(i, &body)?;
                staging.write(&page.path, page.html.as_bytes())?;
                Ok(body.text)
            })
            .collect();
        for (&i, r) in chunk.iter().zip(results) {
            match r {
                Ok(text) => {
                    let summary = pages::DocSummary::of(&site.documents[i]);
                    index.add(&SearchDocument {
                        url_path: &url_paths[i],
                        title: &summary.title,
                        agency: &summary.agency,
                        published: &summary.published,
                        year: summary.year,
                        index_no: &summary.index_no,
                        doc_no: &summary.doc_no,
                        text: &text,
                    });
                }
                Err(e) => errors.push(e),
            }
        }
    }
    let others = renderer.other_pages();
    let mut pages = site.documents.len();
    for r in others {
        match r.and_then(|p| staging.write(&p.path, p.html.as_bytes())) {
            Ok(()) => pages += 1,
            Err(e) => errors.push(e),
        }
    }
    if errors.has_errors() {
        return Err(errors.sorted());
    }

    let mut files = 0;
    for f in &theme.static_files {
        staging.write(&f.path, &f.bytes)?;
        files += 1;
    }
    for (rel, path) in &content.assets {
        let bytes = std::fs::read(path)
            .map_err(|e| Diagnostic::error(path, None, format!("cannot read: {e}")))?;
        staging.write(rel, &bytes)?;
        files += 1;
    }

    let stats = index.write(staging.path()).map_err(|e| {
        Diagnostic::error(
            staging.path().join("search"),
            None,
            format!("cannot write the search index: {e}"),
        )
    })?;
    files += stats.files;

    if opts.offline || config.offline {
        offline::make_relative(staging.path(), &base_url)?;
    }

    let output = staging.commit()?;
    Ok(BuildSummary {
        documents: site.documents.len(),
        pages,
        files,
        output,
    })
}

/// Refuses outputs that would swallow the archive itself when the old output is replaced.
fn check_output_location(root: &Path, output: &Path) -> Result<(), Diagnostic> {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (root_abs, out_abs) = (abs(root), abs(output));
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
