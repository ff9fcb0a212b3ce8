//! Attachments travel with their document: a page's link to a file (附件) that is
//! present in the imported folder is copied into the document's page bundle
//! (`content/2024/slug/index.md` + the file), the link in the body and in `附件` then
//! points at the copy, and the text of the files `import` can read is written beside it
//! (`a.docx.txt`, named by `文本`) for the build to index. A link whose file is not
//! there keeps its address and is listed in the report.
//!
//! Links are found the way a saved portal (wget `--mirror`, HTTrack) stores them:
//! relative to the page, from the site root (`/upload/…`: the host's folder of the mirror,
//! else the imported folder), or a full address of a host whose folder is in the mirror;
//! percent-encoded or not; a download script's query kept in the file name
//! (`downfile.jsp?filename=a.pdf`, `downfile.jsp@filename=a.pdf` on Windows). Nothing
//! outside the imported folder is ever read: `..` that climbs out, and symbolic links
//! that lead out, are refused and reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::extract::{Extracted, LineKind, Region};
use super::rules::Rules;
use super::{Prepared, ReadOptions, read_file};

/// The most text kept from one attachment for search (bytes of UTF-8).
const MAX_TEXT: usize = 4 << 20;
/// Attachments larger than this are copied but not read for their text: reading holds
/// the whole file in memory.
const MAX_READ: u64 = 64 << 20;

/// What became of one attachment link, as the report tells it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AttachmentReport {
    pub name: String,
    /// The link as the page wrote it.
    pub link: String,
    /// `copied`, `missing` (no such file in the imported folder, or another site's
    /// address) or `outside` (the link leads out of the imported folder: not followed).
    pub status: String,
    /// The copy, under the output folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The text read from it, under the output folder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Why it is missing, or why its text was not read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A file to put in a document's bundle.
#[derive(Debug, Clone)]
pub struct BundleFile {
    /// The file in the imported folder.
    pub source: PathBuf,
    /// Its name in the bundle.
    pub name: String,
    /// The text file written beside it: (name, text).
    pub text: Option<(String, String)>,
}

/// The attachments of one page, once looked for.
#[derive(Debug, Default)]
pub struct Found {
    /// By index into the page's attachments, those copied.
    copies: Vec<Option<Copied>>,
    files: Vec<BundleFile>,
    reports: Vec<AttachmentReport>,
}

/// An attachment copied into the bundle.
#[derive(Debug, Clone)]
struct Copied {
    /// The file in the imported folder.
    source: PathBuf,
    /// Its name in the bundle.
    name: String,
    /// Its text file's name there.
    text: Option<String>,
    /// The address the page had for it.
    url: String,
}

/// Where a link leads in the imported folder.
#[derive(Debug, PartialEq, Eq)]
enum Located {
    File(PathBuf),
    Missing(String),
    Outside,
}

