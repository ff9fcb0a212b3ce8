//! Tera templates: the built-in default theme, a site's own theme, and per-template
//! overrides from the site's `templates/` folder.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rust_embed::RustEmbed;
use tera::Tera;

use crate::diagnostic::{Diagnostic, Diagnostics};

/// The default theme, compiled into the binary so an archive builds anywhere.
#[derive(RustEmbed)]
#[folder = "themes/default/"]
#[exclude = "*.swp"]
struct DefaultTheme;

/// The templates every theme must have (`search.html` is optional).
pub const REQUIRED: &[&str] = &[
    "base.html",
    "index.html",
    "document.html",
    "taxonomy.html",
    "term.html",
    "404.html",
    "sitemap.xml",
    "atom.xml",
    "robots.txt",
];

/// Templates a theme may leave out, the built-in theme's then serving: those added
/// after themes were written against the others (see docs/templates.md).
pub const BUILT_IN_UNLESS_GIVEN: &[&str] = &["sitemap-index.xml"];

/// Where a template or static file came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn(String),
    File(PathBuf),
}

impl Origin {
    pub fn display_path(&self) -> PathBuf {
        match self {
            Origin::BuiltIn(p) => PathBuf::from(format!("(built-in theme)/{p}")),
            Origin::File(p) => p.clone(),
        }
    }
}

/// A static file of the theme or the site, to be copied to the output.
#[derive(Debug, Clone)]
pub struct StaticFile {
    /// Path in the output, with `/` separators.
    pub path: String,
    pub bytes: Cow<'static, [u8]>,
}

/// The templates and static files a site is rendered with.
pub struct Theme {
    pub tera: Tera,
    origins: HashMap<String, Origin>,
    /// Each template's text, for telling which file of an extends chain wrote a thing.
    texts: HashMap<String, String>,
    pub static_files: Vec<StaticFile>,
}

impl std::fmt::Debug for Theme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Theme")
            .field("templates", &self.origins.len())
            .field("static_files", &self.static_files.len())
            .finish()
    }
}

impl Theme {
    /// SHA-256 of every template's text and every static file (names and bytes): what
    /// the build cache compares to tell that the theme changed.
    pub fn fingerprint(&self) -> [u8; 32] {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        let mut texts: Vec<(&String, &String)> = self.texts.iter().collect();
        texts.sort();
        let mut feed = |b: &[u8]| {
            h.update((b.len() as u64).to_le_bytes());
            h.update(b);
        };
        for (name, text) in texts {
            feed(name.as_bytes());
            feed(text.as_bytes());
        }
        for f in &self.static_files {
            feed(f.path.as_bytes());
            feed(&f.bytes);
        }
        h.finalize().into()
    }

