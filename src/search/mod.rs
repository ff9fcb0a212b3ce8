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
//! - `search/core.js`: document count, shard count and the layout of the other files,
//!   the same few bytes whatever the archive (ranking weights are in the postings);
//! - `search/f/<n>.js`: per document its 机构 and 年份, for the filters, 65,536
//!   documents a file, and `search/f/agencies.js` the 机构 names;
//! - `search/t/<n / 1024>/<n>.js`: term shards, a term's postings in shard
//!   `fnv1a(term) % count`;
//! - `search/d/…/<id>.js`: per document its title, 机构, dates, numbers, link, the
//!   first part of its text (all of a short text) and, for a longer one, a Bloom filter
//!   of the terms of each part;
//! - `search/x/…/<id>-<g>.js`: a longer text's further parts, four to a file, for
//!   snippets from anywhere in it and for checking a phrase as typed.

mod built;
pub mod format;
mod runs;
pub mod tokenize;

pub use built::{BuiltIndex, IndexMeta};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry as MapEntry;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use format::DocFacts;
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

/// Where a term occurs in one document, as counted: body count and title/meta flags.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Occurrence {
    body: u32,
    flags: u8,
}

/// What a document's entry in one term's postings says: the body's weight
/// ([`format::body_impacts`]) and the title's ([`format::title_impact`]) when the term
/// is there, and whether the meta field (机构, numbers, date) has it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Entry {
    body: Option<u8>,
    title: Option<u8>,
    meta: bool,
}

impl Entry {
    /// The entry of a term counted `o` in a document whose title weighs `title` and
    /// whose body weighs `body[tf_code]` ([`format::body_impacts`]).
    fn of(o: Occurrence, title: u8, body: &[u8; 4]) -> Entry {
        Entry {
            body: (o.body > 0).then(|| body[format::tf_code(o.body) as usize]),
            title: (o.flags & format::FLAG_TITLE != 0).then_some(title),
            meta: o.flags & format::FLAG_META != 0,
        }
    }
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
    /// Encoded bytes held.
    fn len(&self) -> usize {
        self.body.encoded.len() + self.title.encoded.len() + self.meta.encoded.len()
    }

    /// The encoded fields, and the ids the lists' next gaps start from.
    fn into_fields(self) -> (runs::Fields, [u32; 3]) {
        (
            [self.body.encoded, self.title.encoded, self.meta.encoded],
            [
                self.body.next_gap_base,
                self.title.next_gap_base,
                self.meta.next_gap_base,
            ],
        )
    }

    fn push(&mut self, id: u32, entry: Entry) {
        if let Some(impact) = entry.body {
            self.body.push(id, format::BODY_BITS, u32::from(impact));
        }
        if let Some(impact) = entry.title {
            self.title.push(id, format::TITLE_BITS, u32::from(impact));
        }
        if entry.meta {
            self.meta.push(id, 0, 0);
        }
    }
}

/// Partitions of the postings (by term hash): independent maps that threads fill at once.
/// A power of two: a partition's terms are then a range of run keys ([`SearchIndex::spill`]).
const PARTS: usize = 16;
const _: () = assert!(PARTS.is_power_of_two());

/// A document id and its distinct terms that fall in one partition.
type PartTerms = (u32, Vec<(Term, Entry)>);

/// One document's distinct terms with their entries, split by partition.
struct DocTerms {
    parts: Vec<Vec<(Term, Entry)>>,
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
        let mut parts: Vec<Vec<(Term, Entry)>> =
            (0..PARTS).map(|_| Vec::with_capacity(per_part)).collect();
        let (title, body) = (
            format::title_impact(title_terms),
            format::body_impacts(body_terms),
        );
        let mut put = |term: Term, hash: u32, occ: Occurrence| {
            parts[hash as usize % PARTS].push((term, Entry::of(occ, title, &body)));
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
        DocTerms { parts }
    }
}

/// How much of the encoded postings a [`SearchIndex`] holds before it writes them to a
/// run file: 256 MB by its estimate (see [`SearchIndex::memory_budget`]).
pub const DEFAULT_MEMORY_BUDGET: usize = 256 << 20;

/// What a term held in memory costs besides its encoded bytes, for the budget: its map
/// slot (term and three lists, 128 bytes, at the map's load factor) and the lists'
/// allocations.
const HELD_TERM_BYTES: usize = 192;

