//! Postings spilled to disk while the index is built, and merged back one term shard at
//! a time, so a build's memory holds at most a budget of postings and one group of
//! shards, not the whole index (docs/search.md, "Postings streamed to disk").
//!
//! A run is the postings the index held when it went over its budget, every term's
//! three fields as encoded since the last run. Memory keeps nothing of a term once it is
//! in a run: the index encodes a list's first entry after a run as a gap from 0, and a
//! term list file beside the runs ([`TermList`], every term written so far with the ids
//! its lists' next gaps start from, in run order) is walked in step with each new run,
//! which makes that first gap the one from where the list stopped. So a term's postings
//! are its runs' bytes one after the other, exactly what the in-memory path encodes, and
//! the index's size estimate counts each term once (it decides the shard count).
//!
//! Run records are sorted by the term hash's bits reversed: the shard of a term is the
//! hash's low bits (a power-of-two count, [`format::shard_of`]), which are then the
//! key's high bits, so every shard's terms are contiguous in every run whatever the
//! count turns out to be at the end.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use rayon::prelude::*;

use super::format;
use super::tokenize::{Term, hash_term};

/// A term's three encoded fields (body, title, meta).
pub(super) type Fields = [Vec<u8>; 3];

/// The order of run records: the term hash with its bits reversed.
pub(super) fn run_key(term: &Term) -> u32 {
    hash_term(term).reverse_bits()
}

/// Where a run's file or the merge failed: the folder of the runs and what happened.
#[derive(Debug)]
pub(super) struct RunError {
    pub folder: PathBuf,
    pub error: io::Error,
    pub reading: bool,
}

/// The run files of one index, in a temporary folder made at the first spill and removed
/// (with them) when this is dropped, on success or error.
pub(super) struct Runs {
    /// Where the temporary folder is made.
    parent: PathBuf,
    dir: Option<tempfile::TempDir>,
    files: Vec<PathBuf>,
    /// Every term in a run so far (none before the first).
    terms: Option<PathBuf>,
    /// Bytes written to run files so far.
    pub bytes: u64,
}

/// A term's postings since the last run: its [`run_key`], the term, its three fields
/// (each list's first entry a gap from 0) and the ids each list's next gap starts from.
pub(super) type Held = (u32, Term, Fields, [u32; 3]);

impl Runs {
    pub fn in_folder(parent: PathBuf) -> Runs {
        Runs {
            parent,
            dir: None,
            files: Vec::new(),
            terms: None,
            bytes: 0,
        }
    }

    pub fn count(&self) -> usize {
        self.files.len()
    }

    fn folder(&self) -> PathBuf {
        self.dir
            .as_ref()
            .map_or_else(|| self.parent.clone(), |d| d.path().to_path_buf())
    }

    fn fail(&self, error: io::Error, reading: bool) -> RunError {
        RunError {
            folder: self.folder(),
            error,
            reading,
        }
    }

