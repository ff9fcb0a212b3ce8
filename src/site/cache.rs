//! The build cache: what the last `gongkai build` of an output read and wrote, kept in
//! `.NAME.gongkai-cache/` beside the output folder NAME (the lock file `.NAME.lock` sits
//! there too). The next build of that output reads it to render and write only what a
//! change touches ([`super::update`]).
//!
//! Per document: the stamp of its file (size, times, inode) and a BLAKE3 hash of its bytes
//! (a file whose stamp changed but whose bytes did not is not rendered again), its front
//! matter as parsed (the site's lists need every document's, and decoding that is cheaper
//! than reading every file; made from the loaded site when the cache is written, so a
//! build holds no copy of each file's front matter text), the key of everything its
//! page was made from (its file, its neighbours, its terms' and links' addresses, what
//! every page shows).
//! Per other page (lists, home, sitemap, feed): the key of its template context. The
//! search index's facts ([`IndexMeta`]); its terms are in the output's shard files.
//!
//! The cache holds as a whole or not at all: a different gongkai binary, site.toml,
//! theme, base URL or output folder gives a different [`build_key`], and the cache is
//! not used.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::diagnostic::Diagnostic;
use crate::document::{Document, FrontMatter, KeyLines};
use crate::render::templates::Theme;
use crate::search::IndexMeta;

/// A BLAKE3 hash (SHA-256 was a measurable share of a build that hashes every
/// document's text).
pub(crate) type Key = [u8; 32];

/// What keys are made with.
pub(crate) type Hasher = blake3::Hasher;

/// Bumped when what the cache holds, or how a key is made, changes.
const FORMAT: u32 = 4;

/// The cache's one file, in its folder.
const FILE: &str = "build.postcard";

/// What a file's metadata says of it; equal stamps are taken to mean equal bytes unless
/// the file changed too close to the build that stamped it (see [`Stamp::trusted`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub(crate) struct Stamp {
    len: u64,
    modified_ns: u64,
    changed_ns: u64,
    inode: u64,
}

impl Stamp {
    pub fn of(meta: &std::fs::Metadata) -> Stamp {
        let ns = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64)
        };
        #[cfg(unix)]
        let (changed_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                (meta.ctime() as u64)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(meta.ctime_nsec() as u64),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (changed_ns, inode) = (0, 0);
        Stamp {
            len: meta.len(),
            modified_ns: ns(meta.modified()),
            changed_ns,
            inode,
        }
    }

    /// Whether a file with this stamp can be taken as unchanged since a build that
    /// started at `started_ns`: a write in the same moment as that build's read could
    /// leave the stamp as it was (file times are coarser than the clock), so a file
    /// changed within two seconds before it is read again.
    pub fn trusted(&self, started_ns: u64) -> bool {
        let margin = Duration::from_secs(2).as_nanos() as u64;
        self.modified_ns.max(self.changed_ns).saturating_add(margin) < started_ns
    }
}

/// What a document file's front matter gave when it was loaded: the front matter, the
/// line of each key and the line the body starts on.
#[derive(Serialize, Deserialize)]
struct LoadedFront<F, L> {
    front: F,
    key_lines: L,
    body_line: usize,
}

/// `doc`'s front matter as the cache keeps it (postcard); [`cached_document`] reads it.
pub(crate) fn front_bytes(doc: &Document) -> Vec<u8> {
    let loaded = LoadedFront {
        front: &doc.front,
        key_lines: &doc.key_lines,
        body_line: doc.body_line,
    };
    // The document's own types always serialise; an empty entry is one the next build
    // cannot decode, so it reads the file.
    postcard::to_allocvec(&loaded).unwrap_or_default()
}

