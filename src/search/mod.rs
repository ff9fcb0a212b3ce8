//! The client-side search index: Chinese full text that works from file://, sharded so
//! a query loads only what it needs (design and figures: docs/search.md).
//!
//! The build makes each document's own files and counts its terms in one scan of its
//! text as its page renders ([`prepare_document`]), writes the files beside the page,
//! and hands each chunk's counts to [`SearchIndex::add_counted`] in id order
//! ([`SearchIndex::add_batch`] counts and adds in one call), then
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
//! - `search/x/…/<id>-<g>.js`: a longer text's further parts, eight to a file, for
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

    /// The entry in 12 bits: body weight and whether there is one (6), the title's (5),
    /// the meta flag (1).
    fn bits(self) -> u16 {
        let field = |w: Option<u8>, width: u32| {
            w.map_or(0, |w| (1 << width) | (u16::from(w) & ((1 << width) - 1)))
        };
        field(self.body, format::BODY_BITS)
            | field(self.title, format::TITLE_BITS) << 6
            | u16::from(self.meta) << 11
    }

    fn from_bits(bits: u16) -> Entry {
        let field =
            |v: u16, width: u32| (v & (1 << width) != 0).then(|| (v & ((1 << width) - 1)) as u8);
        Entry {
            body: field(bits & 0x3F, format::BODY_BITS),
            title: field((bits >> 6) & 0x1F, format::TITLE_BITS),
            meta: bits & (1 << 11) != 0,
        }
    }
}

/// A Han term and its entry in one number, the packed term ([`Term::Han`], 42 bits) and
/// [`Entry::bits`] above it: a document's terms wait for the index in half the memory
/// of a pair.
#[derive(Clone, Copy)]
struct HanEntry(u64);

impl HanEntry {
    const TERM_BITS: u32 = 42;

    fn new(packed: u64, entry: Entry) -> HanEntry {
        HanEntry(packed | u64::from(entry.bits()) << Self::TERM_BITS)
    }

    fn term(self) -> u64 {
        self.0 & ((1 << Self::TERM_BITS) - 1)
    }

