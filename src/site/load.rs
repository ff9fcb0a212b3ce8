//! Reading `content/`: every `.md` is a document; every other file is an asset that is
//! copied to the same place in the output.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::Document;
use crate::render::templates::files_under;

/// What `content/` holds.
#[derive(Debug, Default)]
pub struct Content {
    /// Documents sorted by path.
    pub documents: Vec<Document>,
    /// Other files (relative path, full path), copied as they are.
    pub assets: Vec<(String, PathBuf)>,
}

/// Whether loaded documents keep their bodies in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    Keep,
    /// Front matter only: a large archive's bodies are read again one chunk at a time
    /// while its pages are rendered ([`read_document`]).
    Drop,
}

/// Reads every document under `dir` in parallel. The documents that could be read are
/// returned with every problem found in the others.
pub fn load_content(dir: &Path, bodies: Bodies) -> (Content, Diagnostics) {
    if !dir.is_dir() {
        let d = Diagnostic::error(
            dir,
            None,
            "no content folder: documents go in content/ (create it, or run `gongkai import` \
             to fill it from raw reports)",
        );
        return (Content::default(), d.into());
    }
    let (md, assets): (Vec<_>, Vec<_>) = files_under(dir)
        .into_iter()
        .partition(|(rel, _)| rel.to_ascii_lowercase().ends_with(".md"));
    let results: Vec<Result<Document, Vec<Diagnostic>>> = md
        .par_iter()
        .map(|(rel, path)| {
            let mut doc = read_document(path, rel)?;
            if bodies == Bodies::Drop {
                doc.body = String::new();
            }
            Ok(doc)
        })
        .collect();
    let mut errors = Diagnostics::new();
    let mut documents = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(d) => documents.push(d),
            Err(e) => errors.extend(e),
        }
    }
    (Content { documents, assets }, errors.sorted())
}

/// Reads and parses one document file; `rel` is its path under content/.
pub fn read_document(path: &Path, rel: &str) -> Result<Document, Vec<Diagnostic>> {
    let bytes = std::fs::read(path)
        .map_err(|e| vec![Diagnostic::error(path, None, format!("cannot read: {e}"))])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = crate::diagnostic::line_of(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        vec![Diagnostic::error(
            path,
            Some(line),
            "not UTF-8 text; save the file as UTF-8 (gongkai import converts GB18030 \
             and UTF-16 reports)",
        )]
    })?;
    Document::parse(path, rel, &text)
}
