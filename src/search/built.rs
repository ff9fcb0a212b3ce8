//! A finished index, kept by `serve` between rebuilds: a changed document updates the
//! postings of the terms whose entries for it changed, and only the files holding them
//! are written again, with the bytes a full build of the new texts writes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use super::format::DocFacts;
use super::tokenize::Term;
use super::{Entry, SearchDocument, SearchStats, count_terms_with_files, format};

/// The index as its files hold it: per term shard, its terms in file order with their
/// postings (`body.title.meta`, as written), about the size of `search/t/`.
pub struct BuiltIndex {
    shards: Vec<Vec<(Term, Box<[u8]>)>>,
    /// The size estimate that fixes the shard count, kept as a full build computes it.
    total_bytes: usize,
    /// `agency`: 1-based into `agencies` (sorted), 0 for none.
    docs: Vec<DocFacts>,
    agencies: Vec<String>,
    pending: Pending,
    /// Bytes of a broad term's postings its shard keeps ([`format::shard_files`]).
    head_bytes: usize,
    /// For an index taken up from an earlier build's files ([`BuiltIndex::from_files`]):
    /// its `search/` folder, and which shards have been read from it so far. A change
    /// reads only the shards its terms are in.
    on_disk: Option<(PathBuf, Vec<bool>)>,
}

/// What the term shard files do not say of a finished index, kept by the build cache so
/// a later build can take the index up from its files ([`BuiltIndex::from_files`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IndexMeta {
    total_bytes: u64,
    shards: u32,
    agencies: Vec<String>,
    /// Per document: 机构 number and 年份.
    facts: Vec<(u32, Option<i32>)>,
}

/// What differs between the index in memory and its files.
#[derive(Default)]
struct Pending {
    shards: BTreeSet<usize>,
    /// Documents whose record or text changed, with their files as they now are.
    docs: BTreeMap<u32, format::DocFiles>,
    /// Part group files of a document whose text now has fewer groups.
    removed_groups: BTreeSet<(u32, usize)>,
    /// The core file and the fact files.
    core: bool,
    /// The shard count of the files written (0: none yet). When it differs from the
    /// current count, every shard is written and the surplus removed.
    written_shards: usize,
}

impl BuiltIndex {
    pub(super) fn new(
        shards: Vec<Vec<(Term, Box<[u8]>)>>,
        total_bytes: usize,
        docs: Vec<DocFacts>,
        agencies: Vec<String>,
        head_bytes: usize,
    ) -> BuiltIndex {
        BuiltIndex {
            shards,
            total_bytes,
            docs,
            agencies,
            pending: Pending::default(),
            head_bytes,
            on_disk: None,
        }
    }

    /// What a later build needs besides the files to take this index up again.
    pub fn meta(&self) -> IndexMeta {
        IndexMeta {
            total_bytes: self.total_bytes as u64,
            shards: self.shards.len() as u32,
            agencies: self.agencies.clone(),
            facts: self.docs.iter().map(|f| (f.agency, f.year)).collect(),
        }
    }

    /// The index that an earlier build wrote under `<output_root>/search/` and described
    /// by `meta`; term shards are read from the files when a change needs them.
    pub fn from_files(output_root: &Path, meta: IndexMeta) -> BuiltIndex {
        let count = (meta.shards as usize).max(1);
        BuiltIndex {
            shards: (0..count).map(|_| Vec::new()).collect(),
            total_bytes: meta.total_bytes as usize,
            docs: meta
                .facts
                .into_iter()
                .map(|(agency, year)| DocFacts { agency, year })
                .collect(),
            agencies: meta.agencies,
            pending: Pending {
                written_shards: count,
                ..Pending::default()
            },
            head_bytes: format::head_bytes(),
            on_disk: Some((output_root.join("search"), vec![false; count])),
        }
    }

