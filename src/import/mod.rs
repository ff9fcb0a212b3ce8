//! `import`: raw reports (.txt, .html, .docx) → Markdown documents with front matter.
//!
//! Each file goes one way through: [`read`] (bytes → text) → [`extract`] (text →
//! lines) → [`clean`] (noise rules of `rules.toml`) → [`metadata`] → [`structure`]
//! (Markdown body) → [`writer`] (paths, duplicates, atomic writes, the report).
//! Files are processed in parallel; writing is done in input order, so the outcome
//! does not depend on which thread finished first.
//!
//! Where a copy lost text (a paywall, the end of a free preview, a cut mid-sentence),
//! the document gets `完整性: 不完整`, a `完整性说明` saying where and why, and a marker
//! paragraph `〔此处原文不完整：…〕` at the gap.
//!
//! Output: `<out>/<year of 发布时间, else 成文日期, else undated>/<slug>.md`, the slug
//! the 索引号 made ASCII (`002658260-2021-17205`), else the date and 10 hex digits of
//! the body's SHA-256, else 12 hex digits; a document with attachment files copied is
//! the page bundle `<year>/<slug>/index.md` beside them. Same input, same path and bytes.
//!
//! The JSON report (`--report`) has a `summary` and one entry per file: `input`,
//! `encoding`, `status` (imported, unchanged, duplicate, failed, list page,
//! attachment), `output`, `fields` (value and where it came from), `title_derived`,
//! `completeness(_note)`, `removed` (byte spans into the extracted text — for .txt the
//! decoded file with LF line ends — with line, reason and text), `warnings`
//! (spinning), `duplicate_of`, `error`, and when there are any `attachments` (see
//! [`attachments`]), `list_page` (why the page was skipped, see [`listing`]) and
//! `attachment_of`.
//!
//! Saved portals (wget `--mirror`, HTTrack): pages are imported before the other files,
//! so a file a page links to as its attachment travels in that page's bundle
//! (`<year>/<slug>/index.md` + the file) instead of becoming a document of its own;
//! channel, list and search pages are skipped; a document saved twice (two names, or as
//! .html and .txt) is written once (see [`writer`] for what makes two copies one).

pub mod attachments;
pub mod classify;
pub mod clean;
pub mod defaults;
pub mod doc;
pub mod extract;
pub mod layout;
pub mod listing;
pub mod metadata;
mod nesting;
pub mod ocr;
pub mod office;
pub mod pdf;
pub mod read;
pub mod repair;
pub mod rtf;
pub mod rules;
pub mod sheet;
pub mod structure;
pub mod writer;
mod zipped;

use std::fmt;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::diagnostic::Diagnostic;
use crate::document::{
    Agency, Attachment, Completeness, DisclosureDate, DocNumber, FrontMatter, IndexNumber, Source,
};
use extract::{Extracted, LineKind};
use rules::Rules;
use structure::Block;
pub use writer::{FileReport, Removed};

/// What `gongkai import` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Files or folders (read recursively) of raw reports.
    pub inputs: Vec<PathBuf>,
    /// Where documents are written (`<root>/content` by default).
    pub out_dir: PathBuf,
    /// Where to write the JSON report, if asked.
    pub report: Option<PathBuf>,
    /// Overwrite existing content files.
    pub force: bool,
    /// The `[import]` table of site.toml (site-specific rules), when there is one.
    pub site_rules: Option<toml::Table>,
    /// The site.toml the rules came from, for messages.
    pub site_toml: Option<PathBuf>,
    /// Show a progress bar (stderr is a terminal).
    pub progress: bool,
    /// `--set KEY=VALUE`: values for fields a report does not name.
    pub defaults: Vec<defaults::FieldDefault>,
    /// When to recognise the text of scans and images (`--ocr`).
    pub ocr: ocr::OcrMode,
}

/// How one file is read, besides the rules.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub ocr: ocr::OcrMode,
    /// The import's bar, which also counts OCR pages.
    pub progress: ocr::Progress,
}