    /// Writes one run: `records` sorted by [`run_key`], then by text, each list's first
    /// gap made the one from where the term's last run stopped; each record is dropped
    /// once written. Returns what the records add to the index's size estimate: their
    /// encoded bytes, and the text length and 8 of each term in no earlier run.
    pub fn write(&mut self, records: impl Iterator<Item = Held>) -> Result<usize, RunError> {
        if self.dir.is_none() {
            let dir = tempfile::Builder::new()
                .prefix(".gongkai-search-runs-")
                .tempdir_in(&self.parent)
                .map_err(|e| self.fail(e, false))?;
            self.dir = Some(dir);
        }
        let folder = self.folder();
        let path = folder.join(format!("{}.run", self.files.len()));
        let list = folder.join("terms.new");
        let mut bytes = 0u64;
        let mut estimate = 0usize;
        let written: io::Result<()> = (|| {
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let mut before = TermList::open(self.terms.as_deref())?;
            let mut after = BufWriter::with_capacity(256 << 10, File::create(&list)?);
            let mut last_key = 0u32;
            for (key, term, mut fields, next) in records {
                if key < last_key {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a run's records are out of order",
                    ));
                }
                last_key = key;
                // Terms of earlier runs that this one does not have go on as they were.
                let bases = before.take_until(key, &term, |key, term, bases| {
                    write_list_entry(&mut after, key, term, bases)
                })?;
                estimate += continue_lists(&term, &mut fields, bases)?;
                bytes += write_record(&mut out, key, &term, &fields)?;
                let bases = bases.unwrap_or_default();
                let now: [u32; 3] = std::array::from_fn(|f| {
                    if fields[f].is_empty() {
                        bases[f]
                    } else {
                        next[f]
                    }
                });
                write_list_entry(&mut after, key, &term, now)?;
            }
            while let Some((key, term, bases)) = before.next.take() {
                write_list_entry(&mut after, key, &term, bases)?;
                before.advance()?;
            }
            after.flush()?;
            drop(after);
            std::fs::rename(&list, folder.join("terms"))?;
            out.flush()
        })();
        // The file counts even when it failed, so the folder's removal takes it along.
        self.files.push(path);
        self.terms = Some(folder.join("terms"));
        self.bytes += bytes;
        written.map_err(|e| self.fail(e, false))?;
        Ok(estimate)
    }

    /// What the index still holds at the end, each list's first gap made the one from
    /// where the term's last run stopped, in the order given (sorted as a run is);
    /// returns the terms with their fields, and what they add to the size estimate (as
    /// [`write`](Self::write) does).
    pub fn settle(
        &self,
        held: Vec<(u32, Term, Fields)>,
    ) -> Result<(Vec<(Term, Fields)>, usize), RunError> {
        let mut estimate = 0usize;
        let settled: io::Result<Vec<(Term, Fields)>> = (|| {
            let mut before = TermList::open(self.terms.as_deref())?;
            let mut out = Vec::with_capacity(held.len());
            for (key, term, mut fields) in held {
                let bases = before.take_until(key, &term, |_, _, _| Ok(()))?;
                estimate += continue_lists(&term, &mut fields, bases)?;
                out.push((term, fields));
            }
            Ok(out)
        })();
        let settled = settled.map_err(|e| self.fail(e, true))?;
        Ok((settled, estimate))
    }

    /// Merges the runs, then `memory` (what the index still holds: terms with fields,
    /// the latest entries of each list), into `count` shards (a power of two), one
    /// group of shards at a time: `sink` gets each shard's terms in file order and runs
    /// in parallel. Returns what `sink` returned, in shard order.
    pub fn merge<T: Send, E: Send>(
        &self,
        memory: Vec<(Term, Fields)>,
        count: usize,
        sink: impl Fn(usize, Vec<(Term, Box<[u8]>)>) -> Result<T, E> + Sync,
    ) -> Result<Vec<T>, MergeError<E>> {
        let mut readers = Vec::with_capacity(self.files.len());
        for path in &self.files {
            let file = File::open(path).map_err(|e| MergeError::Run(self.fail(e, true)))?;
            readers.push(RunReader::new(file).map_err(|e| MergeError::Run(self.fail(e, true)))?);
        }
        let bits = count.trailing_zeros();
        // The in-memory terms by shard: they are less than the budget.
        let mut held: Vec<Vec<(Term, Fields)>> = (0..count).map(|_| Vec::new()).collect();
        for (term, fields) in memory {
            held[format::shard_of(&term, count)].push((term, fields));
        }
        let mut results: Vec<Option<T>> = (0..count).map(|_| None).collect();
        let mut next = 0usize;
        // A group of shards, read from the runs in key order (shard `n` is key prefix
        // `n` reversed), then merged and handed to `sink` in parallel — while the next
        // group is read, so reading the runs (one thread) is not a wait of its own.
        let mut read_group = |next: &mut usize| -> io::Result<Vec<Gathered>> {
            let mut group: Vec<Gathered> = Vec::new();
            let mut group_bytes = 0usize;
            while *next < count && group_bytes < GROUP_BYTES && group.len() < GROUP_SHARDS {
                let prefix = *next as u32;
                let n = if bits == 0 {
                    0
                } else {
                    (prefix.reverse_bits() >> (32 - bits)) as usize
                };
                let mut shard = Gathered::new(n);
                for r in &mut readers {
                    r.read_prefix(prefix, bits, &mut shard)?;
                }
                for (term, fields) in std::mem::take(&mut held[n]) {
                    shard.push(term, &fields);
                }
                group_bytes += shard.bytes.len();
                group.push(shard);
                *next += 1;
            }
            Ok(group)
        };
        let mut group = read_group(&mut next).map_err(|e| MergeError::Run(self.fail(e, true)))?;
        while !group.is_empty() {
            let (done, following) = rayon::join(
                || {
                    group
                        .into_par_iter()
                        .map(|shard| (shard.n, sink(shard.n, shard.merged())))
                        .collect::<Vec<(usize, Result<T, E>)>>()
                },
                || read_group(&mut next),
            );
            for (n, r) in done {
                results[n] = Some(r.map_err(MergeError::Sink)?);
            }
            group = following.map_err(|e| MergeError::Run(self.fail(e, true)))?;
        }
        for r in &readers {
            if r.next_key.is_some() {
                return Err(MergeError::Run(self.fail(
                    io::Error::new(io::ErrorKind::InvalidData, "a run file is out of order"),
                    true,
                )));
            }
        }
        Ok(results.into_iter().flatten().collect())
    }
}