/// Looks for the files of the attachments linked in the page's text (not those of its
/// chrome: a footer's guide PDF is no document's attachment) under `tree`, and points
/// the links of those found at their copies' names.
pub fn find(
    x: &mut Extracted,
    page: &Path,
    tree: &Path,
    rules: &Rules,
    opts: &ReadOptions,
) -> Found {
    let in_text: HashSet<usize> = x
        .lines
        .iter()
        .filter(|l| l.region == Region::Content)
        .filter_map(|l| match l.kind {
            LineKind::Attachment(i) => Some(i),
            _ => None,
        })
        .collect();
    let page_host = x
        .page
        .meta
        .get("url")
        .and_then(|u| split_address(u))
        .map(|a| a.0);
    let tree_canon = tree.canonicalize().ok();
    let mut found = Found {
        copies: vec![None; x.page.attachments.len()],
        ..Found::default()
    };
    let mut taken: HashSet<String> = HashSet::new();
    for (i, a) in x.page.attachments.iter_mut().enumerate() {
        if !in_text.contains(&i) {
            continue;
        }
        let mut report = AttachmentReport {
            name: a.name.clone(),
            link: a.href.clone(),
            status: "missing".into(),
            file: None,
            text: None,
            note: None,
        };
        match locate(
            &a.href,
            page,
            tree,
            page_host.as_deref(),
            tree_canon.as_deref(),
        ) {
            Located::File(source) => {
                // Two links to one file (written two ways): one copy.
                let earlier = found
                    .copies
                    .iter()
                    .flatten()
                    .find(|c| c.source == source)
                    .cloned();
                if let Some(c) = earlier {
                    report.status = "copied".into();
                    report.file = Some(c.name.clone());
                    report.text = c.text.clone();
                    found.copies[i] = Some(Copied {
                        url: std::mem::replace(&mut a.url, c.name.clone()),
                        ..c
                    });
                    found.reports.push(report);
                    continue;
                }
                let name = unique(&mut taken, &bundle_name(&source, &a.href));
                let text = match read_text(&source, &name, rules, opts) {
                    Ok(Some((t, cut))) => {
                        if cut {
                            report.note = Some(format!(
                                "copied; only its first {} MB of text are kept for search",
                                MAX_TEXT >> 20
                            ));
                        }
                        Some((unique(&mut taken, &format!("{name}.txt")), t))
                    }
                    Ok(None) => None,
                    Err(e) => {
                        report.note = Some(format!("copied; its text was not read: {e}"));
                        None
                    }
                };
                report.status = "copied".into();
                report.file = Some(name.clone());
                report.text = text.as_ref().map(|t| t.0.clone());
                found.copies[i] = Some(Copied {
                    source: source.clone(),
                    name: name.clone(),
                    text: report.text.clone(),
                    url: std::mem::replace(&mut a.url, name.clone()),
                });
                found.files.push(BundleFile { source, name, text });
            }
            Located::Missing(why) => report.note = Some(why),
            Located::Outside => {
                report.status = "outside".into();
                report.note =
                    Some("the link leads out of the imported folder; it was not followed".into());
            }
        }
        found.reports.push(report);
    }
    found
}

impl Found {
    /// Makes `p` a page bundle holding the copies, and records the attachments in its
    /// front matter and report.
    pub fn apply(self, p: &mut Prepared) {
        for (a, copy) in p.front.attachments.iter_mut().zip(self.copies) {
            if let Some(c) = copy {
                a.url = Some(c.name);
                a.source_url = Some(c.url);
                a.text = c.text;
            }
        }
        if !self.files.is_empty() {
            p.rel_path = super::writer::bundle_path(&p.rel_path);
        }
        let folder = p.rel_path.rsplit_once('/').map_or("", |(f, _)| f);
        p.report.attachments = self
            .reports
            .into_iter()
            .map(|mut r| {
                r.file = r.file.map(|f| format!("{folder}/{f}"));
                r.text = r.text.map(|f| format!("{folder}/{f}"));
                r
            })
            .collect();
        p.bundle = self.files;
    }
}

/// Reads an attachment's text with the reader of its kind, and whether it was cut at
/// [`MAX_TEXT`]: `None` for kinds import does not read (images, archives) and for files
/// without text.
fn read_text(
    source: &Path,
    name: &str,
    rules: &Rules,
    opts: &ReadOptions,
) -> Result<Option<(String, bool)>, String> {
    if super::kind_of(Path::new(name)).is_none() {
        return Ok(None);
    }
    let size = std::fs::metadata(source).map_or(0, |m| m.len());
    if size > MAX_READ {
        return Err(format!(
            "it is {} MB, over the {} MB read for text",
            size >> 20,
            MAX_READ >> 20
        ));
    }
    let bytes = std::fs::read(source).map_err(|e| format!("cannot read it: {e}"))?;
    let x = read_file(Path::new(name), &bytes, rules, opts)?.extracted;
    let mut text = String::new();
    let mut cut = false;
    for l in x.lines.iter().filter(|l| l.region == Region::Content) {
        let t = x.line_text(l).trim();
        if t.is_empty() {
            continue;
        }
        if text.len() + t.len() >= MAX_TEXT {
            cut = true;
            break;
        }
        text.push_str(t);
        text.push('\n');
    }
    Ok((!text.is_empty()).then_some((text, cut)))
}