/// One partition of the postings (terms of one hash residue).
#[derive(Default)]
struct Partition {
    /// The terms seen since the last spill, with the entries added since (a list whose
    /// earlier entries went to a run starts again from a gap from 0: the runs make it
    /// go on where it stopped, see [`runs`]).
    held: HashMap<Term, Postings>,
    /// Encoded bytes in `held`.
    held_bytes: usize,
}

impl Partition {
    /// Adds `entries` (in id order, past every entry the term has) to `term`'s postings.
    fn extend(&mut self, term: Term, entries: impl IntoIterator<Item = (u32, Entry)>) {
        let postings = match self.held.entry(term) {
            MapEntry::Occupied(o) => o.into_mut(),
            MapEntry::Vacant(v) => v.insert(Postings::default()),
        };
        let before = postings.len();
        for (id, occ) in entries {
            postings.push(id, occ);
        }
        self.held_bytes += postings.len() - before;
    }

    /// What the budget counts of this partition.
    fn held_estimate(&self) -> usize {
        self.held_bytes + self.held.len() * HELD_TERM_BYTES
    }
}

/// The index being built: encoded postings and per-document facts (each document's own
/// files are the caller's to write, see [`document_files`]). Past its memory budget it
/// writes the postings it holds to a run file in a temporary folder, and
/// [`write`](Self::write) merges the runs one term shard at a time.
pub struct SearchIndex {
    /// Postings in [`PARTS`] partitions by term hash, so batches merge in parallel.
    postings: Vec<Partition>,
    facts: Vec<DocFacts>,
    /// 机构 names in first-seen order; sorted on write.
    agencies: Vec<String>,
    agency_ids: HashMap<String, u32>,
    /// See [`memory_budget`](Self::memory_budget).
    budget: usize,
    runs: runs::Runs,
    /// The shard-count estimate of the terms in runs: encoded bytes, plus text length
    /// and 8 a term.
    spilled_total: usize,
    /// A spill that failed: later batches are counted, not kept, and `write` or
    /// `finish` return it.
    failed: Option<runs::RunError>,
}

impl Default for SearchIndex {
    fn default() -> Self {
        SearchIndex {
            postings: (0..PARTS).map(|_| Partition::default()).collect(),
            facts: Vec::new(),
            agencies: Vec::new(),
            agency_ids: HashMap::default(),
            budget: DEFAULT_MEMORY_BUDGET,
            runs: runs::Runs::in_folder(std::env::temp_dir()),
            spilled_total: 0,
            failed: None,
        }
    }
}

/// The search index's files or its temporary postings could not be written or read.
#[derive(Debug)]
pub struct IndexError {
    /// The folder: the output's `search/`, or the temporary folder of the postings.
    pub folder: PathBuf,
    pub message: String,
}

impl std::fmt::Display for IndexError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.folder.display(), self.message)
    }
}

impl std::error::Error for IndexError {}

