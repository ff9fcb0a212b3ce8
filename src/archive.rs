//! `gongkai archive`: an offline build packed into one zip for a USB stick, with a
//! `使用说明.txt` and a `SHA256SUMS` manifest; `gongkai verify`: checks a copy (the zip
//! itself or the unpacked folder) against its manifest.
//!
//! The zip is deterministic: entries sorted by path, one fixed timestamp
//! (1980-01-01 00:00, the zip epoch) and fixed permissions, so the same archive always
//! packs to the same bytes and its own SHA-256 can be published.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use crate::config::SiteConfig;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::site::offline::list_files;
use crate::site::output::resolved;
use crate::site::{BuildOptions, build};

/// The manifest: `<sha256 hex>  <path>` per file, the format of `sha256sum -c`.
pub const MANIFEST: &str = "SHA256SUMS";
/// How to open and check the copy, for whoever finds the USB stick.
pub const README: &str = "使用说明.txt";

/// What `gongkai archive` was asked to do.
#[derive(Debug, Clone)]
pub struct ArchiveOptions {
    /// The archive's folder (holding site.toml).
    pub root: PathBuf,
    /// The zip file to write.
    pub output: PathBuf,
}

/// What a successful `gongkai archive` wrote.
#[derive(Debug, Clone)]
pub struct ArchiveSummary {
    pub documents: usize,
    pub files: usize,
    pub bytes: u64,
    pub sha256: String,
    pub output: PathBuf,
}

impl fmt::Display for ArchiveSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "packed {} documents ({} files) into {} ({} bytes, SHA-256 {}); check a copy with \
             `gongkai verify {}`",
            self.documents,
            self.files,
            self.output.display(),
            self.bytes,
            self.sha256,
            self.output.display()
        )?;
        if self.bytes >= FAT32_MAX_FILE {
            write!(
                f,
                "\nnote: the zip is 4 GB or more, which a FAT32 stick cannot hold: use a stick \
                 formatted as exFAT or NTFS, or copy the unpacked folder instead"
            )?;
        }
        Ok(())
    }
}

/// The largest file FAT32 can hold (4 GiB − 1).
const FAT32_MAX_FILE: u64 = 0xFFFF_FFFF;

/// Builds the archive at `opts.root` for offline use and packs it into `opts.output`.
/// On error nothing is written (an existing zip stays as it was).
pub fn create(opts: &ArchiveOptions) -> Result<ArchiveSummary, Diagnostics> {
    let config = SiteConfig::load(&opts.root)?;
    let (out_abs, root_abs) = (resolved(&opts.output), resolved(&opts.root));
    for dir in crate::serve::WATCHED_DIRS {
        if out_abs.starts_with(root_abs.join(dir)) {
            return Err(Diagnostic::error(
                &opts.output,
                None,
                format!(
                    "the zip would sit in {dir}/ and be packed into the next archive; \
                     write it elsewhere, e.g. --output ../archive.zip"
                ),
            )
            .into());
        }
    }
    let work = tempfile::tempdir().map_err(|e| {
        Diagnostic::error(
            std::env::temp_dir(),
            None,
            format!("cannot create a working folder: {e}"),
        )
    })?;
    let site_dir = work.path().join("site");
    let summary = build(&BuildOptions {
        root: opts.root.clone(),
        output: Some(site_dir.clone()),
        base_url: None,
        offline: true,
        ..Default::default()
    })?;

    for name in [MANIFEST, README] {
        if site_dir.join(name).exists() {
            return Err(Diagnostic::error(
                opts.root.join("static").join(name),
                None,
                format!(
                    "the site has its own `{name}`, which the archive writes itself; \
                     rename or remove that file"
                ),
            )
            .into());
        }
    }
    let readme = readme_text(&config.title);
    let readme_path = site_dir.join(README);
    std::fs::write(&readme_path, readme)
        .map_err(|e| Diagnostic::error(&readme_path, None, format!("cannot write: {e}")))?;

    let files = list_files(&site_dir)?;
    let hashed: Vec<Result<(String, String), Diagnostic>> = files
        .par_iter()
        .map(|rel| {
            let path = under(&site_dir, rel);
            let bytes = std::fs::read(&path)
                .map_err(|e| Diagnostic::error(&path, None, format!("cannot read: {e}")))?;
            Ok((rel.clone(), hex(&Sha256::digest(&bytes))))
        })
        .collect();
    let mut sums = String::new();
    for h in hashed {
        let (rel, sum) = h?;
        sums.push_str(&format!("{sum}  {rel}\n"));
    }
    let manifest_path = site_dir.join(MANIFEST);
    std::fs::write(&manifest_path, &sums)
        .map_err(|e| Diagnostic::error(&manifest_path, None, format!("cannot write: {e}")))?;

    let mut entries = files;
    entries.push(MANIFEST.to_string());
    entries.sort();
    let (bytes, sha256) = pack(&site_dir, &entries, &opts.output)?;
    Ok(ArchiveSummary {
        documents: summary.documents,
        files: entries.len(),
        bytes,
        sha256,
        output: opts.output.clone(),
    })
}

