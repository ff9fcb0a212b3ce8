//! Output: portable paths, duplicates, atomic writes, the JSON report.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::classify::SourceKind;
use super::{ImportOptions, ImportSummary, Prepared, hex};
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
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub input: String,
    pub encoding: String,
    /// The kind of source (portal, sharing, blog, wechat, office, notice) and every kind
    /// with evidence; the rules of these kinds were applied.
    pub source_kind: Option<SourceKind>,
    pub source_kinds: Vec<SourceKind>,
    /// What was seen that made the kinds, e.g. `sharing: 下载文档 (line 3)`.
    pub source_evidence: Vec<String>,
    /// imported, unchanged, duplicate or failed.
    pub status: String,
    pub output: Option<String>,
    pub fields: BTreeMap<String, FieldReport>,
    pub title_derived: bool,
    pub completeness: String,
    pub completeness_note: Option<String>,
    pub removed: Vec<Removed>,
    pub warnings: Vec<String>,
    /// Conversion artifacts repaired (the only characters import changes), by kind.
    pub repairs: BTreeMap<String, usize>,
    pub duplicate_of: Option<String>,
    pub error: Option<String>,
}

impl FileReport {
    fn failed(input: &Path, error: String) -> Self {
        FileReport {
            input: input.to_string_lossy().replace('\\', "/"),
            encoding: String::new(),
            source_kind: None,
            source_kinds: Vec::new(),
            source_evidence: Vec::new(),
            status: "failed".into(),
            output: None,
            fields: BTreeMap::new(),
            title_derived: false,
            completeness: String::new(),
            completeness_note: None,
            removed: Vec::new(),
            warnings: Vec::new(),
            repairs: BTreeMap::new(),
            duplicate_of: None,
            error: Some(error),
        }
    }
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
    written: BTreeMap<String, PathBuf>,
    pub reports: Vec<FileReport>,
}

impl Output {
    /// Writes a batch of prepared files in input order (batches come in input order
    /// too), so which of two copies is written does not depend on thread timing.
    pub fn write_batch(
        &mut self,
        mut results: Vec<(PathBuf, Result<Prepared, String>)>,
        opts: &ImportOptions,
        summary: &mut ImportSummary,
    ) {
        results.sort_by(|a, b| a.0.cmp(&b.0));
        let written = &mut self.written;
        let reports = &mut self.reports;
        for (path, r) in results {
            let p = match r {
                Ok(p) => p,
                Err(e) => {
                    summary
                        .failures
                        .push(Diagnostic::error(path.clone(), None, e.clone()));
                    reports.push(FileReport::failed(&path, e));
                    continue;
                }
            };
            let mut report = p.report;
            report.output = Some(p.rel_path.clone());
            if let Some(first) = written.get(&p.rel_path) {
                report.status = "duplicate".into();
                report.duplicate_of = Some(first.to_string_lossy().replace('\\', "/"));
                summary.duplicates += 1;
                summary.duplicate_files.push((path.clone(), first.clone()));
                reports.push(report);
                continue;
            }
            let text = Document::to_text(&p.front, &p.body);
            let target = opts.out_dir.join(&p.rel_path);
            match write_one(&target, &text, &p.body, opts.force) {
                Ok(Written::SameDocument) => {
                    report.status = "duplicate".into();
                    report.duplicate_of = Some(target.to_string_lossy().replace('\\', "/"));
                    summary.duplicates += 1;
                    summary.duplicate_files.push((path.clone(), target.clone()));
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
                    written.insert(p.rel_path.clone(), path.clone());
                }
                Err(e) => {
                    summary
                        .failures
                        .push(Diagnostic::error(path.clone(), None, e.clone()));
                    report.status = "failed".into();
                    report.error = Some(e);
                }
            }
            reports.push(report);
        }
    }
}

/// What writing one document did.
enum Written {
    New,
    Unchanged,
    /// The file holds this document already, imported from another raw copy.
    SameDocument,
}

/// Writes through a temporary file and a rename, so a document is whole or absent.
fn write_one(target: &Path, text: &str, body: &str, force: bool) -> Result<Written, String> {
    if let Ok(existing) = std::fs::read(target) {
        if existing == text.as_bytes() {
            return Ok(Written::Unchanged);
        }
        let same_body = std::str::from_utf8(&existing)
            .ok()
            .and_then(|t| Document::parse(target, "", t).ok())
            .is_some_and(|d| d.body.trim() == body.trim());
        if same_body && !force {
            return Ok(Written::SameDocument);
        }
        if !force {
            return Err(format!(
                "{} already exists with other content; pass --force to overwrite it",
                target.display()
            ));
        }
    }
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the folder {}: {e}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    let persisted = if force {
        tmp.persist(target).map(|_| ())
    } else {
        tmp.persist_noclobber(target).map(|_| ())
    };
    persisted.map_err(|e| format!("cannot write {}: {}", target.display(), e.error))?;
    Ok(Written::New)
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
            skipped_files: s
                .skipped_files
                .iter()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .collect(),
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