/// The counts shown at the end of an import, and the files behind them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub imported: usize,
    pub incomplete: usize,
    pub duplicates: usize,
    pub skipped: usize,
    pub failed: usize,
    /// One line per failed file: the file and the reason.
    pub failures: Vec<Diagnostic>,
    /// Files of a kind import does not read.
    pub skipped_files: Vec<PathBuf>,
    /// (duplicate, the file it duplicates).
    pub duplicate_files: Vec<(PathBuf, PathBuf)>,
    /// Documents written without 机构 (the raw report names no organ): `build` refuses
    /// them until a person fills it in.
    pub missing_agency: Vec<PathBuf>,
    /// Channel, list and search pages of a saved portal, skipped: (page, why).
    pub list_pages: Vec<(PathBuf, String)>,
    /// Attachment files copied into the bundles of the documents written.
    pub attachments_copied: usize,
    /// Attachment links whose file is not in the imported folder: (page, 附件, why).
    /// The documents keep the original link.
    pub attachments_missing: Vec<(PathBuf, String, String)>,
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.failures {
            writeln!(f, "{d}")?;
        }
        for (dup, of) in &self.duplicate_files {
            writeln!(
                f,
                "{}: duplicate of {}; not written again",
                dup.display(),
                of.display()
            )?;
        }
        if !self.skipped_files.is_empty() {
            let names: Vec<String> = self
                .skipped_files
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            writeln!(
                f,
                "skipped (not a format import reads (.txt .html .htm .docx .doc .wps .xls .xlsx .et .csv .pdf, images), or a mirroring tool's own file): {}",
                names.join(", ")
            )?;
        }
        if !self.list_pages.is_empty() {
            const SHOWN: usize = 10;
            let mut names: Vec<String> = self
                .list_pages
                .iter()
                .take(SHOWN)
                .map(|(p, _)| p.display().to_string())
                .collect();
            if self.list_pages.len() > SHOWN {
                names.push(format!(
                    "and {} more (the report gives each with its reason)",
                    self.list_pages.len() - SHOWN
                ));
            }
            writeln!(
                f,
                "skipped as channel, list or search pages: {}",
                names.join(", ")
            )?;
        }
        for (page, name, why) in &self.attachments_missing {
            writeln!(
                f,
                "{}: 附件 `{name}` not copied: {why}; the document keeps the original link",
                page.display()
            )?;
        }
        for p in &self.missing_agency {
            writeln!(
                f,
                "{}: no 机构 in the raw report; `build` needs one: import again with \
                 `--set 机构=<发布机构全称> --force` (fills it only where it is missing), set it for \
                 the whole archive under [import.defaults] in site.toml, or add \
                 `机构: <发布机构全称>` to the file",
                crate::diagnostic::display_path(p)
            )?;
        }
        write!(
            f,
            "imported {}, incomplete {}, duplicates {}, skipped {}, failed {}",
            self.imported, self.incomplete, self.duplicates, self.skipped, self.failed
        )?;
        if !self.list_pages.is_empty()
            || self.attachments_copied > 0
            || !self.attachments_missing.is_empty()
        {
            write!(
                f,
                "; list pages skipped {}, attachments copied {}, attachments missing {}",
                self.list_pages.len(),
                self.attachments_copied,
                self.attachments_missing.len()
            )?;
        }
        Ok(())
    }
}

/// A run of a line kept for the body: a byte span of the extracted text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub start: usize,
    pub end: usize,
    pub kind: LineKind,
    pub bold: Vec<(usize, usize)>,
    /// Continues the paragraph of the piece before it: the two were one run of text
    /// until an advert with no punctuation around it was cut out between them.
    pub joins: bool,
}

/// Text taken out of the body, with the reason (for the report).
#[derive(Debug, Clone)]
pub struct Removal {
    pub start: usize,
    pub end: usize,
    pub reason: String,
}

/// A raw report made into a document, not yet written.
#[derive(Debug)]
pub struct Prepared {
    pub front: FrontMatter,
    pub body: String,
    /// Path under the content folder, `/` separators: `<year>/<slug>.md`, or for a
    /// document with attachment files the bundle `<year>/<slug>/index.md`.
    pub rel_path: String,
    pub report: FileReport,
    /// Files that go in the document's bundle, beside `index.md`.
    pub bundle: Vec<attachments::BundleFile>,
}

/// What became of one raw file.
#[derive(Debug)]
pub enum Outcome {
    Document(Box<Prepared>),
    /// A channel, list or search page of a saved portal (see [`listing`]): skipped.
    ListPage {
        reason: String,
        encoding: String,
    },
    /// A file a page's document has as its attachment: it travels in that document's
    /// bundle, not as a document of its own.
    AttachmentOf(PathBuf),
}

/// Files prepared in parallel before they are written.
const BATCH: usize = 256;

/// The kinds of input, by extension. A saved page's query is not part of it
/// (`list.html?page=2`, or `list.html@page=2` as wget saves it for Windows).
fn kind_of(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    let saved = [
        Some(name),
        name.split_once('?').map(|p| p.0),
        name.split_once('@').map(|p| p.0),
    ];
    saved.into_iter().flatten().find_map(|n| {
        let ext = Path::new(n).extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" => Some("txt"),
            "html" | "htm" => Some("html"),
            "docx" => Some("docx"),
            "pdf" => Some("pdf"),
            e if office::EXTENSIONS.contains(&e) => Some("office"),
            "png" | "jpg" | "jpeg" | "tif" | "tiff" => Some("image"),
            _ => None,
        }
    })
}

