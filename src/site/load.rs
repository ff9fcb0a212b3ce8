//! Reading `content/`: every `.md` is a document; every other file is an asset that is
//! copied to the same place in the output.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::cache::{CachedDocument, Source, Stamp};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::Document;
use crate::render::templates::files_under;

/// What `content/` holds.
#[derive(Debug, Default)]
pub struct Content {
    /// Documents sorted by path.
    pub documents: Vec<Document>,
    /// Other files (relative path, full path), copied as they are.
    pub assets: Vec<(String, PathBuf)>,
}

/// Whether loaded documents keep their bodies in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bodies {
    Keep,
    /// Front matter only: a large archive's bodies are read again one chunk at a time
    /// while its pages are rendered ([`read_document`]).
    Drop,
}

/// Reads every document under `dir` in parallel. The documents that could be read are
/// returned with every problem found in the others.
pub fn load_content(dir: &Path, bodies: Bodies) -> (Content, Diagnostics) {
    if !dir.is_dir() {
        let d = Diagnostic::error(
            dir,
            None,
            "no content folder: documents go in content/ (create it, or run `gongkai import` \
             to fill it from raw reports)",
        );
        return (Content::default(), d.into());
    }
    let (md, assets): (Vec<_>, Vec<_>) = files_under(dir)
        .into_iter()
        .partition(|(rel, _)| rel.to_ascii_lowercase().ends_with(".md"));
    let mut results: Vec<Result<Document, Vec<Diagnostic>>> = Vec::with_capacity(md.len());
    load_each(
        &md,
        |_| true,
        |rel, path| match bodies {
            Bodies::Keep => read_document(path, rel),
            Bodies::Drop => read_front_matter(path, rel),
        },
        &mut results,
    );
    let (documents, errors) = loaded(results);
    (Content { documents, assets }, errors.sorted())
}

/// Files loaded at a time; the disk reads the next few such chunks ahead.
const CHUNK: usize = 1024;
/// Chunks the disk may read ahead of loading: about 85 MB of 17 kB files, in the page
/// cache until loaded.
const CHUNKS_AHEAD: usize = 4;
/// Files at which reading ahead starts to pay.
const MANY_FILES: usize = 2_000;
/// Files opened and asked for at once when reading ahead. Loading waits on the disk more
/// than it computes: 100,000 documents on ext4 (virtio), page cache dropped, are read in
/// 7.4 s two at a time (one a core, as rayon's pool would), 3.0 s sixteen at a time,
/// 2.5 s thirty-two (`xargs -P N cat`; bench/README.md).
const READS_AHEAD: usize = 32;

/// `load(file)` for every file, appended to `out` in order, on rayon's pool. When many
/// files will be read (`read(rel)`), threads of their own open the next chunks' such
/// files [`READS_AHEAD`] at a time and ask the kernel to read them (`posix_fadvise`), so
/// `load` finds them in the page cache. Those threads allocate nothing: reading the
/// bytes there too was as fast, but each reading thread's allocator pages stayed at the
/// peak (10,000 documents: 28 MB).
fn load_each<T: Send>(
    files: &[(String, PathBuf)],
    read: impl Fn(&str) -> bool + Sync + Send,
    load: impl Fn(&str, &Path) -> T + Sync + Send,
    out: &mut impl ParallelExtend<T>,
) {
    let many = || {
        files
            .iter()
            .filter(|(rel, _)| read(rel))
            .nth(MANY_FILES - 1)
            .is_some()
    };
    let readers = (cfg!(target_os = "linux") && many())
        .then(|| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(READS_AHEAD)
                .thread_name(|i| format!("gongkai-read-ahead-{i}"))
                .build()
                .ok()
        })
        .flatten();
    std::thread::scope(|scope| {
        // One message a chunk asked for; at most CHUNKS_AHEAD wait unread.
        let (asked, chunk_asked) = std::sync::mpsc::sync_channel(CHUNKS_AHEAD);
        // Without the pool, or when its driving thread cannot be made (the closure, and
        // `asked` with it, is then dropped), the chunks load without reading ahead.
        if let Some(readers) = readers {
            let _ = std::thread::Builder::new()
                .name("gongkai-read-ahead".into())
                .spawn_scoped(scope, move || {
                    for chunk in files.chunks(CHUNK) {
                        readers.install(|| {
                            chunk
                                .par_iter()
                                .filter(|(rel, _)| read(rel))
                                .for_each(|(_, path)| read_ahead(path))
                        });
                        if asked.send(()).is_err() {
                            break;
                        }
                    }
                });
        } else {
            drop(asked);
        }
        for chunk in files.chunks(CHUNK) {
            // Waits for the chunk to be asked for (at once when nothing reads ahead).
            let _ = chunk_asked.recv();
            out.par_extend(chunk.par_iter().map(|(rel, path)| load(rel, path)));
        }
    });
}

