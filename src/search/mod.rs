//! The client-side search index: Chinese full text that works from file://, sharded so
//! a query loads only what it needs (design and figures: docs/search.md).
//!
//! The build calls [`SearchIndex::add_batch`] with each chunk of rendered documents and
//! writes each document's own files ([`document_files`]) beside its page, then
//! [`SearchIndex::finish`] and [`BuiltIndex::write`] write the term shards and the core
//! file: plain `<script>` files under `<output>/search/`; the theme's
//! `assets/search.js` loads them with `<script>` tags (no fetch, works from file://). `serve` keeps the [`BuiltIndex`] and, when a document
//! changes, [`BuiltIndex::replace_document`] and [`BuiltIndex::write_changed`] rewrite
//! only the files that hold what changed.
//!
//! Files written (all deterministic, see [`format`]):
//! - `search/core.js`: document count, shard count, 机构 names, and per document its
//!   机构, 年份 and field lengths (for filters and scoring);
//! - `search/t/<n / 1024>/<n>.js`: term shards, a term's postings in shard
//!   `fnv1a(term) % count`;
//! - `search/d/…/<id>.js`: per document its title, 机构, dates, numbers, link, the
//!   first part of its text (all of a short text) and, for a longer one, a Bloom filter
//!   of the terms of each part;
//! - `search/x/…/<id>-<g>.js`: a longer text's further parts, four to a file, for
//!   snippets from anywhere in it and for checking a phrase as typed.

mod built;
pub mod format;
pub mod tokenize;

pub use built::{BuiltIndex, IndexMeta};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::fs;
use std::io;
use std::path::Path;

use tokenize::{Term, Token, id_term, scan_terms};

/// One document as the search index sees it (all strings plain text, "" when absent).
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchDocument<'a> {
    /// Site path of the page, e.g. "2021/notice/" (no leading slash).
    pub url_path: &'a str,
    pub title: &'a str,
    pub agency: &'a str,
    /// "YYYY-MM-DD" or "".
    pub published: &'a str,
    pub year: Option<i32>,
    pub index_no: &'a str,
    pub doc_no: &'a str,
    /// Plain text of the rendered body.
    pub text: &'a str,
    /// The text of the document's attachments: searched as part of its body, and shown
    /// in a result labelled `附件：名称` when the match is there.
    pub attachments: &'a [AttachmentText],
}

/// The plain text of one attachment of a document, and the attachment's name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachmentText {
    pub name: String,
    pub text: String,
}

/// What [`SearchIndex::write`] or [`BuiltIndex::write_changed`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SearchStats {
    pub documents: usize,
    pub files: usize,
    pub bytes: u64,
}

/// Where a term occurs in one document: body count and title/meta flags.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Occurrence {
    body: u32,
    flags: u8,
}

/// One field's postings of a term, encoded as they are added (documents come in id
/// order, so each entry is a gap from the previous one): memory grows with the index's
/// size on disk, not with a trie of every term.
#[derive(Default)]
struct FieldPostings {
    /// Id of the last document + 1 (0: none yet).
    next_gap_base: u32,
    encoded: Vec<u8>,
}

impl FieldPostings {
    fn push(&mut self, id: u32, low_bits: u32, value: u32) {
        let gap = id - self.next_gap_base;
        format::push_varint(&mut self.encoded, (gap << low_bits) | value);
        self.next_gap_base = id + 1;
    }
}

/// A term's postings in the body, the title and the meta field (机构, numbers, date).
#[derive(Default)]
struct Postings {
    body: FieldPostings,
    title: FieldPostings,
    meta: FieldPostings,
}

impl Postings {
    fn push(&mut self, id: u32, occ: Occurrence) {
        if occ.body > 0 {
            self.body
                .push(id, format::TF_BITS, format::tf_code(occ.body));
        }
        if occ.flags & format::FLAG_TITLE != 0 {
            self.title.push(id, 0, 0);
        }
        if occ.flags & format::FLAG_META != 0 {
            self.meta.push(id, 0, 0);
        }
    }
}

/// Per document, what the core file needs.
#[derive(Clone, PartialEq, Eq)]
struct DocFacts {
    agency: u32,
    year: Option<i32>,
    title_terms: u32,
    body_terms: u32,
}

/// Partitions of the postings (by term hash): independent maps that threads fill at once.
const PARTS: usize = 16;

/// A document id and its distinct terms that fall in one partition.
type PartTerms = (u32, Vec<(Term, Occurrence)>);

/// One document's distinct terms, split by partition, and its field lengths.
struct DocTerms {
    parts: Vec<Vec<(Term, Occurrence)>>,
    title_terms: u32,
    body_terms: u32,
}

