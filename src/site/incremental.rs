//! Incremental rebuilds, for `serve`: after one full build, a change to documents that
//! leaves the site's shape alone (same 机构, 主题分类 and dates) re-renders only those
//! documents' pages and the lists, and rewrites only the search files holding what
//! changed in them (the terms whose postings changed, the document's record, the core
//! file) — not every page, not the whole index.
//!
//! Anything else (a new or removed document, a moved date, site.toml, a template, a
//! static file) is a full build. Either way the output is byte-identical to what a full
//! build of the same sources writes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::model::sort_date;
use super::output::write_under;
use super::pages::{DocSummary, Renderer, description};
use super::{
    BuildOptions, BuildState, BuildSummary, full_build, render_document, render_read_document,
    search_document,
};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::Document;

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rebuilt {
    /// The whole site was built again.
    Full,
    /// Only these many documents' pages, the lists and the search files they touch.
    Documents(usize),
}

/// A site kept in memory between builds.
pub struct Incremental {
    opts: BuildOptions,
    state: Option<BuildState>,
    /// Changes the output does not show yet because their rebuild failed: they are
    /// tried again with the next change, so a file left broken keeps being reported
    /// (as a full build would refuse it) instead of being served in its last good form.
    pending: Vec<PathBuf>,
}

impl Incremental {
    /// Nothing is built until the first [`Incremental::rebuild`].
    pub fn new(opts: BuildOptions) -> Incremental {
        Incremental {
            opts,
            state: None,
            pending: Vec::new(),
        }
    }

    /// Brings the site, search index included, up to date after `changed` (paths
    /// relative to the root, or absolute). The first call, or one the state cannot
    /// serve, is a full build. On error the previous output stays as it was.
    pub fn rebuild(&mut self, changed: &[PathBuf]) -> Result<(BuildSummary, Rebuilt), Diagnostics> {
        let mut all = std::mem::take(&mut self.pending);
        all.extend_from_slice(changed);
        // A file saved again and again while broken is tried once.
        all.sort();
        all.dedup();
        let outcome = self.rebuild_all(&all);
        if outcome.is_err() && self.state.is_some() {
            self.pending = all;
        }
        outcome
    }

    fn rebuild_all(&mut self, changed: &[PathBuf]) -> Result<(BuildSummary, Rebuilt), Diagnostics> {
        if let Some(state) = self.state.as_mut()
            && let Some(paths) = document_changes(&self.opts.root, changed)
            && let Some(outcome) = update(&self.opts, state, &paths)?
        {
            return Ok(outcome);
        }
        // A failed full build leaves no state: the next change builds from scratch.
        self.state = None;
        let (summary, state) = full_build(&self.opts, true)?;
        self.state = state;
        Ok((summary, Rebuilt::Full))
    }
}

/// The changed documents, relative to content/, when every change is to an existing
/// `.md` under content/ and the build is not an offline one; `None` otherwise.
fn document_changes(root: &Path, changed: &[PathBuf]) -> Option<Vec<String>> {
    let abs_root = std::path::absolute(root).ok()?;
    let canon_root = root.canonicalize().ok();
    let mut out = Vec::new();
    for p in changed {
        let rel = if p.is_absolute() {
            canon_root
                .as_ref()
                .and_then(|c| p.strip_prefix(c).ok())
                .or_else(|| p.strip_prefix(&abs_root).ok())?
                .to_path_buf()
        } else {
            p.clone()
        };
        let under = rel.strip_prefix("content").ok()?;
        if under.extension().is_none_or(|e| e != "md") || !root.join(&rel).is_file() {
            return None;
        }
        let rel = under
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        out.push(rel);
    }
    out.sort();
    out.dedup();
    Some(out)
}