/// Opens `path` and asks the kernel to read all of it into the page cache, without
/// waiting for the data. A failure is left to the read that follows, which reports it.
#[cfg(target_os = "linux")]
fn read_ahead(path: &Path) {
    if let Ok(file) = std::fs::File::open(path) {
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::WillNeed);
    }
}

#[cfg(not(target_os = "linux"))]
fn read_ahead(_: &Path) {}

/// The documents that loaded and the problems of those that did not. In place (a
/// `Result` of a document is the size of a document): a second vector of every document
/// would double the loaded archive's memory for a moment.
fn loaded(results: Vec<Result<Document, Vec<Diagnostic>>>) -> (Vec<Document>, Diagnostics) {
    let mut errors = Diagnostics::new();
    let documents = results
        .into_iter()
        .filter_map(|r| r.map_err(|e| errors.extend(e)).ok())
        .collect();
    (documents, errors)
}

/// [`load_content`] with front matter only, also giving each document's [`Source`]
/// (`sources[i]` is `documents[i]`'s) and whether its bytes differ from `cached`'s. A file
/// whose stamp is the cached one (and [`Stamp::trusted`] since `started_ns`) is not read:
/// its front matter comes from the cache.
pub(crate) fn load_sources(
    dir: &Path,
    cached: &HashMap<&str, &CachedDocument>,
    started_ns: u64,
) -> (Content, Vec<(Source, bool)>, Diagnostics) {
    if !dir.is_dir() {
        return (
            Content::default(),
            Vec::new(),
            load_content(dir, Bodies::Drop).1,
        );
    }
    let (md, assets): (Vec<_>, Vec<_>) = files_under(dir)
        .into_iter()
        .partition(|(rel, _)| rel.to_ascii_lowercase().ends_with(".md"));
    // Each into its own vector of the exact size, then the failures taken out in place:
    // no second copy of every document, as with one vector of results split in two.
    let mut both: (Vec<Result<Document, Vec<Diagnostic>>>, Vec<_>) =
        (Vec::with_capacity(md.len()), Vec::with_capacity(md.len()));
    load_each(
        &md,
        // A file in the cache is read only when its stamp changed: the few such are read
        // without help, the many others not at all (a second build only looks at them).
        |rel| !cached.contains_key(rel),
        |rel, path| match read_source(path, rel, cached.get(rel).copied(), started_ns) {
            Ok((d, s, changed)) => (Ok(d), Some((s, changed))),
            Err(e) => (Err(e), None),
        },
        &mut both,
    );
    let (documents, sources) = both;
    let (documents, errors) = loaded(documents);
    // `filter_map`, unlike `flatten`, collects in place.
    #[allow(clippy::filter_map_identity)]
    let sources: Vec<(Source, bool)> = sources.into_iter().filter_map(|s| s).collect();
    (Content { documents, assets }, sources, errors.sorted())
}

/// One document's front matter and [`Source`], from the cache when its stamp allows.
fn read_source(
    path: &Path,
    rel: &str,
    cached: Option<&CachedDocument>,
    started_ns: u64,
) -> Result<(Document, Source, bool), Vec<Diagnostic>> {
    let cannot =
        |e: std::io::Error| vec![Diagnostic::error(path, None, format!("cannot read: {e}"))];
    let stamp = Stamp::of(&std::fs::metadata(path).map_err(cannot)?);
    if let Some(c) = cached.filter(|c| c.source.stamp == stamp && stamp.trusted(started_ns))
        && let Some(doc) = super::cache::cached_document(rel, &c.front)
    {
        return Ok((doc, c.source, false));
    }
    let bytes = read_bytes(path)?;
    let hash = super::cache::hash(&bytes);
    let changed = cached.is_none_or(|c| c.source.hash != hash);
    let doc = parse_front_matter(path, rel, bytes)?;
    Ok((doc, Source { stamp, hash }, changed))
}

/// Reads and parses one document file; `rel` is its path under content/.
pub fn read_document(path: &Path, rel: &str) -> Result<Document, Vec<Diagnostic>> {
    let bytes = read_bytes(path)?;
    parse_bytes(path, rel, bytes)
}

/// A document file's bytes.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, Vec<Diagnostic>> {
    std::fs::read(path)
        .map_err(|e| vec![Diagnostic::error(path, None, format!("cannot read: {e}"))])
}

/// [`read_document`] without the body: only the front matter is decoded and parsed
/// (the body is read again, and checked, when its page is rendered). A file with no
/// closing `---` is read whole, for the same messages.
pub fn read_front_matter(path: &Path, rel: &str) -> Result<Document, Vec<Diagnostic>> {
    parse_front_matter(path, rel, read_bytes(path)?)
}