/// The document at `path` (under content/) as loaded without its body, from its
/// [`front_bytes`]; `None` when they cannot be decoded.
pub(crate) fn cached_document(path: &str, front: &[u8]) -> Option<Document> {
    let loaded: LoadedFront<FrontMatter, KeyLines> = postcard::from_bytes(front).ok()?;
    Some(Document {
        path: path.to_string(),
        front: loaded.front,
        body: String::new(),
        body_line: loaded.body_line,
        key_lines: loaded.key_lines,
        nest: None,
    })
}

/// Nanoseconds since the epoch, now.
pub(crate) fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// What a build remembers of one document's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Source {
    pub stamp: Stamp,
    pub hash: Key,
}

/// One document as the last build made it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CachedDocument {
    /// Path under content/.
    pub path: String,
    pub source: Source,
    /// Its front matter as parsed ([`front_bytes`]).
    pub front: Vec<u8>,
    /// [`super::pages::Renderer::page_key`] of its page.
    pub page_key: Key,
    /// The relative links its body resolved (their targets are in the page key).
    pub links: Vec<String>,
    /// Its page's site path ("" for a column's page): a document added may nest a
    /// crowded folder's pages, which moves them.
    pub url_path: String,
}

/// Everything the cache holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct BuildCache {
    format: u32,
    key: Key,
    /// When the build that wrote the cache started, in ns since the epoch.
    pub started_ns: u64,
    /// By path under content/.
    pub documents: Vec<CachedDocument>,
    /// Content files that are not documents (attachments, images), by path: any change
    /// to them is a full build.
    pub assets: Vec<(String, Stamp)>,
    /// Every page that is not a document page: its output path and the key of its
    /// template and context, by path.
    pub pages: Vec<(String, Key)>,
    pub search: IndexMeta,
}

impl BuildCache {
    /// The cache of `output` when there is one made with `key`; `None` when there is
    /// none, or it was made by another binary, settings or theme, or cannot be read
    /// (the build is then a full one, which writes it anew).
    pub fn load(output: &Path, key: &Key) -> Option<BuildCache> {
        let bytes = std::fs::read(folder(output).join(FILE)).ok()?;
        let cache: BuildCache = postcard::from_bytes(&bytes).ok()?;
        (cache.format == FORMAT && cache.key == *key).then_some(cache)
    }

    /// Removes the cache of `output`, before the output is changed in place: a build
    /// stopped halfway then leaves no cache, and the next build is a full one.
    pub fn forget(output: &Path) -> Result<(), Diagnostic> {
        let file = folder(output).join(FILE);
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Diagnostic::error(
                &file,
                None,
                format!("cannot remove the build cache: {e}; remove the folder by hand"),
            )),
            _ => {
                // The folder too when nothing else is in it (a build that keeps no cache
                // leaves no trace of one).
                let _ = std::fs::remove_dir(folder(output));
                Ok(())
            }
        }
    }

    /// Writes the cache of `output` (through a temporary name and a rename), its
    /// documents made one at a time as they are written: the cache of a build is never
    /// held whole (at 1,000,000 documents the vector and its bytes would be a gigabyte).
    pub fn save_streamed(
        output: &Path,
        key: Key,
        started_ns: u64,
        documents: impl ExactSizeIterator<Item = CachedDocument>,
        assets: &[(String, Stamp)],
        pages: &[(String, Key)],
        search: &IndexMeta,
    ) -> Result<(), Diagnostic> {
        write(
            output,
            &CacheOut {
                format: FORMAT,
                key: &key,
                started_ns,
                documents: Streamed(std::cell::Cell::new(Some(documents))),
                assets,
                pages,
                search,
            },
        )
    }
}

/// [`BuildCache`] as written: the same fields in the same order (postcard writes no
/// names), borrowed, so the documents can come from an iterator.
#[derive(Serialize)]
struct CacheOut<'a, D: Serialize> {
    format: u32,
    key: &'a Key,
    started_ns: u64,
    documents: D,
    assets: &'a [(String, Stamp)],
    pages: &'a [(String, Key)],
    search: &'a IndexMeta,
}

