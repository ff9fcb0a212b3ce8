//! The bytes of the index files. `assets/search.js` reads them; a change here is a change
//! there (and of `FORMAT_VERSION`).
//!
//! Postings are text, not JSON arrays: a term's value is `body.title.meta` (empty
//! trailing parts left out), each part a string over [`ALPHABET`] of base-32 varints
//! (characters 32..63 continue, 0..31 end; low bits first). A title or meta entry is
//! the gap to the previous document id (the first: the id); a body entry is
//! `gap << TF_BITS | tf_code(count)`. Most body entries are one byte.

use super::SearchDocument;
use super::tokenize::Term;

pub const FORMAT_VERSION: u32 = 1;

/// base64url: safe inside a JS string literal and a file name.
pub const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub const FLAG_TITLE: u8 = 1;
pub const FLAG_META: u8 = 2;

/// Target size of one term shard. A query of a few words loads a few shards, so this
/// keeps the first query far below 1 MB however large the archive is.
pub const SHARD_TARGET_BYTES: usize = 48 * 1024;

/// Characters of body text kept per document for the snippet.
pub const EXCERPT_CHARS: usize = 600;

/// Documents per file under `search/d/`: a page of results loads a few small files,
/// and a large archive does not get one file per document on top of its pages.
pub const DOCS_PER_FILE: u32 = 8;

/// Files per folder under `search/d/`, so no folder gets huge.
pub const FILES_PER_FOLDER: u32 = 1000;

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

/// Low bits of a body entry that hold its [`tf_code`].
pub const TF_BITS: u32 = 2;

/// A body frequency in four steps: 1, 2–3, 4–7, 8 or more (enough for √tf scoring, and
/// it keeps most entries one byte).
pub fn tf_code(count: u32) -> u32 {
    match count {
        0 | 1 => 0,
        2..=3 => 1,
        4..=7 => 2,
        _ => 3,
    }
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

fn json(s: &str) -> String {
    // A string always serialises.
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// `gongkaiSearch.shard(n,{"term":"postings",…});`, the terms given in text order.
pub fn shard_file(n: usize, terms: &[(Term, Box<[u8]>)]) -> String {
    let size: usize = terms.iter().map(|(t, p)| t.text_len() + p.len() + 6).sum();
    let mut out = String::with_capacity(size + 32);
    out.push_str(&format!("gongkaiSearch.shard({n},{{"));
    for (i, (term, postings)) in terms.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Terms are letters, digits, `#` and Han characters: JSON needs no escapes
        // (still checked, so the file stays valid whatever a term holds).
        let text = term.text();
        if text.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20) {
            out.push_str(&json(&text));
        } else {
            out.push('"');
            out.push_str(&text);
            out.push('"');
        }
        out.push_str(":\"");
        // ALPHABET is ASCII.
        out.push_str(std::str::from_utf8(postings).unwrap_or(""));
        out.push('"');
    }
    out.push_str("});\n");
    out
}

/// What the core file says of one document.
pub struct CoreDoc {
    /// 1-based index into the sorted 机构 list, 0 for none.
    pub agency: u32,
    pub year: Option<i32>,
    pub title_terms: u32,
    pub body_terms: u32,
}

/// Title length code: round(4·√terms), at most 63 (one character).
pub fn title_code(terms: u32) -> u8 {
    (4.0 * f64::from(terms).sqrt()).round().min(63.0) as u8
}

/// Body length code: round(4·log₂(terms + 1)), at most 63 (one character); the browser
/// needs only √length, and a 19% step is plenty for a length norm.
pub fn body_code(terms: u32) -> u8 {
    (4.0 * (f64::from(terms) + 1.0).log2()).round().min(63.0) as u8
}

/// `gongkaiSearch.core({…});`: counts, 机构 names, and per document its 机构 (varint,
/// 0 = none), 年份 (varint, year − minYear + 1, 0 = none), [`title_code`] and
/// [`body_code`] (one character each). About five bytes a document.
pub fn core_file(shards: usize, agencies: &[&str], docs: &[CoreDoc]) -> String {
    let min_year = docs.iter().filter_map(|d| d.year).min().unwrap_or(0);
    let mut facts = Vec::with_capacity(docs.len() * 5);
    for d in docs {
        push_varint(&mut facts, d.agency);
        push_varint(
            &mut facts,
            d.year
                .and_then(|y| u32::try_from(y - min_year + 1).ok())
                .unwrap_or(0),
        );
        facts.push(ALPHABET[title_code(d.title_terms) as usize]);
        facts.push(ALPHABET[body_code(d.body_terms) as usize]);
    }
    let agencies: Vec<String> = agencies.iter().map(|a| json(a)).collect();
    format!(
        "gongkaiSearch.core({{\"version\":{FORMAT_VERSION},\"documents\":{},\"shards\":{shards},\"docsPerFile\":{DOCS_PER_FILE},\"filesPerFolder\":{FILES_PER_FOLDER},\"minYear\":{min_year},\"agencies\":[{}],\"facts\":\"{}\"}});\n",
        docs.len(),
        agencies.join(","),
        std::str::from_utf8(&facts).unwrap_or("")
    )
}

