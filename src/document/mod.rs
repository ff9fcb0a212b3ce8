//! The content model: a [`Document`] is YAML [`FrontMatter`] between `---` lines, then
//! a Markdown body. This module reads and writes that format and knows the domain's
//! values (dates, 索引号, 文号); it knows nothing of sites or raw reports.

pub mod date;
pub mod front_matter;
pub mod keys;
pub mod numbers;

pub use date::DisclosureDate;
pub use front_matter::{
    Agency, Attachment, Completeness, FieldError, FrontMatter, KeyLines, Source, VALIDITY_VALUES,
};
pub use keys::Key;
pub use numbers::{DocNumber, IndexNumber};

use crate::diagnostic::Diagnostic;
use std::path::{Path, PathBuf};

/// One disclosure item of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Path relative to `content/`, with `/` separators (`2021/notice.md`).
    pub path: String,
    pub front: FrontMatter,
    /// The Markdown body, as written.
    pub body: String,
    /// The line of the file on which the body starts, for messages about the body.
    pub body_line: usize,
    /// The line of the file of each front-matter key.
    pub key_lines: KeyLines,
    /// The folder, inside the one its path gives, that the page goes in when that
    /// folder holds more documents than one output folder should
    /// ([`crate::site::model::Site::nest_crowded_folders`]); `None` for almost every
    /// archive.
    pub nest: Option<String>,
}

impl Document {
    /// Parses a document's text. `path` is how messages name the file.
    pub fn parse(path: &Path, rel: &str, text: &str) -> Result<Document, Vec<Diagnostic>> {
        match Document::parse_partial(path, rel, text) {
            (Some(doc), errors) if errors.is_empty() => Ok(doc),
            (_, errors) => Err(errors),
        }
    }

    /// Parses what can be parsed: the document with its valid fields (when it has a
    /// front matter block at all) and every problem found, so a caller can report a
    /// file's other findings next to its front-matter errors.
    pub fn parse_partial(
        path: &Path,
        rel: &str,
        text: &str,
    ) -> (Option<Document>, Vec<Diagnostic>) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let diag = |line, msg: String| Diagnostic::error(path.to_path_buf(), Some(line), msg);
        let Some((yaml, body, body_line)) = split_front_matter(text) else {
            let e = diag(
                1,
                "no front matter: a document starts with a `---` line, then `标题: …` and \
                 `机构: …`, then a closing `---` line"
                    .into(),
            );
            return (None, vec![e]);
        };
        // YAML counts a lone CR as a line break and the rest of the file does not: the
        // line numbers of every message would be off, so such a file is refused.
        if let Some(at) = yaml.find('\r') {
            let e = diag(
                yaml[..at].matches('\n').count() + 2,
                "a carriage return (CR) without a line feed is in the front matter; \
                 save the file with LF or CRLF line ends"
                    .into(),
            );
            return (None, vec![e]);
        }
        let (front, mut key_lines, errors) = FrontMatter::from_yaml_partial(&yaml);
        let errors: Vec<Diagnostic> = errors
            .into_iter()
            .map(|e| diag(e.line + 1, e.message))
            .collect();
        // Lines within the YAML become lines of the file, below the opening `---`.
        for (_, l) in &mut key_lines.0 {
            *l = l.saturating_add(1);
        }
        key_lines.0.shrink_to_fit();
        let doc = Document {
            path: rel.to_string(),
            front,
            body: body.to_string(),
            body_line,
            key_lines,
            nest: None,
        };
        (Some(doc), errors)
    }

    /// The body of a document's text (the whole file, byte-order mark and all), as
    /// [`parse`](Self::parse) would give it, found by skipping the `---` block without
    /// parsing the YAML: a build parses each front matter when it loads the archive and
    /// only needs the body again when it renders the page. `None` when the text has no
    /// front matter block.
    pub fn body_of(text: &str) -> Option<&str> {
        Document::body_start(text.as_bytes()).map(|at| &text[at..])
    }

    /// Where the body starts in a document file's bytes (byte-order mark and all): after
    /// the closing `---` line, by the rule [`parse`](Self::parse) reads the block with.
    /// Works on bytes not yet checked as UTF-8, so a build can read and check only a
    /// file's front matter. `None` when there is no front matter block.
    pub fn body_start(bytes: &[u8]) -> Option<usize> {
        let bom = if bytes.starts_with("\u{feff}".as_bytes()) {
            3
        } else {
            0
        };
        FrontMatterBlock::of(&bytes[bom..]).map(|block| bom + block.body)
    }

    /// The document as file text: front matter, then the body.
    pub fn to_text(front: &FrontMatter, body: &str) -> String {
        let mut out = String::with_capacity(body.len() + 256);
        out.push_str("---\n");
        out.push_str(&front.to_yaml());
        out.push_str("---\n\n");
        out.push_str(body.trim_start_matches('\n'));
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }

    /// The line of the file where `key` is given, else the first line of the front matter.
    pub fn line_of(&self, key: Key) -> usize {
        self.key_lines.get(key).unwrap_or(2)
    }

    /// The site path of the document's page: the path of the `.md` without its
    /// extension, as a folder (`2021/notice/`); see [`url_path_of`]. A nested document
    /// goes one folder down (`2021/3f/notice/`).
    pub fn url_path(&self) -> String {
        let plain = url_path_of(&self.path);
        match &self.nest {
            Some(nest) => nested_url_path(&plain, nest),
            None => plain,
        }
    }

    /// The folder of the document's file under content/ (`2021/notice/` for the bundle
    /// `2021/notice/index.md`, `2021/` for `2021/a.md`): relative links start there.
    pub fn folder(&self) -> &str {
        match self.path.rfind('/') {
            Some(i) => &self.path[..=i],
            None => "",
        }
    }

    /// The content file, under `content_dir`.
    pub fn file(&self, content_dir: &Path) -> PathBuf {
        content_dir.join(&self.path)
    }
}

