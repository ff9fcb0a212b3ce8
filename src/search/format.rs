//! The bytes of the index files. `assets/search.js` reads them; a change here is a change
//! there (and of `FORMAT_VERSION`).
//!
//! Postings are text, not JSON arrays: a term's value is `body.title.meta` (empty
//! trailing parts left out), each part a string over [`ALPHABET`] of base-32 varints
//! (characters 32..63 continue, 0..31 end; low bits first). A title or meta entry is
//! the gap to the previous document id (the first: the id); a body entry is
//! `gap << BODY_BITS | body weight` ([`body_impacts`]), a title entry
//! `gap << TITLE_BITS | title weight` ([`title_impact`]):
//! the weights the ranking needs travel with the entries, so a query needs no table of
//! every document.
//!
//! Each document also gets its own small file (`d/…/<id>.js`: what a result shows, the
//! first [`PART_CHARS`] characters of its text, all of it when it has at most
//! [`INLINE_PARTS`] parts, and otherwise one Bloom filter of terms per part) and the
//! further parts of a longer text in groups (`x/…/<id>-<g>.js`, [`GROUP_PARTS`] parts
//! each), so a result's snippet can come from anywhere in the text and a phrase can be
//! checked as typed, loading only what the documents on screen need.
//!
//! A term whose postings pass twice [`head_bytes`] (a broad term: `局`, `工作`, a year)
//! keeps only its head in its shard — the entries that rank highest for it alone —
//! as `body.title.meta.df,B,T,M,b,t,m,cut,i,starts` ([`split_head`]): how many
//! documents hold it in all; the best entry left out (its body and title codes, empty
//! for none, and 1 for meta); the highest body code, lowest title code and any meta
//! among those left out; the last id of the head's lowest class (a left-out entry that
//! weighs as much has a larger id); its number among the shard's cut terms, `i`; and
//! the first ids of its rest's blocks after the first (`:`-separated). Block `j`
//! (`t/…/<shard>-<i>-<j>.js`, about half a head's size) holds the entries left out from its
//! first id to the next block's, in the same `body.title.meta` form. search.js shows
//! a first page from the heads when their bounds prove it is the page the whole lists
//! give (after loading the blocks that hold the few candidates of a rare word, when a
//! query has one), and loads the rests for the count, the filters, later pages, or
//! when the bounds do not prove it.

use super::SearchDocument;
use super::tokenize::{Scanner, Term, Token, hash_han, hash_word};

pub const FORMAT_VERSION: u32 = 5;

/// base64url: safe inside a JS string literal and a file name.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub const FLAG_TITLE: u8 = 1;
pub const FLAG_META: u8 = 2;

/// Target size of one term shard. A query of a few words loads a few shards, so this
/// keeps the first query far below 1 MB however large the archive is.
pub const SHARD_TARGET_BYTES: usize = 48 * 1024;

/// Characters of body text in one part file (`x/`): a result on screen loads one or
/// two of them for its snippet (about 3.6 kB each), not its whole text.
pub const PART_CHARS: usize = 1200;

/// A part's Bloom filter also holds the terms of this many characters of the next
/// part, so a phrase that starts in one part and ends in the next is found in the first.
pub const BLOOM_OVERLAP: usize = 32;

/// Bloom filter bits per distinct term (two hash functions): about 15% false hits for
/// one term, under 0.4% for a three-bigram phrase. A false hit only costs loading a
/// part that is then checked.
pub const BLOOM_BITS_PER_TERM: usize = 4;

/// Documents per folder under `search/d/` and `search/x/`: a folder holds 100 record
/// files, or the part groups of 100 documents (under 10,000 files unless those
/// documents average 400 parts, 480,000 characters), and the level above 1,000 folders.
pub const DOCS_PER_FOLDER: u32 = 100;

pub fn push_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 32 {
        out.push(ALPHABET[32 + (v & 31) as usize]);
        v >>= 5;
    }
    out.push(ALPHABET[v as usize]);
}

/// The varint at `at` in `field` (as [`push_varint`] writes it) and the position after it.
pub fn read_varint(field: &[u8], mut at: usize) -> (u32, usize) {
    let (mut v, mut shift) = (0u32, 0u32);
    while let Some(&c) = field.get(at) {
        at += 1;
        let d = digit(c);
        v |= (d & 31) << shift;
        if d < 32 {
            break;
        }
        shift += 5;
    }
    (v, at)
}

/// The value of one character of [`ALPHABET`].
fn digit(c: u8) -> u32 {
    match c {
        b'A'..=b'Z' => u32::from(c - b'A'),
        b'a'..=b'z' => u32::from(c - b'a') + 26,
        b'0'..=b'9' => u32::from(c - b'0') + 52,
        b'-' => 62,
        _ => 63,
    }
}

/// Low bits of a body entry that hold its weight ([`body_impacts`]).
pub const BODY_BITS: u32 = 5;

/// Low bits of a title entry that hold its [`title_impact`].
pub const TITLE_BITS: u32 = 4;

