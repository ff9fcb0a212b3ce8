//! The offline post-pass: rewrites a built site so it works opened from file:// (a USB
//! stick) on Windows, macOS and Linux, whatever the theme wrote.
//!
//! Themes build every internal link with `url()` (base path + site path). From file://
//! such links point at the root of the disk, and a directory link opens a folder listing,
//! so every `.html` file is rewritten with lol_html (and every `.css` file's `url()`):
//! - links into the site (base path, or the site's own absolute address) become relative
//!   paths, and directory links end in `index.html`; query and fragment are kept;
//! - links to other sites (原文链接, attachments) are left alone, but nothing is *loaded*
//!   from the network: external scripts, style sheets, images, frames are dropped;
//! - `sitemap.xml` (and the parts `sitemap-N.xml` of a split one), `atom.xml` and
//!   `robots.txt` are left out ([`is_web_only`]): they are for web publishing
//!   (crawlers and feed readers), hold absolute addresses by definition, and mean nothing
//!   from file://. Links and `<link>` elements pointing at them are removed, as is any
//!   element marked `data-gongkai-web-only`.
//!
//! Paths are then checked to be portable to FAT32/exFAT/NTFS ([`check_portable`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use lol_html::html_content::ContentType;
use lol_html::{HtmlRewriter, Settings, element, text};
use percent_encoding::percent_decode_str;
use rayon::prelude::*;
use regex::Regex;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::render::encode_path;

/// Files at the root of a build that exist for web publishing only (and the parts of
/// a split sitemap: [`is_web_only`]).
pub const WEB_ONLY_FILES: &[&str] = &["sitemap.xml", "atom.xml", "robots.txt"];

/// Whether the file at site path `path` exists for web publishing only.
pub fn is_web_only(path: &str) -> bool {
    WEB_ONLY_FILES.contains(&path) || super::pages::sitemap::is_part_path(path)
}

/// Elements carrying this attribute are removed from the offline copy.
pub const WEB_ONLY_ATTRIBUTE: &str = "data-gongkai-web-only";

/// The longest relative path (in UTF-16 code units, as Windows counts) kept in an offline
/// copy: 260 (MAX_PATH) less room for a drive and a folder name (`E:\档案\`).
pub const MAX_PATH_LEN: usize = 240;

/// Rewrites every internal link and asset reference under `site_dir` (built for
/// `base_url`) into relative ones that work from file://, drops the web-only files and
/// checks that every path is portable.
pub fn make_relative(site_dir: &Path, base_url: &str) -> Result<(), Diagnostics> {
    let root_files = std::fs::read_dir(site_dir)
        .map_err(|e| Diagnostic::error(site_dir, None, format!("cannot read: {e}")))?;
    for entry in root_files.filter_map(Result::ok) {
        let p = entry.path();
        if entry.file_name().to_str().is_some_and(is_web_only) && p.is_file() {
            std::fs::remove_file(&p)
                .map_err(|e| Diagnostic::error(&p, None, format!("cannot remove: {e}")))?;
        }
    }
    let files = list_files(site_dir)?;
    let problems = check_portable(files.iter().map(String::as_str));
    if !problems.is_empty() {
        // Name the output path, and where it most likely comes from.
        let mut out = Diagnostics::new();
        for mut d in problems {
            let rel = d.file.to_string_lossy().into_owned();
            let source = match rel.strip_suffix("/index.html") {
                Some(doc) => format!("content/{doc}.md or content/{doc}/index.md"),
                None => format!("content/{rel} or static/{rel}"),
            };
            d.message = format!(
                "in the offline copy, {} (it is built from {source})",
                d.message
            );
            out.push(d);
        }
        return Err(out);
    }
    let site = SiteAddress::new(base_url, &files);
    let errors: Vec<Diagnostic> = files
        .par_iter()
        .filter_map(|rel| {
            let lower = rel.to_ascii_lowercase();
            let is_html = lower.ends_with(".html") || lower.ends_with(".htm");
            let is_css = lower.ends_with(".css");
            if !is_html && !is_css {
                return None;
            }
            let path = rel
                .split('/')
                .fold(site_dir.to_path_buf(), |p, s| p.join(s));
            let result = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|text| {
                    let new = if is_html {
                        site.rewrite_html(rel, &text)?
                    } else {
                        site.rewrite_css(rel, &text)
                    };
                    if new != text {
                        std::fs::write(&path, new).map_err(|e| format!("cannot write: {e}"))?;
                    }
                    Ok(())
                });
            result.err().map(|m| Diagnostic::error(&path, None, m))
        })
        .collect();
    let mut all = Diagnostics::new();
    all.extend(errors);
    all.sorted().into_result(())
}