/// The site path of the page of the document at `path` (relative to content/): the
/// path without `.md`, as a folder (`2021/notice.md` → `2021/notice/`). A page bundle,
/// a folder holding `index.md` and the document's files (Hugo's and Zola's layout), is
/// the folder itself (`2021/notice/index.md` → `2021/notice/`), so its files are
/// published beside its page.
pub fn url_path_of(path: &str) -> String {
    if path == "index.md" {
        return String::new();
    }
    if let Some(folder) = path.strip_suffix("/index.md") {
        return format!("{folder}/");
    }
    let stem = path.strip_suffix(".md").unwrap_or(path);
    format!("{stem}/")
}

/// `url_path` (`2021/notice/`) one folder down, in `nest` (`2021/3f/notice/`).
pub fn nested_url_path(url_path: &str, nest: &str) -> String {
    let trimmed = url_path.trim_end_matches('/');
    let (parent, name) = match trimmed.rfind('/') {
        Some(i) => (&trimmed[..=i], &trimmed[i + 1..]),
        None => ("", trimmed),
    };
    format!("{parent}{nest}/{name}/")
}

/// A path written in a document whose file is in `folder` (see [`Document::folder`]),
/// as a path under content/: relative to the folder, or to content/ when it starts with
/// `/`; `.` and `..` resolved, percent-encoding decoded, a trailing `/` kept. `None` when
/// it climbs out of content/ (`../../etc/passwd`): nothing outside is ever a file of the
/// archive. Query and fragment are the caller's to split off.
pub fn content_path(folder: &str, path: &str) -> Option<String> {
    let joined = match path.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => format!("{folder}{path}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    let mut normal = parts.join("/");
    if joined.ends_with('/') && !normal.is_empty() {
        normal.push('/');
    }
    Some(
        percent_encoding::percent_decode_str(&normal)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// Splits `---\nYAML\n---\nbody`, with LF or CRLF line ends. Returns the YAML (LF line
/// ends), the body and the 1-based line where the body starts.
fn split_front_matter(text: &str) -> Option<(String, &str, usize)> {
    let block = FrontMatterBlock::of(text.as_bytes())?;
    let mut yaml = String::with_capacity(block.yaml.len());
    for l in text[block.yaml].split_inclusive('\n') {
        yaml.push_str(l.trim_end_matches(['\r', '\n']));
        yaml.push('\n');
    }
    Some((yaml, &text[block.body..], block.body_line))
}

/// Where the parts of `---\nYAML\n---\nbody` are in a document's text (after its
/// byte-order mark): found by the `---` lines alone, without reading the YAML.
struct FrontMatterBlock {
    /// The YAML's lines, between the two `---` lines.
    yaml: std::ops::Range<usize>,
    /// Where the body starts: after the closing `---` line.
    body: usize,
    /// The 1-based line where the body starts.
    body_line: usize,
}

impl FrontMatterBlock {
    fn of(text: &[u8]) -> Option<FrontMatterBlock> {
        // `---` and white space only (`line.trim_end() == "---"` for text); bytes that are
        // not UTF-8 after the dashes make no rule.
        let is_rule = |line: &[u8]| {
            line.strip_prefix(b"---")
                .and_then(|rest| std::str::from_utf8(rest).ok())
                .is_some_and(|rest| rest.trim_end().is_empty())
        };
        let mut lines = text.split_inclusive(|&b| b == b'\n');
        let first = lines.next()?;
        if !is_rule(first) {
            return None;
        }
        let mut offset = first.len();
        let mut line_no = 1;
        for l in lines {
            line_no += 1;
            if is_rule(l) {
                return Some(FrontMatterBlock {
                    yaml: first.len()..offset,
                    body: offset + l.len(),
                    body_line: line_no + 1,
                });
            }
            offset += l.len();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_document() {
        let t = "---\r\n标题: 通知\r\n机构: 局\r\n---\r\n\r\n正文\r\n";
        let d = Document::parse(Path::new("a.md"), "2021/a.md", t).unwrap();
        assert_eq!(d.front.title, "通知");
        assert_eq!(d.body.trim(), "正文");
        assert_eq!(d.body_line, 5);
        assert_eq!(d.url_path(), "2021/a/");
        assert_eq!(d.folder(), "2021/");
    }

    #[test]
    fn the_body_is_cut_as_parsing_cuts_it() {
        for t in [
            "---\r\n标题: 通知\r\n机构: 局\r\n---\r\n\r\n正文\r\n",
            "\u{feff}---\n标题: 通知\n---  \n正文\n---\n后文",
            "---\n标题: 通知\n---",
            "---\n标题: 通知\n---\u{3000}\n正文",
            "--- \n标题: 通知\n\n---\n",
        ] {
            let d = Document::parse(Path::new("a.md"), "a.md", t).unwrap();
            assert_eq!(Document::body_of(t), Some(d.body.as_str()), "{t:?}");
        }
        // The block is found in bytes whose body is not (yet) checked as UTF-8.
        let bytes = [
            b"\xEF\xBB\xBF---\n\xE6\xA0\x87: x\n---\n".as_slice(),
            b"\xFF\xFE",
        ]
        .concat();
        assert_eq!(Document::body_start(&bytes), Some(bytes.len() - 2));
        assert_eq!(Document::body_start(b"---\n\n--- \xFF\n"), None);
        assert_eq!(Document::body_of("正文"), None);
        assert_eq!(Document::body_of("---\n标题: 通知\n"), None);
    }

    #[test]
    fn content_paths_stay_in_content() {
        assert_eq!(
            content_path("2024/a/", "附件%201.docx").as_deref(),
            Some("2024/a/附件 1.docx")
        );
        assert_eq!(
            content_path("2024/a/", "../b/x.pdf").as_deref(),
            Some("2024/b/x.pdf")
        );
        assert_eq!(content_path("2024/a/", "/year/").as_deref(), Some("year/"));
        assert_eq!(content_path("2024/a/", "../../../etc/passwd"), None);
    }

    #[test]
    fn a_bundle_is_its_folder() {
        assert_eq!(url_path_of("2024/qx-001/index.md"), "2024/qx-001/");
        assert_eq!(url_path_of("2024/qx-001.md"), "2024/qx-001/");
        assert_eq!(
            url_path_of("2024/index-of-things.md"),
            "2024/index-of-things/"
        );
        assert_eq!(url_path_of("index.md"), "");
    }

    #[test]
    fn a_lone_carriage_return_is_refused_on_its_line() {
        let t = "---\n标题: 通知\n机构: 局\r有效性: 有效\n---\n正文\n";
        let e = Document::parse(Path::new("a.md"), "a.md", t).unwrap_err();
        assert_eq!(e[0].line, Some(3), "{e:?}");
        assert!(e[0].message.contains("carriage return"), "{e:?}");
        // CRLF line ends are fine.
        let t = "---\r\n标题: 通知\r\n机构: 局\r\n---\r\n正文\r\n";
        assert!(Document::parse(Path::new("a.md"), "a.md", t).is_ok());
    }

    #[test]
    fn error_lines_count_from_the_file_start() {
        let t = "---\n标题: 通知\n发布日期: 2021-01-01\n---\n";
        let e = Document::parse(Path::new("c/a.md"), "a.md", t).unwrap_err();
        assert_eq!(e[0].line, Some(3));
        assert!(
            e[0].to_string()
                .starts_with("c/a.md:3: unknown front-matter key `发布日期`")
        );
    }

    #[test]
    fn no_front_matter_is_an_error() {
        let e = Document::parse(Path::new("a.md"), "a.md", "正文").unwrap_err();
        assert!(e[0].message.contains("---"));
        let e = Document::parse(Path::new("a.md"), "a.md", "---\n标题: x\n").unwrap_err();
        assert!(e[0].message.contains("front matter"));
    }

    #[test]
    fn writes_what_it_reads() {
        let fm = FrontMatter {
            title: "标题".into(),
            agency: Some(Agency("局".into())),
            ..Default::default()
        };
        let text = Document::to_text(&fm, "正文\n");
        let d = Document::parse(Path::new("a.md"), "a.md", &text).unwrap();
        assert_eq!(d.front, fm);
        assert_eq!(d.body, "\n正文\n");
    }
}