/// A sequence written from an iterator, as a `Vec` of its items would be; written once.
struct Streamed<I>(std::cell::Cell<Option<I>>);

impl<I: ExactSizeIterator<Item = CachedDocument>> Serialize for Streamed<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.take() {
            Some(items) => serializer.collect_seq(items),
            None => Err(serde::ser::Error::custom(
                "the documents were written already",
            )),
        }
    }
}

/// Writes `cache` as the cache of `output`, through a temporary name and a rename.
fn write(output: &Path, cache: &impl Serialize) -> Result<(), Diagnostic> {
    let dir = folder(output);
    let fail = |e: String| {
        Diagnostic::error(
            &dir,
            None,
            format!(
                "the site was built, but its build cache cannot be written: {e}; the \
                 next build will be a full one"
            ),
        )
    };
    std::fs::create_dir_all(&dir).map_err(|e| fail(e.to_string()))?;
    let tmp = dir.join(format!("{FILE}.new"));
    let file = std::fs::File::create(&tmp).map_err(|e| fail(e.to_string()))?;
    let mut file =
        postcard::to_io(cache, std::io::BufWriter::new(file)).map_err(|e| fail(e.to_string()))?;
    file.flush().map_err(|e| fail(e.to_string()))?;
    drop(file);
    std::fs::rename(&tmp, dir.join(FILE)).map_err(|e| fail(e.to_string()))
}

/// The stamps of content files that are not documents (`(path under content/, file)`).
pub(crate) fn asset_stamps(assets: &[(String, PathBuf)]) -> Vec<(String, Stamp)> {
    use rayon::prelude::*;
    assets
        .par_iter()
        .map(|(rel, path)| {
            let stamp = std::fs::metadata(path)
                .map(|m| Stamp::of(&m))
                .unwrap_or_default();
            (rel.clone(), stamp)
        })
        .collect()
}

/// The cache folder of `output`: `.NAME.gongkai-cache` beside it.
pub fn folder(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "public".into());
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    parent.join(format!(".{name}.gongkai-cache"))
}

/// The key of everything a build's output depends on besides content/: this gongkai
/// (version, and the executable's size and time, so a rebuilt binary starts afresh;
/// its search index's head size),
/// site.toml as written, the theme (templates and static files), the base URL and the
/// output folder.
pub(crate) fn build_key(root: &Path, theme: &Theme, base_url: &str, output: &Path) -> Key {
    let mut h = Hasher::new();
    h.update(&FORMAT.to_le_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    // The search index's cut of broad terms (a test and benchmark setting).
    h.update(&crate::search::format::head_bytes().to_le_bytes());
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| Stamp::of(&m))
        .unwrap_or_default();
    h.update(&postcard::to_allocvec(&exe).unwrap_or_default());
    let config = std::fs::read(root.join(crate::config::FILE_NAME)).unwrap_or_default();
    field(&mut h, &config);
    h.update(&theme.fingerprint());
    field(&mut h, base_url.as_bytes());
    field(
        &mut h,
        super::output::resolved(output).to_string_lossy().as_bytes(),
    );
    h.finalize().into()
}