/// `(host, path, query)` of a full web address (`//host/…` too).
fn split_address(url: &str) -> Option<(String, String, String)> {
    let url = url.trim();
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .or_else(|| url.strip_prefix("//"))?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (host_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, path) = host_path.split_once('/').unwrap_or((host_path, ""));
    let host = host.rsplit('@').next().unwrap_or(host).to_ascii_lowercase();
    Some((host, format!("/{path}"), query.to_string()))
}

/// A folder named like a web host (`www.qingxi.gov.cn`, `qingxi.gov.cn:8080`): where wget
/// keeps a site's files.
fn is_host_name(name: &str) -> bool {
    name.contains('.')
        && name.chars().any(|c| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
}

/// Where `href`, written in `page`, leads inside `tree`.
fn locate(
    href: &str,
    page: &Path,
    tree: &Path,
    page_host: Option<&str>,
    tree_canon: Option<&Path>,
) -> Located {
    // The page's folder, as names under the tree (the page is always inside it).
    let page_dir: Vec<String> = page
        .parent()
        .and_then(|d| d.strip_prefix(tree).ok())
        .map(|rel| {
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    // The site's root: the outermost folder named like a host, else the tree.
    let site_root: Vec<String> = page_dir
        .iter()
        .position(|n| is_host_name(n))
        .map(|i| page_dir[..=i].to_vec())
        .unwrap_or_default();
    let href = href.trim();
    let (base, path, query) = if let Some((host, path, query)) = split_address(href) {
        // The host's folder: one the page is in, or one at the top of the tree.
        let base = if let Some(i) = page_dir.iter().position(|n| n.eq_ignore_ascii_case(&host)) {
            page_dir[..=i].to_vec()
        } else if tree.join(&host).is_dir() {
            vec![host.clone()]
        } else if page_host == Some(host.as_str()) {
            site_root.clone()
        } else {
            return Located::Missing(format!(
                "a file of another site ({host}), and the imported folder holds no copy of it"
            ));
        };
        (base, path, query)
    } else if href
        .find(':')
        .is_some_and(|c| !href[..c].contains(['/', '?', '#']))
    {
        return Located::Missing("not a link to a file".into());
    } else {
        let href = href.split('#').next().unwrap_or(href);
        let (path, query) = href.split_once('?').unwrap_or((href, ""));
        let base = if path.starts_with('/') {
            site_root.clone()
        } else {
            page_dir.clone()
        };
        (base, path.to_string(), query.to_string())
    };
    // A path from the site's root stops there at `..`, as in a browser; a relative one
    // may lead to another host's folder of the mirror, but `..` above the tree leaves
    // it: never followed, whatever is there.
    let from_root = path.starts_with('/');
    let floor = if from_root { base.len() } else { 0 };
    let mut parts = base;
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let mut file_raw = String::new();
    for (k, seg) in segments.into_iter().enumerate() {
        match seg {
            "" | "." => {}
            ".." if from_root => {
                if parts.len() > floor {
                    parts.pop();
                }
            }
            ".." => {
                if parts.pop().is_none() {
                    return Located::Outside;
                }
            }
            s if k == last => file_raw = s.to_string(),
            s => parts.push(decode(s)),
        }
    }
    if file_raw.is_empty() {
        return Located::Missing("the link names a folder, not a file".into());
    }
    if parts.iter().any(|p| p.contains(['/', '\\', '\0'])) {
        return Located::Missing("the link's folder names are not a path".into());
    }
    let dir = parts.iter().fold(tree.to_path_buf(), |d, p| d.join(p));
    let tried: Vec<String> = names_of(&file_raw, &query);
    for name in &tried {
        if name.contains(['/', '\\', '\0']) || name == ".." {
            continue;
        }
        let candidate = dir.join(name);
        if !candidate.is_file() {
            continue;
        }
        // The file, or a folder on the way, may be a symbolic link out of the tree.
        let inside = match (candidate.canonicalize(), tree_canon) {
            (Ok(c), Some(t)) => c.starts_with(t),
            _ => false,
        };
        return if inside {
            Located::File(candidate)
        } else {
            Located::Outside
        };
    }
    let shown = dir.join(tried.first().map(String::as_str).unwrap_or(""));
    Located::Missing(format!(
        "no such file in the imported folder (looked for {})",
        shown.display()
    ))
}

/// Percent-decoded, when that gives UTF-8.
fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map_or_else(|_| s.to_string(), |d| d.into_owned())
}

/// The names a mirror may have saved a file under: decoded and as written, with its
/// query kept after `?` (wget), `@` (wget for Windows) or dropped.
fn names_of(file: &str, query: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    for f in [decode(file), file.to_string()] {
        if query.is_empty() {
            add(f);
        } else {
            for q in [decode(query), query.to_string()] {
                add(format!("{f}?{q}"));
                add(format!("{f}@{q}"));
            }
            add(f);
        }
    }
    out
}

/// The copy's name in the bundle: the file's own name, or for a download script the
/// file its query names; made safe for FAT32/NTFS and for a Markdown link.
fn bundle_name(source: &Path, href: &str) -> String {
    let saved = source
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (stem, query) = match saved.split_once(['?', '@']) {
        Some((s, q)) if q.contains('=') => (s.to_string(), q.to_string()),
        _ => (saved.clone(), String::new()),
    };
    let from_query = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(_, v)| decode(v))
        .map(|v| v.rsplit(['/', '\\']).next().unwrap_or(&v).to_string())
        .find(|v| v.contains('.') && has_file_extension(v));
    let name = if has_file_extension(&stem) {
        stem
    } else if let Some(v) = from_query {
        v
    } else {
        let href_name = href.split(['?', '#']).next().unwrap_or(href);
        decode(href_name.rsplit('/').next().unwrap_or("attachment"))
    };
    portable(&name)
}

fn has_file_extension(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|e| {
        !matches!(
            e.to_ascii_lowercase().to_str(),
            Some("jsp" | "asp" | "aspx" | "php" | "do" | "action" | "html" | "htm" | "shtml")
        )
    })
}

