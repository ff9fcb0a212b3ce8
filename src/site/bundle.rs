//! Attachments of documents: the files a document's `附件` links to inside content/ —
//! usually beside it in its page bundle (`content/2024/slug/index.md` + `a.docx`), which
//! the build publishes as they are next to the page — and the plain text `import` read
//! from each (`文本: a.docx.txt`), which the build indexes for search as part of the
//! document. The text files are inputs, like front matter: they are not published.
//!
//! Nothing here reads outside content/: a link is a content path ([`content_path`]) and
//! a text file is read only when the content folder listing holds it (no symlinks, no
//! `..` out of the folder).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;
use crate::document::{Attachment, Document, Key, content_path};
use crate::search::AttachmentText;

/// An attachment's link as a path under content/, when it is a relative link that stays
/// in content/ (`None` for web addresses, `mailto:` and the like, and links that climb out).
pub fn local_path(doc: &Document, link: &str) -> Option<String> {
    let link = link.trim();
    let path = link.split(['?', '#']).next().unwrap_or("");
    // A scheme (`https:`, `mailto:`) before any `/`: not a file of the archive.
    let scheme = path.find(':').is_some_and(|c| !path[..c].contains('/'));
    if path.is_empty() || scheme || path.starts_with("//") {
        return None;
    }
    content_path(doc.folder(), path)
}

/// The text file of an attachment, as a path under content/.
fn text_path(doc: &Document, a: &Attachment) -> Option<Result<String, String>> {
    let text = a.text.as_deref()?;
    Some(local_path(doc, text).ok_or_else(|| text.to_string()))
}

/// The content files that hold attachments' text: read for search, not published.
pub fn text_files(documents: &[Document]) -> HashSet<String> {
    documents
        .iter()
        .flat_map(|d| d.front.attachments.iter().map(move |a| (d, a)))
        .filter_map(|(d, a)| text_path(d, a)?.ok())
        .collect()
}

/// Whether any attachment of `doc` has a text file (its search entry depends on files
/// other than the document's own).
pub fn has_texts(doc: &Document) -> bool {
    doc.front.attachments.iter().any(|a| a.text.is_some())
}

/// The files under content/ (path → file), the only ones [`attachment_texts`] reads.
pub type ContentFiles = HashMap<String, PathBuf>;

/// The text of each attachment of `doc` that names one, in the order of `附件`.
pub fn attachment_texts(
    doc: &Document,
    content_dir: &Path,
    files: &ContentFiles,
) -> Result<Vec<AttachmentText>, Diagnostic> {
    let mut out = Vec::new();
    for a in &doc.front.attachments {
        let Some(path) = text_path(doc, a) else {
            continue;
        };
        let problem = |what: String| {
            Diagnostic::error(
                doc.file(content_dir),
                Some(doc.line_of(Key::Attachments)),
                format!(
                    "附件 `{}`: {what}; run `gongkai import` again, or remove its `文本` line",
                    a.name
                ),
            )
        };
        let file = path.ok().and_then(|p| files.get(&p).map(|f| (p, f)));
        let Some((rel, file)) = file else {
            return Err(problem(format!(
                "its text file `{}` is not in the document's folder",
                a.text.as_deref().unwrap_or_default()
            )));
        };
        let text = std::fs::read(file)
            .map_err(|e| problem(format!("cannot read its text file content/{rel}: {e}")))?;
        let text = String::from_utf8(text)
            .map_err(|_| problem(format!("its text file content/{rel} is not UTF-8")))?;
        out.push(AttachmentText {
            name: a.name.clone(),
            text,
        });
    }
    Ok(out)
}

/// `check`'s findings on the attachments of `doc`: a local link or text file that is not
/// in the archive.
pub fn missing_files(doc: &Document, content_dir: &Path, files: &HashSet<&str>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let line = Some(doc.line_of(Key::Attachments));
    for a in &doc.front.attachments {
        let link = a
            .url
            .as_deref()
            .filter(|u| !crate::render::markdown::is_unsafe_url(u));
        if let Some(link) = link
            && let Some(path) = local_path(doc, link)
            && !files.contains(path.as_str())
        {
            out.push(Diagnostic::error(
                doc.file(content_dir),
                line,
                format!(
                    "附件 `{}` links to `{link}`, which is not in the archive (looked for \
                     content/{path}); copy the file there or fix the link",
                    a.name
                ),
            ));
        }
        match text_path(doc, a) {
            Some(Ok(p)) if files.contains(p.as_str()) => {}
            Some(_) => out.push(Diagnostic::error(
                doc.file(content_dir),
                line,
                format!(
                    "附件 `{}`: its text file `{}` is not in the document's folder; run \
                     `gongkai import` again, or remove its `文本` line",
                    a.name,
                    a.text.as_deref().unwrap_or_default()
                ),
            )),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(attachments: &str) -> Document {
        let text = format!("---\n标题: 通知\n机构: 青溪县财政局\n附件:\n{attachments}---\n正文\n");
        Document::parse(Path::new("c/2024/a/index.md"), "2024/a/index.md", &text).unwrap()
    }

    #[test]
    fn local_links_stay_in_content() {
        let d = bundle("  - 附件\n");
        assert_eq!(local_path(&d, "a.docx").as_deref(), Some("2024/a/a.docx"));
        assert_eq!(
            local_path(&d, "a%201.pdf?x=1").as_deref(),
            Some("2024/a/a 1.pdf")
        );
        assert_eq!(local_path(&d, "https://x.gov.cn/a.pdf"), None);
        assert_eq!(local_path(&d, "//x.gov.cn/a.pdf"), None);
        assert_eq!(local_path(&d, "mailto:a@b.cn"), None);
        assert_eq!(local_path(&d, "../../../../etc/passwd"), None);
    }

    #[test]
    fn texts_are_read_only_from_the_listed_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = bundle(
            "  - {名称: 表, 链接: a.docx, 文本: a.docx.txt}\n  - {名称: 外, 链接: b.pdf, 文本: ../../../../etc/passwd}\n",
        );
        assert_eq!(
            text_files(std::slice::from_ref(&d)),
            HashSet::from(["2024/a/a.docx.txt".to_string()])
        );
        let file = dir.path().join("a.docx.txt");
        std::fs::write(&file, "附件里的字").unwrap();
        let files: ContentFiles = [("2024/a/a.docx.txt".to_string(), file)].into();
        let e = attachment_texts(&d, Path::new("c"), &files).unwrap_err();
        assert!(e.message.contains("附件 `外`"), "{e}");
        let d = bundle("  - {名称: 表, 链接: a.docx, 文本: a.docx.txt}\n");
        let texts = attachment_texts(&d, Path::new("c"), &files).unwrap();
        assert_eq!(texts[0].name, "表");
        assert_eq!(texts[0].text, "附件里的字");
        let listed: HashSet<&str> = ["2024/a/a.docx.txt"].into();
        let found = missing_files(&d, Path::new("c"), &listed);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].message.contains("content/2024/a/a.docx"),
            "{found:?}"
        );
    }
}