impl From<runs::RunError> for IndexError {
    fn from(e: runs::RunError) -> IndexError {
        let message = if e.reading {
            format!(
                "cannot read the search index's temporary postings back: {}",
                e.error
            )
        } else {
            format!(
                "cannot write the search index's temporary postings: {}; the build needs \
                 free disk space there, about the size of the index's search/t/",
                e.error
            )
        };
        IndexError {
            folder: e.folder,
            message,
        }
    }
}

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Run files go into a temporary folder made in `folder` (default: the system's
    /// temporary folder) at the first spill; it is removed with the index.
    pub fn runs_in(mut self, folder: &Path) -> Self {
        self.runs = runs::Runs::in_folder(folder.to_path_buf());
        self
    }

    /// Postings held in memory before they are written to a run file, in bytes as
    /// estimated (encoded bytes and 192 a term); default [`DEFAULT_MEMORY_BUDGET`].
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.budget = bytes;
        self
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
        for (i, d) in counted.into_iter().enumerate() {
            let id = first_id + i as u32;
            for (part, terms) in d.parts.into_iter().enumerate() {
                by_part[part].push((id, terms));
            }
        }
        let merge = |(part, docs): (&mut Partition, Vec<PartTerms>)| {
            // Group the batch by term first (a small map that stays in cache), so each
            // term's postings are found and extended once per batch, not once per
            // document: at 100,000 documents those are cache misses that dominate.
            // (One document: nothing to group.)
            if let [(id, _)] = docs.as_slice() {
                let id = *id;
                for (term, occ) in docs.into_iter().flat_map(|(_, terms)| terms) {
                    part.extend(term, [(id, occ)]);
                }
                return;
            }
            let mut by_term: HashMap<Term, Vec<(u32, Entry)>> = HashMap::default();
            for (id, terms) in docs {
                for (term, occ) in terms {
                    by_term.entry(term).or_default().push((id, occ));
                }
            }
            for (term, entries) in by_term {
                part.extend(term, entries);
            }
        };
        if self.failed.is_none() {
            if docs.len() == 1 {
                self.postings.iter_mut().zip(by_part).for_each(merge);
            } else {
                self.postings.par_iter_mut().zip(by_part).for_each(merge);
            }
            let held: usize = self.postings.iter().map(Partition::held_estimate).sum();
            if held > self.budget {
                self.spill();
            }
        }

        for doc in docs {
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
            });
        }
    }

    /// Writes the postings held to a new run file, sorted by [`runs::run_key`]; each
    /// term's list goes on from where it stopped. On error the postings are dropped
    /// (the build fails) and the error kept for [`write`](Self::write).
    fn spill(&mut self) {
        // A partition holds the terms whose hash ends in its number, so their run keys
        // (the hash reversed) start with that number reversed: partition after
        // partition in that order is the run's order, and only one partition's records
        // are out of its map at a time (all at once, they were a spike of ~110 bytes a
        // held term over the budget).
        let mut order: Vec<usize> = (0..PARTS).collect();
        order.sort_by_key(|&n| (n as u32).reverse_bits());
        let parts = &mut self.postings;
        let records = order.into_iter().flat_map(|n| {
            let part = &mut parts[n];
            let mut records: Vec<(u32, Term, Postings)> = part
                .held
                .drain()
                .map(|(term, p)| (runs::run_key(&term), term, p))
                .collect();
            part.held = HashMap::default();
            part.held_bytes = 0;
            records.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp_text(&b.1)));
            records.into_iter().map(|(key, term, p)| {
                let (fields, next) = p.into_fields();
                (key, term, fields, next)
            })
        });
        let written = self.runs.write(records);
        match written {
            Ok(added) => self.spilled_total += added,
            Err(e) => self.failed = Some(e),
        }
    }

    /// Run files written so far, and their bytes (for the build's profile).
    pub fn spilled(&self) -> (usize, u64) {
        (self.runs.count(), self.runs.bytes)
    }

    /// Writes the term shards and the core file under `<output_root>/search/` (never
    /// outside it), merging the run files one shard at a time, so memory holds a group
    /// of shards rather than the index; replaces the term shards of an earlier build.
    /// Returns what it wrote, and what [`BuiltIndex::from_files`] needs to take the
    /// index up from these files.
    pub fn write(self, output_root: &Path) -> Result<(SearchStats, IndexMeta), IndexError> {
        let dir = output_root.join("search");
        let out_err = |e: io::Error| IndexError {
            folder: dir.clone(),
            message: format!("cannot write the search index: {e}"),
        };
        let done = self.done()?;
        built::make_shard_folders(&dir, done.count).map_err(out_err)?;
        let written = done
            .runs
            .merge(done.memory, done.count, |n, terms| {
                built::write_shard(&dir, n, &terms)
            })
            .map_err(|e| match e {
                runs::MergeError::Run(e) => e.into(),
                runs::MergeError::Sink(e) => out_err(e),
            })?;
        let empty = (0..done.count).map(|_| Vec::new()).collect();
        let built = BuiltIndex::new(empty, done.total, done.docs, done.agencies);
        let stats = built.write_core(&dir, &written).map_err(out_err)?;
        Ok((stats, built.meta()))
    }

    /// The index with every document added, in memory, in the form the files take:
    /// each term's postings joined and sorted into its shard. [`BuiltIndex::write`]
    /// writes it; `serve` keeps it to update only what a changed document touches.
    pub fn finish(self) -> Result<BuiltIndex, IndexError> {
        let done = self.done()?;
        let shards = done
            .runs
            .merge(done.memory, done.count, |_, terms| {
                Ok::<_, std::convert::Infallible>(terms)
            })
            .map_err(|e| match e {
                runs::MergeError::Run(e) => IndexError::from(e),
                runs::MergeError::Sink(never) => match never {},
            })?;
        Ok(BuiltIndex::new(
            shards,
            done.total,
            done.docs,
            done.agencies,
        ))
    }

    /// What is left to merge and what the core and fact files say, once every document
    /// is in.
    fn done(self) -> Result<Done, IndexError> {
        if let Some(e) = self.failed {
            return Err(e.into());
        }
        // A partition's map is freed as its terms are moved.
        let mut held: Vec<(u32, Term, runs::Fields)> = self
            .postings
            .into_iter()
            .flat_map(|part| part.held.into_iter())
            .map(|(t, p)| (runs::run_key(&t), t, p.into_fields().0))
            .collect();
        // In run order, to go on from the runs' lists.
        held.par_sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp_text(&b.1)));
        let (memory, held_total) = self.runs.settle(held)?;
        let total = self.spilled_total + held_total;

        // 机构 ids in name (pinyin) order, so the fact files do not depend on document
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
        Ok(Done {
            runs: self.runs,
            memory,
            count: format::shard_count(total),
            total,
            docs,
            agencies,
        })
    }
}