/// A body frequency in four steps: 1, 2–3, 4–7, 8 or more (enough for √tf scoring).
pub fn tf_code(count: u32) -> u32 {
    match count {
        0 | 1 => 0,
        2..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
}

/// Representative counts of the four [`tf_code`] steps.
const TF_OF_CODE: [f64; 4] = [1.0, 2.5, 5.5, 12.0];

/// What a term weighs in the body of a document of `body_terms` terms, for each
/// [`tf_code`]: elasticlunr's √tf / √length in 32 steps of 2^¼ (19%), code
/// `round(4·log₂(512·w))`, 0 to 31 (search.js: `w = 2^(code/4) / 512`; steps of √2 moved
/// the top ten measurably: 5.7% less score in them, against 1.3%). The entry carries it,
/// so the browser scores a document without a table of every document's length (which
/// grows with the archive: 5 MB at 1,000,000 documents). Worked out once a document and
/// looked up for each of its terms (logarithms for every entry would cost more than
/// counting it).
pub fn body_impacts(body_terms: u32) -> [u8; 4] {
    let norm = ((f64::from(body_code(body_terms)) / 4.0).exp2() - 1.0)
        .sqrt()
        .max(1.0);
    TF_OF_CODE.map(|tf| {
        let weight = tf.sqrt() / norm;
        (4.0 * (512.0 * weight).log2()).round().clamp(0.0, 31.0) as u8
    })
}

/// A title's length class, for a title match's weight 3 / √length: code
/// `round(4·log₂(√length))`, 0 to 15 (search.js: `w = 3 / 2^(code/4)`).
pub fn title_impact(title_terms: u32) -> u8 {
    let norm = (f64::from(title_code(title_terms)) / 4.0).max(1.0);
    (4.0 * norm.log2()).round().clamp(0.0, 15.0) as u8
}

/// `body.title.meta` without empty trailing parts.
pub fn join_fields(mut body: Vec<u8>, title: &[u8], meta: &[u8]) -> Vec<u8> {
    if !title.is_empty() || !meta.is_empty() {
        body.push(b'.');
        body.extend_from_slice(title);
    }
    if !meta.is_empty() {
        body.push(b'.');
        body.extend_from_slice(meta);
    }
    body
}

/// The term shard (of `shards`, a [`shard_count`]) that holds `term`; search.js finds it
/// the same way.
pub fn shard_of(term: &Term, shards: usize) -> usize {
    (super::tokenize::hash_term(term) as usize) & (shards - 1)
}

/// A power of two, so the browser finds a term's shard with a mask.
pub fn shard_count(total_bytes: usize) -> usize {
    (total_bytes / SHARD_TARGET_BYTES)
        .max(1)
        .next_power_of_two()
        .min(1 << 16)
}

/// `s` as a JSON string, as serde_json writes it.
fn json(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json(&mut out, s);
    out
}

/// Appends `s` as a JSON string, byte for byte what serde_json writes: `"` and `\`
/// escaped with a backslash, control characters below U+0020 as `\b \t \n \f \r` or
/// `\u00xx`, everything else (U+2028, U+2029, characters past the BMP) as it is. Runs
/// of text that need nothing (nearly all of a document's text) are copied whole,
/// found eight bytes at a time: quoting a part a character at a time was a measurable
/// share of writing the index.
fn push_json(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(found) = next_escape(bytes, start) {
        // The byte found is ASCII, so both ends of the run are character boundaries.
        out.push_str(&s[start..found]);
        push_escape(out, bytes[found]);
        start = found + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Whether JSON needs byte `b` escaped in a string.
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Where the first byte at or after `from` that JSON escapes is.
fn next_escape(bytes: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Whether a word holds a zero byte (exact, though which byte may be wrong past
    // the first: only used to skip words that hold none).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS != 0;
    let mut at = from;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // A byte below 0x20 is one whose top three bits are all clear.
        let control = has_zero(w & (0xE0 * ONES));
        let quote = has_zero(w ^ (u64::from(b'"') * ONES));
        let backslash = has_zero(w ^ (u64::from(b'\\') * ONES));
        if control || quote || backslash {
            break;
        }
        at += 8;
    }
    bytes[at..]
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| at + i)
}

/// Appends JSON's escape of byte `b` (one [`needs_escape`] holds).
fn push_escape(out: &mut String, b: u8) {
    match b {
        b'"' => out.push_str("\\\""),
        b'\\' => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x09 => out.push_str("\\t"),
        0x0A => out.push_str("\\n"),
        0x0C => out.push_str("\\f"),
        0x0D => out.push_str("\\r"),
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// One term shard's files: the shard, then the rest blocks of its cut terms, each path
/// (under `search/`) and text; and how many blocks each cut term has.
pub struct ShardFiles {
    pub files: Vec<(String, String)>,
    pub blocks: Vec<usize>,
}

/// `gongkaiSearch.shard(n,{"term":"postings",…});`, the terms given in text order,
/// terms of over twice `head_bytes` cut to their heads ([`split_head`]), followed by
/// their rest files
/// (`gongkaiSearch.rest(n,i,"postings");`).
pub fn shard_files(n: usize, terms: &[(Term, Box<[u8]>)], head_bytes: usize) -> ShardFiles {
    let size: usize = terms.iter().map(|(t, p)| t.text_len() + p.len() + 6).sum();
    let mut out = String::with_capacity(size.min(2 * SHARD_TARGET_BYTES) + 32);
    let mut rests = Vec::new();
    let mut blocks = Vec::new();
    out.push_str(&format!("gongkaiSearch.shard({n},{{"));
    for (i, (term, postings)) in terms.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Terms are letters, digits, `#` and Han characters: JSON needs no escapes, and
        // push_json copies such a string whole (still quoted, so the file stays valid
        // whatever a term holds).
        push_json(&mut out, &term.text());
        out.push_str(":\"");
        let split = (postings.len() > 2 * head_bytes)
            .then(|| split_head(postings, head_bytes, blocks.len()))
            .flatten();
        // ALPHABET is ASCII.
        match split {
            Some((head, rest)) => {
                out.push_str(std::str::from_utf8(&head).unwrap_or(""));
                let i = blocks.len();
                blocks.push(rest.len());
                for (j, block) in rest.iter().enumerate() {
                    rests.push((
                        rest_file_path(n, i, j),
                        format!(
                            "gongkaiSearch.rest({n},{i},{j},\"{}\");\n",
                            std::str::from_utf8(block).unwrap_or("")
                        ),
                    ));
                }
            }
            None => out.push_str(std::str::from_utf8(postings).unwrap_or("")),
        }
        out.push('"');
    }
    out.push_str("});\n");
    let mut files = vec![(shard_file_path(n), out)];
    files.extend(rests);
    ShardFiles { files, blocks }
}

/// How many bytes of postings a broad term keeps in its shard: 32 kB, so that a query
/// of a few broad words loads well under 1 MB whatever the archive's size. Tests and
/// benchmarks may set `GONGKAI_SEARCH_HEAD_BYTES` (e.g. a tenth, to see at 100,000
/// documents what 1,000,000 would load).
pub fn head_bytes() -> usize {
    static HEAD_BYTES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *HEAD_BYTES.get_or_init(|| {
        std::env::var("GONGKAI_SEARCH_HEAD_BYTES")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&b| b > 0)
            .unwrap_or(32 * 1024)
    })
}

/// Where block `j` of the rest of term shard `n`'s `i`-th cut term goes, under `search/`.
pub fn rest_file_path(n: usize, i: usize, j: usize) -> String {
    format!("t/{}/{n}-{i}-{j}.js", n / SHARDS_PER_FOLDER)
}

/// One document's entry in a term's postings, decoded: body and title weight codes
/// when the term is there, and whether the meta field has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Posting {
    id: u32,
    body: Option<u8>,
    title: Option<u8>,
    meta: bool,
}

/// Distinct (body code or none, title code or none, meta) combinations.
const CLASSES: usize = 33 * 17 * 2;

impl Posting {
    /// Its combination of codes, 0..[`CLASSES`].
    fn class(&self) -> usize {
        let body = self.body.map_or(0, |c| usize::from(c) + 1);
        let title = self.title.map_or(0, |c| usize::from(c) + 1);
        (body * 17 + title) * 2 + usize::from(self.meta)
    }
}

/// What an entry of each class gives a document for the term alone, as search.js
/// scores it (title matches first, then body + title + meta weight), as a level:
/// 0 ranks first, and classes that score the same share a level.
fn class_levels() -> &'static [u16; CLASSES] {
    static LEVELS: std::sync::OnceLock<[u16; CLASSES]> = std::sync::OnceLock::new();
    LEVELS.get_or_init(|| {
        let score = |class: usize| -> (bool, f64) {
            let (body, title, meta) = (class / 34, class / 2 % 17, class % 2 == 1);
            let weight = |code: usize, f: fn(f64) -> f64| {
                code.checked_sub(1).map_or(0.0, |c| f(c as f64 / 4.0))
            };
            let body = weight(body, |q| q.exp2() / 512.0);
            let title_weight = weight(title, |q| 3.0 / q.exp2());
            (
                title > 0,
                body + title_weight + if meta { 1.5 } else { 0.0 },
            )
        };
        let mut classes: Vec<usize> = (0..CLASSES).collect();
        classes.sort_by(|&a, &b| {
            let (sa, sb) = (score(a), score(b));
            sb.0.cmp(&sa.0).then(sb.1.total_cmp(&sa.1))
        });
        let mut levels = [0u16; CLASSES];
        let mut level = 0u16;
        for (i, &c) in classes.iter().enumerate() {
            if i > 0 && score(c) != score(classes[i - 1]) {
                level += 1;
            }
            levels[c] = level;
        }
        levels
    })
}

/// The entries of `body.title.meta` postings, in id order.
fn decode_postings(joined: &[u8]) -> Vec<Posting> {
    let mut fields = joined.split(|&b| b == b'.');
    let (body, title, meta) = (
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
        fields.next().unwrap_or_default(),
    );
    // The body list is the longest by far (a term is in more texts than titles): its
    // entries become the list, and the title and meta entries are merged into it.
    let mut out = Vec::with_capacity(body.len() / 2 + 1);
    for_each_entry(body, BODY_BITS, |id, code| {
        out.push(Posting {
            id,
            body: Some(code),
            title: None,
            meta: false,
        })
    });
    if !title.is_empty() {
        out = merge_entries(out, title, TITLE_BITS, |p, code| p.title = Some(code));
    }
    if !meta.is_empty() {
        out = merge_entries(out, meta, 0, |p, _| p.meta = true);
    }
    out
}

/// Calls `f(id, code)` for each entry of one field, as [`encode_fields`] writes it.
fn for_each_entry(field: &[u8], low_bits: u32, mut f: impl FnMut(u32, u8)) {
    let (mut at, mut base) = (0, 0u32);
    while at < field.len() {
        let (v, next) = read_varint(field, at);
        at = next;
        let id = base + (v >> low_bits);
        base = id + 1;
        f(id, (v & ((1 << low_bits) - 1)) as u8);
    }
}

/// `entries` (in id order) with one more field's entries set by `set`, entries of ids
/// not there yet added in order.
fn merge_entries(
    entries: Vec<Posting>,
    field: &[u8],
    low_bits: u32,
    set: impl Fn(&mut Posting, u8),
) -> Vec<Posting> {
    let mut added = Vec::new();
    for_each_entry(field, low_bits, |id, code| added.push((id, code)));
    let mut out = Vec::with_capacity(entries.len() + added.len());
    let mut rest = entries.into_iter().peekable();
    for (id, code) in added {
        while let Some(p) = rest.next_if(|p| p.id < id) {
            out.push(p);
        }
        let mut p = rest.next_if(|p| p.id == id).unwrap_or(Posting {
            id,
            body: None,
            title: None,
            meta: false,
        });
        set(&mut p, code);
        out.push(p);
    }
    out.extend(rest);
    out
}

/// The body, title and meta fields of entries in id order.
fn encode_fields<'a>(entries: impl Iterator<Item = &'a Posting> + Clone) -> [Vec<u8>; 3] {
    // One pass a field: each a plain loop over the entries (the body is most of it).
    fn field<'a>(
        entries: impl Iterator<Item = &'a Posting>,
        low_bits: u32,
        value: impl Fn(&Posting) -> Option<u32>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut next = 0u32;
        for p in entries {
            if let Some(code) = value(p) {
                push_varint(&mut out, ((p.id - next) << low_bits) | code);
                next = p.id + 1;
            }
        }
        out
    }
    [
        field(entries.clone(), BODY_BITS, |p| p.body.map(u32::from)),
        field(entries.clone(), TITLE_BITS, |p| p.title.map(u32::from)),
        field(entries, 0, |p| p.meta.then_some(0)),
    ]
}

