//! Output: portable paths, duplicates, atomic writes, the JSON report.
//!
//! Two raw files are one document — the second reported as a duplicate, not written —
//! when they have the same 索引号, or the same title and the same text: the body with
//! link addresses, Markdown marks, punctuation and white space left out, so a page saved
//! twice, or as .html and as .txt, is one document whatever its name. (The title counts
//! too, so two notices whose body is only "详见附件" stay two.)

use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::attachments::{AttachmentReport, BundleFile};
use super::{ImportOptions, ImportSummary, Outcome, Prepared, hex};
use crate::diagnostic::Diagnostic;
use crate::document::{Completeness, Document, FrontMatter};

#[derive(Debug, Clone, Serialize)]
pub struct FieldReport {
    pub value: String,
    pub from: String,
}

/// A span of the extracted text that is not in the body, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Removed {
    /// Byte offsets into the extracted text (for .txt: the decoded file, LF line ends).
    pub start: usize,
    pub end: usize,
    pub line: usize,
    pub reason: String,
    pub text: String,
}

/// Everything the report says about one raw file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileReport {
    pub input: String,
    pub encoding: String,
    /// imported, unchanged, duplicate or failed.
    pub status: String,
    pub output: Option<String>,
    pub fields: BTreeMap<String, FieldReport>,
    pub title_derived: bool,
    pub completeness: String,
    pub completeness_note: Option<String>,
    pub removed: Vec<Removed>,
    pub warnings: Vec<String>,
    pub duplicate_of: Option<String>,
    pub error: Option<String>,
    /// What makes it a duplicate: the same 索引号, or the same title and text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_by: Option<String>,
    /// Each attachment link of the page's text and what became of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentReport>,
    /// Why the page was skipped as a channel, list or search page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_page: Option<String>,
    /// The page whose document has this file as an attachment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment_of: Option<String>,
}

impl FileReport {
    fn failed(input: &Path, error: String) -> Self {
        FileReport {
            input: slashes(input),
            status: "failed".into(),
            error: Some(error),
            ..FileReport::default()
        }
    }
}

fn slashes(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// `<year or undated>/<slug>.md`: ASCII, lower case, no characters FAT32/NTFS refuse.
/// The slug is the 索引号 when there is one, else the date and a short hash of the body.
pub fn rel_path(front: &FrontMatter, body: &str) -> String {
    let date = front.published.or(front.written);
    let year = date.map_or("undated".to_string(), |d| format!("{:04}", d.year));
    let hash = hex(&Sha256::digest(body.as_bytes()));
    let from_index = front
        .index_no
        .as_ref()
        .map(|i| ascii_slug(i.as_str()))
        .filter(|s| !s.is_empty());
    let slug = match (from_index, date) {
        (Some(s), _) => s,
        (None, Some(d)) => format!("{}-{}", d.date_string(), &hash[..10]),
        (None, None) => hash[..12].to_string(),
    };
    format!("{year}/{slug}.md")
}

/// The page bundle of a document path: `2024/a.md` → `2024/a/index.md`.
pub fn bundle_path(rel: &str) -> String {
    format!("{}/index.md", rel.strip_suffix(".md").unwrap_or(rel))
}

/// The other form of a document path (bundle ↔ single file): both would be one page.
fn other_form(rel: &str) -> String {
    match rel.strip_suffix("/index.md") {
        Some(stem) => format!("{stem}.md"),
        None => bundle_path(rel),
    }
}

/// What makes two raw files one document (see the module's comment).
fn identities(p: &Prepared) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(n) = &p.front.index_no {
        out.push((format!("索引号:{n}"), format!("the same 索引号 {n}")));
    }
    let text = |s: &str| -> String {
        // Link addresses differ between copies (a local file, the portal's address).
        let without_targets = LINK_TARGET.replace_all(s, "");
        without_targets
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect()
    };
    let mut h = Sha256::new();
    h.update(text(&p.front.title).as_bytes());
    h.update([0]);
    h.update(text(&p.body).as_bytes());
    out.push((
        format!("text:{}", hex(&h.finalize())),
        "the same title and text".to_string(),
    ));
    out.push((
        format!("page:{}", crate::document::url_path_of(&p.rel_path)),
        "the same output path".to_string(),
    ));
    out
}

static LINK_TARGET: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\]\([^)\s]*\)").expect("constant pattern"));

fn ascii_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let slug: String = out.trim_matches('-').chars().take(80).collect();
    // Names Windows keeps for devices cannot be files on FAT32/NTFS.
    let reserved = matches!(slug.as_str(), "con" | "prn" | "aux" | "nul")
        || (slug.len() == 4
            && (slug.starts_with("com") || slug.starts_with("lpt"))
            && slug.as_bytes()[3].is_ascii_digit());
    if reserved {
        format!("{slug}-doc")
    } else {
        slug
    }
}