/// A finished index before its shards are merged.
struct Done {
    runs: runs::Runs,
    memory: Vec<(Term, runs::Fields)>,
    count: usize,
    total: usize,
    docs: Vec<DocFacts>,
    agencies: Vec<String>,
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
        let (stats, _) = SearchIndex::new().write(dir.path()).unwrap();
        assert_eq!(stats.documents, 0);
        // The shard, core.js and the (empty) list of 机构; no fact file.
        assert_eq!(stats.files, 3);
        let core = fs::read_to_string(dir.path().join("search/core.js")).unwrap();
        assert!(core.contains("\"documents\":0,\"shards\":1,"), "{core}");
        let agencies =
            fs::read_to_string(dir.path().join("search").join(format::AGENCIES_FILE)).unwrap();
        assert_eq!(agencies, "gongkaiSearch.agencies([]);\n");
        let shard = fs::read_to_string(dir.path().join("search/t/0/0.js")).unwrap();
        assert_eq!(shard, "gongkaiSearch.shard(0,{});\n");
    }

    /// Han text from a fixed pseudo-random sequence, with a word and a number now and
    /// then: many distinct terms, most in few documents.
    fn random_text(seed: u64, chars: usize) -> String {
        let mut x = seed.wrapping_add(1);
        let mut next = || {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            x >> 33
        };
        (0..chars)
            .map(|_| match next() % 40 {
                0 => format!(" wifi{} ", next() % 50),
                _ => char::from_u32(0x4E00 + (next() % 2500) as u32)
                    .map(String::from)
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Documents of several sizes, titles, 机构 and numbers.
    fn sample_docs(n: usize, chars: usize) -> Vec<[String; 5]> {
        (0..n)
            .map(|i| {
                [
                    format!("2024/d{i:04}/"),
                    random_text(i as u64 * 7 + 1, 12),
                    ["青溪县教育局", "青溪县财政局", ""][i % 3].to_string(),
                    format!("青教〔2024〕{i}号"),
                    random_text(i as u64, chars * (1 + i % 4)),
                ]
            })
            .collect()
    }

    /// Writes `docs` through an index set by `make`, in batches of `batch`; returns
    /// every file under search/, what `write` returned and the number of runs.
    fn written_with(
        docs: &[[String; 5]],
        batch: usize,
        make: impl Fn(SearchIndex) -> SearchIndex,
    ) -> (Vec<(String, Vec<u8>)>, IndexMeta, usize) {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        fs::create_dir(&runs).unwrap();
        let mut index = make(SearchIndex::new().runs_in(&runs));
        let docs: Vec<SearchDocument<'_>> = docs
            .iter()
            .map(|[url_path, title, agency, doc_no, text]| SearchDocument {
                url_path,
                title,
                agency,
                doc_no,
                published: "2024-05-06",
                year: Some(2024),
                text,
                ..Default::default()
            })
            .collect();
        for group in docs.chunks(batch) {
            index.add_batch(group);
        }
        let spills = index.spilled().0;
        let out = dir.path().join("out");
        let (stats, meta) = index.write(&out).unwrap();
        // The run files went with the index.
        assert_eq!(fs::read_dir(&runs).unwrap().count(), 0);
        let files: Vec<(String, Vec<u8>)> =
            crate::render::templates::files_under(&out.join("search"))
                .into_iter()
                .map(|(rel, p)| (rel, fs::read(p).unwrap()))
                .collect();
        assert_eq!(stats.files, files.len());
        (files, meta, spills)
    }

    #[test]
    fn postings_spilled_to_runs_merge_into_the_same_files() {
        let docs = sample_docs(120, 400);
        let (whole, meta, spills) = written_with(&docs, 16, |i| i);
        assert_eq!(spills, 0);
        let shards = whole
            .iter()
            .filter(|(rel, _)| rel.starts_with("t/"))
            .count();
        assert!(shards >= 8, "{shards} shards");
        // A budget a batch always passes (a run per batch), one passed now and then,
        // and one document at a time with a spill after each.
        for (budget, batch) in [(1, 16), (300_000, 7), (1, 1)] {
            let (spilled, spilled_meta, spills) =
                written_with(&docs, batch, |i| i.memory_budget(budget));
            assert!(spills > 3, "budget {budget}: {spills} runs");
            assert_eq!(spilled_meta, meta, "budget {budget}");
            assert_eq!(
                spilled.iter().map(|f| &f.0).collect::<Vec<_>>(),
                whole.iter().map(|f| &f.0).collect::<Vec<_>>()
            );
            for (a, b) in spilled.iter().zip(&whole) {
                assert!(a.1 == b.1, "budget {budget}: {} differs", a.0);
            }
        }
        // Few documents, one shard: spilled, the same.
        let small = sample_docs(6, 10);
        let (one, _, _) = written_with(&small, 2, |i| i);
        let (runs, _, spills) = written_with(&small, 2, |i| i.memory_budget(1));
        assert_eq!(spills, 3);
        assert!(one == runs && one.iter().filter(|f| f.0.starts_with("t/")).count() == 1);
    }

    #[test]
    fn a_spilled_index_finishes_in_memory_as_one_never_spilled() {
        let docs = sample_docs(40, 300);
        let finished = |budget: usize| {
            let dir = tempfile::tempdir().unwrap();
            let mut index = SearchIndex::new().runs_in(dir.path()).memory_budget(budget);
            for d in &docs {
                index.add(&SearchDocument {
                    url_path: &d[0],
                    title: &d[1],
                    text: &d[4],
                    ..Default::default()
                });
            }
            let out = dir.path().join("out");
            index.finish().unwrap().write(&out).unwrap();
            crate::render::templates::files_under(&out.join("search"))
                .into_iter()
                .map(|(rel, p)| (rel, fs::read(p).unwrap()))
                .collect::<Vec<_>>()
        };
        assert!(finished(usize::MAX) == finished(1));
    }

    #[test]
    fn a_run_that_cannot_be_written_is_an_error_naming_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let not_a_folder = dir.path().join("file");
        fs::write(&not_a_folder, "").unwrap();
        let mut index = SearchIndex::new().runs_in(&not_a_folder).memory_budget(1);
        let text = random_text(1, 200);
        for url_path in ["a/", "b/"] {
            index.add(&SearchDocument {
                url_path,
                text: &text,
                ..Default::default()
            });
        }
        let e = index.write(&dir.path().join("out")).unwrap_err();
        assert_eq!(e.folder, not_a_folder);
        assert!(e.message.contains("temporary postings"), "{}", e.message);
        assert!(!dir.path().join("out").exists());
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
        let names =
            fs::read_to_string(dir.path().join("search").join(format::AGENCIES_FILE)).unwrap();
        let (jiao, ren) = (
            names.find("教育局").unwrap(),
            names.find("人民政府").unwrap(),
        );
        assert!(jiao < ren, "{names}");
        // The fact file numbers them in that order: b/ (教育局) is 1, a/ is 2.
        let facts =
            fs::read_to_string(dir.path().join("search").join(format::facts_file_path(0))).unwrap();
        assert_eq!(facts, "gongkaiSearch.facts(0,\"CABA\");\n");
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