/// A file to import, and the imported folder it is in.
type InTree = (PathBuf, PathBuf);

/// Imports every raw report under `opts.inputs`.
pub fn run(opts: &ImportOptions) -> Result<ImportSummary, Diagnostic> {
    let mut rules = Rules::load(opts.site_rules.as_ref(), opts.site_toml.as_deref())?;
    rules.add_defaults(&opts.defaults);
    let mut summary = ImportSummary::default();
    let files = gather(&opts.inputs, &mut summary.failures);
    let (mut known, other): (Vec<InTree>, Vec<InTree>) = files
        .into_iter()
        .partition(|(p, _)| (kind_of(p).is_some() && !listing::mirror_file(p)) || !p.exists());
    summary.skipped_files = other.into_iter().map(|(p, _)| p).collect();

    let bar = opts.progress.then(|| {
        let b = indicatif::ProgressBar::new(known.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {wide_msg}")
        {
            b.set_style(style);
        }
        b
    });
    // Pages first, so the files they attach are known before the other files are read;
    // then in batches: memory stays bounded on large imports, and each batch is written
    // in input order.
    known.sort();
    let read_opts = ReadOptions {
        ocr: opts.ocr,
        progress: ocr::Progress(bar.clone()),
    };
    let (pages, rest): (Vec<_>, Vec<_>) = known
        .into_iter()
        .partition(|(p, _)| kind_of(p) == Some("html"));
    let mut output = writer::Output::default();
    // Attachment files copied so far (as canonical paths), and the page of each.
    let mut attached: std::collections::HashMap<PathBuf, PathBuf> = Default::default();
    for group in [pages, rest] {
        for batch in group.chunks(BATCH) {
            let results: Vec<(PathBuf, Result<Outcome, String>)> = batch
                .par_iter()
                .map(|(path, tree)| {
                    let page = (!attached.is_empty())
                        .then(|| path.canonicalize().ok())
                        .flatten()
                        .and_then(|c| attached.get(&c));
                    let r = match page {
                        Some(page) => Ok(Outcome::AttachmentOf(page.clone())),
                        None => import_file(path, tree, &rules, &read_opts),
                    };
                    if let Some(b) = &bar {
                        b.inc(1);
                    }
                    (path.clone(), r)
                })
                .collect();
            for (page, r) in &results {
                if let Ok(Outcome::Document(p)) = r {
                    for f in &p.bundle {
                        if let Ok(c) = f.source.canonicalize() {
                            attached.entry(c).or_insert_with(|| page.clone());
                        }
                    }
                }
            }
            output.write_batch(results, opts, &mut summary);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    // A copied attachment of a kind import does not read is no longer "skipped".
    if !attached.is_empty() {
        summary.skipped_files.retain(|p| {
            p.canonicalize()
                .map_or(true, |c| !attached.contains_key(&c))
        });
    }
    summary.skipped = summary.skipped_files.len();
    let reports = output.reports;
    summary.failed = summary.failures.len();
    if let Some(report) = &opts.report {
        writer::write_report(report, &reports, &summary)?;
    }
    Ok(summary)
}

/// Every file of `inputs` (folders read recursively), each with the folder it was found
/// in (a file given alone: its own folder): its attachments are looked for there and
/// nowhere else.
fn gather(inputs: &[PathBuf], failures: &mut Vec<Diagnostic>) -> Vec<InTree> {
    let mut files = Vec::new();
    for input in inputs {
        if !input.is_dir() {
            let tree = input.parent().filter(|p| !p.as_os_str().is_empty());
            let tree = tree.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            files.push((input.clone(), tree));
            continue;
        }
        for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
            match entry {
                Ok(e) if e.file_type().is_file() => files.push((e.into_path(), input.clone())),
                Ok(_) => {}
                Err(e) => failures.push(Diagnostic::error(
                    e.path().unwrap_or(input).to_path_buf(),
                    None,
                    format!("cannot read this folder entry: {e}"),
                )),
            }
        }
    }
    files
}

/// Reads one raw file with the reader of its kind, into the text and lines every later
/// stage works on, with how it was read. Documents and their attachments are read here
/// alike: a reader for a new format is one more arm.
pub fn read_file(
    path: &Path,
    bytes: &[u8],
    rules: &Rules,
    opts: &ReadOptions,
) -> Result<layout::Reading, String> {
    let kind = kind_of(path).ok_or("not a format import reads (.txt .html .htm .docx .doc .wps .xls .xlsx .et .csv .pdf, images)")?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().to_string());
    let plain = |extracted: Extracted, method: &str| layout::Reading {
        extracted,
        method: method.to_string(),
        ..Default::default()
    };
    Ok(match kind {
        "pdf" => pdf::extract(bytes, &name, opts.ocr, &opts.progress)?,
        "image" => ocr::extract_image(path, bytes, opts.ocr, &opts.progress)?,
        "docx" => plain(extract::docx(bytes)?, "docx"),
        "office" => {
            let ext = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase());
            let r = office::read(bytes, ext.as_deref().unwrap_or_default(), rules)?;
            layout::Reading {
                extracted: r.extracted,
                method: r.encoding.to_string(),
                ocr: None,
                warnings: r.warnings,
                cut: r.cut,
            }
        }
        k => {
            let d = read::decode(bytes, k == "html").map_err(|e| e.to_string())?;
            let x = if k == "html" {
                extract::html(&d.text, rules)
            } else {
                extract::text(d.text)
            };
            plain(x, d.encoding)
        }
    })
}