/// The length of [`encode_postings`]`(entries)`, without making it.
fn encoded_len<'a>(entries: impl Iterator<Item = &'a Posting>) -> usize {
    let varint_len = |v: u32| (32 - v.leading_zeros()).max(1).div_ceil(5) as usize;
    let mut next = [0u32; 3];
    let mut len = 2;
    for p in entries {
        let values = [
            p.body.map(|c| (BODY_BITS, u32::from(c))),
            p.title.map(|c| (TITLE_BITS, u32::from(c))),
            p.meta.then_some((0, 0)),
        ];
        for (next, value) in next.iter_mut().zip(values) {
            if let Some((low_bits, code)) = value {
                len += varint_len(((p.id - *next) << low_bits) | code);
                *next = p.id + 1;
            }
        }
    }
    len
}

/// `body.title.meta` of entries in id order, all three parts, empty ones too (a head,
/// which its header follows, and a rest block).
fn encode_postings<'a>(entries: impl Iterator<Item = &'a Posting> + Clone) -> Vec<u8> {
    encode_fields(entries).join(&b'.')
}

/// `body.title.meta` of entries in id order, empty trailing parts left out: as a build
/// writes a whole term ([`join_fields`]).
fn encode_written(entries: &[Posting]) -> Vec<u8> {
    let [body, title, meta] = encode_fields(entries.iter());
    join_fields(body, &title, &meta)
}

/// A head holds at least this many entries, so a one-term query's first pages come
/// from it.
const HEAD_MIN_ENTRIES: usize = 64;

/// A broad term's postings cut into its head, with the header search.js needs to know
/// what the rest may hold (see the module's notes; `rest_file` is the term's number
/// among its shard's cut terms), and the rest in blocks; `None` when the postings are not `body.title.meta` as written or the
/// head would hold them all. The head is the entries that rank highest for the term
/// alone, the lowest ids first among equals, about `head_bytes` of them.
pub fn split_head(
    joined: &[u8],
    head_bytes: usize,
    rest_file: usize,
) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    if memchr::memchr_iter(b'.', joined).nth(2).is_some() {
        return None;
    }
    let entries = decode_postings(joined);
    if entries.len() <= HEAD_MIN_ENTRIES {
        return None;
    }
    // Best first, by id among equals: a counting sort by level (entries are in id order).
    let levels = class_levels();
    let level_of = |p: &Posting| usize::from(levels[p.class()]);
    let mut starts = vec![0usize; CLASSES + 1];
    for p in &entries {
        starts[level_of(p) + 1] += 1;
    }
    for l in 1..starts.len() {
        starts[l] += starts[l - 1];
    }
    let mut order = vec![0u32; entries.len()];
    for (i, p) in entries.iter().enumerate() {
        let slot = &mut starts[level_of(p)];
        order[*slot] = i as u32;
        *slot += 1;
    }
    let head_of = |k: usize| -> (Vec<Posting>, Vec<bool>) {
        let mut in_head = vec![false; entries.len()];
        for &i in &order[..k] {
            in_head[i as usize] = true;
        }
        let head: Vec<Posting> = entries
            .iter()
            .zip(&in_head)
            .filter_map(|(p, &h)| h.then_some(*p))
            .collect();
        (head, in_head)
    };
    // A first guess from the average entry, then once more from what it came to.
    let per_entry = (joined.len() / entries.len().max(1)).max(1);
    let mut k = (head_bytes / per_entry).clamp(HEAD_MIN_ENTRIES, entries.len());
    let (mut head, mut in_head) = head_of(k);
    let head_len = encoded_len(head.iter());
    if head_len > head_bytes + head_bytes / 4 && k > HEAD_MIN_ENTRIES {
        k = (k * head_bytes / head_len).max(HEAD_MIN_ENTRIES);
        (head, in_head) = head_of(k);
    }
    if k >= entries.len() {
        return None;
    }
    let mut head = encode_postings(head.iter());
    let rest: Vec<Posting> = entries
        .iter()
        .zip(&in_head)
        .filter_map(|(p, &h)| (!h).then_some(*p))
        .collect();
    // The head took the lowest ids of its last level: the last of them is the cut (an
    // entry left out that weighs as much has a larger id).
    let cut = entries[order[k - 1] as usize].id;
    // What a left-out entry can weigh: the best one's codes (a one-term query's bound),
    // and the highest body weight (code), the highest title weight (the lowest code)
    // and whether any has meta (each term's bound in a query of several).
    let code = |c: Option<u8>| c.map_or(String::new(), |c| c.to_string());
    let best = entries[order[k] as usize];
    // The rest in blocks of about half the head's size (16 kB), by id: block j holds
    // the entries from its first id to the next block's. A query whose candidates are
    // few (a rare word with a broad one) loads the blocks that hold them, not the rest.
    let per_entry = (encoded_len(rest.iter()) / rest.len()).max(1);
    let per_block = (head_bytes / 2 / per_entry).max(1);
    let blocks: Vec<&[Posting]> = rest.chunks(per_block).collect();
    let starts: Vec<String> = blocks[1..].iter().map(|b| b[0].id.to_string()).collect();
    let header = format!(
        ".{},{},{},{},{},{},{},{cut},{rest_file},{}",
        entries.len(),
        code(best.body),
        code(best.title),
        u8::from(best.meta),
        code(rest.iter().filter_map(|p| p.body).max()),
        code(rest.iter().filter_map(|p| p.title).min()),
        u8::from(rest.iter().any(|p| p.meta)),
        starts.join(":"),
    );
    head.extend_from_slice(header.as_bytes());
    Some((
        head,
        blocks
            .into_iter()
            .map(|b| encode_postings(b.iter()))
            .collect(),
    ))
}

/// The whole postings of a term whose shard value is `head` (with its header, as
/// [`split_head`] wrote it) and whose rest blocks are `blocks`, as written before the
/// split (`body.title.meta`, empty trailing parts left out).
pub fn join_head(head: &[u8], blocks: &[&[u8]]) -> Vec<u8> {
    let fields: Vec<&[u8]> = head.split(|&b| b == b'.').take(3).collect();
    let mut entries = decode_postings(&fields.join(&b'.'));
    for block in blocks {
        entries.extend(decode_postings(block));
    }
    // Runs in id order: a stable sort merges them.
    entries.sort_by_key(|p| p.id);
    encode_written(&entries)
}

/// The cut term's number in its shard and its count of rest blocks, for a shard value
/// written by [`split_head`]; `None` for a whole one.
pub fn rest_of(value: &[u8]) -> Option<(usize, usize)> {
    let header = value.split(|&b| b == b'.').nth(3)?;
    let fields: Vec<&str> = std::str::from_utf8(header).ok()?.split(',').collect();
    let i = fields.get(8)?.parse().ok()?;
    let starts = fields.get(9)?;
    Some((i, 1 + starts.split(':').filter(|s| !s.is_empty()).count()))
}

/// The postings of a rest block file (`gongkaiSearch.rest(n,i,j,"postings");`).
pub fn parse_rest_file(text: &str) -> Option<&str> {
    let start = text.find('"')? + 1;
    let end = text.rfind('"')?;
    text.get(start..end)
}

/// What a fact file says of one document, for the 机构 and 年份 filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocFacts {
    /// 1-based index into the sorted 机构 list, 0 for none.
    pub agency: u32,
    pub year: Option<i32>,
}

/// Title length code: round(4·√terms), at most 63.
fn title_code(terms: u32) -> u8 {
    (4.0 * f64::from(terms).sqrt()).round().min(63.0) as u8
}

/// Body length code: round(4·log₂(terms + 1)), at most 63; a 19% step is plenty for
/// a length norm.
fn body_code(terms: u32) -> u8 {
    (4.0 * (f64::from(terms) + 1.0).log2()).round().min(63.0) as u8
}

/// Documents per fact file (`search/f/<n>.js`): about 2 bytes a document, 130 kB a file.
pub const FACTS_PER_FILE: usize = 65_536;

/// The first year of any document (0 when none has one): fact files count years from it.
pub fn min_year(docs: &[DocFacts]) -> i32 {
    docs.iter().filter_map(|d| d.year).min().unwrap_or(0)
}