    fn entry_bits(self) -> u16 {
        (self.0 >> Self::TERM_BITS) as u16
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

/// One document's distinct terms that fall in one partition: Han terms by their packed
/// number (nearly all of them), words apart.
#[derive(Default)]
struct PartTerms {
    han: Vec<HanEntry>,
    words: Vec<(String, Entry)>,
}

impl PartTerms {
    fn into_terms(self) -> Vec<(Term, Entry)> {
        let han = self
            .han
            .into_iter()
            .map(|h| (Term::Han(h.term()), Entry::from_bits(h.entry_bits())));
        han.chain(self.words.into_iter().map(|(w, e)| (Term::Word(w), e)))
            .collect()
    }
}

/// One document's distinct terms with their entries, split by partition (as `serve`
/// takes them: [`count_terms_with_files`]).
struct DocTerms {
    parts: Vec<Vec<(Term, Entry)>>,
}

impl DocTerms {
    fn of(parts: Vec<PartTerms>) -> DocTerms {
        DocTerms {
            parts: parts.into_iter().map(PartTerms::into_terms).collect(),
        }
    }
}

#[cfg(test)]
fn count_terms(doc: &SearchDocument<'_>) -> DocTerms {
    DocTerms::of(COUNTER.with_borrow_mut(|counter| counter.count(doc)))
}

/// A document's terms and its own files ([`format::doc_files`]), from one scan of its
/// text, for `serve`'s changes.
fn count_terms_with_files(doc: &SearchDocument<'_>) -> (DocTerms, format::DocFiles) {
    let (parts, files) = COUNTER.with_borrow_mut(|counter| counter.count_with_files(doc));
    (DocTerms::of(parts), files)
}

/// A document's terms as counted and what its fact file says of it: what
/// [`SearchIndex::add_counted`] takes, made by [`prepare_document`] (or
/// [`CountedDocument::of`]) in parallel, wherever the caller has the document.
pub struct CountedDocument {
    parts: Vec<PartTerms>,
    agency: String,
    year: Option<i32>,
}

impl CountedDocument {
    pub fn of(doc: &SearchDocument<'_>) -> CountedDocument {
        let parts = COUNTER.with_borrow_mut(|counter| counter.count(doc));
        CountedDocument::with(doc, parts)
    }

    fn with(doc: &SearchDocument<'_>, parts: Vec<PartTerms>) -> CountedDocument {
        CountedDocument {
            parts,
            agency: doc.agency.to_string(),
            year: doc.year,
        }
    }
}

/// Document `id`'s own files ([`document_files`]) and its terms counted, from one scan of
/// its text: the build does this as each page renders, and adds the counted terms
/// in id order with [`SearchIndex::add_counted`].
pub fn prepare_document(
    id: u32,
    doc: &SearchDocument<'_>,
) -> (Vec<(String, String)>, CountedDocument) {
    let (parts, files) = COUNTER.with_borrow_mut(|counter| counter.count_with_files(doc));
    (files.files(id), CountedDocument::with(doc, parts))
}

thread_local! {
    /// Each thread's counter, kept between documents so its tables are allocated once.
    static COUNTER: std::cell::RefCell<TermCounter> = std::cell::RefCell::new(TermCounter::new());
}

/// Han characters from U+3400 to U+9FFF (extension A and the unified block): nearly all
/// the unigrams of a text, counted in a table indexed by code point instead of a map.
const DENSE_FIRST: u32 = 0x3400;
const DENSE_LEN: usize = 0xA000 - DENSE_FIRST as usize;

/// A bigram, rare unigram or word as counted: its occurrence, its hash
/// ([`tokenize::hash_term`]: its partition, and its filter bits), and the last text
/// part whose filter has it.
#[derive(Clone, Copy, Default)]
struct Counted {
    occ: Occurrence,
    hash: u32,
    /// 1 + the index of the last part whose filter hash list has the term (0: none).
    filtered: u32,
}

/// Counts one document's terms. Unigrams of common characters go to a table, bigrams
/// and rare unigrams to a map keyed by the packed number, words to a map of their own:
/// counting is most of the search index's work, and a map keyed by [`Term`] (an enum
/// with a string in it) was a third slower. While it counts the body it also lists
/// each text part's filter terms ([`format::PartScan`]): the map entry a term is
/// counted in says whether the part has it already, so each part's list has each term
/// once and the text is scanned once for both.
struct TermCounter {
    table: TermTable,
    /// Body term occurrences of the document being counted.
    body_terms: u32,
    /// Each part's filter hashes (no term twice); `filter_parts` of them in use.
    filters: Vec<Vec<u32>>,
    filter_parts: usize,
    /// The current section's first part in `filters`, and whether it has filters.
    section_first: usize,
    section_filters: bool,
}

/// The counter's map of bigrams and rare unigrams, by packed term (never 0): open
/// addressing with linear probing, and a list of the slots in use to read and empty
/// only those. (hashbrown's probe and drain were a third of the counting.)
struct HanTable {
    /// Term (0: empty) and its count.
    slots: Vec<(u64, Counted)>,
    used: Vec<u32>,
    /// 64 − log₂ of the slot count: a term's first slot is the top bits of its product
    /// with 2⁶⁴/φ (Fibonacci hashing).
    shift: u32,
}

impl Default for HanTable {
    fn default() -> HanTable {
        HanTable::with_slots(1 << 12)
    }
}

impl HanTable {
    fn with_slots(slots: usize) -> HanTable {
        HanTable {
            slots: vec![(0, Counted::default()); slots],
            used: Vec::new(),
            shift: 64 - slots.trailing_zeros(),
        }
    }

    fn len(&self) -> usize {
        self.used.len()
    }

    /// Room for `terms` terms, so the table grows not while a document is counted.
    fn reserve(&mut self, terms: usize) {
        let wanted = terms.next_power_of_two();
        if wanted > self.slots.len() {
            self.grow_to(wanted);
        }
    }

    /// Twice the slots when half are in use.
    fn grow_to(&mut self, slots: usize) {
        let mut bigger = HanTable::with_slots(slots);
        for (key, counted) in self.drain() {
            *bigger.entry(key) = counted;
        }
        *self = bigger;
    }

    #[inline]
    fn entry(&mut self, key: u64) -> &mut Counted {
        let mask = self.slots.len() - 1;
        let mut i = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize;
        loop {
            match self.slots[i].0 {
                k if k == key => return &mut self.slots[i].1,
                0 => break,
                _ => i = (i + 1) & mask,
            }
        }
        if (self.used.len() + 1) * 2 > self.slots.len() {
            self.grow_to(self.slots.len() * 2);
            return self.entry(key);
        }
        self.used.push(i as u32);
        self.slots[i] = (
            key,
            Counted {
                hash: tokenize::hash_han(key),
                ..Counted::default()
            },
        );
        &mut self.slots[i].1
    }

    fn values(&self) -> impl Iterator<Item = &Counted> {
        self.used.iter().map(|&i| &self.slots[i as usize].1)
    }

    /// Every term and its count; the table is left empty.
    fn drain(&mut self) -> impl Iterator<Item = (u64, Counted)> + '_ {
        let slots = &mut self.slots;
        self.used
            .drain(..)
            .map(|i| std::mem::take(&mut slots[i as usize]))
    }
}

/// [`TermCounter`]'s tables of the terms counted.
struct TermTable {
    dense: Vec<Occurrence>,
    /// Indices of `dense` in use, to read and reset only those.
    touched: Vec<u32>,
    han: HanTable,
    words: HashMap<String, Counted>,
}

impl TermCounter {
    fn new() -> TermCounter {
        TermCounter {
            table: TermTable {
                dense: vec![Occurrence::default(); DENSE_LEN],
                touched: Vec::new(),
                han: HanTable::default(),
                words: HashMap::default(),
            },
            body_terms: 0,
            filters: Vec::new(),
            filter_parts: 0,
            section_first: 0,
            section_filters: false,
        }
    }