    /// Loads the theme `name` for the archive at `root`:
    /// - `default` is built in; a folder `root/themes/<name>/` replaces it (any theme other
    ///   than `default` must exist there);
    /// - each file in `root/templates/` overrides the theme's template of the same name;
    /// - `root/static/` is copied over the theme's static files.
    pub fn load(root: &Path, name: &str) -> Result<Theme, Diagnostics> {
        let mut sources: BTreeMap<String, (String, Origin)> = BTreeMap::new();
        let mut statics: BTreeMap<String, Cow<'static, [u8]>> = BTreeMap::new();
        let mut errors = Diagnostics::new();
        let theme_dir = root.join("themes").join(name);
        if theme_dir.is_dir() {
            read_dir_into(&theme_dir.join("templates"), &mut sources, &mut errors);
            read_static(&theme_dir.join("static"), &mut statics, &mut errors);
        } else if name == "default" {
            for file in DefaultTheme::iter() {
                let Some(content) = DefaultTheme::get(&file) else {
                    continue;
                };
                if let Some(t) = file.strip_prefix("templates/") {
                    let text = String::from_utf8_lossy(&content.data).into_owned();
                    sources.insert(t.to_string(), (text, Origin::BuiltIn(file.to_string())));
                } else if let Some(s) = file.strip_prefix("static/") {
                    statics.insert(s.to_string(), content.data);
                }
            }
        } else {
            return Err(Diagnostic::error(
                root.join(crate::config::FILE_NAME),
                None,
                format!(
                    "theme `{name}` not found: there is no folder {}; use theme = \"default\" \
                     or create the theme there",
                    theme_dir.display()
                ),
            )
            .into());
        }
        read_dir_into(&root.join("templates"), &mut sources, &mut errors);
        read_static(&root.join("static"), &mut statics, &mut errors);
        for name in BUILT_IN_UNLESS_GIVEN {
            let file = format!("templates/{name}");
            if !sources.contains_key(*name)
                && let Some(content) = DefaultTheme::get(&file)
            {
                let text = String::from_utf8_lossy(&content.data).into_owned();
                sources.insert(name.to_string(), (text, Origin::BuiltIn(file)));
            }
        }

        let mut tera = Tera::default();
        tera.autoescape_on(vec![".html", ".xml", ".htm"]);
        tera.set_escape_fn(escape_html);
        // Each template is parsed on its own first, so every broken one is reported.
        for (name, (text, origin)) in &sources {
            let mut probe = Tera::default();
            if let Err(e) = probe.add_raw_template(name, text)
                && let Some(d) = syntax_error(&e, origin)
            {
                errors.push(d);
            }
        }
        for required in REQUIRED {
            if !sources.contains_key(*required) {
                errors.push(Diagnostic::error(
                    root.join("templates").join(required),
                    None,
                    format!(
                        "the theme `{name}` has no template `{required}`; add it to \
                         themes/{name}/templates/ or templates/"
                    ),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors.sorted());
        }
        let list: Vec<(String, String)> = sources
            .iter()
            .map(|(n, (t, _))| (n.clone(), t.clone()))
            .collect();
        if let Err(e) = tera.add_raw_templates(list.clone()) {
            return Err(Diagnostic::error(
                root.join("templates"),
                None,
                format!("templates do not fit together: {}", error_chain(&e)),
            )
            .into());
        }
        let texts = list.into_iter().collect();
        let origins = sources.into_iter().map(|(n, (_, o))| (n, o)).collect();
        let static_files = statics
            .into_iter()
            .map(|(path, bytes)| StaticFile { path, bytes })
            .collect();
        Ok(Theme {
            tera,
            origins,
            texts,
            static_files,
        })
    }

    pub fn has(&self, template: &str) -> bool {
        self.origins.contains_key(template)
    }

    /// Where a template was read from, for messages.
    pub fn origin(&self, template: &str) -> PathBuf {
        self.origins
            .get(template)
            .map(Origin::display_path)
            .unwrap_or_else(|| PathBuf::from(template))
    }

    /// Where the text `needle` of a page made from `template` was written: that template
    /// or the first one it extends whose text holds it (else `template` itself).
    pub fn origin_of_text(&self, template: &str, needle: &str) -> PathBuf {
        let parents = self
            .tera
            .get_template(template)
            .map(|t| t.parents.clone())
            .unwrap_or_default();
        std::iter::once(template.to_string())
            .chain(parents)
            .find(|t| self.texts.get(t).is_some_and(|text| text.contains(needle)))
            .map_or_else(|| self.origin(template), |t| self.origin(&t))
    }

    /// Renders `template` to the bytes of the page (UTF-8; not checked again, as Tera's
    /// `render` to a `String` would: that check was 5% of a build); an error names the
    /// template's file.
    pub fn render(&self, template: &str, context: &tera::Context) -> Result<Vec<u8>, Diagnostic> {
        let mut page = Vec::with_capacity(16 * 1024);
        self.tera
            .render_to(template, context, &mut page)
            .map(|()| page)
            .map_err(|e| {
                Diagnostic::error(
                    self.origin(template),
                    None,
                    format!("cannot render: {}", error_chain(&e)),
                )
            })
    }
}

fn read_dir_into(
    dir: &Path,
    sources: &mut BTreeMap<String, (String, Origin)>,
    errors: &mut Diagnostics,
) {
    for (rel, path) in files_under(dir) {
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                sources.insert(rel, (text, Origin::File(path)));
            }
            Err(e) => errors.push(Diagnostic::error(
                &path,
                None,
                format!("cannot read template: {e}"),
            )),
        }
    }
}

fn read_static(
    dir: &Path,
    statics: &mut BTreeMap<String, Cow<'static, [u8]>>,
    errors: &mut Diagnostics,
) {
    for (rel, path) in files_under(dir) {
        match std::fs::read(&path) {
            Ok(bytes) => {
                statics.insert(rel, Cow::Owned(bytes));
            }
            Err(e) => errors.push(Diagnostic::error(
                &path,
                None,
                format!("cannot read static file: {e}"),
            )),
        }
    }
}

/// Files below `dir` (relative path with `/`, full path), sorted; hidden files skipped.
pub fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    if !dir.is_dir() {
        return Vec::new();
    }
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(dir).ok()?;
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            Some((rel, e.path().to_path_buf()))
        })
        .collect()
}

/// A template's syntax error as `file:line: message`, or `None` when the error is about
/// inheritance, which only shows once all templates are loaded together.
fn syntax_error(e: &tera::Error, origin: &Origin) -> Option<Diagnostic> {
    let chain = error_chain(e);
    if chain.contains("doesn't exist or isn't loaded") || chain.contains("inheriting from") {
        return None;
    }
    // Tera's parse errors carry pest's ` --> line:col` position.
    let line = chain.split("--> ").nth(1).and_then(|rest| {
        rest.split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
    });
    let message = chain
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("-->") && !l.starts_with('|') && !l.starts_with('=')
        })
        .filter(|l| !l.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .collect::<Vec<_>>()
        .join(" ");
    let hint = chain
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("= "))
        .unwrap_or("");
    let message = if hint.is_empty() {
        format!("template syntax error: {message}")
    } else {
        format!("template syntax error: {hint}")
    };
    Some(Diagnostic::error(origin.display_path(), line, message))
}