/// `gongkaiSearch.core({…});`: what every query needs, a few hundred bytes whatever the
/// archive's size — counts and the layout of the files. The 机构 names
/// ([`agencies_file`]) and the per-document facts ([`facts_file`]) are loaded only for
/// the filters.
pub fn core_file(shards: usize, documents: usize, min_year: i32) -> String {
    format!(
        "gongkaiSearch.core({{\"version\":{FORMAT_VERSION},\"documents\":{documents},\"shards\":{shards},\"docsPerFolder\":{DOCS_PER_FOLDER},\"groupParts\":{GROUP_PARTS},\"factsPerFile\":{FACTS_PER_FILE},\"minYear\":{min_year}}});\n"
    )
}

/// Where the 机构 names go, under `search/`.
pub const AGENCIES_FILE: &str = "f/agencies.js";

/// `gongkaiSearch.agencies(["…",…]);`: the 机构 names in collation (pinyin) order; a
/// fact file's 机构 number `k` is the `k`-th (1-based).
pub fn agencies_file(agencies: &[&str]) -> String {
    let agencies: Vec<String> = agencies.iter().map(|a| json(a)).collect();
    format!("gongkaiSearch.agencies([{}]);\n", agencies.join(","))
}

/// How many fact files `documents` documents take.
pub fn facts_files(documents: usize) -> usize {
    documents.div_ceil(FACTS_PER_FILE)
}

/// Where fact file `n` goes, under `search/`.
pub fn facts_file_path(n: usize) -> String {
    format!("f/{n}.js")
}

/// `gongkaiSearch.facts(n,"…");`: documents `n · FACTS_PER_FILE …` of `docs` (all of
/// them, in id order), each its 机构 (varint, 0 = none) and 年份 (varint, year −
/// `min_year` + 1, 0 = none).
pub fn facts_file(n: usize, docs: &[DocFacts], min_year: i32) -> String {
    let start = (n * FACTS_PER_FILE).min(docs.len());
    let end = (start + FACTS_PER_FILE).min(docs.len());
    let mut facts = Vec::with_capacity((end - start) * 2);
    for d in &docs[start..end] {
        push_varint(&mut facts, d.agency);
        push_varint(
            &mut facts,
            d.year
                .and_then(|y| u32::try_from(y - min_year + 1).ok())
                .unwrap_or(0),
        );
    }
    format!(
        "gongkaiSearch.facts({n},\"{}\");\n",
        std::str::from_utf8(&facts).unwrap_or("")
    )
}

/// Term shards per folder under `search/t/` (up to 65,536 shards: 64 folders).
pub const SHARDS_PER_FOLDER: usize = 1024;

/// Where term shard `n` goes, under `search/`.
pub fn shard_file_path(n: usize) -> String {
    format!("t/{}/{n}.js", n / SHARDS_PER_FOLDER)
}

/// `<top>/<middle>` of document `id`'s files: at most 1,000 middle folders under a top one.
fn doc_folder(id: u32) -> String {
    let folder = id / DOCS_PER_FOLDER;
    format!("{}/{}", folder / 1000, folder % 1000)
}

/// Where document `id`'s record file goes, under `search/`.
pub fn doc_file_path(id: u32) -> String {
    format!("d/{}/{id}.js", doc_folder(id))
}

/// Where group `g` of document `id`'s further text parts goes, under `search/`.
pub fn group_file_path(id: u32, g: usize) -> String {
    format!("x/{}/{id}-{g}.js", doc_folder(id))
}

/// The body with runs of white space as one space, cut into parts of [`PART_CHARS`]
/// characters (the last one shorter).
pub fn text_parts(text: &str) -> Vec<String> {
    let mut parts = PartWriter {
        parts: Vec::with_capacity(text.len() / (PART_CHARS * 3) + 1),
        current: String::with_capacity(PART_CHARS * 3),
        count: 0,
    };
    // Runs of text are copied whole, not a character at a time; the runs are found
    // by bytes, not by decoding every character (that was most of this function).
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    let flush = |parts: &mut PartWriter, run: &str| {
        if !run.is_empty() {
            if !parts.current.is_empty() || !parts.parts.is_empty() {
                parts.push(" ");
            }
            parts.push(run);
        }
    };
    while i < bytes.len() {
        // Eight bytes at a time up to the first that may start white space.
        if let Some(word) = bytes.get(i..i + 8) {
            let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
            let may = may_start_space(word);
            if may != 0 {
                i += may.trailing_zeros() as usize / 8;
            } else {
                i += 8;
                continue;
            }
        }
        let width = space_width(&bytes[i..]);
        if width == 0 {
            i += 1;
            continue;
        }
        flush(&mut parts, &text[start..i]);
        i += width;
        start = i;
    }
    flush(&mut parts, &text[start..]);
    if !parts.current.is_empty() {
        parts.parts.push(parts.current);
    }
    parts.parts
}

/// The bytes of `word` (eight, little end first) that may start white space, as each
/// byte's high bit: those below `0x21`, `C2` and `E0`–`E3` (a superset of
/// [`space_width`]'s). The lowest bit set is exact: a byte's borrow only reaches the bytes
/// above it (Mycroft's test for a byte below n, "Bit Twiddling Hacks").
#[inline]
fn may_start_space(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    below(word, 0x21) | below(word ^ (ONES * 0xE0), 4) | below(word ^ (ONES * 0xC2), 1)
}

