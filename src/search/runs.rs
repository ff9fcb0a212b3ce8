//! Postings spilled to disk while the index is built, and merged back one term shard at
//! a time, so a build's memory holds at most a budget of postings and one group of
//! shards, not the whole index (docs/search.md, "Postings streamed to disk").
//!
//! A run is the postings the index held when it went over its budget, every term's
//! three fields as encoded so far. The index keeps, per term, the id its next entry's
//! gap starts from, so the next run continues each list where the last one stopped and
//! a term's postings are its runs' bytes one after the other: exactly what the
//! in-memory path encodes.
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
    /// Bytes written to run files so far.
    pub bytes: u64,
}

impl Runs {
    pub fn in_folder(parent: PathBuf) -> Runs {
        Runs {
            parent,
            dir: None,
            files: Vec::new(),
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

    /// Writes one run: `records` (key, term, fields, and what the caller wants back)
    /// sorted by [`run_key`]. `done` gets each record's term and the caller's part once
    /// its fields are written (and dropped: memory goes down as the run is written).
    pub fn write<K>(
        &mut self,
        records: impl Iterator<Item = (u32, Term, Fields, K)>,
        mut done: impl FnMut(Term, K),
    ) -> Result<(), RunError> {
        if self.dir.is_none() {
            let dir = tempfile::Builder::new()
                .prefix(".gongkai-search-runs-")
                .tempdir_in(&self.parent)
                .map_err(|e| self.fail(e, false))?;
            self.dir = Some(dir);
        }
        let path = self.folder().join(format!("{}.run", self.files.len()));
        let mut bytes = 0u64;
        let written: io::Result<()> = (|| {
            let mut out = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            for (key, term, fields, back) in records {
                bytes += write_record(&mut out, key, &term, &fields)?;
                done(term, back);
            }
            out.flush()
        })();
        // The file counts even when it failed, so the folder's removal takes it along.
        self.files.push(path);
        self.bytes += bytes;
        written.map_err(|e| self.fail(e, false))
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
        while next < count {
            // A group of shards, read from the runs in key order (shard `n` is key
            // prefix `n` reversed), then merged and handed to `sink` in parallel.
            let mut group: Vec<Gathered> = Vec::new();
            let mut group_bytes = 0usize;
            while next < count && group_bytes < GROUP_BYTES && group.len() < GROUP_SHARDS {
                let prefix = next as u32;
                let n = if bits == 0 {
                    0
                } else {
                    (prefix.reverse_bits() >> (32 - bits)) as usize
                };
                let mut shard = Gathered::new(n);
                for r in &mut readers {
                    r.read_prefix(prefix, bits, &mut shard)
                        .map_err(|e| MergeError::Run(self.fail(e, true)))?;
                }
                for (term, fields) in std::mem::take(&mut held[n]) {
                    shard.push(term, &fields);
                }
                group_bytes += shard.bytes.len();
                group.push(shard);
                next += 1;
            }
            let done: Vec<(usize, Result<T, E>)> = group
                .into_par_iter()
                .map(|shard| (shard.n, sink(shard.n, shard.merged())))
                .collect();
            for (n, r) in done {
                results[n] = Some(r.map_err(MergeError::Sink)?);
            }
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
    let mut bytes = 4u64;
    match term {
        Term::Han(packed) => {
            out.write_all(&[0])?;
            out.write_all(&packed.to_le_bytes())?;
            bytes += 9;
        }
        Term::Word(w) => {
            out.write_all(&[1])?;
            out.write_all(&(w.len() as u32).to_le_bytes())?;
            out.write_all(w.as_bytes())?;
            bytes += 5 + w.len() as u64;
        }
    }
    for field in fields {
        out.write_all(&(field.len() as u32).to_le_bytes())?;
        out.write_all(field)?;
        bytes += 4 + field.len() as u64;
    }
    Ok(bytes)
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
