//! Client-side search index (being written on the `search` branch).

use std::path::Path;

pub struct SearchDocument<'a> {
    pub url_path: &'a str,
    pub title: &'a str,
    pub agency: &'a str,
    pub published: &'a str,
    pub year: Option<i32>,
    pub index_no: &'a str,
    pub doc_no: &'a str,
    pub text: &'a str,
}

#[derive(Debug, Default)]
pub struct SearchStats {
    pub documents: usize,
    pub files: usize,
    pub bytes: u64,
}

#[derive(Default)]
pub struct SearchIndex {
    documents: usize,
}

impl SearchIndex {
    pub fn new() -> Self {
        SearchIndex::default()
    }
    pub fn add(&mut self, _doc: &SearchDocument<'_>) {
        self.documents += 1;
    }
    pub fn write(self, _output_root: &Path) -> std::io::Result<SearchStats> {
        Ok(SearchStats {
            documents: self.documents,
            ..Default::default()
        })
    }
}