/// Reads, cleans and structures one raw report.
pub fn prepare_file(path: &Path, rules: &Rules) -> Result<Prepared, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read this file: {e}"))?;
    let r = read_file(path, &bytes, rules, &ReadOptions::default())?;
    prepared(r, rules, path, &bytes)
}

/// The pipeline after reading, with what the reader says for the front matter and the
/// report (OCR, pages left out).
fn prepared(
    r: layout::Reading,
    rules: &Rules,
    path: &Path,
    bytes: &[u8],
) -> Result<Prepared, String> {
    let mut p = prepare(
        r.extracted,
        rules,
        source_name(path),
        hex(&Sha256::digest(bytes)),
        &r.method,
    )?;
    p.front.source.ocr = r.ocr;
    office::note(&mut p, r.warnings, r.cut);
    Ok(p)
}

/// One file of an import: a list page is told apart, a document's attachments are
/// looked for under `tree` (the imported folder it was found in).
fn import_file(
    path: &Path,
    tree: &Path,
    rules: &Rules,
    opts: &ReadOptions,
) -> Result<Outcome, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read this file: {e}"))?;
    let mut r = read_file(path, &bytes, rules, opts)?;
    if let Some(reason) = listing::list_page(&r.extracted, path) {
        return Ok(Outcome::ListPage {
            reason,
            encoding: r.method,
        });
    }
    let found = attachments::find(&mut r.extracted, path, tree, rules, opts);
    let mut p = prepared(r, rules, path, &bytes)?;
    found.apply(&mut p);
    Ok(Outcome::Document(Box::new(p)))
}