/// The documents written so far in a run, and the report of every file.
#[derive(Default)]
pub struct Output {
    /// What identifies each document written (see [`identities`]) → its raw file.
    written: HashMap<String, PathBuf>,
    pub reports: Vec<FileReport>,
}

impl Output {
    /// Writes a batch of prepared files in input order (batches come in input order
    /// too), so which of two copies is written does not depend on thread timing.
    pub fn write_batch(
        &mut self,
        mut results: Vec<(PathBuf, Result<Outcome, String>)>,
        opts: &ImportOptions,
        summary: &mut ImportSummary,
    ) {
        results.sort_by(|a, b| a.0.cmp(&b.0));
        // What identifies each document, hashed in parallel; writing stays in order.
        let ids: Vec<Vec<(String, String)>> = results
            .par_iter()
            .map(|(_, r)| match r {
                Ok(Outcome::Document(p)) => identities(p),
                _ => Vec::new(),
            })
            .collect();
        for ((path, r), ids) in results.into_iter().zip(ids) {
            let p = match r {
                Ok(Outcome::Document(p)) => *p,
                Ok(Outcome::ListPage { reason, encoding }) => {
                    summary.list_pages.push((path.clone(), reason.clone()));
                    self.reports.push(FileReport {
                        input: slashes(&path),
                        encoding,
                        status: "list page".into(),
                        list_page: Some(reason),
                        ..FileReport::default()
                    });
                    continue;
                }
                Ok(Outcome::AttachmentOf(page)) => {
                    self.reports.push(FileReport {
                        input: slashes(&path),
                        status: "attachment".into(),
                        attachment_of: Some(slashes(&page)),
                        ..FileReport::default()
                    });
                    continue;
                }
                Err(e) => {
                    summary
                        .failures
                        .push(Diagnostic::error(path.clone(), None, e.clone()));
                    self.reports.push(FileReport::failed(&path, e));
                    continue;
                }
            };
            let report = self.write_document(&path, p, ids, opts, summary);
            self.reports.push(report);
        }
    }

    fn write_document(
        &mut self,
        path: &Path,
        p: Prepared,
        ids: Vec<(String, String)>,
        opts: &ImportOptions,
        summary: &mut ImportSummary,
    ) -> FileReport {
        let mut report = p.report.clone();
        report.output = Some(p.rel_path.clone());
        if let Some((first, why)) = ids
            .iter()
            .find_map(|(id, why)| self.written.get(id).map(|f| (f, why)))
        {
            report.status = "duplicate".into();
            report.duplicate_of = Some(slashes(first));
            report.duplicate_by = Some(why.clone());
            summary.duplicates += 1;
            summary
                .duplicate_files
                .push((path.to_path_buf(), first.clone()));
            return report;
        }
        let text = Document::to_text(&p.front, &p.body);
        let target = opts.out_dir.join(&p.rel_path);
        let other = opts.out_dir.join(other_form(&p.rel_path));
        match write_one(&target, &other, &text, &p.body, &p.bundle, opts.force) {
            Ok(Written::SameDocument(existing)) => {
                report.status = "duplicate".into();
                report.duplicate_of = Some(slashes(&existing));
                report.duplicate_by = Some("the same text, already in the output".into());
                summary.duplicates += 1;
                summary.duplicate_files.push((path.to_path_buf(), existing));
            }
            Ok(w) => {
                report.status = match w {
                    Written::Unchanged => "unchanged",
                    _ => "imported",
                }
                .into();
                summary.imported += 1;
                if p.front.completeness == Completeness::Incomplete {
                    summary.incomplete += 1;
                }
                if p.front.agency.is_none() {
                    // build needs 机构; the raw report did not say, so a person must.
                    summary.missing_agency.push(target.clone());
                }
                summary.attachments_copied += p.bundle.len();
                for a in report.attachments.iter().filter(|a| a.status != "copied") {
                    summary.attachments_missing.push((
                        path.to_path_buf(),
                        a.name.clone(),
                        a.note.clone().unwrap_or_default(),
                    ));
                }
                for (id, _) in ids {
                    self.written.entry(id).or_insert_with(|| path.to_path_buf());
                }
            }
            Err(e) => {
                summary
                    .failures
                    .push(Diagnostic::error(path.to_path_buf(), None, e.clone()));
                report.status = "failed".into();
                report.error = Some(e);
            }
        }
        report
    }
}