/// Escapes text for HTML and XML. Unlike Tera's default it leaves `/` alone, so URLs in
/// attributes stay readable and comparable.
pub fn escape_html(input: &str) -> String {
    let bytes = input.as_bytes();
    // Most values (dates, 机构 names, URLs) need nothing: one copy, no growth.
    let Some(first) = bytes.iter().position(|&b| html_escape(b).is_some()) else {
        return input.to_string();
    };
    let mut out = String::with_capacity(input.len() + input.len() / 8 + 8);
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate().skip(first) {
        if let Some(escaped) = html_escape(b) {
            // The byte is ASCII, so both ends of the run are character boundaries.
            out.push_str(&input[start..at]);
            out.push_str(escaped);
            start = at + 1;
        }
    }
    out.push_str(&input[start..]);
    out
}

/// The entity [`escape_html`] writes for byte `b`, if it writes one.
fn html_escape(b: u8) -> Option<&'static str> {
    match b {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#39;"),
        _ => None,
    }
}

/// The message of an error and of all its causes, one after the other.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_theme_is_embedded() {
        let dir = tempfile::tempdir().unwrap();
        let theme = Theme::load(dir.path(), "default").unwrap();
        assert!(theme.has("base.html"));
        assert!(theme.has("document.html"));
        assert!(theme.static_files.iter().any(|f| f.path.ends_with(".css")));
    }

    #[test]
    fn site_templates_override_and_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("templates");
        std::fs::create_dir_all(&t).unwrap();
        std::fs::write(t.join("404.html"), "<p>找不到</p>\n").unwrap();
        let theme = Theme::load(dir.path(), "default").unwrap();
        assert_eq!(theme.origin("404.html"), t.join("404.html"));
        assert_eq!(
            theme.render("404.html", &tera::Context::new()).unwrap(),
            "<p>找不到</p>\n".as_bytes()
        );

        std::fs::write(t.join("index.html"), "<p>\n{{ 1 + }}\n</p>\n").unwrap();
        std::fs::write(t.join("term.html"), "{% if %}\n").unwrap();
        let errs = Theme::load(dir.path(), "default").unwrap_err();
        assert_eq!(errs.len(), 2, "{errs}");
        let first = &errs.0[0];
        assert_eq!(first.file, t.join("index.html"));
        assert_eq!(first.line, Some(2), "{errs}");
    }

    #[test]
    fn a_theme_without_the_later_templates_gets_the_built_in_ones() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("themes/plain/templates");
        std::fs::create_dir_all(&t).unwrap();
        for name in REQUIRED {
            std::fs::write(t.join(name), "x").unwrap();
        }
        let theme = Theme::load(dir.path(), "plain").unwrap();
        for name in BUILT_IN_UNLESS_GIVEN {
            assert!(theme.has(name), "{name}");
            assert!(theme.origin(name).starts_with("(built-in theme)"), "{name}");
        }
        // One the site gives is its own.
        let own = dir.path().join("templates");
        std::fs::create_dir_all(&own).unwrap();
        std::fs::write(own.join("sitemap-index.xml"), "<sitemapindex/>").unwrap();
        let theme = Theme::load(dir.path(), "plain").unwrap();
        assert_eq!(
            theme.origin("sitemap-index.xml"),
            own.join("sitemap-index.xml")
        );
    }

    #[test]
    fn html_is_escaped_as_it_was_a_character_at_a_time() {
        let slow = |input: &str| -> String {
            input
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_string(),
                    '<' => "&lt;".to_string(),
                    '>' => "&gt;".to_string(),
                    '"' => "&quot;".to_string(),
                    '\'' => "&#39;".to_string(),
                    c => c.to_string(),
                })
                .collect()
        };
        for s in [
            "",
            "青溪县水利局",
            "https://x.gov.cn/2024/通知/?a=1&b=2",
            "<script>alert('x')</script>",
            "\"&\"",
            "末尾&",
            "&开头",
            "𠀀 & 😀 <b>",
        ] {
            assert_eq!(escape_html(s), slow(s), "{s:?}");
        }
    }

    #[test]
    fn unknown_theme() {
        let dir = tempfile::tempdir().unwrap();
        let e = Theme::load(dir.path(), "blue").unwrap_err();
        assert!(e.to_string().contains("theme `blue` not found"));
    }
}
