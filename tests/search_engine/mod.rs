#![allow(dead_code)]
//! elasticlunr-rs behind one module, for measuring it against the shipped index
//! (tests/search_scale.rs, bench/search_engines.sh). A dev-dependency: no user-facing
//! command builds its index (docs/search.md says why).
//!
//! elasticlunr-rs defines how text becomes terms ([`elasticlunr::Language`]: tokenizer
//! plus [`elasticlunr::Pipeline`]) and elasticlunr's scoring model (√tf · idf, field
//! boosts, field-length norm), which search.js follows. Its `Index` keeps every term in
//! an in-memory character trie with a `String` document reference and an `f64` per
//! posting; docs/search.md measures it against the 10,000-document targets (it does not
//! fit), so the shipped index is our own sharded writer and [`elasticlunr_index`] is
//! kept for small archives and for checking that both agree term for term.

use elasticlunr::{Index, IndexBuilder, Language, Pipeline};

use gongkai::search::SearchDocument;
use gongkai::search::tokenize;

/// Han unigrams + bigrams and ASCII words, exactly as the browser tokenizes a query.
#[derive(Debug, Clone, Copy, Default)]
pub struct HanBigram;

impl Language for HanBigram {
    fn name(&self) -> String {
        "HanBigram".into()
    }

    fn code(&self) -> String {
        "zh".into()
    }

    fn tokenize(&self, text: &str) -> Vec<String> {
        tokenize::terms(text)
    }

    /// Normalisation already happened in the tokenizer (the browser does the same in
    /// one step), so no pipeline function may change a term.
    fn make_pipeline(&self) -> Pipeline {
        Pipeline { queue: Vec::new() }
    }
}

/// An elasticlunr index of the same documents, fields title / meta / body (the meta
/// field holds 机构, 索引号, 文号 and 发布时间), terms from [`HanBigram`].
pub struct ElasticlunrIndex {
    index: Index,
    next_id: usize,
}

impl Default for ElasticlunrIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl ElasticlunrIndex {
    pub fn new() -> Self {
        let index = IndexBuilder::with_language(Box::new(HanBigram))
            .save_docs(false)
            .add_fields(["title", "meta", "body"])
            .build();
        ElasticlunrIndex { index, next_id: 0 }
    }

    pub fn add(&mut self, d: &SearchDocument<'_>) {
        let meta = [d.agency, d.index_no, d.doc_no, d.published].join(" ");
        self.index
            .add_doc(&self.next_id.to_string(), [d.title, meta.as_str(), d.text]);
        self.next_id += 1;
    }

    /// elasticlunr.js's JSON format (one file holding the whole index).
    pub fn to_json(&self) -> String {
        self.index.to_json()
    }
}

/// [`ElasticlunrIndex`] of a slice of documents.
pub fn elasticlunr_index(docs: &[SearchDocument<'_>]) -> ElasticlunrIndex {
    let mut index = ElasticlunrIndex::new();
    docs.iter().for_each(|d| index.add(d));
    index
}

#[cfg(test)]
pub mod tests {
    use super::*;

    #[test]
    pub fn elasticlunr_sees_the_same_terms() {
        let docs = [
            SearchDocument {
                title: "学位管理办法",
                text: "关于学位授予的通知。学位！",
                ..Default::default()
            },
            SearchDocument {
                title: "其他",
                text: "学",
                ..Default::default()
            },
        ];
        let index = elasticlunr_index(&docs);
        let json: serde_json::Value = serde_json::from_str(&index.to_json()).unwrap();
        // The body trie holds 学 → 位 with the bigram's postings: document 0 only, tf √2.
        let bigram = &json["index"]["body"]["root"]["学"]["位"];
        assert_eq!(bigram["df"], 1);
        assert_eq!(bigram["docs"]["0"]["tf"], 2f64.sqrt());
        assert_eq!(json["index"]["body"]["root"]["学"]["df"], 2);
    }
}