/// Every file under `dir`, as a relative path with `/`, sorted.
pub fn list_files(dir: &Path) -> Result<Vec<String>, Diagnostic> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            Diagnostic::error(
                e.path().unwrap_or(dir),
                None,
                format!("cannot read the folder: {e}"),
            )
        })?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.push(parts.join("/"));
    }
    Ok(out)
}

/// Names Windows reserves for devices, whatever the extension (`CON.html` too).
const RESERVED_NAMES: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "COM0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT0",
    "CONIN$", "CONOUT$",
];

/// Characters FAT32, exFAT and NTFS refuse in a name.
const RESERVED_CHARS: &[char] = &['<', '>', ':', '"', '\\', '|', '?', '*'];

/// Why `rel` (a relative path with `/`) cannot be stored on FAT32/exFAT/NTFS, if so.
pub fn portability_problem(rel: &str) -> Option<String> {
    let len = rel.encode_utf16().count();
    if len > MAX_PATH_LEN {
        return Some(format!(
            "the path is {len} characters long; Windows and USB sticks need at most \
             {MAX_PATH_LEN}: shorten the document's file name or folder"
        ));
    }
    for seg in rel.split('/') {
        if seg.is_empty() {
            return Some("the path has an empty folder name".into());
        }
        if seg.encode_utf16().count() > 255 {
            return Some(format!("the name `{seg}` is longer than 255 characters"));
        }
        if let Some(c) = seg
            .chars()
            .find(|c| RESERVED_CHARS.contains(c) || c.is_control())
        {
            return Some(format!(
                "the name `{seg}` holds `{}`, which Windows and USB sticks do not allow \
                 (none of < > : \" \\ | ? * or control characters); rename it",
                c.escape_default()
            ));
        }
        if seg.ends_with('.') || seg.ends_with(' ') {
            return Some(format!(
                "the name `{seg}` ends with a dot or a space, which Windows drops; rename it"
            ));
        }
        let stem = seg.split('.').next().unwrap_or(seg).trim_end();
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
            return Some(format!(
                "the name `{seg}` is reserved on Windows (a device name like CON, PRN, AUX, \
                 NUL, COM1, LPT1); rename it"
            ));
        }
    }
    None
}

/// Checks a set of relative paths for FAT32/exFAT/NTFS: each on its own
/// ([`portability_problem`]), and no two that differ only in case (they would overwrite
/// each other there).
pub fn check_portable<'a>(paths: impl IntoIterator<Item = &'a str>) -> Diagnostics {
    let mut errors = Diagnostics::new();
    // Folders count too: `A/x.html` and `a/y.html` land in one folder on Windows.
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for rel in paths {
        if let Some(problem) = portability_problem(rel) {
            errors.push(Diagnostic::error(rel, None, problem));
        }
        let mut prefix = String::new();
        for seg in rel.split('/') {
            if !prefix.is_empty() {
                prefix.push('/');
            }
            prefix.push_str(seg);
            let folded = prefix.to_lowercase();
            match seen.get(&folded) {
                Some(other) if *other != prefix => {
                    errors.push(Diagnostic::error(
                        rel,
                        None,
                        format!(
                            "`{prefix}` and `{other}` differ only in upper/lower case; \
                             Windows and USB sticks treat them as one: rename one of them"
                        ),
                    ));
                    break;
                }
                Some(_) => {}
                None => {
                    seen.insert(folded, prefix.clone());
                }
            }
        }
    }
    errors.sorted()
}