pub fn doc_file_path(chunk: u32) -> String {
    format!("d/{}/{}.js", chunk / FILES_PER_FOLDER, chunk)
}

/// The first [`EXCERPT_CHARS`] characters of the body with runs of white space as one
/// space: enough for a snippet when the match is near the top, and for a summary
/// otherwise, at a bounded cost per document.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    let mut count = 0;
    let mut space = false;
    for c in text.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            count += 1;
            space = false;
        }
        if count >= EXCERPT_CHARS {
            break;
        }
        out.push(c);
        count += 1;
    }
    out
}

/// `gongkaiSearch.docs(chunk,[…]);` around the [`doc_record`]s of one chunk.
pub fn doc_file(chunk: u32, records: &[String]) -> String {
    format!("gongkaiSearch.docs({chunk},[{}]);\n", records.join(",\n"))
}

/// Attachments whose excerpt a record carries (the first ones of the document).
pub const RECORD_ATTACHMENTS: usize = 8;

/// One document's JSON object: what a result shows. A document with attachment text also
/// has `"attachments":[{"name":…,"excerpt":…}]`, for a snippet labelled `附件：名称`.
pub fn doc_record(d: &SearchDocument<'_>) -> String {
    let mut record = format!(
        "{{\"url\":{},\"title\":{},\"agency\":{},\"published\":{},\"indexNo\":{},\"docNo\":{},\"excerpt\":{}",
        json(d.url_path),
        json(d.title),
        json(d.agency),
        json(d.published),
        json(d.index_no),
        json(d.doc_no),
        json(&excerpt(d.text)),
    );
    if !d.attachments.is_empty() {
        let items: Vec<String> = d
            .attachments
            .iter()
            .take(RECORD_ATTACHMENTS)
            .map(|a| {
                format!(
                    "{{\"name\":{},\"excerpt\":{}}}",
                    json(&a.name),
                    json(&excerpt(&a.text))
                )
            })
            .collect();
        record.push_str(&format!(",\"attachments\":[{}]", items.join(",")));
    }
    record.push('}');
    record
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn tf_codes_and_fields() {
        assert_eq!([1, 2, 3, 4, 7, 8, 900].map(tf_code), [0, 1, 1, 2, 2, 3, 3]);
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
    fn shard_counts_are_powers_of_two() {
        assert_eq!(shard_count(0), 1);
        assert_eq!(shard_count(SHARD_TARGET_BYTES * 3), 4);
        assert_eq!(shard_count(usize::MAX / 2), 1 << 16);
    }

    #[test]
    fn a_record_carries_its_attachments_excerpts() {
        let plain = SearchDocument {
            url_path: "2024/a/",
            title: "通知",
            text: "正文",
            ..Default::default()
        };
        assert!(!doc_record(&plain).contains("attachments"));
        let attachments = [super::super::AttachmentText {
            name: "附件1：补贴标准表".into(),
            text: "  青苗  补贴\n标准 ".into(),
        }];
        let with = SearchDocument {
            attachments: &attachments,
            ..plain
        };
        let record = doc_record(&with);
        assert!(
            record.ends_with(
                r#""excerpt":"正文","attachments":[{"name":"附件1：补贴标准表","excerpt":"青苗 补贴 标准"}]}"#
            ),
            "{record}"
        );
        let value: serde_json::Value = serde_json::from_str(&record).unwrap();
        assert_eq!(value["attachments"][0]["name"], "附件1：补贴标准表");
    }

    #[test]
    fn excerpts_collapse_space_and_stop_at_the_limit() {
        assert_eq!(excerpt("  一\n\n二  三 "), "一 二 三");
        let long = "字".repeat(EXCERPT_CHARS + 10);
        assert_eq!(excerpt(&long).chars().count(), EXCERPT_CHARS);
    }
}