/// What writing one document did.
enum Written {
    New,
    Unchanged,
    /// The output holds this document already (this file, or its other form), imported
    /// from another raw copy.
    SameDocument(PathBuf),
}

/// Writes a document (and the files of its bundle) through temporary files and
/// renames, so each file is whole or absent. `other` is the document's other form
/// (`a.md` for `a/index.md` and back): the two would be one page, so an existing one is
/// the document already written, or with `--force` replaced.
fn write_one(
    target: &Path,
    other: &Path,
    text: &str,
    body: &str,
    bundle: &[BundleFile],
    force: bool,
) -> Result<Written, String> {
    let existing = [target, other].into_iter().find(|p| p.is_file());
    if let Some(existing) = existing {
        let bytes = std::fs::read(existing).unwrap_or_default();
        if existing == target && bytes == text.as_bytes() {
            write_bundle(target, bundle, force)?;
            return Ok(Written::Unchanged);
        }
        let same_body = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| Document::parse(existing, "", t).ok())
            .is_some_and(|d| d.body.trim() == body.trim());
        if same_body && !force {
            return Ok(Written::SameDocument(existing.to_path_buf()));
        }
        if !force {
            return Err(format!(
                "{} already exists with other content; pass --force to overwrite it",
                existing.display()
            ));
        }
    }
    write_bundle(target, bundle, force)?;
    persist(target, |w| w.write_all(text.as_bytes()), force)?;
    if let Some(old) = existing.filter(|e| *e != target) {
        std::fs::remove_file(old).map_err(|e| {
            format!(
                "cannot remove {}, now {}: {e}",
                old.display(),
                target.display()
            )
        })?;
    }
    Ok(Written::New)
}

/// Copies a bundle's files beside its `index.md` and writes their text files. A file
/// there already with the same bytes is left; other bytes need `--force`.
fn write_bundle(target: &Path, bundle: &[BundleFile], force: bool) -> Result<(), String> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let open =
        |p: &Path| std::fs::File::open(p).map_err(|e| format!("cannot read {}: {e}", p.display()));
    for f in bundle {
        let copy = dir.join(&f.name);
        if !same_bytes(
            &copy,
            || open(&f.source).map(std::io::BufReader::new),
            force,
        )? {
            let mut from = open(&f.source)?;
            persist(&copy, |w| std::io::copy(&mut from, w).map(|_| ()), force)?;
        }
        if let Some((name, text)) = &f.text {
            let path = dir.join(name);
            if !same_bytes(&path, || Ok(text.as_bytes()), force)? {
                persist(&path, |w| w.write_all(text.as_bytes()), force)?;
            }
        }
    }
    Ok(())
}

/// Whether `path` holds what `new` reads (compared a block at a time: attachments may be
/// large); an existing file with other bytes is an error without `--force`.
fn same_bytes<R: std::io::Read>(
    path: &Path,
    new: impl FnOnce() -> Result<R, String>,
    force: bool,
) -> Result<bool, String> {
    let Ok(old) = std::fs::File::open(path) else {
        return Ok(false);
    };
    let (mut old, mut new) = (std::io::BufReader::new(old), new()?);
    let (mut a, mut b) = ([0u8; 8192], [0u8; 8192]);
    let same = loop {
        let n = std::io::Read::read(&mut new, &mut b).map_err(|e| e.to_string())?;
        let mut got = 0;
        while got < n {
            match std::io::Read::read(&mut old, &mut a[got..n]) {
                Ok(0) | Err(_) => break,
                Ok(k) => got += k,
            }
        }
        if got != n || a[..n] != b[..n] {
            break false;
        }
        if n == 0 {
            // Both ended, unless the old file goes on.
            break matches!(std::io::Read::read(&mut old, &mut a[..1]), Ok(0));
        }
    };
    if !same && !force {
        return Err(format!(
            "{} already exists with other content; pass --force to overwrite it",
            path.display()
        ));
    }
    Ok(same)
}

/// Writes `target` through a temporary file in its folder (filled by `fill`) and a
/// rename, so it is whole or absent.
fn persist(
    target: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
    force: bool,
) -> Result<(), String> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    fill(tmp.as_file_mut()).map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let persisted = if force {
        tmp.persist(target).map(|_| ())
    } else {
        tmp.persist_noclobber(target).map(|_| ())
    };
    persisted.map_err(|e| format!("cannot write {}: {}", target.display(), e.error))
}

#[derive(Serialize)]
struct ReportFile<'a> {
    summary: SummaryReport,
    files: &'a [FileReport],
}