fn count_terms(doc: &SearchDocument<'_>) -> DocTerms {
    COUNTER.with_borrow_mut(|counter| counter.count(doc))
}

thread_local! {
    /// Each thread's counter, kept between documents so its tables are allocated once.
    static COUNTER: std::cell::RefCell<TermCounter> = std::cell::RefCell::new(TermCounter::new());
}

/// Han characters from U+3400 to U+9FFF (extension A and the unified block): nearly all
/// the unigrams of a text, counted in a table indexed by code point instead of a map.
const DENSE_FIRST: u32 = 0x3400;
const DENSE_LEN: usize = 0xA000 - DENSE_FIRST as usize;

/// Counts one document's terms. Unigrams of common characters go to a table, bigrams
/// and rare unigrams to a map keyed by the packed number, words to a map of their own:
/// counting is most of the search index's work, and a map keyed by [`Term`] (an enum
/// with a string in it) was a third slower.
struct TermCounter {
    dense: Vec<Occurrence>,
    /// Indices of `dense` in use, to read and reset only those.
    touched: Vec<u32>,
    han: HashMap<u64, Occurrence>,
    words: HashMap<String, Occurrence>,
}

impl TermCounter {
    fn new() -> TermCounter {
        TermCounter {
            dense: vec![Occurrence::default(); DENSE_LEN],
            touched: Vec::new(),
            han: HashMap::default(),
            words: HashMap::default(),
        }
    }

    fn occurrence(&mut self, token: Token<'_>) -> &mut Occurrence {
        match token {
            Token::Han(packed) => {
                let index = ((packed >> 21) as u32).wrapping_sub(DENSE_FIRST) as usize;
                if packed & 0x1F_FFFF == 0 && index < DENSE_LEN {
                    let o = &mut self.dense[index];
                    if *o == Occurrence::default() {
                        self.touched.push(index as u32);
                    }
                    o
                } else {
                    self.han.entry(packed).or_default()
                }
            }
            Token::Word(w) => {
                // Looked up by &str first: a repeated word is not copied again.
                if !self.words.contains_key(w) {
                    self.words.insert(w.to_string(), Occurrence::default());
                }
                self.words.get_mut(w).expect("inserted above")
            }
        }
    }

    fn count(&mut self, doc: &SearchDocument<'_>) -> DocTerms {
        // About one distinct bigram a Han character (3 bytes): sized once, never rehashed.
        let bytes = doc.text.len() + doc.attachments.iter().map(|a| a.text.len()).sum::<usize>();
        self.han.reserve(bytes / 3 + 64);
        let mut title_terms = 0u32;
        scan_terms(doc.title.chars(), |t| {
            title_terms += 1;
            self.occurrence(t).flags |= format::FLAG_TITLE;
        });
        for field in [doc.agency, doc.index_no, doc.doc_no, doc.published] {
            scan_terms(field.chars(), |t| {
                self.occurrence(t).flags |= format::FLAG_META;
            });
        }
        for id_value in [doc.index_no, doc.doc_no] {
            if let Some(Term::Word(w)) = id_term(id_value) {
                self.occurrence(Token::Word(&w)).flags |= format::FLAG_META;
            }
        }
        let mut body_terms = 0u32;
        for text in std::iter::once(doc.text).chain(doc.attachments.iter().map(|a| a.text.as_str()))
        {
            scan_terms(text.chars(), |t| {
                body_terms += 1;
                let o = self.occurrence(t);
                o.body = o.body.saturating_add(1);
            });
        }
        let distinct = self.touched.len() + self.han.len() + self.words.len();
        let per_part = distinct / PARTS + 8;
        let mut parts: Vec<Vec<(Term, Occurrence)>> =
            (0..PARTS).map(|_| Vec::with_capacity(per_part)).collect();
        let mut put = |term: Term, hash: u32, occ: Occurrence| {
            parts[hash as usize % PARTS].push((term, occ));
        };
        for index in self.touched.drain(..) {
            let occ = std::mem::take(&mut self.dense[index as usize]);
            let packed = u64::from(index + DENSE_FIRST) << 21;
            put(Term::Han(packed), tokenize::hash_han(packed), occ);
        }
        for (packed, occ) in self.han.drain() {
            put(Term::Han(packed), tokenize::hash_han(packed), occ);
        }
        for (word, occ) in self.words.drain() {
            let hash = tokenize::hash_word(&word);
            put(Term::Word(word), hash, occ);
        }
        // One huge text (a long attachment) must not leave every later document
        // draining a table sized for it.
        if self.han.capacity() > 1 << 20 {
            self.han = HashMap::default();
        }
        DocTerms {
            parts,
            title_terms,
            body_terms,
        }
    }
}