/// The length in bytes of the white space character (`char::is_whitespace`) that
/// `utf8` starts with, or 0. Nearly every byte is told apart by its value alone: only
/// ASCII space and control bytes and the lead bytes `C2`, `E1`, `E2` and `E3` can start
/// white space (U+0085, U+00A0; U+1680; U+2000–U+200A, U+2028, U+2029, U+202F, U+205F;
/// U+3000).
#[inline]
fn space_width(utf8: &[u8]) -> usize {
    match utf8 {
        [b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ', ..] => 1,
        [0x21..=0xC1 | 0xC3..=0xE0 | 0xE4.., ..] => 0,
        [0xC2, 0x85 | 0xA0, ..] => 2,
        [0xE1, 0x9A, 0x80, ..]
        | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
        | [0xE2, 0x81, 0x9F, ..]
        | [0xE3, 0x80, 0x80, ..] => 3,
        _ => 0,
    }
}

/// [`text_parts`]' parts as they fill.
struct PartWriter {
    parts: Vec<String>,
    current: String,
    /// Characters in `current`.
    count: usize,
}

impl PartWriter {
    fn push(&mut self, mut run: &str) {
        while !run.is_empty() {
            if self.count == PART_CHARS {
                let full =
                    std::mem::replace(&mut self.current, String::with_capacity(PART_CHARS * 3));
                self.parts.push(full);
                self.count = 0;
            }
            let room = PART_CHARS - self.count;
            let chars = run.chars().count();
            if chars <= room {
                self.current.push_str(run);
                self.count += chars;
                return;
            }
            let cut = run.char_indices().nth(room).map_or(run.len(), |(at, _)| at);
            let (head, rest) = run.split_at(cut);
            self.current.push_str(head);
            self.count = PART_CHARS;
            run = rest;
        }
    }
}

/// The second Bloom hash, from the first (search.js computes the same).
fn bloom_mix(h: u32) -> u32 {
    let h = (h ^ (h >> 16)).wrapping_mul(0x045D_9F3B);
    h ^ (h >> 16)
}

/// A Bloom filter of the terms of `text` but single Han characters, in [`ALPHABET`] characters (6 bits each, bit
/// `b` in character `b / 6` at `1 << (b % 6)`); bits `h1 % m` and `bloom_mix(h1) % m`
/// of each term, `h1` its [`hash_term`](super::tokenize::hash_term).
#[cfg(test)]
pub fn bloom(text: &str) -> String {
    let mut hashes = Vec::with_capacity(text.len() / 2);
    super::tokenize::scan_terms(text.chars(), |t| hashes.extend(filtered_hash(t)));
    bloom_of(&hashes)
}

/// A lone Han character is in most parts: not worth a third of a filter.
#[cfg(test)]
fn is_lone_han(t: &Term) -> bool {
    matches!(t, Term::Han(packed) if packed & 0x1F_FFFF == 0)
}

/// The hash a filter takes of a term ([`hash_term`](super::tokenize::hash_term)), or
/// `None` for a lone Han character.
pub(super) fn filtered_hash(token: Token<'_>) -> Option<u32> {
    match token {
        Token::Han(packed) if packed & 0x1F_FFFF == 0 => None,
        Token::Han(packed) => Some(hash_han(packed)),
        Token::Word(w) => Some(hash_word(w)),
    }
}

/// The filter of a set of term hashes (repeats allowed): [`BLOOM_BITS_PER_TERM`] bits
/// for each different hash.
fn bloom_of(hashes: &[u32]) -> String {
    bloom_of_distinct(&distinct(hashes))
}

/// [`bloom_of`] hashes that are all different.
pub(super) fn bloom_of_distinct(distinct: &[u32]) -> String {
    let chars = (distinct.len() * BLOOM_BITS_PER_TERM).div_ceil(6).max(1);
    let m = (chars * 6) as u32;
    let modulo = FastModulo::new(m);
    let mut bits = vec![0u8; chars];
    for &h in distinct {
        for b in [modulo.of(h), modulo.of(bloom_mix(h))] {
            bits[(b / 6) as usize] |= 1 << (b % 6);
        }
    }
    bits.into_iter()
        .map(|v| ALPHABET[v as usize] as char)
        .collect()
}

/// `h % m` by multiplication (Lemire, Kaser and Kurz, "Faster remainder by direct
/// computation", 2019): exact for every 32-bit `h` and `m`; a filter takes two
/// remainders a term, and the division was a tenth of the filters' time.
struct FastModulo {
    m: u32,
    inverse: u64,
}

impl FastModulo {
    fn new(m: u32) -> FastModulo {
        FastModulo {
            m,
            inverse: (u64::MAX / u64::from(m)).wrapping_add(1),
        }
    }

    fn of(&self, h: u32) -> u32 {
        let low = self.inverse.wrapping_mul(u64::from(h));
        ((u128::from(low) * u128::from(self.m)) >> 64) as u32
    }
}

/// The different values of `hashes`, in the order they first occur, by an
/// open-addressing set (sorting them was a tenth of the build's time).
pub(super) fn distinct(hashes: &[u32]) -> Vec<u32> {
    let slots_log2 = (hashes.len() * 2)
        .next_power_of_two()
        .max(16)
        .trailing_zeros();
    let mask = (1usize << slots_log2) - 1;
    // 0 marks an empty slot; the value 0 is kept apart.
    let mut slots = vec![0u32; mask + 1];
    let mut zero = false;
    let mut out = Vec::with_capacity(hashes.len() / 2);
    for &h in hashes {
        if h == 0 {
            if !zero {
                zero = true;
                out.push(0);
            }
            continue;
        }
        // Fibonacci hashing spreads the FNV values over the table.
        let mut i = (h.wrapping_mul(0x9E37_79B9) >> (32 - slots_log2)) as usize;
        loop {
            match slots[i] {
                0 => {
                    slots[i] = h;
                    out.push(h);
                    break;
                }
                v if v == h => break,
                _ => i = (i + 1) & mask,
            }
        }
    }
    out
}

/// The [`bloom`] of each part of one text, its terms read in one pass: a term goes to
/// the part of the character that ends it, and also to the part before when that
/// character is among the first [`BLOOM_OVERLAP`] of its part (so a phrase that runs
/// across the boundary is found in the part where it starts).
pub fn part_blooms(parts: &[String]) -> Vec<String> {
    let mut hashes = PartHashes::default();
    hashes.section(parts.len(), true);
    scan_section(parts, &mut Scanner::default(), &mut hashes);
    hashes.blooms()
}

/// What a scan of a document's text parts feeds: each section (the body, then each
/// attachment) and every term of it, with the part and character it ends at.
pub(super) trait PartScan {
    /// A section of `parts` parts starts; `filters`: its parts get Bloom filters.
    fn section(&mut self, parts: usize, filters: bool);
    /// `t` ends at character `offset` of part `k` of the section (the word a text
    /// ends with: at its last character).
    fn term(&mut self, t: Token<'_>, k: usize, offset: usize);
    /// The filters of every part of every section that has them, in order.
    fn blooms(&mut self) -> Vec<String>;
}

/// The filters' terms as hashes, each part's with repeats: what [`doc_files`] fills
/// when it does not count terms.
#[derive(Default)]
struct PartHashes {
    parts: Vec<Vec<u32>>,
    /// Index in `parts` of the current section's first part.
    first: usize,
    filters: bool,
}

impl PartScan for PartHashes {
    fn section(&mut self, parts: usize, filters: bool) {
        self.filters = filters;
        self.first = self.parts.len();
        if filters {
            self.parts.extend((0..parts).map(|_| Vec::new()));
        }
    }

    fn term(&mut self, t: Token<'_>, k: usize, offset: usize) {
        if !self.filters {
            return;
        }
        if let Some(hash) = filtered_hash(t) {
            self.parts[self.first + k].push(hash);
            if k > 0 && offset < BLOOM_OVERLAP {
                self.parts[self.first + k - 1].push(hash);
            }
        }
    }

    fn blooms(&mut self) -> Vec<String> {
        self.parts.iter().map(|h| bloom_of(h)).collect()
    }
}

/// Scans one text cut into `parts` ([`text_parts`]): `scan` gets each of its terms in
/// order with where it ends. The parts are the text with its white space collapsed,
/// which has the same terms.
fn scan_section(parts: &[String], scanner: &mut Scanner, scan: &mut impl PartScan) {
    let (mut k, mut offset) = (0usize, 0usize);
    for (part_k, part) in parts.iter().enumerate() {
        k = part_k;
        for (i, c) in part.chars().enumerate() {
            offset = i;
            scanner.feed(c, &mut |t| scan.term(t, k, offset));
        }
    }
    scanner.finish(&mut |t| scan.term(t, k, offset));
}

/// A text of at most this many parts goes whole into the document's record: most
/// results then show their snippet from the one file the record is.
pub const INLINE_PARTS: usize = 2;

/// Parts of a longer text after its first (which the record holds) go into files of
/// this many parts each (about 28 kB): a snippet past the first part loads one of them.
/// Eight, not four: a report of up to 10,800 characters (most of them) then has one such
/// file, not two or three — a seventh fewer files in a 10,000-document build, each of
/// which costs its own creation on a disk file system (a snippet past the first part
/// loads up to 14 kB more).
pub const GROUP_PARTS: usize = 8;

/// One document as its files hold it: the record (JSON, the first parts of its text
/// inline) and the groups of further parts (each a JSON array of strings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFiles {
    pub record: String,
    pub groups: Vec<String>,
}

impl DocFiles {
    /// Every file of document `id`: its path under `search/` and its text.
    pub fn files(&self, id: u32) -> Vec<(String, String)> {
        let mut out = Vec::with_capacity(1 + self.groups.len());
        out.push((doc_file_path(id), doc_file(id, &self.record)));
        for (g, group) in self.groups.iter().enumerate() {
            out.push((group_file_path(id, g), group_file(id, g, group)));
        }
        out
    }
}

/// `gongkaiSearch.doc(id,{…});`: document `id`'s record.
pub fn doc_file(id: u32, record: &str) -> String {
    wrapped(&format!("gongkaiSearch.doc({id},"), record)
}

/// `gongkaiSearch.text(id,g,["…",…]);`: group `g` of document `id`'s further parts.
pub fn group_file(id: u32, g: usize, group_json: &str) -> String {
    wrapped(&format!("gongkaiSearch.text({id},{g},"), group_json)
}

/// `head` + `json` + `);` and a newline, in one allocation of the right size (`format!`
/// grows its string a few times over a record of several kB).
fn wrapped(head: &str, json: &str) -> String {
    let mut file = String::with_capacity(head.len() + json.len() + 3);
    file.push_str(head);
    file.push_str(json);
    file.push_str(");\n");
    file
}

/// What a result shows, and where its text is: the record (with, per text part, the
/// part's [`bloom`] of its terms and the first [`BLOOM_OVERLAP`] characters of the next
/// part; and the first parts, `text`) and the groups of further parts. A text of at
/// most [`INLINE_PARTS`] parts is all in the record, which then needs no filters.
pub fn doc_files(d: &SearchDocument<'_>) -> DocFiles {
    doc_files_scanned(d, &mut PartHashes::default())
}

/// [`doc_files`], with `scan` given every term of the body and then of each attachment
/// (the terms [`scan_terms`](super::tokenize::scan_terms) of each text gives) from the
/// one scan of the text, and making the filters.
pub(super) fn doc_files_scanned(d: &SearchDocument<'_>, scan: &mut impl PartScan) -> DocFiles {
    // The body's parts, then each attachment's (an attachment starts a part of its own,
    // so a snippet's part says whose text it is).
    let mut sections = vec![text_parts(d.text)];
    let mut attachments = Vec::new();
    for a in d.attachments {
        let parts = text_parts(&a.text);
        if parts.is_empty() {
            continue;
        }
        let first: usize = sections.iter().map(Vec::len).sum();
        attachments.push(format!("{{\"name\":{},\"part\":{first}}}", json(&a.name)));
        sections.push(parts);
    }
    // A text the record holds whole needs no filters.
    let total: usize = sections.iter().map(Vec::len).sum();
    let mut scanner = Scanner::default();
    for parts in &sections {
        // A phrase does not run from one section into the next: no overlap there.
        scan.section(parts.len(), total > INLINE_PARTS);
        scan_section(parts, &mut scanner, scan);
    }
    let blooms = if total > INLINE_PARTS {
        scan.blooms()
    } else {
        Vec::new()
    };
    // The parts are quoted straight into the record and the groups: no quoted copy of
    // each, no joined copy of those.
    let parts: Vec<&String> = sections.iter().flatten().collect();
    let inline = if total <= INLINE_PARTS { total } else { 1 };
    let quoted_len =
        |parts: &[&String]| -> usize { parts.iter().map(|p| p.len() + 3).sum::<usize>() + 2 };
    let mut record = String::with_capacity(
        256 + quoted_len(&parts[..inline]) + blooms.iter().map(|b| b.len() + 1).sum::<usize>(),
    );
    record.push_str("{\"url\":");
    push_json(&mut record, d.url_path);
    for (name, value) in [
        ("title", d.title),
        ("agency", d.agency),
        ("published", d.published),
        ("indexNo", d.index_no),
        ("docNo", d.doc_no),
    ] {
        record.push_str(",\"");
        record.push_str(name);
        record.push_str("\":");
        push_json(&mut record, value);
    }
    record.push_str(&format!(",\"parts\":{total},\"text\":"));
    push_json_array(&mut record, &parts[..inline]);
    if inline < total {
        record.push_str(&format!(",\"blooms\":\"{}\"", blooms.join(" ")));
    }
    if !attachments.is_empty() {
        record.push_str(&format!(",\"attachments\":[{}]", attachments.join(",")));
    }
    record.push('}');
    let groups = parts[inline..]
        .chunks(GROUP_PARTS)
        .map(|g| {
            let mut group = String::with_capacity(quoted_len(g));
            push_json_array(&mut group, g);
            group
        })
        .collect();
    DocFiles { record, groups }
}

/// Appends `parts` as a JSON array of strings.
fn push_json_array(out: &mut String, parts: &[&String]) {
    out.push('[');
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json(out, part);
    }
    out.push(']');
}