/// A raw file's path as the front matter's `来源.文件` and the report give it.
fn source_name(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The pipeline after extraction (separate so tests can feed text directly).
pub fn prepare(
    x: Extracted,
    rules: &Rules,
    source_file: String,
    sha256: String,
    encoding: &str,
) -> Result<Prepared, String> {
    let class = classify::classify(&x, rules);
    let cleaned = clean::clean(&x, rules, &class);
    let mut removals = Vec::new();
    let mut pieces = Vec::new();
    for (i, (l, why)) in x.lines.iter().zip(&cleaned.removed).enumerate() {
        let t = x.line_text(l);
        if t.trim().is_empty() {
            continue;
        }
        if let Some(cuts) = cleaned.cuts.get(&i) {
            // Sentences cut out of the line; the rest stays, as paragraphs. Text on
            // both sides of an advert cut out of the middle of a clause stays one.
            let mut at = l.start;
            let mut joins = false;
            for (a, b, reason) in cuts {
                push_kept(&x.text, at, *a, joins, t, &mut pieces);
                removals.push(Removal {
                    start: *a,
                    end: *b,
                    reason: reason.clone(),
                });
                joins = mid_clause(&x.text[l.start..], *a - l.start, *b - l.start);
                at = *b;
            }
            push_kept(&x.text, at, l.end, joins, t, &mut pieces);
            continue;
        }
        // Trim the span so reports and tests see exactly the text.
        let lead = t.len() - t.trim_start().len();
        let (start, end) = (l.start + lead, l.start + lead + t.trim().len());
        match why {
            Some(reason) => removals.push(Removal {
                start,
                end,
                reason: reason.clone(),
            }),
            None => {
                let bold = l
                    .bold
                    .iter()
                    .map(|&(s, e)| (s.saturating_sub(lead), e.saturating_sub(lead)))
                    .collect();
                let p = Piece {
                    start,
                    end,
                    kind: l.kind,
                    bold,
                    joins: false,
                };
                push_split(&x.text, p, t, &mut pieces);
            }
        }
    }
    // Gaps by byte offset: before the first kept text at or after the removed line.
    let mut gaps: Vec<(usize, String)> = cleaned
        .gaps
        .iter()
        .map(|g| (x.lines[g.before].start, g.note.clone()))
        .collect();
    let mut md = metadata::gather(&x, &mut pieces, &mut removals, &cleaned.titles, rules);
    for d in &rules.defaults {
        md.set(d.key, d.value.clone(), d.from.clone());
    }
    if pieces.is_empty() {
        return Err(
            "no body text is left once the page's chrome and metadata are taken out; \
             run with --report to see each removed line and the rule that removed it"
                .into(),
        );
    }
    let mut warnings = cleaned.warnings.clone();
    // A copy that stops mid-sentence: its last block is a paragraph that has no end.
    if let Some(last) = pieces.last().filter(|p| p.kind == LineKind::Para) {
        let after_gap = gaps.iter().any(|(at, _)| *at >= last.end);
        if !after_gap && structure::cut_mid_sentence(&x.text[last.start..last.end]) {
            gaps.push((last.end, "原文在句中中断，其后的内容缺失".into()));
        }
    }
    gaps.sort_by_key(|g| g.0);
    // Blocks in text order; each gap's note says where it is.
    let mut blocks = Vec::new();
    let mut notes = Vec::new();
    let mut gi = 0;
    for (i, p) in pieces.iter().enumerate() {
        while gi < gaps.len() && gaps[gi].0 <= p.start {
            notes.push(locate(&x, &pieces[..i], &gaps[gi].1));
            blocks.push(Block::Gap(gaps[gi].1.clone()));
            gi += 1;
        }
        blocks.push(Block::Piece(i));
    }
    for g in &gaps[gi..] {
        notes.push(locate(&x, &pieces, &g.1));
        blocks.push(Block::Gap(g.1.clone()));
    }
    // The conversion artifacts of the copy are the only characters changed.
    let repairer = repair::Repairer::for_text(&x.text);
    let mut repairs = repair::Repairs::default();
    let body = structure::body(&x.text, &pieces, &blocks, &x.page.attachments);
    let body = repairer.apply(&body, &mut repairs).into_owned();
    if let Some(w) = spinning_warning(&x, &pieces, rules) {
        warnings.push(w);
    }
    let mut front = front_matter(&md, &notes, source_file.clone(), sha256)?;
    front.title = repairer.apply(&front.title, &mut repairs).into_owned();
    front.attachments = x
        .page
        .attachments
        .iter()
        .map(|a| Attachment {
            name: a.name.clone(),
            url: Some(a.url.clone()),
            ..Attachment::default()
        })
        .collect();
    let rel_path = writer::rel_path(&front, &body);
    removals.sort_by_key(|r| r.start);
    // Line starts once, for the line number of every removal.
    let newlines: Vec<usize> = x
        .text
        .bytes()
        .enumerate()
        .filter(|(_, b)| *b == b'\n')
        .map(|(i, _)| i)
        .collect();
    let line_of = |offset: usize| newlines.partition_point(|&n| n < offset) + 1;
    let report = FileReport {
        input: source_file,
        encoding: encoding.to_string(),
        source_kind: Some(class.kind),
        source_kinds: class.kinds.clone(),
        source_evidence: class.evidence.clone(),
        status: String::new(),
        output: None,
        fields: md
            .fields
            .iter()
            .map(|(k, f)| {
                (
                    k.to_string(),
                    writer::FieldReport {
                        value: f.value.clone(),
                        from: f.from.clone(),
                    },
                )
            })
            .collect(),
        title_derived: md.title_derived,
        completeness: front.completeness.label().to_string(),
        completeness_note: front.completeness_note.clone(),
        removed: removals
            .iter()
            .map(|r| Removed {
                start: r.start,
                end: r.end,
                line: line_of(r.start),
                reason: r.reason.clone(),
                text: x.text[r.start..r.end].to_string(),
            })
            .collect(),
        warnings,
        repairs: repairs.to_report(),
        duplicate_of: None,
        error: None,
        ..FileReport::default()
    };
    Ok(Prepared {
        front,
        body,
        rel_path,
        report,
        bundle: Vec::new(),
    })
}

/// The text between `from` and `to`, trimmed, as a paragraph (when there is any).
fn push_kept(text: &str, from: usize, to: usize, joins: bool, line: &str, pieces: &mut Vec<Piece>) {
    let seg = &text[from..to];
    let t = seg.trim();
    if t.is_empty() {
        return;
    }
    let start = from + (seg.len() - seg.trim_start().len());
    let p = Piece {
        start,
        end: start + t.len(),
        kind: LineKind::Para,
        bold: Vec::new(),
        joins,
    };
    push_split(text, p, line, pieces);
}

/// Adds a piece of `line`, split again where a conversion merged paragraphs or glued a
/// heading to its text; only the first part continues the paragraph before (`joins`).
fn push_split(text: &str, p: Piece, line: &str, pieces: &mut Vec<Piece>) {
    let joins = p.joins;
    for (k, mut part) in structure::split_merged(text, &p, line)
        .into_iter()
        .enumerate()
    {
        part.joins = joins && k == 0;
        pieces.extend(structure::split_glued_heading(text, part));
    }
}

/// Whether the text cut out at `a..b` of a line sat inside a clause (text with no
/// punctuation before it, none at its end): the text around it is one run.
fn mid_clause(line: &str, a: usize, b: usize) -> bool {
    const ENDS: [char; 10] = ['。', '！', '？', '!', '?', '，', ',', '；', ';', '：'];
    let before = line[..a].trim_end().chars().last();
    let last = line[a..b].trim_end().chars().last();
    before.is_some_and(|c| !ENDS.contains(&c)) && last.is_some_and(|c| !ENDS.contains(&c))
}

/// `在“…”之后：note` — where a gap is, by the text before it.
fn locate(x: &Extracted, before: &[Piece], note: &str) -> String {
    match before.last() {
        Some(p) => {
            let t = x.text[p.start..p.end].trim();
            let n = t.chars().count();
            let tail: String = if n <= 16 {
                t.to_string()
            } else {
                let s: String = t.chars().skip(n - 12).collect();
                format!("……{s}")
            };
            format!("在“{tail}”之后：{note}")
        }
        None => format!("在正文开头：{note}"),
    }
}

fn spinning_warning(x: &Extracted, pieces: &[Piece], rules: &Rules) -> Option<String> {
    // One pass over the body for every word of every pair.
    let mut counts = vec![0usize; rules.spinning_words.len()];
    for p in pieces {
        for m in rules.spinning_regex.find_iter(&x.text[p.start..p.end]) {
            if let Some(i) = rules.spinning_words.iter().position(|w| w == m.as_str()) {
                counts[i] += 1;
            }
        }
    }
    let count = |w: &str| {
        rules
            .spinning_words
            .iter()
            .position(|x| x == w)
            .map_or(0, |i| counts[i])
    };
    let mut swapped = Vec::new();
    for (orig, spun) in &rules.spinning_pairs {
        let (s, o) = (count(spun), count(orig));
        if s > 0 && s > o {
            swapped.push(format!("{orig}→{spun} ({s}×, {orig} {o}×)"));
        }
    }
    (swapped.len() >= rules.spinning_min_pairs).then(|| {
        format!(
            "spinning: systematic synonym swaps suggest a reworded copy: {}; the text was not changed",
            swapped.join(", ")
        )
    })
}

fn front_matter(
    md: &metadata::Metadata,
    notes: &[String],
    file: String,
    sha256: String,
) -> Result<FrontMatter, String> {
    // As the source writes them: dates, 索引号 and 文号 normalise for themselves.
    let get = |k: &str| md.get(k).map(str::to_string);
    let date = |k: &str| get(k).and_then(|s| s.parse::<DisclosureDate>().ok());
    let title = get("标题").unwrap_or_default();
    if title.is_empty() {
        return Err("no title found and none could be derived".into());
    }
    Ok(FrontMatter {
        title,
        agency: get("机构").map(Agency),
        published: date("发布时间"),
        written: date("成文日期"),
        index_no: get("索引号").and_then(|s| IndexNumber::new(&s)),
        doc_no: get("文号").and_then(|s| DocNumber::new(&s)),
        topic: get("主题分类"),
        genre: get("体裁分类"),
        keywords: get("主题词")
            .map(|s| {
                s.split([' ', '，', ',', '、', ';', '；'])
                    .filter(|w| !w.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default(),
        validity: get("有效性").filter(|v| crate::document::VALIDITY_VALUES.contains(&v.as_str())),
        disclosure: get("公开方式"),
        completeness: if notes.is_empty() {
            Completeness::Complete
        } else {
            Completeness::Incomplete
        },
        completeness_note: (!notes.is_empty()).then(|| notes.join("；")),
        source: Source {
            file: Some(file),
            sha256: Some(sha256),
            url: get("原文链接"),
            site: get("站点"),
            ocr: None,
        },
        attachments: Vec::new(),
        ..Default::default()
    })
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare_text(t: &str) -> Prepared {
        let rules = Rules::load(None, None).unwrap();
        prepare(
            extract::text(t.to_string()),
            &rules,
            "t.txt".into(),
            "0".into(),
            "UTF-8",
        )
        .unwrap()
    }

    fn prepare_html(page: &str) -> Prepared {
        let rules = Rules::load(None, None).unwrap();
        prepare(
            extract::html(page, &rules),
            &rules,
            "t.html".into(),
            "0".into(),
            "UTF-8",
        )
        .unwrap()
    }

    fn field<'a>(p: &'a Prepared, key: &str) -> (&'a str, &'a str) {
        p.report
            .fields
            .get(key)
            .map_or(("", ""), |f| (f.value.as_str(), f.from.as_str()))
    }

    const BODY: &str = "为切实做好今年汛期各项工作，确保人民群众生命财产安全，经县政府同意，现将有关事项通知如下，请认真贯彻执行。";

    #[test]
    fn a_red_header_notice_saved_as_text() {
        let p = prepare_text(&format!(
            "青禾县人民政府办公室文件\n\n青政办发〔2024〕12号　　　签发人：李明\n\n\
             青禾县人民政府办公室关于印发青禾县2024年\n防汛抗旱应急预案的通知\n\n\
             各乡镇人民政府，县政府各部门：\n{BODY}\n\n附件：青禾县2024年防汛抗旱应急预案\n\n\
             青禾县人民政府办公室\n2024年4月2日\n（此件公开发布）\n\n\
             抄送：县委办公室，县人大常委会办公室。\n青禾县人民政府办公室　　2024年4月3日印发"
        ));
        assert_eq!(
            p.front.title,
            "青禾县人民政府办公室关于印发青禾县2024年防汛抗旱应急预案的通知"
        );
        assert!(field(&p, "标题").1.contains("joined from lines"));
        assert_eq!(
            p.front.doc_no.as_ref().map(|d| d.as_str()),
            Some("青政办发〔2024〕12号")
        );
        assert_eq!(
            p.front.written.map(|d| d.to_string()).as_deref(),
            Some("2024-04-02")
        );
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("青禾县人民政府办公室")
        );
        assert!(
            field(&p, "机构").1.contains("masthead"),
            "{:?}",
            field(&p, "机构")
        );
        // The masthead and the 文号 line went into the front matter, and say so; the
        // 版记 is the document's own text and does not make the copy look cut.
        assert!(!p.body.contains("青禾县人民政府办公室文件"));
        assert!(
            p.report
                .removed
                .iter()
                .any(|r| r.reason.contains("红头 masthead"))
        );
        assert!(p.body.contains("抄送：县委办公室"));
        assert_eq!(p.front.completeness, Completeness::Complete);
    }

    #[test]
    fn a_button_label_is_never_the_title() {
        let p = prepare_text(&format!(
            "原创力文档\n点击下载完整版文档\n收藏 举报\n青禾县统计局2023年统计工作总结\n{BODY}"
        ));
        assert_eq!(p.front.title, "青禾县统计局2023年统计工作总结");
    }

    #[test]
    fn a_source_naming_a_unit_or_a_site_gives_way_to_the_documents_organ() {
        let p = prepare_text(&format!(
            "青禾县财政局关于做好2024年预算公开工作的通知\n发布时间：2024-03-02　来源：青禾县人民政府办公室秘书科\n{BODY}\n青禾县财政局\n2024年3月1日"
        ));
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("青禾县财政局")
        );
        let (_, from) = field(&p, "机构");
        assert!(from.starts_with("落款"), "{from}");
        assert!(from.contains("秘书科"), "{from}");
        let p = prepare_text(&format!(
            "关于做好2024年预算公开工作的通知\n发布时间：2024-03-02　来源：青禾县人民政府网\n{BODY}"
        ));
        assert_eq!(p.front.agency, None);
        // A unit with no other evidence: the organ it belongs to.
        let p = prepare_text(&format!(
            "关于做好2024年预算公开工作的通知\n发布时间：2024-03-02　来源：青禾县人民政府办公室秘书科\n{BODY}"
        ));
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("青禾县人民政府办公室")
        );
    }

    #[test]
    fn a_closing_date_standing_alone_after_the_attachments() {
        let p = prepare_text(&format!(
            "关于开展2024年防汛检查的通知\n{BODY}\n附件：1.检查表.docx\n2.名单.xls\n2024年5月6日"
        ));
        assert_eq!(
            p.front.written.map(|d| d.to_string()).as_deref(),
            Some("2024-05-06")
        );
        let p = prepare_text(&format!(
            "关于开展2024年防汛检查的通知\n{BODY}\n二〇二四年五月六日\n附件：检查表"
        ));
        assert_eq!(
            p.front.written.map(|d| d.to_string()).as_deref(),
            Some("2024-05-06")
        );
    }

    #[test]
    fn a_page_title_where_its_sources_agree_and_times_in_meta() {
        let p = prepare_html(&format!(
            "<html><head><title>关于开展2024年防汛检查的通知_青禾县人民政府</title>\
             <meta name=\"SiteName\" content=\"青禾县人民政府\">\
             <meta name=\"firstpublishedtime\" content=\"2024-05-07 10:20:00\"></head>\
             <body><h1>青禾县人民政府</h1><div id=\"zoom\"><h1>关于开展2024年防汛检查的通知</h1>\
             <p>{BODY}</p><p>责任编辑：王芳</p><p>审核：张强</p></div></body></html>"
        ));
        assert_eq!(p.front.title, "关于开展2024年防汛检查的通知");
        assert!(field(&p, "标题").1.contains("agreeing"));
        assert_eq!(
            p.front.published.map(|d| d.to_string()).as_deref(),
            Some("2024-05-07 10:20:00")
        );
        assert!(!p.body.contains("责任编辑") && !p.body.contains("审核"));
    }

    #[test]
    fn a_meeting_time_below_the_title_is_text() {
        let p = prepare_text(
            "青禾县防汛指挥部关于召开防汛工作会议的通知\n时间：2024年3月1日上午9时\n\
             地点：县政府三楼会议室\n请各乡镇分管负责同志准时参加，会议将部署今年汛期各项准备工作。",
        );
        assert_eq!(p.front.published, None);
        assert!(p.body.contains("时间：2024年3月1日上午9时"), "{}", p.body);
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("青禾县防汛指挥部")
        );
    }

    #[test]
    fn a_body_only_report_gets_a_derived_title_and_no_invented_agency() {
        let body =
            "，各项工作稳步推进，群众满意度持续提升，全年目标任务圆满完成，为来年打下良好基础。";
        let p = prepare_text(&format!("区农业局紧紧围绕乡村振兴{body}"));
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("区农业局")
        );
        assert!(p.report.title_derived);
        let p = prepare_text(&format!("全面贯彻落实党中央部署{body}"));
        assert_eq!(p.front.agency, None);
        assert!(p.report.title_derived && !p.front.title.is_empty());
    }

    #[test]
    fn fields_on_a_chrome_line_are_kept() {
        let p = prepare_text(
            "青禾县民政局2024年工作要点\n发布日期：2024-02-03    来源：青禾县民政局    【字体：大 中 小】\n\n\
             全年将围绕兜底保障、养老服务和社会事务三项重点，扎实推进各项民生实事，确保困难群众基本生活。",
        );
        assert_eq!(
            p.front.published.map(|d| d.to_string()).as_deref(),
            Some("2024-02-03")
        );
        assert_eq!(
            p.front.agency.as_ref().map(Agency::as_str),
            Some("青禾县民政局")
        );
        assert!(!p.body.contains("字体"));
        assert!(
            p.report
                .removed
                .iter()
                .any(|r| r.reason.contains("its fields went into"))
        );
    }

    #[test]
    fn a_sharing_pages_file_name_is_the_title_not_an_outline_line() {
        let p = prepare_text(
            "分享\n青禾县水利局2023年工作总结.docx\n下载文档\n\n一、水库除险加固\n\n\
             全年完成三座小型水库除险加固，新建堤防四公里，汛期未发生重大险情，保障了群众安全。",
        );
        assert_eq!(p.front.title, "青禾县水利局2023年工作总结");
        assert!(!p.report.title_derived);
        assert!(p.body.starts_with("## 一、水库除险加固"), "{}", p.body);
    }

    #[test]
    fn spinning_is_flagged_not_fixed() {
        let p = prepare_text(
            "各位同学要注意平安，学校将供给根底效劳，推动教育进展。同学们要遵守平安规定，享受效劳。",
        );
        assert!(p.report.warnings.iter().any(|w| w.starts_with("spinning")));
        assert!(p.body.contains("注意平安"));
        let clean = prepare_text("各位学生要注意安全，学校将提供基础服务，推动教育发展。");
        assert!(clean.report.warnings.is_empty());
    }
}