/// Writes the zip of `entries` (relative paths under `dir`) to `output`, through a
/// temporary file beside it, and returns its size and SHA-256.
fn pack(dir: &Path, entries: &[String], output: &Path) -> Result<(u64, String), Diagnostic> {
    let fail = |e: &dyn fmt::Display| {
        Diagnostic::error(output, None, format!("cannot write the zip: {e}"))
    };
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| fail(&e))?;
    let tmp = tempfile::NamedTempFile::new_in(&parent).map_err(|e| fail(&e))?;
    // Straight to the file: an archive can be larger than memory.
    let mut zip = ZipWriter::new(std::io::BufWriter::new(tmp));
    for rel in entries {
        let path = under(dir, rel);
        let bytes = std::fs::read(&path)
            .map_err(|e| Diagnostic::error(&path, None, format!("cannot read: {e}")))?;
        let method = if is_compressed(rel) {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644)
            .large_file(bytes.len() >= 0xFFFF_FFFF);
        zip.start_file(rel.as_str(), options)
            .map_err(|e| fail(&e))?;
        zip.write_all(&bytes).map_err(|e| fail(&e))?;
    }
    let written = zip.finish().map_err(|e| fail(&e))?;
    let mut tmp = written.into_inner().map_err(|e| fail(&e.error()))?;
    // The writer seeks back to patch headers, so the file is hashed once it is whole.
    tmp.seek(std::io::SeekFrom::Start(0))
        .map_err(|e| fail(&e))?;
    let mut sha = Sha256::new();
    let len = std::io::copy(&mut tmp, &mut sha).map_err(|e| fail(&e))?;
    let sha = hex(&sha.finalize());
    // A temporary file is private to its owner; the zip is meant to be handed around.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(output).map_err(|e| fail(&e.error))?;
    Ok((len, sha))
}

/// Formats whose bytes are compressed already: deflating them again only costs time.
fn is_compressed(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    [
        ".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".zip", ".gz", ".docx",
        ".xlsx", ".pptx", ".mp4", ".mp3",
    ]
    .iter()
    .any(|ext| lower.ends_with(ext))
}