#[derive(Serialize)]
struct SummaryReport {
    imported: usize,
    incomplete: usize,
    duplicates: usize,
    skipped: usize,
    failed: usize,
    skipped_files: Vec<String>,
    list_pages: usize,
    attachments_copied: usize,
    attachments_missing: usize,
}

pub fn write_report(
    path: &Path,
    files: &[FileReport],
    s: &ImportSummary,
) -> Result<(), Diagnostic> {
    let r = ReportFile {
        summary: SummaryReport {
            imported: s.imported,
            incomplete: s.incomplete,
            duplicates: s.duplicates,
            skipped: s.skipped,
            failed: s.failed,
            skipped_files: s.skipped_files.iter().map(|p| slashes(p)).collect(),
            list_pages: s.list_pages.len(),
            attachments_copied: s.attachments_copied,
            attachments_missing: s.attachments_missing.len(),
        },
        files,
    };
    let json = serde_json::to_string_pretty(&r)
        .map_err(|e| Diagnostic::error(path, None, format!("cannot encode the report: {e}")))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Diagnostic::error(path, None, format!("cannot create its folder: {e}")))?;
    }
    std::fs::write(path, json + "\n")
        .map_err(|e| Diagnostic::error(path, None, format!("cannot write the report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::IndexNumber;

    #[test]
    fn a_bundle_and_a_file_of_the_same_document_are_one() {
        let dir = tempfile::tempdir().unwrap();
        let flat = dir.path().join("2024/a.md");
        let target = dir.path().join("2024/a/index.md");
        std::fs::create_dir_all(flat.parent().unwrap()).unwrap();
        let source = dir.path().join("raw.docx");
        std::fs::write(&source, b"docx").unwrap();
        let bundle = [BundleFile {
            source,
            name: "a.docx".into(),
            text: Some(("a.docx.txt".into(), "附件文字".into())),
        }];
        let text = |body: &str| format!("---\n标题: 通知\n机构: 局\n---\n\n{body}\n");
        std::fs::write(&flat, text("正文")).unwrap();
        // The same document already written without its attachments: not again.
        let w = write_one(&target, &flat, &text("正文"), "正文", &bundle, false).unwrap();
        assert!(matches!(w, Written::SameDocument(p) if p == flat));
        assert!(!target.exists());
        // Another text: only with --force, which leaves one page, the bundle.
        let e = write_one(&target, &flat, &text("新"), "新", &bundle, false)
            .err()
            .unwrap();
        assert!(e.contains("--force"), "{e}");
        let w = write_one(&target, &flat, &text("新"), "新", &bundle, true).unwrap();
        assert!(matches!(w, Written::New));
        assert!(!flat.exists());
        assert_eq!(
            std::fs::read(dir.path().join("2024/a/a.docx")).unwrap(),
            b"docx"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("2024/a/a.docx.txt")).unwrap(),
            "附件文字"
        );
        let w = write_one(&target, &flat, &text("新"), "新", &bundle, false).unwrap();
        assert!(matches!(w, Written::Unchanged));
    }

    #[test]
    fn bundle_files_are_compared_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.docx");
        let same = |bytes: &'static [u8], force| same_bytes(&p, || Ok(bytes), force);
        assert_eq!(same(b"abc", false), Ok(false), "absent");
        std::fs::write(&p, b"abc").unwrap();
        assert_eq!(same(b"abc", false), Ok(true));
        assert!(same(b"ab", false).is_err(), "the old file is longer");
        assert!(same(b"abcd", false).unwrap_err().contains("--force"));
        assert_eq!(same(b"abd", true), Ok(false));
        let long = vec![7u8; 20_000];
        std::fs::write(&p, &long).unwrap();
        assert_eq!(same_bytes(&p, || Ok(long.as_slice()), false), Ok(true));
    }

    #[test]
    fn paths_are_ascii_and_deterministic() {
        let mut fm = FrontMatter {
            title: "通知".into(),
            ..Default::default()
        };
        let undated = rel_path(&fm, "正文");
        assert!(undated.starts_with("undated/") && undated.is_ascii());
        assert_eq!(undated, rel_path(&fm, "正文"));
        assert_ne!(undated, rel_path(&fm, "别的正文"));
        fm.index_no = IndexNumber::new("002658260/2021-17205");
        fm.published = "2021-01-12".parse().ok();
        assert_eq!(rel_path(&fm, "x"), "2021/002658260-2021-17205.md");
        fm.index_no = None;
        assert!(rel_path(&fm, "x").starts_with("2021/2021-01-12-"));
        fm.index_no = IndexNumber::new("ＣＯＮ");
        assert_eq!(rel_path(&fm, "x"), "2021/con-doc.md");
    }
}