/// How a URL found in a page is used, which decides what happens to it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum UrlUse {
    /// Followed when clicked (`a href`, `form action`): external ones are kept.
    Navigate,
    /// Fetched by the browser (`img src`, style sheets): external ones are dropped.
    Load,
    /// Read by a script (`data-*`): directory links stay directories, so a script can
    /// join a file name onto them.
    Script,
}

/// What to do with a URL.
#[derive(Debug, PartialEq, Eq)]
enum Rewrite {
    Keep,
    Replace(String),
    /// An external resource: must not be loaded offline.
    DropLoad,
    /// A link to a file left out of the offline copy.
    DropLink,
}

/// Where the site is published, to recognise its links.
struct SiteAddress {
    /// `/` or `/xxgk/`.
    base_path: String,
    /// Host (and port) of the base URL, lower case, when it had one.
    host: Option<String>,
    /// Folders of the build (site paths with a trailing `/`), to tell `a/b` (a folder)
    /// from a file.
    dirs: BTreeSet<String>,
    /// Files of the build (site paths).
    files: BTreeSet<String>,
}

static SCHEME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z][A-Za-z0-9+.\-]*:").expect("valid regex"));
static CSS_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(url\(\s*)("([^"]*)"|'([^']*)'|([^)'"\s]*))(\s*\))|(@import\s+)("([^"]*)"|'([^']*)')"#)
        .expect("valid regex")
});
static REFRESH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(\s*\d*\s*[;,]\s*url\s*=\s*)(.*)$").expect("valid regex"));

impl SiteAddress {
    fn new(base_url: &str, files: &[String]) -> SiteAddress {
        let lower = base_url.to_ascii_lowercase();
        let host = ["https://", "http://"]
            .iter()
            .find(|s| lower.starts_with(*s))
            .map(|s| {
                base_url[s.len()..]
                    .split(['/', '?', '#'])
                    .next()
                    .unwrap_or("")
                    .to_ascii_lowercase()
            })
            .filter(|h| !h.is_empty());
        let mut dirs = BTreeSet::new();
        for f in files {
            let mut end = 0;
            while let Some(i) = f[end..].find('/') {
                end += i + 1;
                dirs.insert(f[..end].to_string());
            }
        }
        SiteAddress {
            base_path: crate::config::base_path_of(base_url),
            host,
            dirs,
            files: files.iter().cloned().collect(),
        }
    }