/// Makes each of a term's lists go on from `bases` (where its last run stopped; `None`
/// for a term in no run): the first entry was encoded as a gap from 0. Returns what
/// the term adds to the index's size estimate.
fn continue_lists(term: &Term, fields: &mut Fields, bases: Option<[u32; 3]>) -> io::Result<usize> {
    let Some(bases) = bases else {
        return Ok(term.text_len() + 8 + fields.iter().map(Vec::len).sum::<usize>());
    };
    for ((field, base), low_bits) in
        fields
            .iter_mut()
            .zip(bases)
            .zip([format::BODY_BITS, format::TITLE_BITS, 0])
    {
        if field.is_empty() || base == 0 {
            continue;
        }
        let (first, end) = format::read_varint(field, 0);
        // Documents come in id order: a list goes on past where it stopped.
        let gap = (first >> low_bits).checked_sub(base).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the run files' term list is out of order",
            )
        })?;
        let low = first & ((1 << low_bits) - 1);
        let mut head = Vec::with_capacity(8);
        format::push_varint(&mut head, (gap << low_bits) | low);
        field.splice(..end, head);
    }
    Ok(fields.iter().map(Vec::len).sum())
}

/// The term list: every term written to a run, sorted as the runs are, with the ids its
/// lists' next gaps start from (0 for a list with no entry yet). Read in step with the
/// records of a new run, and written anew with it.
struct TermList {
    input: Option<BufReader<File>>,
    /// The next entry, read ahead.
    next: Option<(u32, Term, [u32; 3])>,
}

impl TermList {
    fn open(path: Option<&std::path::Path>) -> io::Result<TermList> {
        let mut list = TermList {
            input: match path {
                Some(p) => Some(BufReader::with_capacity(256 << 10, File::open(p)?)),
                None => None,
            },
            next: None,
        };
        list.advance()?;
        Ok(list)
    }

    fn advance(&mut self) -> io::Result<()> {
        self.next = match &mut self.input {
            Some(input) => match read_key(input)? {
                Some(key) => {
                    let term = read_term(input)?;
                    let mut bases = [0u32; 3];
                    for b in &mut bases {
                        *b = read_u32(input)?;
                    }
                    Some((key, term, bases))
                }
                None => None,
            },
            None => None,
        };
        Ok(())
    }

    /// Passes every entry before (`key`, `term`) to `skipped` and returns the bases of
    /// the entry for `term` itself, when there is one (taken too).
    fn take_until(
        &mut self,
        key: u32,
        term: &Term,
        mut skipped: impl FnMut(u32, &Term, [u32; 3]) -> io::Result<()>,
    ) -> io::Result<Option<[u32; 3]>> {
        while let Some((k, t, bases)) = &self.next {
            match k.cmp(&key).then_with(|| t.cmp_text(term)) {
                std::cmp::Ordering::Less => skipped(*k, t, *bases)?,
                std::cmp::Ordering::Equal => {
                    let bases = *bases;
                    self.advance()?;
                    return Ok(Some(bases));
                }
                std::cmp::Ordering::Greater => return Ok(None),
            }
            self.advance()?;
        }
        Ok(None)
    }
}

/// A term list entry: key, term (as in a run record), then the three bases.
fn write_list_entry(
    out: &mut impl Write,
    key: u32,
    term: &Term,
    bases: [u32; 3],
) -> io::Result<()> {
    out.write_all(&key.to_le_bytes())?;
    write_term(out, term)?;
    for b in bases {
        out.write_all(&b.to_le_bytes())?;
    }
    Ok(())
}

/// Why a merge stopped: a run file could not be read, or the sink failed.
pub(super) enum MergeError<E> {
    Run(RunError),
    Sink(E),
}

/// Shards read before they are merged and written in parallel: a few MB.
const GROUP_BYTES: usize = 8 << 20;
const GROUP_SHARDS: usize = 256;

/// One shard's records from every run and from memory, fields in one buffer.
struct Gathered {
    n: usize,
    bytes: Vec<u8>,
    /// Term, start of its fields in `bytes`, their lengths; in run order.
    entries: Vec<(Term, usize, [u32; 3])>,
}

impl Gathered {
    fn new(n: usize) -> Gathered {
        Gathered {
            n,
            bytes: Vec::new(),
            entries: Vec::new(),
        }
    }