/// A document file's front matter alone, parsed from its bytes (the buffer goes with the
/// parse): the document with an empty body.
fn parse_front_matter(
    path: &Path,
    rel: &str,
    mut bytes: Vec<u8>,
) -> Result<Document, Vec<Diagnostic>> {
    if let Some(end) = Document::body_start(&bytes) {
        bytes.truncate(end);
    }
    let mut doc = parse_bytes(path, rel, bytes)?;
    doc.body = String::new();
    Ok(doc)
}

fn parse_bytes(path: &Path, rel: &str, bytes: Vec<u8>) -> Result<Document, Vec<Diagnostic>> {
    Document::parse(path, rel, utf8_text(path, &bytes)?)
}

/// The bytes of the document file at `path` as text, or an error on the line of the
/// first byte that is not UTF-8. Checked with SIMD (simdutf8): every byte of the
/// archive goes through here, once for its front matter and once when its page renders.
pub fn utf8_text<'b>(path: &Path, bytes: &'b [u8]) -> Result<&'b str, Vec<Diagnostic>> {
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(text);
    }
    // Only for the message: where the first bad byte is.
    let valid_up_to = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |t| t.len());
    let line = crate::diagnostic::line_of(&String::from_utf8_lossy(bytes), valid_up_to);
    Err(vec![Diagnostic::error(
        path,
        Some(line),
        "not UTF-8 text; save the file as UTF-8 (gongkai import converts GB18030 \
         and UTF-16 reports)",
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_alone_parses_as_the_whole_file_does() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            "---\r\n标题: 通知\r\n机构: 局\r\n---\r\n\r\n正文\r\n"
                .as_bytes()
                .to_vec(),
            "\u{feff}---\n标题: 通知\n机构: 局\n---  \n正文\n"
                .as_bytes()
                .to_vec(),
            // A body that is not UTF-8 is found when the page is rendered.
            [
                b"---\n\xE6\xA0\x87\xE9\xA2\x98: t\n\xE6\x9C\xBA\xE6\x9E\x84: j\n---\n".as_slice(),
                b"\xFF\xFE",
            ]
            .concat(),
        ];
        for (i, bytes) in cases.iter().enumerate() {
            let path = dir.path().join(format!("{i}.md"));
            std::fs::write(&path, bytes).unwrap();
            let front = read_front_matter(&path, "2024/a.md").unwrap();
            assert!(front.body.is_empty());
            if i < 2 {
                let full = read_document(&path, "2024/a.md").unwrap();
                assert_eq!(front.front, full.front);
                assert_eq!(front.body_line, full.body_line);
                assert_eq!(front.key_lines, full.key_lines);
            } else {
                assert!(read_document(&path, "2024/a.md").is_err());
            }
        }
        // No closing line: the whole file is read, with its message.
        let open = dir.path().join("open.md");
        std::fs::write(&open, "---\n标题: 通知\n").unwrap();
        assert!(read_front_matter(&open, "a.md").is_err());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused_on_its_line() {
        let path = Path::new("content/a.md");
        let good = "---\n标题: 通知\n---\n正文".as_bytes();
        assert_eq!(utf8_text(path, good).unwrap().as_bytes(), good);
        let bad = [good, b"\n\n\xE6\xA0"].concat();
        let e = utf8_text(path, &bad).unwrap_err();
        assert_eq!(e[0].line, Some(6), "{e:?}");
        assert!(
            e[0].to_string()
                .starts_with("content/a.md:6: not UTF-8 text"),
            "{e:?}"
        );
    }

    #[test]
    fn a_large_archive_read_ahead_loads_in_order_with_its_errors() {
        // Past MANY_FILES, over several chunks: the reading-ahead path.
        let dir = tempfile::tempdir().unwrap();
        let n = MANY_FILES + CHUNK + 7;
        for i in 0..n {
            let text = if i == 1500 {
                "---\n标题: [\n---\n".to_string()
            } else {
                format!("---\n标题: 通知{i}\n---\n正文{i}\n")
            };
            std::fs::write(dir.path().join(format!("{i:05}.md")), text).unwrap();
        }
        for bodies in [Bodies::Drop, Bodies::Keep] {
            let (content, errors) = load_content(dir.path(), bodies);
            assert_eq!(content.documents.len(), n - 1);
            let titles: Vec<String> = (0..n)
                .filter(|&i| i != 1500)
                .map(|i| format!("通知{i}"))
                .collect();
            let loaded: Vec<&str> = content
                .documents
                .iter()
                .map(|d| d.front.title.as_str())
                .collect();
            assert_eq!(loaded, titles);
            assert_eq!(content.documents[3].body.is_empty(), bodies == Bodies::Drop);
            let errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].contains("01500.md"), "{errors:?}");
        }
        let (content, sources, errors) = load_sources(dir.path(), &HashMap::new(), 0);
        assert_eq!((content.documents.len(), sources.len()), (n - 1, n - 1));
        assert!(sources.iter().all(|&(_, changed)| changed));
        assert_eq!(errors.iter().count(), 1);
    }
}