/// The index being built: encoded postings and per-document facts (each document's own
/// files are the caller's to write, see [`document_files`]).
pub struct SearchIndex {
    /// Postings in [`PARTS`] maps by term hash, so batches merge in parallel.
    postings: Vec<HashMap<Term, Postings>>,
    facts: Vec<DocFacts>,
    /// 机构 names in first-seen order; sorted on write.
    agencies: Vec<String>,
    agency_ids: HashMap<String, u32>,
}

impl Default for SearchIndex {
    fn default() -> Self {
        SearchIndex {
            postings: (0..PARTS).map(|_| HashMap::default()).collect(),
            facts: Vec::new(),
            agencies: Vec::new(),
            agency_ids: HashMap::default(),
        }
    }
}

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one document; call in url_path order (the order fixes the document ids).
    pub fn add(&mut self, doc: &SearchDocument<'_>) {
        self.add_batch(std::slice::from_ref(doc));
    }

    /// Adds documents in order, as [`add`](Self::add) one by one would, with the same
    /// bytes out; the terms of a batch are counted and merged in parallel (rayon), so a
    /// build that has a chunk of documents at hand should pass it here.
    pub fn add_batch(&mut self, docs: &[SearchDocument<'_>]) {
        let first_id = self.facts.len() as u32;
        let counted: Vec<DocTerms> = if docs.len() == 1 {
            docs.iter().map(count_terms).collect()
        } else {
            docs.par_iter().map(count_terms).collect()
        };
        // Regroup by partition (moving the terms), then fill each partition's map in
        // document order: the same map contents as one document at a time.
        let mut by_part: Vec<Vec<PartTerms>> =
            (0..PARTS).map(|_| Vec::with_capacity(docs.len())).collect();
        let mut lengths = Vec::with_capacity(docs.len());
        for (i, d) in counted.into_iter().enumerate() {
            let id = first_id + i as u32;
            for (part, terms) in d.parts.into_iter().enumerate() {
                by_part[part].push((id, terms));
            }
            lengths.push((d.title_terms, d.body_terms));
        }
        let merge = |(postings, docs): (&mut HashMap<Term, Postings>, Vec<PartTerms>)| {
            // Group the batch by term first (a small map that stays in cache), so each
            // term's postings are found and extended once per batch, not once per
            // document: at 100,000 documents those are cache misses that dominate.
            // (One document: nothing to group.)
            if let [(id, _)] = docs.as_slice() {
                let id = *id;
                for (term, occ) in docs.into_iter().flat_map(|(_, terms)| terms) {
                    postings.entry(term).or_default().push(id, occ);
                }
                return;
            }
            let mut by_term: HashMap<Term, Vec<(u32, Occurrence)>> = HashMap::default();
            for (id, terms) in docs {
                for (term, occ) in terms {
                    by_term.entry(term).or_default().push((id, occ));
                }
            }
            for (term, entries) in by_term {
                let p = postings.entry(term).or_default();
                for (id, occ) in entries {
                    p.push(id, occ);
                }
            }
        };
        if docs.len() == 1 {
            self.postings.iter_mut().zip(by_part).for_each(merge);
        } else {
            self.postings.par_iter_mut().zip(by_part).for_each(merge);
        }

        for (doc, &(title_terms, body_terms)) in docs.iter().zip(&lengths) {
            let agency = if doc.agency.is_empty() {
                0
            } else if let Some(&a) = self.agency_ids.get(doc.agency) {
                a
            } else {
                self.agencies.push(doc.agency.to_string());
                let a = self.agencies.len() as u32;
                self.agency_ids.insert(doc.agency.to_string(), a);
                a
            };
            self.facts.push(DocFacts {
                agency,
                year: doc.year,
                title_terms,
                body_terms,
            });
        }
    }

    /// Writes the term shards and the core file under `<output_root>/search/` (never
    /// outside it); returns what it wrote. Replaces the term shards of an earlier build.
    pub fn write(self, output_root: &Path) -> io::Result<SearchStats> {
        self.finish().write(output_root)
    }

    /// The index with every document added, in the form the files take: each term's
    /// postings joined and sorted into its shard. [`BuiltIndex::write`] writes it; `serve`
    /// keeps it to update only what a changed document touches.
    pub fn finish(self) -> BuiltIndex {
        let total: usize = self
            .postings
            .iter()
            .flatten()
            .map(|(t, p)| {
                p.body.encoded.len()
                    + p.title.encoded.len()
                    + p.meta.encoded.len()
                    + t.text_len()
                    + 8
            })
            .sum();
        // A partition's map is freed once its terms are moved: the peak stays near one
        // copy of the postings.
        let joined = self.postings.into_iter().flat_map(|part| {
            part.into_iter().map(|(term, p)| {
                let fields = format::join_fields(p.body.encoded, &p.title.encoded, &p.meta.encoded);
                (term, fields.into_boxed_slice())
            })
        });
        let shards = built::into_shards(joined, format::shard_count(total));

        // 机构 ids in name (pinyin) order, so the core file does not depend on document
        // order beyond the ids themselves, and the search filter lists them in that order.
        let mut order: Vec<u32> = (0..self.agencies.len() as u32).collect();
        order.sort_by(|&a, &b| {
            crate::collation::compare_names(&self.agencies[a as usize], &self.agencies[b as usize])
        });
        let mut remap = vec![0u32; self.agencies.len() + 1];
        for (rank, &old) in order.iter().enumerate() {
            remap[old as usize + 1] = rank as u32 + 1;
        }
        let agencies: Vec<String> = order
            .iter()
            .map(|&i| self.agencies[i as usize].clone())
            .collect();
        let docs: Vec<DocFacts> = self
            .facts
            .into_iter()
            .map(|f| DocFacts {
                agency: remap[f.agency as usize],
                ..f
            })
            .collect();
        BuiltIndex::new(shards, total, docs, agencies)
    }
}