    /// Counts the terms of `doc`'s title and meta fields (机构, numbers, date); returns
    /// the title's term count. The body comes next, a term at a time.
    fn fields(&mut self, doc: &SearchDocument<'_>) -> u32 {
        // About one distinct bigram a Han character (3 bytes): sized once, never rehashed.
        let bytes = doc.text.len() + doc.attachments.iter().map(|a| a.text.len()).sum::<usize>();
        self.table.han.reserve(bytes / 3 + 64);
        self.body_terms = 0;
        self.filter_parts = 0;
        let mut title_terms = 0u32;
        scan_terms(doc.title.chars(), |t| {
            title_terms += 1;
            self.table.occurrence(t).flags |= format::FLAG_TITLE;
        });
        for field in [doc.agency, doc.index_no, doc.doc_no, doc.published] {
            scan_terms(field.chars(), |t| {
                self.table.occurrence(t).flags |= format::FLAG_META;
            });
        }
        for id_value in [doc.index_no, doc.doc_no] {
            if let Some(Term::Word(w)) = id_term(id_value) {
                self.table.occurrence(Token::Word(&w)).flags |= format::FLAG_META;
            }
        }
        title_terms
    }

    /// The document's terms, counted since [`Self::fields`], with their entries, by
    /// partition; the counter is left empty for the next document.
    fn take(&mut self, title_terms: u32) -> Vec<PartTerms> {
        let distinct = self.table.touched.len() + self.table.han.len();
        let mut parts: Vec<PartTerms> = (0..PARTS)
            .map(|_| PartTerms {
                // A quarter over the mean: a partition's share varies by about its
                // square root, and a list that outgrows its capacity is copied.
                han: Vec::with_capacity(distinct / PARTS + distinct / (4 * PARTS) + 16),
                words: Vec::new(),
            })
            .collect();
        let (title, body) = (
            format::title_impact(title_terms),
            format::body_impacts(self.body_terms),
        );
        for index in self.table.touched.drain(..) {
            let occ = std::mem::take(&mut self.table.dense[index as usize]);
            let packed = u64::from(index + DENSE_FIRST) << 21;
            let part = tokenize::hash_han(packed) as usize % PARTS;
            parts[part]
                .han
                .push(HanEntry::new(packed, Entry::of(occ, title, &body)));
        }
        for (packed, c) in self.table.han.drain() {
            let entry = Entry::of(c.occ, title, &body);
            parts[c.hash as usize % PARTS]
                .han
                .push(HanEntry::new(packed, entry));
        }
        for (word, c) in self.table.words.drain() {
            let entry = Entry::of(c.occ, title, &body);
            parts[c.hash as usize % PARTS].words.push((word, entry));
        }
        // One huge text (a long attachment) must not leave every later document
        // draining a table sized for it.
        if self.table.han.slots.len() > 1 << 20 {
            self.table.han = HanTable::default();
        }
        if self.filters.len() > 1 << 12 {
            self.filters = Vec::new();
        }
        parts
    }

    /// The terms of `doc`, its body scanned on its own.
    fn count(&mut self, doc: &SearchDocument<'_>) -> Vec<PartTerms> {
        let title_terms = self.fields(doc);
        for text in std::iter::once(doc.text).chain(doc.attachments.iter().map(|a| a.text.as_str()))
        {
            scan_terms(text.chars(), |t| {
                self.body_terms += 1;
                let o = self.table.occurrence(t);
                o.body = o.body.saturating_add(1);
            });
        }
        self.take(title_terms)
    }