fn under(dir: &Path, rel: &str) -> PathBuf {
    rel.split('/').fold(dir.to_path_buf(), |p, s| p.join(s))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The text of 使用说明.txt: UTF-8 with a byte-order mark and CRLF line ends, so that
/// Notepad on any Windows shows it right.
pub fn readme_text(title: &str) -> String {
    let text = format!(
        "{title} — 离线副本\n\
         \n\
         一、如何打开\n\
         1. 把全部文件（解压后的整个文件夹）复制到电脑或 U 盘上，不要只复制其中一部分。\n\
         2. 双击 index.html，用浏览器（Edge、Chrome、Firefox、Safari 等）打开即可浏览。\n\
         3. 浏览和搜索都不需要联网。只有“原文链接”指向原网站，点击时才需要联网。\n\
         \n\
         二、如何核对文件完整、未被改动\n\
         SHA256SUMS 列出了除它自身以外每个文件的 SHA-256 校验值。任选一种方法：\n\
         - 用 gongkai：  gongkai verify 本文件夹   或   gongkai verify 压缩包.zip\n\
         - Linux：       sha256sum -c SHA256SUMS\n\
         - macOS：       shasum -a 256 -c SHA256SUMS\n\
         - Windows（在本文件夹中打开 PowerShell）：\n\
         \x20 Get-Content -Encoding UTF8 SHA256SUMS | ForEach-Object {{ $h, $p = $_ -split '  ', 2; \
         if ((Get-FileHash -Algorithm SHA256 -LiteralPath $p).Hash -ne $h) {{ \"不一致：$p\" }} }}\n\
         \x20 没有输出即全部一致。\n\
         若报告缺少、多出或不一致的文件，说明这份副本不完整或被改动过，请向发布单位索取原件。\n"
    );
    let mut out = String::from("\u{feff}");
    out.push_str(&text.replace('\n', "\r\n"));
    out
}

/// What `gongkai verify` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    /// Files that match the manifest.
    pub matching: usize,
    /// Listed in the manifest, not in the copy.
    pub missing: Vec<String>,
    /// In the copy, not in the manifest.
    pub extra: Vec<String>,
    /// In both, with other contents (or unreadable).
    pub altered: Vec<String>,
    /// Files operating systems add by themselves (`.DS_Store`, `Thumbs.db`), not counted.
    pub ignored: Vec<String>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.missing.is_empty() && self.extra.is_empty() && self.altered.is_empty()
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (label, list) in [
            ("missing", &self.missing),
            ("extra", &self.extra),
            ("altered", &self.altered),
        ] {
            for p in list {
                writeln!(f, "{label}: {p}")?;
            }
        }
        if !self.ignored.is_empty() {
            writeln!(
                f,
                "ignored {} file(s) added by the operating system (e.g. {})",
                self.ignored.len(),
                self.ignored[0]
            )?;
        }
        if self.is_intact() {
            write!(f, "intact: all {} files match {MANIFEST}", self.matching)
        } else {
            write!(
                f,
                "NOT intact: {} missing, {} extra, {} altered; {} files match {MANIFEST}",
                self.missing.len(),
                self.extra.len(),
                self.altered.len(),
                self.matching
            )
        }
    }
}

/// Checks a copy — an archive's zip or its unpacked folder — against its SHA256SUMS.
pub fn verify(path: &Path) -> Result<VerifyReport, Diagnostics> {
    let (manifest, actual) = if path.is_dir() {
        read_dir_copy(path)?
    } else if path.is_file() {
        read_zip_copy(path)?
    } else {
        return Err(Diagnostic::error(
            path,
            None,
            "no such file or folder; give the archive's .zip or the folder it was unpacked into",
        )
        .into());
    };
    let manifest_path = path.join(MANIFEST);
    let expected = parse_manifest(&manifest_path, &manifest)?;
    let mut report = VerifyReport::default();
    let mut actual = actual;
    for (rel, sum) in &expected {
        match actual.remove(rel) {
            None => report.missing.push(rel.clone()),
            Some(Some(found)) if found == *sum => report.matching += 1,
            Some(_) => report.altered.push(rel.clone()),
        }
    }
    for rel in actual.into_keys() {
        if is_os_litter(&rel) {
            report.ignored.push(rel);
        } else {
            report.extra.push(rel);
        }
    }
    Ok(report)
}

/// Hash of every file of a copy by path (`None`: could not be read).
type CopyHashes = BTreeMap<String, Option<String>>;