    fn push(&mut self, term: Term, fields: &Fields) {
        let start = self.bytes.len();
        let mut lens = [0u32; 3];
        for (len, field) in lens.iter_mut().zip(fields) {
            self.bytes.extend_from_slice(field);
            *len = field.len() as u32;
        }
        self.entries.push((term, start, lens));
    }

    /// The shard's terms in file order, each term's runs joined in run order.
    fn merged(mut self) -> Vec<(Term, Box<[u8]>)> {
        // Stable: a term's records stay in run order.
        self.entries.sort_by(|a, b| a.0.cmp_text(&b.0));
        let mut out: Vec<(Term, Box<[u8]>)> = Vec::with_capacity(self.entries.len());
        let mut entries = self.entries.into_iter().peekable();
        while let Some((term, start, lens)) = entries.next() {
            let mut fields: Fields = Default::default();
            let mut append = |start: usize, lens: [u32; 3]| {
                let mut at = start;
                for (field, len) in fields.iter_mut().zip(lens) {
                    field.extend_from_slice(&self.bytes[at..at + len as usize]);
                    at += len as usize;
                }
            };
            append(start, lens);
            while let Some((_, start, lens)) = entries.next_if(|e| e.0 == term) {
                append(start, lens);
            }
            let [body, title, meta] = fields;
            out.push((
                term,
                format::join_fields(body, &title, &meta).into_boxed_slice(),
            ));
        }
        out
    }
}

/// Reads a run file's records in order, the next one's key read ahead.
struct RunReader {
    input: BufReader<File>,
    next_key: Option<u32>,
}

impl RunReader {
    fn new(file: File) -> io::Result<RunReader> {
        let mut input = BufReader::with_capacity(256 << 10, file);
        let next_key = read_key(&mut input)?;
        Ok(RunReader { input, next_key })
    }

    /// Reads every next record whose key's top `bits` bits are `prefix` into `shard`.
    fn read_prefix(&mut self, prefix: u32, bits: u32, shard: &mut Gathered) -> io::Result<()> {
        while let Some(key) = self.next_key {
            let top = if bits == 0 { 0 } else { key >> (32 - bits) };
            if top != prefix {
                if top < prefix {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a run file is out of order",
                    ));
                }
                break;
            }
            let term = read_term(&mut self.input)?;
            let start = shard.bytes.len();
            let mut lens = [0u32; 3];
            for len in &mut lens {
                *len = read_u32(&mut self.input)?;
                let at = shard.bytes.len();
                shard.bytes.resize(at + *len as usize, 0);
                self.input.read_exact(&mut shard.bytes[at..])?;
            }
            shard.entries.push((term, start, lens));
            self.next_key = read_key(&mut self.input)?;
        }
        Ok(())
    }
}

/// A record: key, term (0 and a packed Han term, or 1, a length and a word), then each
/// field's length and bytes; integers little-endian. Returns the bytes written.
fn write_record(out: &mut impl Write, key: u32, term: &Term, fields: &Fields) -> io::Result<u64> {
    out.write_all(&key.to_le_bytes())?;
    let mut bytes = 4 + write_term(out, term)?;
    for field in fields {
        out.write_all(&(field.len() as u32).to_le_bytes())?;
        out.write_all(field)?;
        bytes += 4 + field.len() as u64;
    }
    Ok(bytes)
}

/// A term: 0 and a packed Han term, or 1, a length and a word. Returns the bytes written.
fn write_term(out: &mut impl Write, term: &Term) -> io::Result<u64> {
    match term {
        Term::Han(packed) => {
            out.write_all(&[0])?;
            out.write_all(&packed.to_le_bytes())?;
            Ok(9)
        }
        Term::Word(w) => {
            out.write_all(&[1])?;
            out.write_all(&(w.len() as u32).to_le_bytes())?;
            out.write_all(w.as_bytes())?;
            Ok(5 + w.len() as u64)
        }
    }
}

fn read_u32(input: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// The next record's key, or `None` at the end of the file.
fn read_key(input: &mut BufReader<File>) -> io::Result<Option<u32>> {
    use std::io::BufRead;
    if input.fill_buf()?.is_empty() {
        return Ok(None);
    }
    read_u32(input).map(Some)
}

fn read_term(input: &mut impl Read) -> io::Result<Term> {
    let mut tag = [0u8; 1];
    input.read_exact(&mut tag)?;
    match tag[0] {
        0 => {
            let mut b = [0u8; 8];
            input.read_exact(&mut b)?;
            Ok(Term::Han(u64::from_le_bytes(b)))
        }
        1 => {
            let len = read_u32(input)? as usize;
            let mut w = vec![0u8; len];
            input.read_exact(&mut w)?;
            String::from_utf8(w)
                .map(Term::Word)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "not a run file of this version",
        )),
    }
}