    /// The terms of `doc` and its files, from one scan of its text
    /// ([`format::doc_files_scanned`]).
    fn count_with_files(&mut self, doc: &SearchDocument<'_>) -> (Vec<PartTerms>, format::DocFiles) {
        let title_terms = self.fields(doc);
        let files = format::doc_files_scanned(doc, self);
        (self.take(title_terms), files)
    }
}

impl TermTable {
    /// The occurrence of a dense unigram, or the entry of any other term.
    #[inline]
    fn entry(&mut self, token: Token<'_>) -> Result<&mut Occurrence, &mut Counted> {
        match token {
            Token::Han(packed) => {
                let index = ((packed >> 21) as u32).wrapping_sub(DENSE_FIRST) as usize;
                if packed & 0x1F_FFFF == 0 && index < DENSE_LEN {
                    let o = &mut self.dense[index];
                    if *o == Occurrence::default() {
                        self.touched.push(index as u32);
                    }
                    Ok(o)
                } else {
                    Err(self.han.entry(packed))
                }
            }
            Token::Word(w) => {
                // Looked up by &str first: a repeated word is not copied again.
                if !self.words.contains_key(w) {
                    let counted = Counted {
                        hash: tokenize::hash_word(w),
                        ..Counted::default()
                    };
                    self.words.insert(w.to_string(), counted);
                }
                Err(self.words.get_mut(w).expect("inserted above"))
            }
        }
    }

    fn occurrence(&mut self, token: Token<'_>) -> &mut Occurrence {
        match self.entry(token) {
            Ok(o) => o,
            Err(c) => &mut c.occ,
        }
    }
}

impl format::PartScan for TermCounter {
    fn section(&mut self, parts: usize, filters: bool) {
        self.section_filters = filters;
        self.section_first = self.filter_parts;
        if filters {
            self.filter_parts += parts;
            if self.filters.len() < self.filter_parts {
                self.filters.resize_with(self.filter_parts, Vec::new);
            }
            for list in &mut self.filters[self.section_first..self.filter_parts] {
                list.clear();
            }
        }
    }

    #[inline]
    fn term(&mut self, t: Token<'_>, k: usize, offset: usize) {
        self.body_terms += 1;
        let filters = self.section_filters;
        let c = match self.table.entry(t) {
            Ok(o) => {
                // A lone Han character: in no filter.
                o.body = o.body.saturating_add(1);
                return;
            }
            Err(c) => c,
        };
        c.occ.body = c.occ.body.saturating_add(1);
        // A rare unigram, kept in the map: in no filter either.
        if !filters || matches!(t, Token::Han(packed) if packed & 0x1F_FFFF == 0) {
            return;
        }
        // `filtered` only grows: the parts are read in order, and within a part the
        // terms that reach back into the part before come first.
        let part = (self.section_first + k) as u32;
        if k > 0 && offset < format::BLOOM_OVERLAP && c.filtered < part {
            self.filters[part as usize - 1].push(c.hash);
        }
        if c.filtered < part + 1 {
            self.filters[part as usize].push(c.hash);
            c.filtered = part + 1;
        }
    }

    fn blooms(&mut self) -> Vec<String> {
        let lists = &self.filters[..self.filter_parts];
        // Different terms of one document almost never share a hash; when some do, a
        // part's list may hold a hash twice, and each list is made distinct.
        let listed: Vec<u32> = self
            .table
            .han
            .values()
            .chain(self.table.words.values())
            .filter(|c| c.filtered > 0)
            .map(|c| c.hash)
            .collect();
        if format::distinct(&listed).len() == listed.len() {
            lists.iter().map(|l| format::bloom_of_distinct(l)).collect()
        } else {
            lists
                .iter()
                .map(|l| format::bloom_of_distinct(&format::distinct(l)))
                .collect()
        }
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
    /// [`merge`](Self::merge)'s buffers, kept between batches.
    grouping: Grouping,
}

/// A batch's Han entries grouped by term ([`Partition::merge`]).
#[derive(Default)]
struct Grouping {
    /// Term → its slot: an index into `keys` and `ends`.
    slots: HashMap<u64, u32>,
    keys: Vec<u64>,
    ends: Vec<u32>,
    /// The slot and [`Entry::bits`] of each entry, in batch order.
    order: Vec<(u32, u16)>,
    /// The entries (id, bits) by slot, each slot's in id order.
    grouped: Vec<(u32, u16)>,
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