/// Re-renders the changed documents in place. `Ok(None)` when the change needs a full
/// build after all.
fn update(
    opts: &BuildOptions,
    state: &mut BuildState,
    paths: &[String],
) -> Result<Option<(BuildSummary, Rebuilt)>, Diagnostics> {
    if opts.offline || state.config.offline {
        return Ok(None);
    }
    let content_dir = opts.root.join("content");
    let index_of: HashMap<&str, usize> = state
        .site
        .documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.path.as_str(), i))
        .collect();
    let mut errors = Diagnostics::new();
    let mut replaced: Vec<(usize, Document)> = Vec::new();
    for rel in paths {
        let Some(&i) = index_of.get(rel.as_str()) else {
            return Ok(None);
        };
        match super::load::read_document(&content_dir.join(rel), rel) {
            Ok(doc) => replaced.push((i, doc)),
            Err(e) => errors.extend(e),
        }
    }
    if errors.has_errors() {
        return Err(errors.sorted());
    }
    let old = &state.site.documents;
    let mut lists_changed = false;
    for (i, new) in &replaced {
        let was = &old[*i];
        // Where a document sits (order, groups) decides every list: a change there is a
        // full build.
        if sort_date(was) != sort_date(new)
            || was.front.agency != new.front.agency
            || was.front.topic != new.front.topic
            || was.front.year() != new.front.year()
            // The column tree takes documents by 栏目 and 体裁分类 too.
            || was.front.column != new.front.column
            || was.front.genre != new.front.genre
        {
            return Ok(None);
        }
        // A document whose search entry holds attachments' text (read from other
        // files, not kept here) is indexed again by a full build.
        if super::bundle::has_texts(was) || super::bundle::has_texts(new) {
            return Ok(None);
        }
        lists_changed |= summary_differs(was, new);
    }
    let count = replaced.len();
    let mut neighbours: Vec<usize> = Vec::new();
    let mut previous: Vec<(usize, Document)> = Vec::new();
    // The changed documents as just read, so their pages need not read them again.
    let mut read: HashMap<usize, Document> = HashMap::new();
    for (i, mut doc) in replaced {
        // Same path, same folder: a nested page stays where it is.
        doc.nest = state.site.documents[i].nest.clone();
        if lists_changed {
            neighbours.extend(i.checked_sub(1));
            neighbours.push(i + 1);
        }
        // The site holds front matter only; pages read their bodies from the files.
        let body = std::mem::take(&mut doc.body);
        read.insert(
            i,
            Document {
                body,
                ..doc.clone()
            },
        );
        previous.push((i, std::mem::replace(&mut state.site.documents[i], doc)));
        neighbours.push(i);
    }
    neighbours.retain(|&i| i < state.site.documents.len());
    neighbours.sort_unstable();
    neighbours.dedup();

    let timer = super::profile::Timer::start();
    let renderer = Renderer::new(
        &mut state.theme,
        &state.site,
        &state.config,
        &state.base_url,
    );
    let out = &state.output;
    let results: Vec<Result<(usize, String), Vec<Diagnostic>>> = neighbours
        .par_iter()
        .map(|&i| {
            let page = match read.get(&i) {
                Some(full) => render_read_document(&renderer, i, full)?,
                None => render_document(&renderer, i, &content_dir)?,
            };
            write_replacing(out, &page.path, &page.html).map_err(|e| vec![e])?;
            Ok((i, page.text))
        })
        .collect();
    let mut texts = Vec::new();
    let mut descriptions = state.descriptions.clone();
    for r in results {
        match r {
            Ok((i, text)) => {
                descriptions[i] = description(&text);
                texts.push((i, text));
            }
            Err(e) => errors.extend(e),
        }
    }
    // When no list shows anything new, only the feed (it quotes bodies) changes.
    let mut pages = neighbours.len();
    if !errors.has_errors() {
        let others = if lists_changed {
            renderer.other_pages(&descriptions)
        } else {
            renderer.other_pages_where(&descriptions, |path| path == "atom.xml")
        };
        for r in others {
            match r.and_then(|p| write_replacing(out, &p.path, &p.html)) {
                Ok(()) => pages += 1,
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.has_errors() {
        // The site in memory goes back to what the output shows.
        for (i, doc) in previous {
            state.site.documents[i] = doc;
        }
        return Err(errors.sorted());
    }
    timer.lap("pages");
    // The search index, from each changed document as it was indexed and as it is now.
    for (i, was) in &previous {
        let Some((_, text)) = texts.iter().find(|(j, _)| j == i) else {
            continue;
        };
        let (was, now) = (
            DocSummary::of(was),
            DocSummary::of(&state.site.documents[*i]),
        );
        // Only the shards this change touches are read from the output, once each.
        state
            .search
            .replace_document(
                state.search_ids[*i],
                &search_document(&was, &state.texts.get(*i), &[]),
                &search_document(&now, text, &[]),
            )
            .map_err(|e| {
                Diagnostic::error(
                    out.join("search"),
                    None,
                    format!("cannot update the search index: {e}"),
                )
            })?;
    }
    state.texts.set_all(&texts);
    state.descriptions = descriptions;
    // On error the index in memory is current and keeps what it has not written: the
    // next rebuild writes it.
    state.search.write_changed(out).map_err(|e| {
        Diagnostic::error(
            out.join("search"),
            None,
            format!("cannot update the search index: {e}"),
        )
    })?;
    timer.lap("search index");
    Ok(Some((
        BuildSummary {
            documents: state.site.documents.len(),
            pages,
            files: 0,
            output: out.clone(),
            updated: None,
        },
        Rebuilt::Documents(count),
    )))
}

fn summary_differs(a: &Document, b: &Document) -> bool {
    let (a, b) = (DocSummary::of(a), DocSummary::of(b));
    serde_json::to_value(&a).ok() != serde_json::to_value(&b).ok()
}

/// Writes one output file so that a reader sees the old bytes or the new, never half.
pub(crate) fn write_replacing(root: &Path, rel: &str, bytes: &[u8]) -> Result<(), Diagnostic> {
    let tmp = format!("{rel}.gongkai-new");
    write_under(root, &tmp, bytes)?;
    let (from, to) = (root.join(&tmp), root.join(rel));
    std::fs::rename(&from, &to).map_err(|e| {
        let _ = std::fs::remove_file(&from);
        Diagnostic::error(&to, None, format!("cannot replace: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
        crate::render::templates::files_under(dir)
            .into_iter()
            .map(|(rel, p)| (rel, std::fs::read(p).unwrap()))
            .collect()
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn doc(title: &str, date: &str, body: &str) -> String {
        format!(
            "---\n标题: {title}\n机构: 测试局\n发布时间: {date}\n主题分类: 教育\n---\n\n{body}\n"
        )
    }

    #[test]
    fn a_body_change_rebuilds_in_place_and_matches_a_full_build() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        write(
            &root,
            "site.toml",
            "title = \"测试\"\norganizer = \"办公室\"\nper_page = 2\n",
        );
        for (i, d) in ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"]
            .iter()
            .enumerate()
        {
            write(
                &root,
                &format!("content/2024/d{i}.md"),
                &doc(&format!("文件{i}"), d, "旧正文"),
            );
        }
        let out = dir.path().join("out");
        let mut inc = Incremental::new(BuildOptions {
            root: root.clone(),
            output: Some(out.clone()),
            ..Default::default()
        });
        assert_eq!(inc.rebuild(&[]).unwrap().1, Rebuilt::Full);
        // Writes one document under content/ and rebuilds for that change.
        let edit = |inc: &mut Incremental, rel: &str, text: &str| {
            write(&root, &format!("content/{rel}"), text);
            inc.rebuild(&[PathBuf::from(format!("content/{rel}"))])
        };

        let search_before = tree(&out.join("search"));
        // A new body (new terms) and a new title: only documents, lists and search change.
        let (_, how) = edit(
            &mut inc,
            "2024/d1.md",
            &doc("新标题", "2024-02-01", "新正文 双减 课后服务"),
        )
        .unwrap();
        assert_eq!(how, Rebuilt::Documents(1));
        assert_ne!(tree(&out.join("search")), search_before);
        let fresh = dir.path().join("fresh");
        // What the preview serves is what a full build of the same sources writes.
        let same_as_full_build = || {
            crate::site::build(&BuildOptions {
                root: root.clone(),
                output: Some(fresh.clone()),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(tree(&out), tree(&fresh));
        };
        same_as_full_build();

        // A body-only change: the lists stay, the page, the feed and the index change.
        let (_, how) = edit(
            &mut inc,
            "2024/d2.md",
            &doc("文件2", "2024-03-01", "另一段新正文"),
        )
        .unwrap();
        assert_eq!(how, Rebuilt::Documents(1));
        same_as_full_build();

        // Terms removed: some were only in this document.
        let (_, how) = edit(&mut inc, "2024/d1.md", &doc("新标题", "2024-02-01", "正文")).unwrap();
        assert_eq!(how, Rebuilt::Documents(1));
        same_as_full_build();

        // Two documents at once, one with a new title.
        write(
            &root,
            "content/2024/d0.md",
            &doc("文件0", "2024-01-01", "课后服务 暂停 通知"),
        );
        write(
            &root,
            "content/2024/d3.md",
            &doc("预算公开", "2024-04-01", "旧正文 预算"),
        );
        let (_, how) = inc
            .rebuild(&[
                PathBuf::from("content/2024/d0.md"),
                PathBuf::from("content/2024/d3.md"),
            ])
            .unwrap();
        assert_eq!(how, Rebuilt::Documents(2));
        same_as_full_build();

        // A broken front matter is an error, and the served pages stay as they were.
        write(
            &root,
            "content/2024/d1.md",
            "---\n标题: 坏\n发布日期: x\n---\n",
        );
        let before = tree(&out);
        assert!(inc.rebuild(&[PathBuf::from("content/2024/d1.md")]).is_err());
        assert_eq!(tree(&out), before);
        // While it stays broken, a change to another document is refused with its error,
        // as a full build would be: the preview never shows a site the build refuses.
        write(
            &root,
            "content/2024/d2.md",
            &doc("文件2", "2024-03-01", "又一段新正文"),
        );
        let e = inc
            .rebuild(&[PathBuf::from("content/2024/d2.md")])
            .unwrap_err();
        assert!(e.to_string().contains("d1.md"), "{e}");
        assert_eq!(tree(&out), before);
        // Fixed: both changes are served, as a full build writes them.
        let (_, how) = edit(
            &mut inc,
            "2024/d1.md",
            &doc("新标题", "2024-02-01", "修好的正文"),
        )
        .unwrap();
        assert_eq!(how, Rebuilt::Documents(2));
        same_as_full_build();

        // A moved date changes the lists: a full build.
        let (_, how) = edit(
            &mut inc,
            "2024/d1.md",
            &doc("新标题", "2023-02-01", "新正文"),
        )
        .unwrap();
        assert_eq!(how, Rebuilt::Full);
        // A new document too.
        let (_, how) = edit(&mut inc, "2024/d9.md", &doc("新文件", "2024-05-01", "正文")).unwrap();
        assert_eq!(how, Rebuilt::Full);
    }

    #[test]
    fn a_bundle_with_attachment_text_is_indexed_again_in_full() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        write(
            &root,
            "site.toml",
            "title = \"测试\"\norganizer = \"办公室\"\n",
        );
        let bundle = |body: &str| {
            format!(
                "---\n标题: 补贴通知\n机构: 测试局\n发布时间: 2024-03-05\n附件:\n  - {{名称: 标准表, 链接: a.docx, 文本: a.docx.txt}}\n---\n\n{body}\n"
            )
        };
        write(&root, "content/2024/a/index.md", &bundle("旧正文"));
        write(&root, "content/2024/a/a.docx", "docx");
        write(&root, "content/2024/a/a.docx.txt", "紫云英绿肥");
        let out = dir.path().join("out");
        let mut inc = Incremental::new(BuildOptions {
            root: root.clone(),
            output: Some(out.clone()),
            ..Default::default()
        });
        assert_eq!(inc.rebuild(&[]).unwrap().1, Rebuilt::Full);
        assert!(out.join("2024/a/a.docx").is_file());
        assert!(!out.join("2024/a/a.docx.txt").exists());
        write(&root, "content/2024/a/index.md", &bundle("新正文"));
        let (_, how) = inc
            .rebuild(&[PathBuf::from("content/2024/a/index.md")])
            .unwrap();
        assert_eq!(how, Rebuilt::Full);
        // The document's search files (the term shards under t/ aside).
        let records: String = tree(&out.join("search"))
            .into_iter()
            .filter(|(path, _)| !path.starts_with("t/"))
            .map(|(_, b)| String::from_utf8(b).unwrap())
            .collect();
        assert!(
            records.contains("新正文") && records.contains("紫云英绿肥"),
            "{records}"
        );
    }
}