/// A file name every file system of a USB stick takes, and a link needs no escape for.
fn portable(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "<>:\"/\\|?*%#[]".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    while out.ends_with(['.', ' ']) {
        out.pop();
    }
    let out = out.trim_start().to_string();
    // Long names are cut (keeping the extension): the offline copy's paths stay short.
    let (stem, ext) = match out.rfind('.') {
        Some(i) if i > 0 => (&out[..i], &out[i..]),
        _ => (out.as_str(), ""),
    };
    let stem: String = stem.chars().take(80).collect();
    let stem = if stem.is_empty() {
        "attachment".to_string()
    } else {
        stem
    };
    let upper = stem.to_ascii_uppercase();
    let device = matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.as_bytes()[3].is_ascii_digit());
    let ext: String = ext.chars().take(12).collect();
    if device {
        format!("{stem}_{ext}")
    } else {
        format!("{stem}{ext}")
    }
}

/// `name`, or `name-2`, `name-3`… before its extension when the bundle has it already
/// (compared without case, as FAT32 and NTFS do); `index.md` is the document's.
fn unique(taken: &mut HashSet<String>, name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut candidate = name.to_string();
    let mut n = 1;
    while taken.contains(&candidate.to_lowercase()) || candidate.eq_ignore_ascii_case("index.md") {
        n += 1;
        candidate = format!("{stem}-{n}{ext}");
    }
    taken.insert(candidate.to_lowercase());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, b"x").unwrap();
    }

    #[test]
    fn links_are_found_as_mirrors_save_them() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("mirror");
        let site = "www.qingxi.gov.cn";
        for f in [
            "www.qingxi.gov.cn/zwgk/tzgg/202403/P0201.docx",
            "www.qingxi.gov.cn/upload/附件 2.pdf",
            "www.qingxi.gov.cn/module/download/downfile.jsp?classid=0&filename=1803.xls",
            "www.qingxi.gov.cn/module/download/downfile.jsp@classid=0&filename=1804.xls",
            "secret.txt",
        ] {
            touch(&tree, f);
        }
        let page = tree.join(site).join("zwgk/tzgg/202403/t20240301_1.html");
        let canon = tree.canonicalize().unwrap();
        let at = |href: &str| locate(href, &page, &tree, None, Some(&canon));
        let file = |rel: &str| Located::File(tree.join(site).join(rel));
        let file_in_tree = |rel: &str| Located::File(tree.join(rel));
        assert_eq!(at("./P0201.docx"), file("zwgk/tzgg/202403/P0201.docx"));
        assert_eq!(
            at("../../../upload/%E9%99%84%E4%BB%B6%202.pdf"),
            file("upload/附件 2.pdf")
        );
        assert_eq!(at("/upload/附件 2.pdf"), file("upload/附件 2.pdf"));
        assert_eq!(
            at("https://www.qingxi.gov.cn/upload/%E9%99%84%E4%BB%B6%202.pdf#page=2"),
            file("upload/附件 2.pdf")
        );
        assert_eq!(
            at("/module/download/downfile.jsp?classid=0&filename=1803.xls"),
            file("module/download/downfile.jsp?classid=0&filename=1803.xls")
        );
        assert_eq!(
            at("/module/download/downfile.jsp?classid=0&filename=1804.xls"),
            file("module/download/downfile.jsp@classid=0&filename=1804.xls")
        );
        assert_eq!(at("../../../../../../etc/passwd"), Located::Outside);
        // From the site's root, `..` stops at the root, as in a browser.
        assert!(matches!(at("/../secret.txt"), Located::Missing(_)));
        assert_eq!(at("../../../../secret.txt"), file_in_tree("secret.txt"));
        assert!(matches!(at("P0202.docx"), Located::Missing(m) if m.contains("P0202.docx")));
        assert!(
            matches!(at("https://www.other.gov.cn/a.pdf"), Located::Missing(m) if m.contains("www.other.gov.cn"))
        );
        assert!(matches!(at("javascript:void(0).pdf"), Located::Missing(_)));
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_out_of_the_tree_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("mirror");
        touch(dir.path(), "outside/secret.pdf");
        std::fs::create_dir_all(&tree).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside"), tree.join("upload")).unwrap();
        let page = tree.join("t1.html");
        let canon = tree.canonicalize().unwrap();
        assert_eq!(
            locate("upload/secret.pdf", &page, &tree, None, Some(&canon)),
            Located::Outside
        );
    }

    #[test]
    fn a_file_linked_twice_is_copied_once() {
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("mirror");
        touch(&tree, "zwgk/P0201.txt");
        let rules = Rules::load(None, None).unwrap();
        let mut x = crate::import::extract::html(
            "<div class=\"article_content\"><p>正文。</p><p><a href=\"P0201.txt\">附件</a></p>\
             <p><a href=\"/zwgk/P0201.txt\">附件（另一处链接）</a></p></div>",
            &rules,
        );
        let found = find(
            &mut x,
            &tree.join("zwgk/t1.html"),
            &tree,
            &rules,
            &ReadOptions::default(),
        );
        assert_eq!(found.files.len(), 1);
        assert_eq!(found.files[0].name, "P0201.txt");
        assert_eq!(found.files[0].text.as_ref().unwrap().0, "P0201.txt.txt");
        let urls: Vec<&str> = x.page.attachments.iter().map(|a| a.url.as_str()).collect();
        assert_eq!(urls, ["P0201.txt", "P0201.txt"]);
        assert!(found.reports.iter().all(|r| r.status == "copied"));
    }

    #[test]
    fn bundle_names_are_portable_and_unique() {
        let p = |s: &str| PathBuf::from(format!("m/{s}"));
        assert_eq!(bundle_name(&p("P0201.docx"), "./P0201.docx"), "P0201.docx");
        assert_eq!(
            bundle_name(&p("downfile.jsp?classid=0&filename=1803.xls"), "x"),
            "1803.xls"
        );
        assert_eq!(bundle_name(&p("附件 2: 表?.pdf"), "x"), "附件 2_ 表_.pdf");
        assert_eq!(bundle_name(&p("con.pdf"), "x"), "con_.pdf");
        let mut taken = HashSet::new();
        assert_eq!(unique(&mut taken, "a.pdf"), "a.pdf");
        assert_eq!(unique(&mut taken, "A.PDF"), "A-2.PDF");
        assert_eq!(unique(&mut taken, "index.md"), "index-2.md");
    }
}