    /// The site path (`2021/notice/?x#y`, still percent-encoded) a URL points at, if it
    /// points into the site; `Err(true)` when it points at another site, `Err(false)`
    /// when it is relative or not a web address at all.
    fn site_path<'v>(&self, v: &'v str) -> Result<&'v str, bool> {
        let lower = v.to_ascii_lowercase();
        let after_host = if let Some(rest) = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .or_else(|| lower.strip_prefix("//"))
        {
            let start = v.len() - rest.len();
            let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
            if self.host.as_deref() != Some(&rest[..host_end]) {
                return Err(true);
            }
            &v[start + host_end..]
        } else if SCHEME.is_match(v) {
            // mailto:, tel:, data:, javascript: … and ftp: (another site).
            return Err(lower.starts_with("ftp:"));
        } else if v.starts_with('/') {
            v
        } else {
            return Err(false);
        };
        if let Some(rest) = after_host.strip_prefix(self.base_path.as_str()) {
            return Ok(rest);
        }
        // `/xxgk` (the base without its slash), or `https://host` alone.
        let base_bare = self.base_path.trim_end_matches('/');
        let (path, suffix) = split_suffix(after_host);
        if path == base_bare {
            return Ok(&after_host[after_host.len() - suffix.len()..]);
        }
        // The same host outside the base path: there is nothing to point at offline.
        Err(false)
    }

    /// What becomes of `value`, found in the file `page` (a relative path in the build).
    fn rewrite_url(&self, page: &str, value: &str, how: UrlUse) -> Rewrite {
        let v = value.trim();
        if v.is_empty() {
            return Rewrite::Keep;
        }
        let (target, suffix) = match self.site_path(v) {
            Ok(site) => {
                let (path, suffix) = split_suffix(site);
                (normalise(&decode(path)), suffix)
            }
            Err(true) => {
                return if how == UrlUse::Load {
                    Rewrite::DropLoad
                } else {
                    Rewrite::Keep
                };
            }
            Err(false) => {
                // Relative already: only a directory link needs its index.html.
                if SCHEME.is_match(v) || v.starts_with('/') || how == UrlUse::Script {
                    return Rewrite::Keep;
                }
                let (path, suffix) = split_suffix(v);
                let last = path.rsplit('/').next().unwrap_or("");
                if path.is_empty() {
                    return Rewrite::Keep;
                }
                if path.ends_with('/') || last == "." || last == ".." {
                    let sep = if path.ends_with('/') { "" } else { "/" };
                    return Rewrite::Replace(format!("{path}{sep}index.html{suffix}"));
                }
                return Rewrite::Keep;
            }
        };
        if is_web_only(&target) {
            return Rewrite::DropLink;
        }
        let resolved = if target.is_empty() || target.ends_with('/') {
            if how == UrlUse::Script {
                target.clone()
            } else {
                format!("{target}index.html")
            }
        } else if self.dirs.contains(&format!("{target}/")) {
            if how == UrlUse::Script {
                format!("{target}/")
            } else {
                format!("{target}/index.html")
            }
        } else {
            target.clone()
        };
        // The site's own host written out in full may also be a page of the portal the
        // archive was copied from (a 原文链接): only what the build holds is ours.
        let exists = self.files.contains(&resolved)
            || (resolved.is_empty() || resolved.ends_with('/')) && self.dirs.contains(&resolved);
        if is_absolute(v) && !exists {
            return if how == UrlUse::Load {
                Rewrite::DropLoad
            } else {
                Rewrite::Keep
            };
        }
        self.finish(page, &resolved, suffix)
    }

    fn finish(&self, page: &str, target: &str, suffix: &str) -> Rewrite {
        let mut rel = relative(page, target);
        if rel.is_empty() {
            rel.push_str("./");
        }
        rel.push_str(suffix);
        Rewrite::Replace(rel)
    }

    /// Rewrites one page.
    fn rewrite_html(&self, page: &str, html: &str) -> Result<String, String> {
        let mut out = Vec::with_capacity(html.len());
        let mut style_text = String::new();
        let mut noscript_text = String::new();
        let mut rewriter = HtmlRewriter::new(
            Settings::new()
                .append_element_content_handler(element!(format!("[{WEB_ONLY_ATTRIBUTE}]"), |el| {
                    el.remove();
                    Ok(())
                }))
                .append_element_content_handler(element!("base", |el| {
                    // A <base> would make every relative link resolve elsewhere.
                    el.remove();
                    Ok(())
                }))
                .append_element_content_handler(element!("*", |el| {
                    if !el.removed() {
                        self.rewrite_element(page, el);
                    }
                    Ok(())
                }))
                // Scripting is on for lol_html, so <noscript> holds raw text: rewrite
                // it as the markup it is.
                .append_element_content_handler(text!("noscript", |chunk| {
                    noscript_text.push_str(chunk.as_str());
                    if chunk.last_in_text_node() {
                        let inner = self
                            .rewrite_html(page, &noscript_text)
                            .unwrap_or_else(|_| noscript_text.clone());
                        chunk.replace(&inner, ContentType::Html);
                        noscript_text.clear();
                    } else {
                        chunk.remove();
                    }
                    Ok(())
                }))
                .append_element_content_handler(text!("style", |chunk| {
                    style_text.push_str(chunk.as_str());
                    if chunk.last_in_text_node() {
                        let css = self.rewrite_css(page, &style_text);
                        chunk.replace(&css, ContentType::Html);
                        style_text.clear();
                    } else {
                        chunk.remove();
                    }
                    Ok(())
                })),
            |c: &[u8]| out.extend_from_slice(c),
        );
        rewriter
            .write(html.as_bytes())
            .and_then(|()| rewriter.end())
            .map_err(|e| format!("cannot rewrite the page for offline use: {e}"))?;
        String::from_utf8(out).map_err(|e| format!("the page is not UTF-8: {e}"))
    }

    fn rewrite_element(&self, page: &str, el: &mut lol_html::html_content::Element<'_, '_>) {
        let tag = el.tag_name();
        let rel = el
            .get_attribute("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        // Hints that open connections to other hosts have no use offline.
        if tag == "link"
            && rel
                .split_ascii_whitespace()
                .any(|r| matches!(r, "dns-prefetch" | "preconnect"))
        {
            el.remove();
            return;
        }
        let link_loads = rel.split_ascii_whitespace().any(|r| {
            matches!(
                r,
                "stylesheet"
                    | "icon"
                    | "preload"
                    | "modulepreload"
                    | "prefetch"
                    | "prerender"
                    | "manifest"
                    | "apple-touch-icon"
                    | "mask-icon"
            )
        });
        let attrs: Vec<(String, String)> = el
            .attributes()
            .iter()
            .map(|a| (a.name(), a.value()))
            .collect();
        for (name, value) in attrs {
            let how = match name.as_str() {
                "href" | "xlink:href" => match tag.as_str() {
                    "a" | "area" => Some(UrlUse::Navigate),
                    "link" if link_loads => Some(UrlUse::Load),
                    "link" => Some(UrlUse::Navigate),
                    _ => Some(UrlUse::Load), // svg <use>, <image>
                },
                "src" | "poster" | "data" | "background" => {
                    if name == "data" && tag != "object" {
                        None
                    } else {
                        Some(UrlUse::Load)
                    }
                }
                "action" | "formaction" | "cite" | "longdesc" => Some(UrlUse::Navigate),
                "srcset" | "imagesrcset" => {
                    let new = self.rewrite_srcset(page, &value);
                    if new != value {
                        set(el, &name, &new);
                    }
                    continue;
                }
                "style" => {
                    let new = self.rewrite_css(page, &value);
                    if new != value {
                        set(el, &name, &new);
                    }
                    continue;
                }
                "content"
                    if tag == "meta"
                        && el
                            .get_attribute("http-equiv")
                            .is_some_and(|h| h.eq_ignore_ascii_case("refresh")) =>
                {
                    if let Some(c) = REFRESH.captures(&value) {
                        let (head, url) = (&c[1], &c[2]);
                        let unquoted = url.trim_matches(['\'', '"']);
                        if let Rewrite::Replace(new) =
                            self.rewrite_url(page, unquoted, UrlUse::Navigate)
                        {
                            set(el, &name, &format!("{head}{new}"));
                        }
                    }
                    continue;
                }
                n if n.starts_with("data-") => {
                    // Only what is plainly a link into the site: a data value may be anything.
                    if self.site_path(value.trim()).is_ok() && value.trim() != "/" {
                        Some(UrlUse::Script)
                    } else {
                        None
                    }
                }
                // Any other attribute (`<meta name="Url" content>`, og:url) holding the
                // site's own absolute address.
                _ if self.host.is_some() && is_absolute(&value) => {
                    if self.site_path(value.trim()).is_ok() {
                        Some(UrlUse::Navigate)
                    } else {
                        None
                    }
                }
                _ => None,
            };
            let Some(how) = how else { continue };
            match self.rewrite_url(page, &value, how) {
                Rewrite::Keep => {}
                Rewrite::Replace(new) => set(el, &name, &new),
                Rewrite::DropLink => {
                    if tag == "a" || tag == "link" || tag == "area" {
                        el.remove();
                        return;
                    }
                    el.remove_attribute(&name);
                }
                Rewrite::DropLoad => {
                    if tag == "script" || tag == "link" || tag == "iframe" || tag == "frame" {
                        el.remove();
                        return;
                    }
                    el.remove_attribute(&name);
                    if tag == "img" || tag == "source" {
                        el.remove_attribute("srcset");
                    }
                }
            }
        }
    }

    fn rewrite_srcset(&self, page: &str, value: &str) -> String {
        let mut out = Vec::new();
        for candidate in value.split(',') {
            let c = candidate.trim();
            if c.is_empty() {
                continue;
            }
            let (url, descriptor) = c.split_once(char::is_whitespace).unwrap_or((c, ""));
            match self.rewrite_url(page, url, UrlUse::Load) {
                Rewrite::Keep => out.push(c.to_string()),
                Rewrite::Replace(new) => out.push(format!("{new} {descriptor}").trim().into()),
                Rewrite::DropLoad | Rewrite::DropLink => {}
            }
        }
        out.join(", ")
    }

    /// Rewrites the `url()` and `@import` references of a style sheet (or a style
    /// attribute) found in the file `page`.
    fn rewrite_css(&self, page: &str, css: &str) -> String {
        CSS_URL
            .replace_all(css, |c: &regex::Captures<'_>| {
                let whole = c[0].to_string();
                let (url, quote) = if let Some(m) = c.get(3).or(c.get(9)) {
                    (m.as_str(), "\"")
                } else if let Some(m) = c.get(4).or(c.get(10)) {
                    (m.as_str(), "'")
                } else {
                    (c.get(5).map_or("", |m| m.as_str()), "")
                };
                let new = match self.rewrite_url(page, url, UrlUse::Load) {
                    Rewrite::Keep => return whole,
                    Rewrite::Replace(new) => new,
                    // An empty style sheet or image, fetched from nowhere.
                    Rewrite::DropLoad | Rewrite::DropLink => "data:,".to_string(),
                };
                if let Some(head) = c.get(1) {
                    let tail = c.get(6).map_or(")", |m| m.as_str());
                    format!("{}{quote}{new}{quote}{tail}", head.as_str())
                } else {
                    let head = c.get(7).map_or("@import ", |m| m.as_str());
                    let q = if quote.is_empty() { "\"" } else { quote };
                    format!("{head}{q}{new}{q}")
                }
            })
            .into_owned()
    }
}