/// The terms of a [`shard_file`] and their postings, in file order; `None` when `text`
/// is not one.
pub fn parse_shard_file(text: &str) -> Option<Vec<(Term, Box<[u8]>)>> {
    let json = text.get(text.find('{')?..=text.rfind('}')?)?;
    let map: std::collections::BTreeMap<String, String> = serde_json::from_str(json).ok()?;
    let mut terms: Vec<(Term, Box<[u8]>)> = map
        .into_iter()
        .map(|(t, p)| (Term::from_text(&t), p.into_bytes().into_boxed_slice()))
        .collect();
    terms.sort_unstable_by(|a, b| a.0.cmp_text(&b.0));
    Some(terms)
}

/// A document as an earlier build wrote it into its record and group files: enough to
/// count its terms and remake its files as they were (the text with runs of white
/// space as one space, which gives the same terms).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredDocument {
    pub url_path: String,
    pub title: String,
    pub agency: String,
    pub published: String,
    pub index_no: String,
    pub doc_no: String,
    pub text: String,
    pub attachments: Vec<super::AttachmentText>,
}

impl StoredDocument {
    /// Reads document `id`'s record and groups under `search_dir`.
    pub fn read(search_dir: &std::path::Path, id: u32) -> std::io::Result<StoredDocument> {
        use serde_json::Value;
        let bad = |what: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{what} of document {id} under {} is not of this version",
                    search_dir.display()
                ),
            )
        };
        let inner = |text: &str, open: char, close: char| -> Option<Value> {
            let json = text.get(text.find(open)?..=text.rfind(close)?)?;
            serde_json::from_str(json).ok()
        };
        let record_text = std::fs::read_to_string(search_dir.join(doc_file_path(id)))?;
        let record = inner(&record_text, '{', '}').ok_or_else(|| bad("the record"))?;
        let field = |k: &str| {
            record
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let strings = |v: Option<&Value>| -> Vec<String> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let count = record
            .get("parts")
            .and_then(Value::as_u64)
            .ok_or_else(|| bad("the record"))? as usize;
        let mut parts = strings(record.get("text"));
        for g in 0..count.saturating_sub(parts.len()).div_ceil(GROUP_PARTS) {
            let text = std::fs::read_to_string(search_dir.join(group_file_path(id, g)))?;
            parts.extend(strings(inner(&text, '[', ']').as_ref()));
        }
        if parts.len() != count {
            return Err(bad("the text parts"));
        }
        // The body's parts, then each attachment's from the part the record names.
        let mut starts: Vec<(String, usize)> = record
            .get("attachments")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|x| {
                        let name = x.get("name").and_then(Value::as_str).unwrap_or("");
                        let part = x.get("part").and_then(Value::as_u64).unwrap_or(0) as usize;
                        (name.to_string(), part.min(count))
                    })
                    .collect()
            })
            .unwrap_or_default();
        starts.push((String::new(), count));
        let body_end = starts[0].1;
        let attachments = starts
            .windows(2)
            .map(|w| super::AttachmentText {
                name: w[0].0.clone(),
                text: parts[w[0].1..w[1].1.max(w[0].1)].concat(),
            })
            .collect();
        Ok(StoredDocument {
            url_path: field("url"),
            title: field("title"),
            agency: field("agency"),
            published: field("published"),
            index_no: field("indexNo"),
            doc_no: field("docNo"),
            text: parts[..body_end].concat(),
            attachments,
        })
    }

    /// The document as the index takes it (年份 is the fact file's, not the record's).
    pub fn search_document(&self) -> SearchDocument<'_> {
        SearchDocument {
            url_path: &self.url_path,
            title: &self.title,
            agency: &self.agency,
            published: &self.published,
            year: None,
            index_no: &self.index_no,
            doc_no: &self.doc_no,
            text: &self.text,
            attachments: &self.attachments,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Postings of `n` documents with pseudo-random entries, as a build writes them.
    fn random_postings(n: u32, seed: u64) -> (Vec<Posting>, Vec<u8>) {
        let mut x = seed;
        let mut next = |m: u64| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (x >> 33) % m
        };
        let entries: Vec<Posting> = (0..n)
            .filter_map(|id| {
                let p = Posting {
                    id,
                    body: (next(4) > 0).then(|| next(8) as u8 + 10),
                    title: (next(5) == 0).then(|| next(3) as u8 + 4),
                    meta: next(9) == 0,
                };
                (p.body.is_some() || p.title.is_some() || p.meta).then_some(p)
            })
            .collect();
        let joined = encode_written(&entries);
        (entries, joined)
    }

    #[test]
    fn postings_decode_to_their_entries_and_sizes_are_known_before_encoding() {
        for (n, seed) in [(0, 1), (1, 2), (300, 3), (50_000, 4)] {
            let (entries, joined) = random_postings(n, seed);
            assert_eq!(decode_postings(&joined), entries);
            let encoded = encode_postings(entries.iter());
            assert_eq!(encoded_len(entries.iter()), encoded.len());
            assert_eq!(decode_postings(&encoded), entries);
        }
        // Entries in the title or meta field only, before, between and after body ones.
        let only = |id, body, title, meta| Posting {
            id,
            body,
            title,
            meta,
        };
        let entries = vec![
            only(0, None, Some(3), false),
            only(2, Some(1), None, true),
            only(5, None, None, true),
            only(7, Some(4), Some(0), false),
            only(40, None, Some(15), true),
        ];
        assert_eq!(decode_postings(&encode_written(&entries)), entries);
    }

    #[test]
    fn a_head_holds_the_best_entries_and_its_rest_the_others() {
        let (entries, joined) = random_postings(50_000, 7);
        let (head, blocks) = split_head(&joined, 4000, 3).unwrap();
        assert!(blocks.len() >= 3, "{} blocks", blocks.len());
        assert_eq!(rest_of(&head), Some((3, blocks.len())));
        let block_refs: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
        assert_eq!(join_head(&head, &block_refs), joined);
        let fields: Vec<&[u8]> = head.split(|&b| b == b'.').collect();
        let header: Vec<&str> = std::str::from_utf8(fields[3]).unwrap().split(',').collect();
        let head = decode_postings(&fields[..3].join(&b'.'));
        // Block j holds the rest's entries from its first id (the header's starts) on.
        let starts: Vec<u32> = std::iter::once(0)
            .chain(
                header[9]
                    .split(':')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().unwrap()),
            )
            .collect();
        assert_eq!(starts.len(), blocks.len());
        for (j, block) in blocks.iter().enumerate() {
            let entries = decode_postings(block);
            let end = starts.get(j + 1).copied().unwrap_or(u32::MAX);
            assert!(entries.iter().all(|p| p.id >= starts[j] && p.id < end));
        }
        let rest: Vec<Posting> = blocks.iter().flat_map(|b| decode_postings(b)).collect();
        assert!(
            head.len() >= 64 && head.len() < entries.len() / 4,
            "{}",
            head.len()
        );
        assert_eq!(head.len() + rest.len(), entries.len());
        assert_eq!(header[0], entries.len().to_string());
        // Every head entry ranks at or above every rest entry; among equals, lower ids.
        let level = |p: &Posting| class_levels()[p.class()];
        let worst = head.iter().map(level).max().unwrap();
        let best = rest.iter().map(level).min().unwrap();
        assert!(worst <= best);
        let cut: u32 = header[7].parse().unwrap();
        assert!(
            head.iter()
                .filter(|p| level(p) == worst)
                .all(|p| p.id <= cut)
        );
        assert!(
            rest.iter()
                .filter(|p| level(p) == worst)
                .all(|p| p.id > cut)
        );
        // The bounds: the best entry left out, and the highest weights of any.
        let first = rest.iter().find(|p| level(p) == best).unwrap();
        let code = |c: Option<u8>| c.map_or(String::new(), |c| c.to_string());
        assert_eq!(
            header[1..4],
            [
                code(first.body),
                code(first.title),
                u8::from(first.meta).to_string()
            ]
        );
        assert_eq!(header[4], code(rest.iter().filter_map(|p| p.body).max()));
        assert_eq!(header[5], code(rest.iter().filter_map(|p| p.title).min()));
        assert_eq!(header[6], u8::from(rest.iter().any(|p| p.meta)).to_string());
        // Titles first: any title entry left out means the head is all titles.
        if rest.iter().any(|p| p.title.is_some()) {
            assert!(head.iter().all(|p| p.title.is_some()));
        }
    }

    #[test]
    fn only_postings_past_twice_the_head_size_are_cut() {
        let (_, joined) = random_postings(3000, 9);
        let terms = vec![(
            Term::Word("broad".into()),
            joined.clone().into_boxed_slice(),
        )];
        let whole = shard_files(5, &terms, joined.len() / 2 + 1);
        assert_eq!(whole.files.len(), 1);
        assert!(
            whole.files[0]
                .1
                .contains(std::str::from_utf8(&joined).unwrap())
        );
        let cut = shard_files(5, &terms, joined.len() / 8);
        assert_eq!(cut.blocks.len(), 1);
        assert_eq!(cut.files.len(), 1 + cut.blocks[0]);
        assert_eq!(cut.files[1].0, rest_file_path(5, 0, 0));
        let blocks: Vec<&[u8]> = cut.files[1..]
            .iter()
            .map(|(_, text)| parse_rest_file(text).unwrap().as_bytes())
            .collect();
        let parsed = parse_shard_file(&cut.files[0].1).unwrap();
        assert_eq!(join_head(&parsed[0].1, &blocks), joined);
    }

    #[test]
    fn varints_use_five_bits_per_character() {
        let mut v = Vec::new();
        push_varint(&mut v, 0);
        push_varint(&mut v, 31);
        push_varint(&mut v, 32);
        push_varint(&mut v, 1000);
        // 32 = 0b1_00000 → low group 0 with continuation ('g'), then 1 ('B').
        assert_eq!(std::str::from_utf8(&v).unwrap(), "AfgBof");
    }

    #[test]
    fn strings_are_quoted_as_serde_json_quotes_them() {
        let mut tricky: Vec<String> = [
            "",
            "plain",
            "关于做好防汛工作的通知",
            "\"",
            "\\",
            "a\"b\\c",
            "\u{7f}\u{80}\u{2028}\u{2029}\u{fffd}",
            "𠀀𝄞 past the BMP 😀",
            "tab\tnew\nline\rform\u{c}back\u{8}",
            "\u{0}\u{1}\u{1f}\u{1b}[0m",
            // An escape at each place in and around an eight-byte word.
            "1234567\"",
            "12345678\\",
            "123456789\n",
            "通知通知通\"知",
            "</script><!--",
        ]
        .map(String::from)
        .to_vec();
        tricky.extend((0u8..0x80).map(|b| format!("前{}後 and more text", char::from(b))));
        tricky.extend((0..20).map(|n| format!("{}\"{}", "x".repeat(n), "通".repeat(n))));
        for s in &tricky {
            assert_eq!(json(s), serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn tf_codes_and_fields() {
        assert_eq!([1, 2, 3, 4, 7, 8, 900].map(tf_code), [0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(min_year(&[]), 0);
        assert_eq!(join_fields(b"AB".to_vec(), b"", b""), b"AB");
        assert_eq!(join_fields(b"".to_vec(), b"C", b""), b".C");
        assert_eq!(join_fields(b"A".to_vec(), b"", b"D"), b"A..D");
    }

    #[test]
    fn length_codes_fit_one_character() {
        assert_eq!(title_code(0), 0);
        assert_eq!(title_code(16), 16);
        assert_eq!(title_code(10_000), 63);
        assert_eq!(body_code(0), 0);
        assert_eq!(body_code(1023), 40);
        assert_eq!(body_code(u32::MAX), 63);
    }

    #[test]
    fn impacts_rise_with_the_count_and_fall_with_the_length() {
        let body_impact = |count, terms| body_impacts(terms)[tf_code(count) as usize];
        // One occurrence in 1,000 terms: w = 1/√1023 ≈ 0.031, code round(4·log₂ 16.0) = 16.
        assert_eq!(body_impact(1, 1000), 16);
        assert!(body_impact(8, 1000) > body_impact(2, 1000));
        assert!(body_impact(1, 100) > body_impact(1, 10_000));
        // Tiny and huge bodies stay inside the four bits (the length code stops at 63).
        assert_eq!(body_impact(100, 0), 31);
        assert_eq!(body_impact(1, u32::MAX), 5);
        // Titles: 1 term → norm 1 → 0; 16 terms → norm 4 → 8; very long → 15.
        assert_eq!([1, 16, 10_000].map(title_impact), [0, 8, 15]);
    }

    #[test]
    fn fact_files_split_the_documents_and_count_years_from_the_first() {
        let docs: Vec<DocFacts> = (0..FACTS_PER_FILE + 2)
            .map(|i| DocFacts {
                agency: (i % 3) as u32,
                year: (i % 2 == 0).then_some(2020 + (i % 5) as i32),
            })
            .collect();
        assert_eq!(facts_files(docs.len()), 2);
        assert_eq!(facts_files(0), 0);
        let last = facts_file(1, &docs, min_year(&docs));
        // Documents 65,536 (机构 1, 2021 → 2) and 65,537 (机构 2, no year → 0).
        assert_eq!(last, "gongkaiSearch.facts(1,\"BCCA\");\n");
        assert_eq!(facts_file_path(1), "f/1.js");
    }

    #[test]
    fn shard_counts_are_powers_of_two() {
        assert_eq!(shard_count(0), 1);
        assert_eq!(shard_count(SHARD_TARGET_BYTES * 3), 4);
        assert_eq!(shard_count(usize::MAX / 2), 1 << 16);
    }

    #[test]
    fn text_parts_collapse_space_and_cut_at_the_limit() {
        assert_eq!(text_parts("  一\n\n二  三 "), ["一 二 三"]);
        assert!(text_parts(" \n ").is_empty());
        let long = "字".repeat(PART_CHARS * 2 + 10);
        let parts = text_parts(&long);
        assert_eq!(
            parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(),
            [PART_CHARS, PART_CHARS, 10]
        );
        // A space that falls on a boundary starts the next part.
        let edge = format!("{} 尾", "字".repeat(PART_CHARS));
        assert_eq!(text_parts(&edge)[1], " 尾");
    }

    #[test]
    fn text_parts_are_the_text_with_space_collapsed_cut_every_part_chars() {
        // The rule, a character at a time.
        let reference = |text: &str| -> Vec<String> {
            let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let chars: Vec<char> = collapsed.chars().collect();
            chars
                .chunks(PART_CHARS)
                .map(|c| c.iter().collect())
                .collect()
        };
        let pieces = ["字", "ab", " ", "\u{3000}", "\n\t", "词语", "  ", "𠀀"];
        let mut seed = 7u32;
        for len in [
            0,
            1,
            5,
            PART_CHARS - 1,
            PART_CHARS,
            PART_CHARS + 1,
            3 * PART_CHARS + 7,
        ] {
            let mut text = String::new();
            while text.chars().count() < len {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let piece = pieces[(seed >> 16) as usize % pieces.len()];
                // Long runs without space too, so a run is cut inside.
                let times = if (seed >> 8).is_multiple_of(5) {
                    700
                } else {
                    1
                };
                text.push_str(&piece.repeat(times));
            }
            assert_eq!(text_parts(&text), reference(&text), "length {len}");
        }
    }

    #[test]
    fn space_width_is_char_is_whitespace_for_every_character() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let utf8 = c.encode_utf8(&mut buf).as_bytes();
            let expected = if c.is_whitespace() { utf8.len() } else { 0 };
            assert_eq!(space_width(utf8), expected, "U+{:04X}", c as u32);
            // A continuation byte never starts white space.
            for at in 1..utf8.len() {
                assert_eq!(space_width(&utf8[at..]), 0, "U+{:04X} byte {at}", c as u32);
            }
        }
    }

    #[test]
    fn the_first_byte_that_may_start_space_is_found_eight_at_a_time() {
        let may = |b: u8| b < 0x21 || b == 0xC2 || (0xE0..=0xE3).contains(&b);
        let mut seed = 11u32;
        for _ in 0..200_000 {
            let mut word = [0u8; 8];
            for b in &mut word {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                // Half of the bytes from the few that matter, so most words hold some.
                let pick = [
                    0x20, 0x21, 0x0A, 0xC2, 0xC1, 0xC3, 0xDF, 0xE0, 0xE3, 0xE4, 0x80, 0xFF,
                ];
                *b = if seed & 0x1000 != 0 {
                    pick[(seed >> 16) as usize % pick.len()]
                } else {
                    (seed >> 20) as u8
                };
            }
            let mask = may_start_space(u64::from_le_bytes(word));
            let first = word.iter().position(|&b| may(b));
            assert_eq!(mask != 0, first.is_some(), "{word:02X?}");
            if let Some(first) = first {
                assert_eq!(mask.trailing_zeros() as usize / 8, first, "{word:02X?}");
            }
        }
    }

    #[test]
    fn fast_remainders_are_remainders() {
        for m in [1u32, 6, 7, 600, 4096, 65_535, 1_000_003, u32::MAX] {
            let modulo = FastModulo::new(m);
            for h in [0u32, 1, 5, 6, 599, 600, 0x811C_9DC5, u32::MAX - 1, u32::MAX] {
                assert_eq!(modulo.of(h), h % m, "{h} % {m}");
            }
            let mut h = 0x1234_5678u32;
            for _ in 0..1000 {
                h = h.wrapping_mul(0x0100_0193) ^ 0x9E37;
                assert_eq!(modulo.of(h), h % m, "{h} % {m}");
            }
        }
    }

    #[test]
    fn distinct_hashes_are_found_with_repeats_zero_and_collisions() {
        assert!(distinct(&[]).is_empty());
        assert_eq!(distinct(&[0, 7, 0, 7, 7, u32::MAX]), [0, 7, u32::MAX]);
        // Probing past taken slots: far more values than the smallest table's 16 slots.
        let repeated: Vec<u32> = (0..200u32).map(|k| (k % 40) << 26 | 1).collect();
        assert_eq!(distinct(&repeated), repeated[..40]);
        let many: Vec<u32> = (0..10_000u32)
            .map(|k| k.wrapping_mul(2_654_435_761) % 5_000)
            .collect();
        let mut found = distinct(&many);
        found.sort_unstable();
        let mut sorted = many.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(found, sorted);
    }

    #[test]
    fn a_bloom_filter_holds_its_terms() {
        let text = "做好疫情防控工作 wifi";
        let b = bloom(text);
        let m = (b.len() * 6) as u32;
        let bits: Vec<u32> = b.bytes().map(digit).collect();
        let has = |t: &Term| {
            let h = super::super::tokenize::hash_term(t);
            [h % m, bloom_mix(h) % m]
                .iter()
                .all(|&x| bits[(x / 6) as usize] & (1 << (x % 6)) != 0)
        };
        super::super::tokenize::for_each_term(text, |t| {
            if t.text().chars().count() > 1 {
                assert!(has(&t), "{}", t.text());
            }
        });
        // 4 bits a term: 7 bigrams and a word → 32 bits → 6 characters.
        assert_eq!(b.len(), 6);
    }

    #[test]
    fn part_filters_hold_their_parts_terms_and_a_phrase_across_the_boundary() {
        let text = format!(
            "{}做好疫情防控工作 wifi {}",
            "甲".repeat(PART_CHARS - 3),
            "乙".repeat(50)
        );
        let parts = text_parts(&text);
        assert_eq!(parts.len(), 2);
        let blooms = part_blooms(&parts);
        let has = |b: &str, t: &Term| {
            let m = (b.len() * 6) as u32;
            let bits: Vec<u32> = b.bytes().map(digit).collect();
            let h = super::super::tokenize::hash_term(t);
            [h % m, bloom_mix(h) % m]
                .iter()
                .all(|&x| bits[(x / 6) as usize] & (1 << (x % 6)) != 0)
        };
        // Each part's filter holds its own bigrams and words.
        for (part, b) in parts.iter().zip(&blooms) {
            super::super::tokenize::for_each_term(part, |t| {
                if !is_lone_han(&t) {
                    assert!(has(b, &t), "{}", t.text());
                }
            });
        }
        // The phrase starts in part 0 and ends in part 1: part 0's filter holds it all.
        super::super::tokenize::for_each_term("做好疫情防控工作 wifi", |t| {
            if !is_lone_han(&t) {
                assert!(has(&blooms[0], &t), "{}", t.text());
            }
        });
    }

    #[test]
    fn a_short_text_is_all_in_the_record_a_long_one_in_groups() {
        let short = SearchDocument {
            url_path: "2024/a/",
            title: "标题\t制表",
            text: "短文",
            ..Default::default()
        };
        let files = doc_files(&short);
        assert!(files.groups.is_empty());
        assert!(
            files.record.ends_with(r#""parts":1,"text":["短文"]}"#),
            "{}",
            files.record
        );
        // The first part in the record, then two full groups and one of two parts.
        let further = 2 * GROUP_PARTS + 2;
        let text = format!("{}后记", "内容。".repeat(PART_CHARS * further / 3));
        let long = SearchDocument {
            text: &text,
            ..short
        };
        let files = doc_files(&long);
        let parts = format!(r#""parts":{},"text":[""#, further + 1);
        assert!(files.record.contains(&parts), "{}", files.record);
        let blooms = files.record.split("\"blooms\":\"").nth(1).unwrap();
        assert_eq!(blooms.split(' ').count(), further + 1);
        let sizes: Vec<usize> = files
            .groups
            .iter()
            .map(|g| serde_json::from_str::<Vec<String>>(g).unwrap().len())
            .collect();
        assert_eq!(sizes, [GROUP_PARTS, GROUP_PARTS, 2]);
        assert!(files.groups[2].contains("后记"));
        let paths: Vec<String> = files.files(123_456).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            paths,
            [
                "d/1/234/123456.js",
                "x/1/234/123456-0.js",
                "x/1/234/123456-1.js",
                "x/1/234/123456-2.js"
            ]
        );
        assert_eq!(group_file_path(7, 3), "x/0/0/7-3.js");
    }

    /// FAT32 allows 65,534 entries a folder, fewer with long names: no folder of the
    /// index gets more than 10,000, here for 1,000,000 documents of a record and two
    /// group files each and the largest shard count (names only, nothing
    /// written).
    #[test]
    fn a_million_documents_keep_every_folder_under_ten_thousand_entries() {
        use std::collections::{HashMap, HashSet};
        // Folder → its entries' names (files counted, not named: each is written once).
        let mut folders: HashMap<String, HashSet<String>> = HashMap::new();
        let mut files: HashMap<String, usize> = HashMap::new();
        let mut add = |path: &str, copies: usize| {
            let (parent, _) = path.rsplit_once('/').unwrap();
            *files.entry(format!("search/{parent}")).or_default() += copies;
            let mut at = String::from("search");
            for name in parent.split('/') {
                folders
                    .entry(at.clone())
                    .or_default()
                    .insert(name.to_string());
                at = format!("{at}/{name}");
            }
        };
        for id in 0..1_000_000u32 {
            add(&doc_file_path(id), 1);
            let first = group_file_path(id, 0);
            let last = group_file_path(id, 1);
            assert_eq!(
                first.rsplit_once('/').unwrap().0,
                last.rsplit_once('/').unwrap().0
            );
            add(&first, 2);
        }
        for n in 0..shard_count(usize::MAX / 2) {
            add(&shard_file_path(n), 1);
        }
        for n in 0..facts_files(1_000_000) {
            add(&facts_file_path(n), 1);
        }
        add(AGENCIES_FILE, 1);
        let entries = |f: &String| {
            folders.get(f).map_or(0, HashSet::len) + files.get(f).copied().unwrap_or(0)
        };
        let all: HashSet<&String> = folders.keys().chain(files.keys()).collect();
        let (most, folder) = all.iter().map(|f| (entries(f), *f)).max().unwrap();
        assert!(most <= 10_000, "{folder} holds {most} entries");
        assert_eq!(folders["search/t"].len(), 64);
        assert_eq!(files["search/f"], 17);
    }
}