    /// Reads term shard `n` from the files, if this index came from them and has not yet.
    fn load_shard(&mut self, n: usize) -> io::Result<()> {
        let Some((dir, loaded)) = self.on_disk.as_mut() else {
            return Ok(());
        };
        if loaded.get(n).copied().unwrap_or(true) {
            return Ok(());
        }
        let path = dir.join(format::shard_file_path(n));
        let not_ours = |path: &Path| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{} is not a term shard of this version", path.display()),
            )
        };
        let text = fs::read_to_string(&path)?;
        let mut terms = format::parse_shard_file(&text).ok_or_else(|| not_ours(&path))?;
        // A broad term's shard value is its head: joined again with its rest file.
        for (_, postings) in &mut terms {
            if let Some((i, blocks)) = format::rest_of(postings) {
                let texts = (0..blocks)
                    .map(|j| {
                        let path = dir.join(format::rest_file_path(n, i, j));
                        let text = fs::read_to_string(&path)?;
                        format::parse_rest_file(&text)
                            .map(str::to_string)
                            .ok_or_else(|| not_ours(&path))
                    })
                    .collect::<io::Result<Vec<String>>>()?;
                let blocks: Vec<&[u8]> = texts.iter().map(String::as_bytes).collect();
                *postings = format::join_head(postings, &blocks).into_boxed_slice();
            }
        }
        self.shards[n] = terms;
        loaded[n] = true;
        Ok(())
    }

    /// The document with id `id` as its files in the output hold it (record and groups of
    /// text parts): what [`replace_document`](Self::replace_document) needs as `old`.
    pub fn read_document(&self, id: u32) -> io::Result<format::StoredDocument> {
        let Some((dir, _)) = &self.on_disk else {
            return Err(io::Error::other("the index was not read from files"));
        };
        format::StoredDocument::read(dir, id)
    }

    /// Number of documents.
    pub fn documents(&self) -> usize {
        self.docs.len()
    }

    /// Writes the term shards and the core file under `<output_root>/search/` (never
    /// outside it), replacing the term shards of an earlier build; returns what it
    /// wrote. Each document's own files are written by the build as its page is
    /// ([`super::document_files`]).
    pub fn write(&mut self, output_root: &Path) -> io::Result<SearchStats> {
        let dir = output_root.join("search");
        make_shard_folders(&dir, self.shards.len())?;
        // A thousand files of about 48 kB: formatted and written in parallel.
        let written: io::Result<Vec<Written>> = self
            .shards
            .par_iter()
            .enumerate()
            .map(|(n, terms)| write_shard(&dir, n, terms, self.head_bytes))
            .collect();
        let stats = self.write_core(&dir, &written?)?;
        self.pending = Pending {
            written_shards: self.shards.len(),
            ..Pending::default()
        };
        Ok(stats)
    }

    /// Writes the core file and the fact files under `dir` (the output's `search/`)
    /// after the term shards (`shards`, what each shard's files came to) are written;
    /// returns what was written.
    pub(super) fn write_core(&self, dir: &Path, shards: &[Written]) -> io::Result<SearchStats> {
        let mut stats = SearchStats {
            documents: self.docs.len(),
            files: shards.iter().map(|w| w.files).sum(),
            bytes: shards.iter().map(|w| w.bytes as u64).sum(),
        };
        for (rel, text) in self.core_files() {
            let path = dir.join(&rel);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(path, &text)?;
            stats.files += 1;
            stats.bytes += text.len() as u64;
        }
        Ok(stats)
    }

    /// Replaces document `id` (its place in the order the documents were added) as
    /// `old` was indexed by `new`, in memory; [`write_changed`](Self::write_changed)
    /// then writes the files it changed. `old` must be the document as the index has
    /// it. Ids out of range are ignored.
    pub fn replace_document(
        &mut self,
        id: u32,
        old: &SearchDocument<'_>,
        new: &SearchDocument<'_>,
    ) -> io::Result<()> {
        let Some(agency) = self.docs.get(id as usize).map(|f| f.agency) else {
            return Ok(());
        };
        let ((before, was), (after, now)) =
            (count_terms_with_files(old), count_terms_with_files(new));
        let mut entries: HashMap<Term, (Option<Entry>, Option<Entry>)> = HashMap::default();
        for (term, entry) in before.parts.into_iter().flatten() {
            entries.entry(term).or_default().0 = Some(entry);
        }
        for (term, entry) in after.parts.into_iter().flatten() {
            entries.entry(term).or_default().1 = Some(entry);
        }
        for (term, (was, now)) in entries {
            if was != now {
                self.set_entry(term, id, was, now)?;
            }
        }
        let wanted = format::shard_count(self.total_bytes);
        if wanted != self.shards.len() {
            self.reshard(wanted)?;
        }

        let mut new_facts = DocFacts {
            agency,
            year: new.year,
        };
        if old.agency != new.agency {
            new_facts.agency = self.set_agency(id, new.agency);
        }
        if self.docs[id as usize] != new_facts {
            self.docs[id as usize] = new_facts;
            self.pending.core = true;
        }

        if was != now {
            for g in now.groups.len()..was.groups.len() {
                self.pending.removed_groups.insert((id, g));
            }
            for g in 0..now.groups.len() {
                self.pending.removed_groups.remove(&(id, g));
            }
            self.pending.docs.insert(id, now);
        }
        Ok(())
    }

    /// Adds `new` as the next document (its id one past every document the index has),
    /// in memory, as a full build that took it last would hold it;
    /// [`write_changed`](Self::write_changed) then writes its files and what it changed.
    pub fn append_document(&mut self, new: &SearchDocument<'_>) -> io::Result<()> {
        let id = self.docs.len() as u32;
        let (counted, files) = count_terms_with_files(new);
        self.docs.push(DocFacts {
            agency: 0,
            year: new.year,
        });
        for (term, entry) in counted.parts.into_iter().flatten() {
            self.set_entry(term, id, None, Some(entry))?;
        }
        let wanted = format::shard_count(self.total_bytes);
        if wanted != self.shards.len() {
            self.reshard(wanted)?;
        }
        if !new.agency.is_empty() {
            self.set_agency(id, new.agency);
        }
        self.pending.core = true;
        self.pending.docs.insert(id, files);
        Ok(())
    }

    /// Writes what changed since the last write (term shards, record files, the core
    /// file), each file replaced whole so a reader sees the old bytes or the new; the
    /// files then equal what [`write`](Self::write) writes. On error what is left is
    /// written by the next call.
    pub fn write_changed(&mut self, output_root: &Path) -> io::Result<SearchStats> {
        let dir = output_root.join("search");
        let mut stats = SearchStats {
            documents: self.docs.len(),
            ..SearchStats::default()
        };
        let resharded = self.pending.written_shards != self.shards.len();
        let shards: Vec<usize> = if resharded {
            (0..self.shards.len()).collect()
        } else {
            self.pending.shards.iter().copied().collect()
        };
        // A change of most of a document's text touches most shards: written in
        // parallel, each shard file is formatted and replaced on its own.
        let written: Vec<io::Result<Written>> = shards
            .par_iter()
            .map(|&n| put_shard(&dir, n, &self.shards[n], self.head_bytes, true))
            .collect();
        let mut failed = None;
        for (n, r) in shards.into_iter().zip(written) {
            match r {
                Ok(w) => {
                    stats.files += w.files;
                    stats.bytes += w.bytes as u64;
                    self.pending.shards.remove(&n);
                }
                Err(e) => failed = failed.or(Some(e)),
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        while let Some((&id, files)) = self.pending.docs.first_key_value() {
            for (rel, text) in files.files(id) {
                replace_file(&dir, &rel, text.as_bytes())?;
                stats.files += 1;
                stats.bytes += text.len() as u64;
            }
            self.pending.docs.remove(&id);
        }
        while let Some((id, g)) = self.pending.removed_groups.first().copied() {
            match fs::remove_file(dir.join(format::group_file_path(id, g))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            self.pending.removed_groups.remove(&(id, g));
        }
        let mut put = |rel: &str, text: &str| -> io::Result<()> {
            replace_file(&dir, rel, text.as_bytes())?;
            stats.files += 1;
            stats.bytes += text.len() as u64;
            Ok(())
        };
        if self.pending.core || resharded {
            // Fact files first: the core file says how many there are. Documents are
            // only replaced or added here, so there are never fewer than before.
            let mut files = self.core_files();
            files.rotate_left(1);
            for (rel, text) in files {
                put(&rel, &text)?;
            }
            self.pending.core = false;
        }
        // The core file names the new count before the surplus shards go.
        for n in self.shards.len()..self.pending.written_shards {
            match fs::remove_file(dir.join(format::shard_file_path(n))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            remove_rests(&dir, n, &[])?;
        }
        self.pending.written_shards = self.shards.len();
        Ok(stats)
    }

    /// The core file, then the 机构 names and each fact file: path under `search/`
    /// and text.
    fn core_files(&self) -> Vec<(String, String)> {
        let agencies: Vec<&str> = self.agencies.iter().map(String::as_str).collect();
        let min_year = format::min_year(&self.docs);
        let mut out = vec![
            (
                "core.js".to_string(),
                format::core_file(self.shards.len(), self.docs.len(), min_year),
            ),
            (
                format::AGENCIES_FILE.to_string(),
                format::agencies_file(&agencies),
            ),
        ];
        for n in 0..format::facts_files(self.docs.len()) {
            out.push((
                format::facts_file_path(n),
                format::facts_file(n, &self.docs, min_year),
            ));
        }
        out
    }

    /// Changes document `id`'s entry in `term`'s postings from `was` to `now` (`None`:
    /// no entry).
    fn set_entry(
        &mut self,
        term: Term,
        id: u32,
        was: Option<Entry>,
        now: Option<Entry>,
    ) -> io::Result<()> {
        let shard = format::shard_of(&term, self.shards.len());
        self.load_shard(shard)?;
        let terms = &mut self.shards[shard];
        let text_len = term.text_len();
        let found = terms.binary_search_by(|(t, _)| t.cmp_text(&term));
        let old: &[u8] = match found {
            Ok(pos) => &terms[pos].1,
            Err(_) => b"",
        };
        let mut fields = old.split(|&b| b == b'.');
        let (body, title, meta) = (
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
            fields.next().unwrap_or_default(),
        );
        // Only the fields whose entry changed are walked.
        let field = |part: &[u8], low_bits: u32, value: fn(Entry) -> Option<u32>| {
            let (a, b) = (was.and_then(value), now.and_then(value));
            if a == b {
                part.to_vec()
            } else {
                set_in_field(part, low_bits, id, b)
            }
        };
        let body = field(body, format::BODY_BITS, |e| e.body.map(u32::from));
        let title = field(title, format::TITLE_BITS, |e| e.title.map(u32::from));
        let meta = field(meta, 0, |e| e.meta.then_some(0));
        let new_size = body.len() + title.len() + meta.len();
        let joined = format::join_fields(body, &title, &meta);
        if let Ok(pos) = found {
            self.total_bytes -= field_bytes(&terms[pos].1) + text_len + 8;
        }
        match (found, new_size) {
            (Ok(pos), 0) => {
                terms.remove(pos);
            }
            (Ok(pos), _) => terms[pos].1 = joined.into_boxed_slice(),
            (Err(_), 0) => {}
            (Err(pos), _) => terms.insert(pos, (term, joined.into_boxed_slice())),
        }
        if new_size > 0 {
            self.total_bytes += new_size + text_len + 8;
        }
        self.pending.shards.insert(shard);
        Ok(())
    }

    /// Sorts every term into `count` shards again.
    fn reshard(&mut self, count: usize) -> io::Result<()> {
        for n in 0..self.shards.len() {
            self.load_shard(n)?;
        }
        self.on_disk = self.on_disk.take().map(|(dir, _)| (dir, vec![true; count]));
        self.shards = into_shards(
            std::mem::take(&mut self.shards).into_iter().flatten(),
            count,
        );
        self.pending.shards.clear();
        Ok(())
    }

    /// Gives document `id` the 机构 `name` ("" for none): the sorted list of names the
    /// documents use is made again, and every document's number for it. Returns the
    /// document's new number.
    fn set_agency(&mut self, id: u32, name: &str) -> u32 {
        let mut names: Vec<&str> = self
            .docs
            .iter()
            .map(|d| {
                d.agency
                    .checked_sub(1)
                    .and_then(|a| self.agencies.get(a as usize))
                    .map_or("", String::as_str)
            })
            .collect();
        names[id as usize] = name;
        let mut agencies: Vec<&str> = names.iter().copied().filter(|n| !n.is_empty()).collect();
        // Distinct names first (cheap), then the collation order a full build uses.
        agencies.sort_unstable();
        agencies.dedup();
        agencies.sort_by(|a, b| crate::collation::compare_names(a, b));
        let numbers: Vec<u32> = names
            .iter()
            .map(
                |n| match agencies.binary_search_by(|a| crate::collation::compare_names(a, n)) {
                    Ok(i) if !n.is_empty() => i as u32 + 1,
                    _ => 0,
                },
            )
            .collect();
        let agencies: Vec<String> = agencies.into_iter().map(str::to_string).collect();
        for (d, number) in self.docs.iter_mut().zip(numbers) {
            if d.agency != number {
                d.agency = number;
                self.pending.core = true;
            }
        }
        if agencies != self.agencies {
            self.agencies = agencies;
            self.pending.core = true;
        }
        self.docs[id as usize].agency
    }
}

/// Removes the term shards of an earlier build under `dir` (the output's `search/`) and
/// makes the folders of `count` shards.
pub(super) fn make_shard_folders(dir: &Path, count: usize) -> io::Result<()> {
    let terms = dir.join("t");
    if terms.is_dir() {
        fs::remove_dir_all(&terms)?;
    }
    for first in (0..count).step_by(format::SHARDS_PER_FOLDER) {
        if let Some(parent) = dir.join(format::shard_file_path(first)).parent() {
            fs::create_dir_all(parent)?;
        }
    }
    Ok(())
}

/// What one term shard's files came to.
#[derive(Clone, Copy, Default)]
pub(super) struct Written {
    pub files: usize,
    pub bytes: usize,
}

/// Writes term shard `n` under `dir` (with the rest files of its broad terms) into a
/// fresh `t/` ([`make_shard_folders`]); returns what it wrote.
pub(super) fn write_shard(
    dir: &Path,
    n: usize,
    terms: &[(Term, Box<[u8]>)],
    head_bytes: usize,
) -> io::Result<Written> {
    put_shard(dir, n, terms, head_bytes, false)
}

/// Writes term shard `n`'s files; `in_place`: over an earlier shard `n`, each file
/// through a rename, and the rest files it had beyond them removed.
fn put_shard(
    dir: &Path,
    n: usize,
    terms: &[(Term, Box<[u8]>)],
    head_bytes: usize,
    in_place: bool,
) -> io::Result<Written> {
    let shard = format::shard_files(n, terms, head_bytes);
    let mut written = Written::default();
    // The rest blocks before the shard that names them, so a reader of the old shard
    // never meets a new header without its blocks.
    for (rel, text) in shard.files.iter().rev() {
        if in_place {
            replace_file(dir, rel, text.as_bytes())?;
        } else {
            fs::write(dir.join(rel), text)?;
        }
        written.files += 1;
        written.bytes += text.len();
    }
    if in_place {
        remove_rests(dir, n, &shard.blocks)?;
    }
    Ok(written)
}

/// Removes the rest blocks an earlier shard `n` had beyond `blocks` (the count of each
/// cut term's blocks now; cut terms and blocks are numbered without gaps).
fn remove_rests(dir: &Path, n: usize, blocks: &[usize]) -> io::Result<()> {
    for i in 0.. {
        let kept = blocks.get(i).copied().unwrap_or(0);
        for j in kept.. {
            match fs::remove_file(dir.join(format::rest_file_path(n, i, j))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                Err(_) if j == 0 => return Ok(()),
                Err(_) => break,
                Ok(()) => {}
            }
        }
    }
    Ok(())
}

/// Terms and their postings into `count` shards, each in file order.
pub(super) fn into_shards(
    terms: impl Iterator<Item = (Term, Box<[u8]>)>,
    count: usize,
) -> Vec<Vec<(Term, Box<[u8]>)>> {
    let mut shards: Vec<Vec<(Term, Box<[u8]>)>> = (0..count).map(|_| Vec::new()).collect();
    for (term, postings) in terms {
        shards[format::shard_of(&term, count)].push((term, postings));
    }
    shards
        .par_iter_mut()
        .for_each(|terms| terms.sort_unstable_by(|a, b| a.0.cmp_text(&b.0)));
    shards
}

/// The bytes of a term's fields without the separating dots, as the shard count counts
/// them.
fn field_bytes(joined: &[u8]) -> usize {
    joined.iter().filter(|&&b| b != b'.').count()
}

/// `field` with document `id`'s entry set to `value` (or removed), encoded as a build
/// that added the documents in id order encodes it: the entries before it are copied,
/// it and the next one (whose gap it changes) encoded again, the rest copied.
fn set_in_field(field: &[u8], low_bits: u32, id: u32, value: Option<u32>) -> Vec<u8> {
    let mask = (1u32 << low_bits) - 1;
    let entry = |gap: u32, v: u32| (gap << low_bits) | v;
    let mut out = Vec::with_capacity(field.len() + 8);
    // The entry at `start..end` is the first with an id at or past `id`; `base` is the
    // id after the one before it.
    let (mut base, mut start) = (0u32, 0usize);
    while start < field.len() {
        let (v, end) = format::read_varint(field, start);
        let at = base + (v >> low_bits);
        if at < id {
            base = at + 1;
            start = end;
            continue;
        }
        out.extend_from_slice(&field[..start]);
        if let Some(value) = value {
            format::push_varint(&mut out, entry(id - base, value));
        }
        let rest = if at == id {
            // Replaced or removed: the next entry's gap is from the new previous.
            if end >= field.len() {
                return out;
            }
            let (next, after) = format::read_varint(field, end);
            let next_at = id + 1 + (next >> low_bits);
            (next_at, next & mask, after)
        } else {
            (at, v & mask, end)
        };
        let prev = if value.is_some() { id + 1 } else { base };
        format::push_varint(&mut out, entry(rest.0 - prev, rest.1));
        out.extend_from_slice(&field[rest.2..]);
        return out;
    }
    out.extend_from_slice(field);
    if let Some(value) = value {
        format::push_varint(&mut out, entry(id - base, value));
    }
    out
}

/// Writes `dir/rel` through a temporary name and a rename.
fn replace_file(dir: &Path, rel: &str, bytes: &[u8]) -> io::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = dir.join(format!("{rel}.gongkai-new"));
    fs::write(&tmp, bytes)?;
    fs::rename(&tmp, &path).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::super::{SearchIndex, count_terms};
    use super::*;

    /// A document owning its strings.
    #[derive(Clone, Default)]
    struct Doc {
        url: String,
        title: String,
        agency: String,
        published: String,
        year: Option<i32>,
        doc_no: String,
        text: String,
    }

    impl Doc {
        fn new(n: usize, title: &str, agency: &str, text: &str) -> Doc {
            Doc {
                url: format!("2024/d{n:02}/"),
                title: title.into(),
                agency: agency.into(),
                published: "2024-03-01".into(),
                year: Some(2024),
                doc_no: format!("测发〔2024〕{n}号"),
                text: text.into(),
            }
        }

        fn search(&self) -> SearchDocument<'_> {
            SearchDocument {
                url_path: &self.url,
                title: &self.title,
                agency: &self.agency,
                published: &self.published,
                year: self.year,
                index_no: "",
                doc_no: &self.doc_no,
                text: &self.text,
                attachments: &[],
            }
        }
    }

    thread_local! {
        /// The head size of the indexes a test makes (each test runs on its own thread).
        static HEAD_BYTES: std::cell::Cell<usize> = std::cell::Cell::new(format::head_bytes());
    }

    fn index(docs: &[Doc]) -> SearchIndex {
        let mut index = SearchIndex::new().head_bytes(HEAD_BYTES.get());
        let docs: Vec<SearchDocument<'_>> = docs.iter().map(Doc::search).collect();
        index.add_batch(&docs);
        index
    }

    fn tree(root: &Path) -> Vec<(String, Vec<u8>)> {
        crate::render::templates::files_under(&root.join("search"))
            .into_iter()
            .map(|(rel, p)| (rel, fs::read(p).unwrap()))
            .collect()
    }

    /// Writes `built` and the documents' own files, as a full build does.
    fn write_all(built: &mut BuiltIndex, docs: &[Doc], root: &Path) {
        built.write(root).unwrap();
        for (id, d) in docs.iter().enumerate() {
            super::super::write_document(root, id as u32, &d.search()).unwrap();
        }
    }

    /// The files a full build of `docs` writes.
    fn fresh(docs: &[Doc]) -> Vec<(String, Vec<u8>)> {
        let dir = tempfile::tempdir().unwrap();
        write_all(&mut index(docs).finish().unwrap(), docs, dir.path());
        tree(dir.path())
    }

    fn shards_in(root: &Path) -> usize {
        let core = fs::read_to_string(root.join("search/core.js")).unwrap();
        let at = core.find("\"shards\":").unwrap() + 9;
        core[at..].split(',').next().unwrap().parse().unwrap()
    }

    /// Replaces documents of `docs` by `changes` in an index taken up from its files,
    /// each old document read back from its record and groups, as a later build does.
    fn replace_read_back(taken: &mut BuiltIndex, docs: &mut [Doc], changes: &[(usize, Doc)]) {
        for (id, new) in changes {
            let old = taken.read_document(*id as u32).unwrap();
            taken
                .replace_document(*id as u32, &old.search_document(), &new.search())
                .unwrap();
            docs[*id] = new.clone();
        }
    }

    /// Replaces documents of `docs` by `changes` in the live index and on disk.
    fn apply(built: &mut BuiltIndex, root: &Path, docs: &mut [Doc], changes: &[(usize, Doc)]) {
        for (id, new) in changes {
            built
                .replace_document(*id as u32, &docs[*id].search(), &new.search())
                .unwrap();
            docs[*id] = new.clone();
        }
        built.write_changed(root).unwrap();
    }

    /// Broad terms cut to their heads: the rests are written beside the shards, read
    /// back with them by a later build, and written again (or removed) as a change
    /// needs, to the files a fresh build writes.
    #[test]
    fn broad_terms_cut_to_heads_update_as_a_fresh_build_writes() {
        HEAD_BYTES.set(96);
        // 3,000 characters from 300 documents of 40: each in about 13 documents.
        let mut docs: Vec<Doc> = (0..300)
            .map(|n| {
                let text = format!("{} 工作 {}", random_han(n, 20), random_han(n + 1000, 20));
                Doc::new(n as usize, &format!("工作文件{n}"), "统计局", &text)
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut built = index(&docs).finish().unwrap();
        write_all(&mut built, &docs, root);
        let rests = |root: &Path| {
            tree(root)
                .iter()
                .filter(|(p, _)| p.starts_with("t/") && p.contains('-'))
                .count()
        };
        assert!(rests(root) >= 3, "{} rest files", rests(root));
        let meta = built.meta();
        drop(built);

        let mut taken = BuiltIndex::from_files(root, meta);
        taken.head_bytes = 96;
        // 工作 leaves one title and one body; a document made broad in a new term.
        let changes = [
            (
                7,
                Doc {
                    title: "通知".into(),
                    text: random_han(7, 30),
                    ..docs[7].clone()
                },
            ),
            (
                150,
                Doc {
                    text: format!("{} 工作 工作 工作 工作 工作 工作 工作 工作", docs[150].text),
                    ..docs[150].clone()
                },
            ),
        ];
        replace_read_back(&mut taken, &mut docs, &changes);
        taken.write_changed(root).unwrap();
        assert_eq!(tree(root), fresh(&docs));
        // A shard written again with fewer broad terms leaves no rest file behind.
        let dir = root.join("search");
        let shard = (0..taken.shards.len())
            .find(|&n| dir.join(format::rest_file_path(n, 0, 0)).exists())
            .unwrap();
        taken.load_shard(shard).unwrap();
        put_shard(&dir, shard, &taken.shards[shard], 1 << 20, true).unwrap();
        assert!(!dir.join(format::rest_file_path(shard, 0, 0)).exists());
    }

    #[test]
    fn replaced_documents_write_what_a_fresh_index_writes() {
        let mut docs = vec![
            Doc::new(
                0,
                "关于双减政策的通知",
                "教育局",
                "学校课后服务 双减 工作安排",
            ),
            Doc::new(1, "年度报告", "教育局", "政府信息公开工作年度报告 2023"),
            Doc::new(2, "招生方案", "财政局", "义务教育招生 入学 方案"),
            Doc::new(3, "预算公开", "财政局", "部门预算 三公经费 公开"),
        ];
        docs.extend((4..19).map(|n| Doc::new(n, &format!("文件{n}"), "人社局", "就业 社保")));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut built = index(&docs).finish().unwrap();
        write_all(&mut built, &docs, root);
        assert_eq!(tree(root), fresh(&docs));

        let steps: Vec<Vec<(usize, Doc)>> = vec![
            // New terms in the body (and one that was only in another document).
            vec![(
                1,
                Doc {
                    text: "年度报告 新增 公开目录 预算 abc2024".into(),
                    ..docs[1].clone()
                },
            )],
            // Terms removed, one of them the last document holding it.
            vec![(
                1,
                Doc {
                    text: "年度".into(),
                    ..docs[1].clone()
                },
            )],
            // A new title; and a body that repeats a term (a new frequency code).
            vec![(
                2,
                Doc {
                    title: "新的招生方案".into(),
                    text: "招生 招生 招生 招生 入学".into(),
                    ..docs[2].clone()
                },
            )],
            // Two documents at once, in two record files.
            vec![
                (
                    0,
                    Doc {
                        text: "课后服务 暂停".into(),
                        ..docs[0].clone()
                    },
                ),
                (
                    17,
                    Doc {
                        title: "人社通知".into(),
                        doc_no: "人社〔2024〕1号".into(),
                        ..docs[17].clone()
                    },
                ),
            ],
            // 机构 and 年份 too (a full build in `serve`, but the index stays right):
            // a new 机构, then the last document of one moving away.
            vec![(
                3,
                Doc {
                    agency: "审计局".into(),
                    year: Some(2019),
                    ..docs[3].clone()
                },
            )],
            vec![(
                2,
                Doc {
                    agency: "".into(),
                    year: None,
                    published: "".into(),
                    ..docs[2].clone()
                },
            )],
            // An empty document.
            vec![(
                18,
                Doc {
                    title: "".into(),
                    text: "".into(),
                    doc_no: "".into(),
                    ..docs[18].clone()
                },
            )],
        ];
        for changes in steps {
            apply(&mut built, root, &mut docs, &changes);
            assert_eq!(tree(root), fresh(&docs));
        }
        // Nothing changed, nothing written.
        assert_eq!(built.write_changed(root).unwrap().files, 0);
        let same = docs[5].clone();
        built
            .replace_document(5, &docs[5].search(), &same.search())
            .unwrap();
        assert_eq!(built.write_changed(root).unwrap().files, 0);
    }

    /// Han text from a fixed pseudo-random sequence: nearly every bigram distinct.
    fn random_han(seed: u64, chars: usize) -> String {
        let mut x = seed;
        (0..chars)
            .map(|_| {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                char::from_u32(0x4E00 + ((x >> 33) % 3000) as u32).unwrap()
            })
            .collect()
    }

    #[test]
    fn a_change_of_shard_count_rewrites_every_shard_and_removes_the_surplus() {
        let mut docs: Vec<Doc> = (0..6)
            .map(|n| Doc::new(n, &format!("文件{n}"), "统计局", &random_han(n as u64, 300)))
            .collect();
        docs[0].text = random_han(99, 20_000);
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut built = index(&docs).finish().unwrap();
        write_all(&mut built, &docs, root);
        let many = shards_in(root);

        // A small edit touches a few shards, not all of them.
        let edit = Doc {
            text: format!("{}统计", docs[3].text),
            ..docs[3].clone()
        };
        built
            .replace_document(3, &docs[3].search(), &edit.search())
            .unwrap();
        docs[3] = edit;
        let stats = built.write_changed(root).unwrap();
        assert!(stats.files < many, "{} files of {many} shards", stats.files);
        assert_eq!(tree(root), fresh(&docs));

        // The big document emptied: fewer shards.
        let small = Doc {
            text: "".into(),
            ..docs[0].clone()
        };
        apply(&mut built, root, &mut docs, &[(0, small)]);
        let few = shards_in(root);
        assert!(few < many, "{few} shards, was {many}");
        assert_eq!(tree(root), fresh(&docs));

        // And back.
        let big = Doc {
            text: random_han(7, 20_000),
            ..docs[0].clone()
        };
        apply(&mut built, root, &mut docs, &[(0, big)]);
        assert!(shards_in(root) > few);
        assert_eq!(tree(root), fresh(&docs));
    }

    /// What a later build does: the index taken up from the files and its meta, each
    /// old document read back from its record and groups, and only the shards a change
    /// touches read.
    #[test]
    fn an_index_taken_up_from_its_files_updates_as_the_live_one_does() {
        let mut docs: Vec<Doc> = (0..8)
            .map(|n| {
                let text = format!(
                    "{}\n\n  第二段　全角空格  wifi Ｗｉｆｉ",
                    random_han(n as u64, 500)
                );
                Doc::new(n, &format!("文件{n}"), "统计局", &text)
            })
            .collect();
        // Long texts: records with filters and groups of parts.
        docs[2].text = random_han(42, 60_000);
        docs[5].text = format!("开头  {}  结尾", random_han(43, 5_000));
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let mut built = index(&docs).finish().unwrap();
        write_all(&mut built, &docs, root);
        let meta = built.meta();
        drop(built);

        let mut taken = BuiltIndex::from_files(root, meta.clone());
        assert_eq!(taken.meta(), meta);
        // Read back, each document counts the same terms and makes the same files.
        for (id, d) in docs.iter().enumerate() {
            let stored = taken.read_document(id as u32).unwrap();
            let (a, b) = (
                count_terms(&d.search()),
                count_terms(&stored.search_document()),
            );
            // The entries carry the weights the field lengths give: equal entries,
            // equal lengths.
            let sorted = |t: super::super::DocTerms| {
                let mut v: Vec<(String, Option<u8>, Option<u8>, bool)> = t
                    .parts
                    .into_iter()
                    .flatten()
                    .map(|(t, e)| (t.text(), e.body, e.title, e.meta))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(sorted(a), sorted(b), "document {id}");
            assert_eq!(
                format::doc_files(&d.search()),
                format::doc_files(&stored.search_document())
            );
        }
        // A paragraph added to one document and another's 机构 changed.
        let changes = [
            (
                3,
                Doc {
                    text: format!("{} 新增一段 课后服务", docs[3].text),
                    ..docs[3].clone()
                },
            ),
            (
                6,
                Doc {
                    agency: "财政局".into(),
                    ..docs[6].clone()
                },
            ),
        ];
        replace_read_back(&mut taken, &mut docs, &changes);
        let loaded = taken
            .on_disk
            .as_ref()
            .unwrap()
            .1
            .iter()
            .filter(|&&l| l)
            .count();
        assert!(
            loaded < taken.shards.len(),
            "{loaded} of {} shards read",
            taken.shards.len()
        );
        taken.write_changed(root).unwrap();
        assert_eq!(tree(root), fresh(&docs));

        // Two documents added after the last, one with a 机构 new to the index.
        for (n, agency) in [(8, "统计局"), (9, "审计局")] {
            let new = Doc::new(
                n,
                &format!("新文件{n}"),
                agency,
                &random_han(n as u64 + 50, 700),
            );
            taken.append_document(&new.search()).unwrap();
            docs.push(new);
        }
        taken.write_changed(root).unwrap();
        assert_eq!(tree(root), fresh(&docs));

        // A shard file that is not one is an error, not a wrong index.
        let mut again = BuiltIndex::from_files(root, taken.meta());
        for n in 0..again.shards.len() {
            fs::write(root.join("search").join(format::shard_file_path(n)), "x").unwrap();
        }
        let old = again.read_document(1).unwrap();
        let new = Doc {
            text: "完全不同的正文".into(),
            ..docs[1].clone()
        };
        assert!(
            again
                .replace_document(1, &old.search_document(), &new.search())
                .is_err()
        );
    }

    fn encode(entries: &[(u32, u32)], low_bits: u32) -> Vec<u8> {
        let mut field = Vec::new();
        let mut base = 0;
        for &(id, v) in entries {
            format::push_varint(&mut field, ((id - base) << low_bits) | v);
            base = id + 1;
        }
        field
    }

    #[test]
    fn setting_an_entry_encodes_as_a_build_would() {
        let entries = [(0u32, 3u32), (1, 0), (40, 2), (1000, 1), (1001, 0)];
        // Every id around the entries, set to each value or removed, in both fields'
        // layouts: the splice equals encoding the edited list.
        for low_bits in [0, format::TITLE_BITS, format::BODY_BITS] {
            // A title or meta entry has no value.
            let entries: Vec<(u32, u32)> = entries
                .iter()
                .map(|&(id, v)| (id, v & ((1 << low_bits) - 1)))
                .collect();
            let field = encode(&entries, low_bits);
            let values: Vec<Option<u32>> = std::iter::once(None)
                .chain((0..(1 << low_bits)).map(Some))
                .collect();
            for id in [0, 1, 2, 39, 40, 41, 999, 1000, 1001, 1002, 5000] {
                for &value in &values {
                    let mut edited: Vec<(u32, u32)> =
                        entries.iter().copied().filter(|e| e.0 != id).collect();
                    if let Some(v) = value {
                        edited.push((id, v));
                        edited.sort_unstable();
                    }
                    assert_eq!(
                        set_in_field(&field, low_bits, id, value),
                        encode(&edited, low_bits),
                        "id {id} value {value:?} low bits {low_bits}"
                    );
                }
            }
        }
        assert_eq!(set_in_field(b"", 0, 3, Some(0)), encode(&[(3, 0)], 0));
        assert_eq!(set_in_field(b"", 0, 3, None), b"");
    }
}