fn set(el: &mut lol_html::html_content::Element<'_, '_>, name: &str, value: &str) {
    // The name comes from the element itself, so it is valid.
    let _ = el.set_attribute(name, value);
}

fn is_absolute(v: &str) -> bool {
    let l = v.trim_start().to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://") || l.starts_with("//")
}

/// Splits `path?query#fragment` into the path and the rest.
fn split_suffix(v: &str) -> (&str, &str) {
    match v.find(['?', '#']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    }
}

fn decode(path: &str) -> String {
    percent_decode_str(path).decode_utf8_lossy().into_owned()
}

/// Resolves `.` and `..` in a site path, keeping a trailing `/`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    let mut out = parts.join("/");
    if trailing && !out.is_empty() {
        out.push('/');
    }
    out
}

/// The link from the file `from` to the site path `to` (both unencoded, relative to the
/// site root), percent-encoded.
fn relative(from: &str, to: &str) -> String {
    let mut from_dir: Vec<&str> = from.split('/').collect();
    from_dir.pop();
    let to_parts: Vec<&str> = to.split('/').collect();
    let to_dir = &to_parts[..to_parts.len().saturating_sub(1)];
    let common = from_dir
        .iter()
        .zip(to_dir)
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = "../".repeat(from_dir.len() - common);
    let rest = to_parts[common..].join("/");
    // `a:b/…` would read as a scheme.
    if out.is_empty() && rest.split('/').next().is_some_and(|s| s.contains(':')) {
        out.push_str("./");
    }
    out.push_str(&encode_path(&rest));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(base_url: &str) -> SiteAddress {
        let files: Vec<String> = [
            "index.html",
            "2021/notice/index.html",
            "agency/index.html",
            "agency/县政府/index.html",
            "assets/gongkai.css",
            "search/index.html",
            "search/shard-0.js",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        SiteAddress::new(base_url, &files)
    }

    fn rw(s: &SiteAddress, page: &str, v: &str, how: UrlUse) -> String {
        match s.rewrite_url(page, v, how) {
            Rewrite::Replace(n) => n,
            Rewrite::Keep => format!("KEEP {v}"),
            other => format!("{other:?}"),
        }
    }

    /// Each `(page, value, expected)`: `value` found in `page`, used as `how`.
    fn assert_rewrites(s: &SiteAddress, how: UrlUse, cases: &[(&str, &str, &str)]) {
        for &(page, value, want) in cases {
            assert_eq!(rw(s, page, value, how), want, "`{value}` in {page}");
        }
    }

    #[test]
    fn base_path_links_become_relative() {
        let s = site("https://www.example.gov.cn/xxgk/");
        assert_rewrites(
            &s,
            UrlUse::Navigate,
            &[
                ("index.html", "/xxgk/", "index.html"),
                ("index.html", "/xxgk", "index.html"),
                ("index.html", "/xxgk/2021/notice/", "2021/notice/index.html"),
                ("2021/notice/index.html", "/xxgk/", "../../index.html"),
                (
                    "2021/notice/index.html",
                    "/xxgk/2021/notice/#top",
                    "index.html#top",
                ),
                ("agency/县政府/index.html", "/xxgk/agency/", "../index.html"),
                (
                    "index.html",
                    "/xxgk/agency/%E5%8E%BF%E6%94%BF%E5%BA%9C/",
                    "agency/%E5%8E%BF%E6%94%BF%E5%BA%9C/index.html",
                ),
                // A folder linked without its slash is still a folder.
                ("index.html", "/xxgk/2021/notice", "2021/notice/index.html"),
                (
                    "search/index.html",
                    "/xxgk/search/index.html?q=%E9%80%9A",
                    "index.html?q=%E9%80%9A",
                ),
            ],
        );
    }

    #[test]
    fn the_sites_absolute_address_becomes_relative_and_others_stay() {
        let s = site("https://www.example.gov.cn/xxgk/");
        assert_rewrites(
            &s,
            UrlUse::Navigate,
            &[
                (
                    "a/b.html",
                    "HTTPS://WWW.example.gov.cn/xxgk/2021/notice/",
                    "../2021/notice/index.html",
                ),
                (
                    "index.html",
                    "//www.example.gov.cn/xxgk/assets/gongkai.css",
                    "assets/gongkai.css",
                ),
                (
                    "index.html",
                    "https://other.gov.cn/a.html",
                    "KEEP https://other.gov.cn/a.html",
                ),
                ("index.html", "mailto:x@y.cn", "KEEP mailto:x@y.cn"),
                ("index.html", "#main", "KEEP #main"),
                ("index.html", "/xxgk/atom.xml", "DropLink"),
                // The portal's own page (a 原文链接 on the same host) is not part of the build.
                (
                    "index.html",
                    "https://www.example.gov.cn/xxgk/art/1.html",
                    "KEEP https://www.example.gov.cn/xxgk/art/1.html",
                ),
            ],
        );
        assert_rewrites(
            &s,
            UrlUse::Load,
            &[("index.html", "https://other.gov.cn/a.png", "DropLoad")],
        );
    }

    #[test]
    fn relative_directory_links_get_index_html() {
        let s = site("/");
        assert_rewrites(
            &s,
            UrlUse::Navigate,
            &[
                ("a/b/index.html", "../", "../index.html"),
                ("a/b/index.html", "..", "../index.html"),
                ("a/b/index.html", "c/?x=1", "c/index.html?x=1"),
                ("a/b/index.html", "c.png", "KEEP c.png"),
                ("index.html", "/", "index.html"),
            ],
        );
    }

    #[test]
    fn script_values_keep_folders() {
        let s = site("/");
        assert_rewrites(
            &s,
            UrlUse::Script,
            &[
                ("2021/notice/index.html", "/search/", "../../search/"),
                ("search/index.html", "/search/", "./"),
            ],
        );
    }

    #[test]
    fn pages_are_rewritten() {
        let s = site("https://www.example.gov.cn/");
        let html = r#"<html><head><base href="/"><link rel="stylesheet" href="/assets/gongkai.css"><link rel="alternate" type="application/atom+xml" href="/atom.xml"><script src="https://cdn.example.com/x.js"></script><meta name="Url" content="https://www.example.gov.cn/2021/notice/"><style>body{background:url('/assets/a.png')} a>b{}</style></head><body><a href="/">首页</a> <a href="https://www.example.gov.cn/sitemap.xml">网站地图</a><form action="/search/index.html"></form><img src="https://cdn.example.com/a.png" srcset="https://cdn.example.com/a.png 2x" alt="图"><a href="http://portal.example.gov.cn/art/1.html">原文</a><p data-gongkai-web-only>x</p><noscript><a href="/year/">按年份</a></noscript><div data-search-root="/search/" style="background: url(/assets/b.png)"></div></body></html>"#;
        let out = s.rewrite_html("2021/notice/index.html", html).unwrap();
        assert!(!out.contains("<base"), "{out}");
        assert!(out.contains(r#"href="../../assets/gongkai.css""#), "{out}");
        assert!(!out.contains("atom.xml"), "{out}");
        assert!(!out.contains("cdn.example.com"), "{out}");
        assert!(out.contains(r#"content="index.html""#), "{out}");
        assert!(out.contains("url('../../assets/a.png')"), "{out}");
        assert!(out.contains("a>b{}"), "{out}");
        assert!(
            out.contains(r#"<a href="../../index.html">首页</a>"#),
            "{out}"
        );
        assert!(!out.contains("网站地图"), "{out}");
        assert!(out.contains(r#"action="../../search/index.html""#), "{out}");
        assert!(out.contains(r#"alt="图""#), "{out}");
        assert!(
            out.contains(r#"href="http://portal.example.gov.cn/art/1.html""#),
            "{out}"
        );
        assert!(!out.contains("web-only"), "{out}");
        assert!(out.contains(r#"data-search-root="../../search/""#), "{out}");
        assert!(out.contains("url(../../assets/b.png)"), "{out}");
        assert!(
            out.contains(r#"<noscript><a href="../../year/index.html">按年份</a></noscript>"#),
            "{out}"
        );
    }

    #[test]
    fn style_sheets_are_rewritten() {
        let s = site("/gk/");
        let css = "@import \"/gk/assets/more.css\";\n@import url(https://fonts.example.com/f.css);\n\
                   .a{background:url(\"/gk/assets/a.png\")} .b{background:url(img/b.png)} \
                   .c{src:url(data:font/woff2;base64,AAAA)}";
        let out = s.rewrite_css("assets/gongkai.css", css);
        assert!(out.contains("@import \"more.css\""), "{out}");
        assert!(out.contains("url(data:,)"), "{out}");
        assert!(!out.contains("fonts.example.com"), "{out}");
        assert!(out.contains("url(\"a.png\")"), "{out}");
        assert!(out.contains("url(img/b.png)"), "{out}");
        assert!(out.contains("url(data:font/woff2;base64,AAAA)"), "{out}");
    }

    #[test]
    fn portable_paths() {
        assert!(portability_problem("2021/通知/index.html").is_none());
        assert!(portability_problem("con/index.html").is_some());
        assert!(portability_problem("a/LPT1.html").is_some());
        assert!(portability_problem("a/Nul.txt").is_some());
        assert!(portability_problem("a/console.html").is_none());
        assert!(portability_problem("a/b:c.html").is_some());
        assert!(portability_problem("a/b?.html").is_some());
        assert!(portability_problem("a./index.html").is_some());
        assert!(portability_problem(&format!("{}/index.html", "长".repeat(235))).is_some());
        assert!(portability_problem(&format!("{}/index.html", "长".repeat(200))).is_none());
        let e = check_portable(["A/x.html", "a/y.html", "b/z.html"]);
        assert_eq!(e.len(), 1, "{e}");
        assert!(e.to_string().contains("differ only"), "{e}");
        assert!(check_portable(["a/x.html", "a/y.html"]).is_empty());
    }
}