/// Document `id`'s own files (its record, and the further parts of a long text): each
/// path under `search/` and its text. The build writes them while pages render, beside
/// the pages; nothing of them waits for the end of the build.
pub fn document_files(id: u32, doc: &SearchDocument<'_>) -> Vec<(String, String)> {
    format::doc_files(doc).files(id)
}

/// Writes [`document_files`] under `<output_root>/search/`, creating folders as needed.
pub fn write_document(
    output_root: &Path,
    id: u32,
    doc: &SearchDocument<'_>,
) -> io::Result<SearchStats> {
    let dir = output_root.join("search");
    let mut stats = SearchStats::default();
    for (rel, text) in document_files(id, doc) {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&path, &text)?;
        stats.files += 1;
        stats.bytes += text.len() as u64;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_archive_still_gets_a_loadable_index() {
        let dir = tempfile::tempdir().unwrap();
        let stats = SearchIndex::new().write(dir.path()).unwrap();
        assert_eq!(stats.documents, 0);
        assert_eq!(stats.files, 2);
        let core = fs::read_to_string(dir.path().join("search/core.js")).unwrap();
        assert!(core.contains("\"documents\":0,\"shards\":1,"), "{core}");
        let shard = fs::read_to_string(dir.path().join("search/t/0/0.js")).unwrap();
        assert_eq!(shard, "gongkaiSearch.shard(0,{});\n");
    }

    #[test]
    fn agencies_are_listed_in_pinyin_order() {
        let dir = tempfile::tempdir().unwrap();
        let mut index = SearchIndex::new();
        for (url_path, agency) in [("a/", "青溪县人民政府办公室"), ("b/", "青溪县教育局")]
        {
            index.add(&SearchDocument {
                url_path,
                title: "通知",
                agency,
                ..Default::default()
            });
        }
        index.write(dir.path()).unwrap();
        let core = fs::read_to_string(dir.path().join("search/core.js")).unwrap();
        let (jiao, ren) = (core.find("教育局").unwrap(), core.find("人民政府").unwrap());
        assert!(jiao < ren, "{core}");
    }

    #[test]
    fn each_document_gets_a_record_and_a_long_text_its_groups() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("{}结尾处的词语", "正文。".repeat(format::PART_CHARS));
        let docs: Vec<SearchDocument<'_>> = [("d00/", "短文"), ("d01/", long.as_str())]
            .into_iter()
            .map(|(url_path, text)| SearchDocument {
                url_path,
                title: "标题\n第二行",
                text,
                ..Default::default()
            })
            .collect();
        let mut files = 0;
        for (id, d) in docs.iter().enumerate() {
            files += write_document(dir.path(), id as u32, d).unwrap().files;
        }
        assert_eq!(files, 3);
        let first = fs::read_to_string(dir.path().join("search/d/0/0/0.js")).unwrap();
        assert!(
            first.starts_with("gongkaiSearch.doc(0,{\"url\":\"d00/\""),
            "{first}"
        );
        assert!(
            first.contains("标题\\n第二行") && first.contains("\"parts\":1,\"text\":[\"短文\"]")
        );
        let second = fs::read_to_string(dir.path().join("search/d/0/0/1.js")).unwrap();
        assert!(second.contains("\"parts\":4,") && second.contains("\"blooms\":"));
        let tail = fs::read_to_string(dir.path().join("search/x/0/0/1-0.js")).unwrap();
        assert!(tail.starts_with("gongkaiSearch.text(1,0,[\""), "{tail}");
        assert!(tail.contains("结尾处的词语"), "{tail}");
        assert!(!dir.path().join("search/x/0/0/1-1.js").exists());
    }
}