/// Feeds `bytes` with its length, so two fields never run into each other.
pub(crate) fn field(h: &mut Hasher, bytes: &[u8]) {
    h.update(&(bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The hash of `bytes`.
pub(crate) fn hash(bytes: &[u8]) -> Key {
    blake3::hash(bytes).into()
}

/// Feeds a value's JSON to a hash without building the string.
pub(crate) fn hash_json(h: &mut Hasher, value: &impl Serialize) {
    struct Feed<'a>(&'a mut Hasher);
    impl Write for Feed<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // Values of the site's own types always serialise; a failure would only make the
    // key differ, which renders the page again.
    let _ = serde_json::to_writer(Feed(h), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_sits_beside_the_output() {
        assert_eq!(
            folder(Path::new("/srv/site/public")),
            Path::new("/srv/site/.public.gongkai-cache")
        );
        assert_eq!(folder(Path::new("out")), Path::new("./.out.gongkai-cache"));
    }

    #[test]
    fn a_cache_is_used_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let output = dir.path().join("public");
        let search = crate::search::SearchIndex::new().finish().unwrap().meta();
        let save = |output: &Path| {
            BuildCache::save_streamed(output, [1; 32], 5, std::iter::empty(), &[], &[], &search)
                .unwrap()
        };
        save(&output);
        assert!(BuildCache::load(&output, &[1; 32]).is_some());
        assert!(BuildCache::load(&output, &[2; 32]).is_none());
        // A damaged file is no cache.
        std::fs::write(folder(&output).join(FILE), b"\x01garbage").unwrap();
        assert!(BuildCache::load(&output, &[1; 32]).is_none());
        save(&output);
        BuildCache::forget(&output).unwrap();
        assert!(BuildCache::load(&output, &[1; 32]).is_none());
        BuildCache::forget(&output).unwrap();
    }

    #[test]
    fn a_streamed_cache_is_the_file_a_whole_one_writes() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        let documents: Vec<CachedDocument> = (0..3u8)
            .map(|n| CachedDocument {
                path: format!("2024/{n}.md"),
                source: Source {
                    stamp: Stamp::default(),
                    hash: [n; 32],
                },
                front: vec![n; 3],
                page_key: [n + 1; 32],
                links: vec![format!("{n}.pdf")],
                url_path: format!("2024/{n}/"),
            })
            .collect();
        let search = crate::search::SearchIndex::new().finish().unwrap().meta();
        let assets = vec![("2024/a.pdf".to_string(), Stamp::default())];
        let pages = vec![("index.html".to_string(), [9; 32])];
        // As a vector of documents would be written.
        let whole = CacheOut {
            format: FORMAT,
            key: &[1; 32],
            started_ns: 5,
            documents: &documents,
            assets: &assets,
            pages: &pages,
            search: &search,
        };
        write(&a, &whole).unwrap();
        let streamed = documents.clone().into_iter();
        BuildCache::save_streamed(&b, [1; 32], 5, streamed, &assets, &pages, &search).unwrap();
        let bytes = |o: &Path| std::fs::read(folder(o).join(FILE)).unwrap();
        assert_eq!(bytes(&a), bytes(&b));
        let read = BuildCache::load(&b, &[1; 32]).unwrap();
        assert_eq!(read.documents.len(), 3);
        assert_eq!(read.documents[2].source, documents[2].source);
        assert_eq!(read.documents[2].front, documents[2].front);
    }

    #[test]
    fn a_document_comes_back_from_its_front_bytes_as_it_was_loaded() {
        let text = "---\n标题: 关于做好防汛工作的通知\n机构: 青溪县水利局\n发布时间: 2024-06-01 09:30:00\n\
                    索引号: 000000000/2024-00001\n文号: 青水〔2024〕3号\n主题分类: 农业、林业、水利\n\
                    附件:\n  - 名称: 值班表.xlsx\n    链接: 值班表.xlsx\n---\n\n正文\n";
        let doc = Document::parse(Path::new("a.md"), "2024/a.md", text).unwrap();
        let back = cached_document("2024/a.md", &front_bytes(&doc)).unwrap();
        assert_eq!(back.front, doc.front);
        assert_eq!(back.key_lines, doc.key_lines);
        assert_eq!(back.body_line, doc.body_line);
        assert_eq!(back.path, doc.path);
        assert!(back.body.is_empty() && back.nest.is_none());
        // Bytes of something else are no document: the file is read instead.
        assert!(cached_document("2024/a.md", b"\xff\xff").is_none());
    }

    #[test]
    fn a_stamp_close_to_the_build_is_not_trusted() {
        let s = Stamp {
            modified_ns: 10_000_000_000,
            ..Stamp::default()
        };
        assert!(s.trusted(20_000_000_000));
        assert!(!s.trusted(11_000_000_000));
    }
}