    /// Adds a batch of documents' terms (in id order). A batch's Han terms are grouped
    /// by term first, in buffers that stay in cache, so each term's postings are found
    /// and extended once per batch, not once per document: at 100,000 documents those
    /// are cache misses that dominate. Words are few: added as they come.
    fn merge(&mut self, docs: Vec<(u32, PartTerms)>) {
        let mut g = std::mem::take(&mut self.grouping);
        g.slots.clear();
        g.keys.clear();
        g.ends.clear();
        g.order.clear();
        // The documents' lists are read once (they are large and long out of cache):
        // each entry's slot and bits, then each slot's count.
        for (_, terms) in &docs {
            for h in &terms.han {
                let key = h.term();
                let slot = *g.slots.entry(key).or_insert_with(|| {
                    g.keys.push(key);
                    g.ends.push(0);
                    g.keys.len() as u32 - 1
                });
                g.ends[slot as usize] += 1;
                g.order.push((slot, h.entry_bits()));
            }
        }
        // Each slot's start, then (as entries are placed) its end.
        let mut sum = 0u32;
        for n in &mut g.ends {
            let count = *n;
            *n = sum;
            sum += count;
        }
        g.grouped.clear();
        g.grouped.resize(sum as usize, (0, 0));
        let mut order = g.order.iter();
        for (id, terms) in &docs {
            for &(slot, bits) in order.by_ref().take(terms.han.len()) {
                let at = &mut g.ends[slot as usize];
                g.grouped[*at as usize] = (*id, bits);
                *at += 1;
            }
        }
        let mut start = 0usize;
        for (&key, &end) in g.keys.iter().zip(&g.ends) {
            let entries = g.grouped[start..end as usize].iter();
            self.extend(
                Term::Han(key),
                entries.map(|&(id, bits)| (id, Entry::from_bits(bits))),
            );
            start = end as usize;
        }
        for (id, terms) in docs {
            for (word, entry) in terms.words {
                self.extend(Term::Word(word), [(id, entry)]);
            }
        }
        self.grouping = g;
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
    /// See [`head_bytes`](Self::head_bytes).
    head_bytes: usize,
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
            head_bytes: format::head_bytes(),
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

    /// How many bytes of a broad term's postings its shard keeps (its head; the rest
    /// goes to a file of its own): default [`format::head_bytes`].
    pub fn head_bytes(mut self, bytes: usize) -> Self {
        self.head_bytes = bytes.max(1);
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
        let counted: Vec<CountedDocument> = if docs.len() == 1 {
            docs.iter().map(CountedDocument::of).collect()
        } else {
            docs.par_iter().map(CountedDocument::of).collect()
        };
        self.add_counted(counted);
    }

    /// Adds documents counted elsewhere ([`prepare_document`]), in order, as
    /// [`add_batch`](Self::add_batch) of the same documents would.
    pub fn add_counted(&mut self, docs: Vec<CountedDocument>) {
        let first_id = self.facts.len() as u32;
        let count = docs.len();
        // Regroup by partition (moving the terms), then fill each partition's map in
        // document order: the same map contents as one document at a time.
        let mut by_part: Vec<Vec<(u32, PartTerms)>> =
            (0..PARTS).map(|_| Vec::with_capacity(count)).collect();
        for (i, d) in docs.into_iter().enumerate() {
            let id = first_id + i as u32;
            for (part, terms) in d.parts.into_iter().enumerate() {
                by_part[part].push((id, terms));
            }
            let agency = if d.agency.is_empty() {
                0
            } else if let Some(&a) = self.agency_ids.get(&d.agency) {
                a
            } else {
                self.agencies.push(d.agency.clone());
                let a = self.agencies.len() as u32;
                self.agency_ids.insert(d.agency, a);
                a
            };
            self.facts.push(DocFacts {
                agency,
                year: d.year,
            });
        }
        let merge = |(part, docs): (&mut Partition, Vec<(u32, PartTerms)>)| part.merge(docs);
        if self.failed.is_none() {
            if count == 1 {
                self.postings.iter_mut().zip(by_part).for_each(merge);
            } else {
                self.postings.par_iter_mut().zip(by_part).for_each(merge);
            }
            let held: usize = self.postings.iter().map(Partition::held_estimate).sum();
            if held > self.budget {
                self.spill();
            }
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
                built::write_shard(&dir, n, &terms, done.head_bytes)
            })
            .map_err(|e| match e {
                runs::MergeError::Run(e) => e.into(),
                runs::MergeError::Sink(e) => out_err(e),
            })?;
        let empty = (0..done.count).map(|_| Vec::new()).collect();
        let built = BuiltIndex::new(empty, done.total, done.docs, done.agencies, done.head_bytes);
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
            done.head_bytes,
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
            head_bytes: self.head_bytes,
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
    head_bytes: usize,
}

/// Document `id`'s own files (its record, and the further parts of a long text): each
/// path under `search/` and its text. The build makes the same files with the terms in
/// one scan ([`prepare_document`]); this serves callers that need the files alone.
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
    fn entries_pack_into_twelve_bits_and_back() {
        for body in std::iter::once(None).chain((0..32).map(Some)) {
            for title in std::iter::once(None).chain((0..16).map(Some)) {
                for meta in [false, true] {
                    let e = Entry { body, title, meta };
                    assert!(e.bits() < 1 << 12);
                    // The largest code points there are (U+10FFFF) in both halves.
                    let packed = (0x10_FFFFu64 << 21) | 0x10_FFFF;
                    let h = HanEntry::new(packed, e);
                    assert_eq!((h.term(), Entry::from_bits(h.entry_bits())), (packed, e));
                }
            }
        }
    }