fn read_dir_copy(dir: &Path) -> Result<(String, CopyHashes), Diagnostics> {
    let manifest_path = dir.join(MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path).map_err(|e| {
        Diagnostic::error(
            &manifest_path,
            None,
            format!("cannot read the manifest ({e}); is this folder a gongkai archive?"),
        )
    })?;
    let files = list_files(dir)?;
    let hashes: CopyHashes = files
        .par_iter()
        .filter(|rel| rel.as_str() != MANIFEST)
        .map(|rel| {
            let sum = std::fs::read(under(dir, rel))
                .ok()
                .map(|b| hex(&Sha256::digest(&b)));
            (rel.clone(), sum)
        })
        .collect();
    Ok((manifest, hashes))
}

fn read_zip_copy(path: &Path) -> Result<(String, CopyHashes), Diagnostics> {
    let not_zip = |e: &dyn fmt::Display| {
        Diagnostics::from(Diagnostic::error(
            path,
            None,
            format!("cannot read this zip ({e}); give an archive made by `gongkai archive`"),
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| not_zip(&e))?;
    let mut zip = ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| not_zip(&e))?;
    let mut manifest = None;
    let mut hashes = CopyHashes::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| not_zip(&e))?;
        if entry.is_dir() {
            continue;
        }
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let mut bytes = Vec::new();
        // A damaged entry (bad CRC, bad deflate stream) counts as altered.
        let read = entry.read_to_end(&mut bytes).is_ok();
        if name == MANIFEST {
            manifest = read.then(|| String::from_utf8_lossy(&bytes).into_owned());
            continue;
        }
        hashes.insert(name, read.then(|| hex(&Sha256::digest(&bytes))));
    }
    let manifest = manifest.ok_or_else(|| {
        Diagnostics::from(Diagnostic::error(
            path,
            None,
            format!("the zip holds no readable {MANIFEST}; it was not made by `gongkai archive`"),
        ))
    })?;
    Ok((manifest, hashes))
}

/// Parses `sha256sum` output: `<64 hex>  <path>` (or ` *<path>`, binary mode).
fn parse_manifest(file: &Path, text: &str) -> Result<BTreeMap<String, String>, Diagnostics> {
    let mut out = BTreeMap::new();
    let mut errors = Diagnostics::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let parsed = line.split_once(' ').and_then(|(sum, rest)| {
            let rel = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
            let ok = sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit());
            (ok && !rel.is_empty()).then(|| (rel.to_string(), sum.to_ascii_lowercase()))
        });
        match parsed {
            Some((rel, sum)) => {
                out.insert(rel, sum);
            }
            None => errors.push(Diagnostic::error(
                file,
                Some(i + 1),
                "not a `<sha256>  <path>` line; the manifest is damaged",
            )),
        }
    }
    errors.into_result(out)
}

/// Files that Windows and macOS write into folders and USB sticks by themselves.
fn is_os_litter(rel: &str) -> bool {
    rel.split('/').any(|seg| {
        matches!(
            seg,
            ".DS_Store"
                | "Thumbs.db"
                | "desktop.ini"
                | ".Spotlight-V100"
                | ".Trashes"
                | ".fseventsd"
                | "System Volume Information"
                | "$RECYCLE.BIN"
        ) || seg.starts_with("._")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_lines() {
        let sum = "a".repeat(64);
        let text = format!("{sum}  index.html\n{sum} *2021/通知/index.html\r\n\n");
        let m = parse_manifest(Path::new("SHA256SUMS"), &text).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["2021/通知/index.html"], sum);
        let e = parse_manifest(Path::new("SHA256SUMS"), "abc index.html\n").unwrap_err();
        assert!(e.to_string().contains("SHA256SUMS:1"), "{e}");
    }

    #[test]
    fn readme_opens_in_notepad() {
        let t = readme_text("某县政府信息公开");
        assert!(t.starts_with('\u{feff}'));
        assert!(t.contains("某县政府信息公开"));
        assert!(!t.replace("\r\n", "").contains('\n'));
        assert!(t.contains("sha256sum -c SHA256SUMS"));
    }

    #[test]
    fn os_litter() {
        assert!(is_os_litter(".DS_Store"));
        assert!(is_os_litter("a/._index.html"));
        assert!(!is_os_litter("a/index.html"));
    }
}