    #[test]
    fn the_han_table_counts_as_a_map_does_and_grows() {
        let mut table = HanTable::with_slots(16);
        let mut map: HashMap<u64, u32> = HashMap::default();
        let mut x = 1u64;
        for _ in 0..5000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // Few distinct keys at first, then many (the table grows from 16 slots).
            let key = (((x >> 40) % 3000 + 1) << 21) | ((x >> 20) % 7);
            table.entry(key).occ.body += 1;
            *map.entry(key).or_default() += 1;
        }
        assert_eq!(table.len(), map.len());
        assert!(table.slots.len() >= 2 * map.len());
        let mut counted: Vec<(u64, u32, u32)> = table
            .drain()
            .map(|(k, c)| (k, c.occ.body, c.hash))
            .collect();
        counted.sort_unstable();
        let mut expected: Vec<(u64, u32, u32)> = map
            .into_iter()
            .map(|(k, n)| (k, n, tokenize::hash_han(k)))
            .collect();
        expected.sort_unstable();
        assert_eq!(counted, expected);
        assert_eq!(table.len(), 0);
        assert!(table.slots.iter().all(|s| s.0 == 0));
    }

    /// Two words with the same hash (found by trying `x0`, `x1`, …).
    const COLLIDING_WORDS: [&str; 2] = ["x496069", "x1035124"];

    #[test]
    fn one_scan_gives_the_files_and_terms_of_two() {
        let [a, b] = COLLIDING_WORDS;
        assert_eq!(
            tokenize::hash_term(&Term::Word(a.into())),
            tokenize::hash_term(&Term::Word(b.into()))
        );
        let sorted = |parts: Vec<Vec<(Term, Entry)>>| {
            let mut all: Vec<(Term, Entry)> = parts.into_iter().flatten().collect();
            all.sort_by(|x, y| x.0.cmp(&y.0));
            all
        };
        let attachments = [
            AttachmentText {
                name: "附件一".into(),
                text: random_text(99, 3000),
            },
            AttachmentText {
                name: "空".into(),
                text: " \n ".into(),
            },
        ];
        for (n, [url_path, title, agency, doc_no, text]) in sample_docs(12, 700).iter().enumerate()
        {
            // A colliding pair in one part (the filters' exact path: a filter one
            // term too long is one character longer two times in three), words across
            // part boundaries, a short text without filters.
            let text = match n % 4 {
                0 => format!("{text} {a}，{b} {text}"),
                1 => "短文 ab12".to_string(),
                _ => format!("{a} {b} {}", text.replace('一', " x9 ")),
            };
            let doc = SearchDocument {
                url_path,
                title,
                agency,
                doc_no,
                text: &text,
                attachments: if n % 3 == 0 { &attachments } else { &[] },
                ..Default::default()
            };
            let (files, counted) = prepare_document(n as u32, &doc);
            assert!(files == document_files(n as u32, &doc), "document {n}");
            let one = counted
                .parts
                .into_iter()
                .map(PartTerms::into_terms)
                .collect();
            assert!(
                sorted(one) == sorted(count_terms(&doc).parts),
                "document {n}"
            );
        }
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
