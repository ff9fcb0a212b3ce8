//! `site.toml`: the settings of one archive.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::{Diagnostic, line_of};

mod columns;
pub use columns::{
    ColumnConfig, ColumnKind, ColumnRole, Office, RESERVED_SLUGS as RESERVED_PATHS,
    walk as walk_columns,
};

/// The file name of an archive's settings.
pub const FILE_NAME: &str = "site.toml";

/// The settings of an archive, from `site.toml`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// The site's name, shown in every page header.
    pub title: String,
    /// Where the site is published, e.g. `https://www.example.gov.cn/xxgk/`. Its path
    /// becomes the prefix of every link, so the site can live below a portal's root.
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Language of the pages, `zh-CN`.
    #[serde(default = "default_language")]
    pub language: String,
    /// The theme: `default` (built in) or the name of a folder under `themes/`.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// 主办单位, shown in the footer.
    #[serde(alias = "主办单位")]
    pub organizer: String,
    /// 网站标识码 (government website identification code), when the site has one.
    #[serde(default, alias = "网站标识码")]
    pub site_id_code: Option<String>,
    /// ICP备案号, shown in the footer.
    #[serde(default, alias = "ICP备案号")]
    pub icp: Option<String>,
    /// 公网安备号 (public security record number), shown in the footer.
    #[serde(default, alias = "公网安备号")]
    pub police_record: Option<String>,
    /// The office that takes applications (依申请公开), shown on that page.
    #[serde(default, alias = "受理机构")]
    pub office: Office,
    /// The column tree (栏目) of the disclosure section; none: browsing by 机构, 年份
    /// and 主题分类 only.
    #[serde(default, alias = "栏目")]
    pub columns: Vec<ColumnConfig>,
    /// Documents per list page.
    #[serde(default = "default_per_page")]
    pub per_page: usize,
    /// The most document pages one output folder holds; a folder with more has them
    /// nested one folder down (see README, "Large archives").
    #[serde(default = "default_max_documents_per_folder")]
    pub max_documents_per_folder: usize,
    /// Where `build` writes the site, relative to the archive root.
    #[serde(default = "default_output_dir")]
    pub output_dir: PathBuf,
    /// Build for opening from file:// (a USB copy): relative links only.
    #[serde(default)]
    pub offline: bool,
    /// Site-specific settings of `import` (extra noise rules); read by the importer.
    #[serde(default)]
    pub import: toml::Table,
}

fn default_base_url() -> String {
    "/".into()
}
fn default_language() -> String {
    "zh-CN".into()
}
fn default_theme() -> String {
    "default".into()
}
fn default_per_page() -> usize {
    20
}
fn default_max_documents_per_folder() -> usize {
    crate::site::model::MAX_DOCUMENTS_PER_FOLDER
}
fn default_output_dir() -> PathBuf {
    PathBuf::from("public")
}

impl SiteConfig {
    /// Reads `<root>/site.toml`.
    pub fn load(root: &Path) -> Result<SiteConfig, Diagnostic> {
        let path = root.join(FILE_NAME);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                format!(
                    "no {FILE_NAME} here; run `gongkai init {}` to make a new archive, or pass \
                     --root with the archive's folder",
                    root.display()
                )
            } else {
                format!("cannot read {FILE_NAME}: {e}")
            };
            Diagnostic::error(&path, None, hint)
        })?;
        SiteConfig::parse(&path, &text)
    }

    /// Parses the text of a `site.toml`; `path` names the file in messages.
    pub fn parse(path: &Path, text: &str) -> Result<SiteConfig, Diagnostic> {
        let mut config: SiteConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            Diagnostic::error(path, line, e.message().trim().to_string())
        })?;
        columns::set_lines(&mut config.columns, text);
        config.validate(path, text)?;
        Ok(config)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), Diagnostic> {
        let at = |key: &str| {
            text.lines()
                .position(|l| {
                    l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                })
                .map(|i| i + 1)
        };
        let fail = |key: &str, msg: String| Diagnostic::error(path, at(key), msg);
        if self.title.trim().is_empty() {
            return Err(fail(
                "title",
                "`title` is empty; give the site's name".into(),
            ));
        }
        if self.max_documents_per_folder == 0 {
            return Err(fail(
                "max_documents_per_folder",
                "`max_documents_per_folder` must be at least 1 (document pages an output \
                 folder holds before they are nested; the default is 10000)"
                    .into(),
            ));
        }
        if self.per_page == 0 {
            return Err(fail(
                "per_page",
                "`per_page` must be at least 1 (documents per list page)".into(),
            ));
        }
        if !(self.base_url.starts_with('/')
            || self.base_url.starts_with("http://")
            || self.base_url.starts_with("https://"))
        {
            return Err(fail(
                "base_url",
                format!(
                    "`base_url` is `{}`; write a full address like https://www.example.gov.cn/xxgk/ \
                     or a path like /xxgk/",
                    self.base_url
                ),
            ));
        }
        if self.output_dir.as_os_str().is_empty() || self.output_dir == Path::new(".") {
            return Err(fail(
                "output_dir",
                "`output_dir` must name a folder of its own, e.g. public".into(),
            ));
        }
        self.validate_columns(path)
    }

    /// Column slugs must make distinct, portable site paths that the build does not use.
    fn validate_columns(&self, path: &Path) -> Result<(), Diagnostic> {
        let mut seen = std::collections::BTreeSet::new();
        for (c, site_path, depth) in columns::walk(&self.columns) {
            let line = Some(c.line);
            let name = c.name.get_ref();
            let fail = |msg: String| Err(Diagnostic::error(path, line, msg));
            if name.trim().is_empty() {
                return fail(
                    "a column's `name` is empty; give the name shown in the navigation".into(),
                );
            }
            if let Some(p) = columns::slug_problem(&c.slug) {
                return fail(format!("the `slug` of column `{name}` {p}"));
            }
            if depth == 0 && columns::RESERVED_SLUGS.contains(&c.slug.as_str()) {
                return fail(format!(
                    "column `{name}` has the slug `{}`, which the site uses for its own \
                     pages; choose another",
                    c.slug
                ));
            }
            if !seen.insert(site_path.clone()) {
                return fail(format!(
                    "column `{name}` has the same slug `{}` as another column beside it; \
                     give each its own",
                    c.slug
                ));
            }
            if c.kind == ColumnKind::Page && !c.children.is_empty() {
                return fail(format!(
                    "column `{name}` is a page (`kind = \"page\"`) and cannot have child \
                     columns; make it a list"
                ));
            }
        }
        Ok(())
    }

    /// The path part of `base_url`, always starting and ending with `/`.
    pub fn base_path(&self) -> String {
        base_path_of(&self.base_url)
    }
}

/// The path part of a base URL, always starting and ending with `/`.
pub fn base_path_of(base_url: &str) -> String {
    let rest = base_url
        .strip_prefix("https://")
        .or_else(|| base_url.strip_prefix("http://"))
        .map(|r| r.find('/').map_or("/", |i| &r[i..]))
        .unwrap_or(base_url);
    let mut p = rest.split(['?', '#']).next().unwrap_or("/").to_string();
    if !p.starts_with('/') {
        p.insert(0, '/');
    }
    if !p.ends_with('/') {
        p.push('/');
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "title = \"青溪县政府信息公开\"\norganizer = \"青溪县人民政府办公室\"\n";

    #[test]
    fn defaults() {
        let c = SiteConfig::parse(Path::new("site.toml"), MINIMAL).unwrap();
        assert_eq!(c.base_url, "/");
        assert_eq!(c.language, "zh-CN");
        assert_eq!(c.per_page, 20);
        assert_eq!(c.output_dir, PathBuf::from("public"));
        assert!(!c.offline);
    }

    #[test]
    fn chinese_aliases() {
        let c = SiteConfig::parse(
            Path::new("site.toml"),
            "title = \"x\"\n\"主办单位\" = \"办公室\"\n\"网站标识码\" = \"3300000001\"\n",
        )
        .unwrap();
        assert_eq!(c.organizer, "办公室");
        assert_eq!(c.site_id_code.as_deref(), Some("3300000001"));
    }

    #[test]
    fn errors_name_the_key_and_line() {
        let e = SiteConfig::parse(
            Path::new("site.toml"),
            &format!("{MINIMAL}per_page = \"x\"\n"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = SiteConfig::parse(Path::new("site.toml"), &format!("{MINIMAL}titel = \"x\"\n"))
            .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("titel"), "{e}");
        let e = SiteConfig::parse(Path::new("site.toml"), &format!("{MINIMAL}per_page = 0\n"))
            .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("per_page"));
        let e = SiteConfig::parse(Path::new("site.toml"), "title = \"x\"\n").unwrap_err();
        assert!(e.message.contains("organizer"), "{e}");
    }

    #[test]
    fn base_path() {
        assert_eq!(base_path_of("/"), "/");
        assert_eq!(base_path_of("https://www.example.gov.cn"), "/");
        assert_eq!(base_path_of("https://www.example.gov.cn/xxgk"), "/xxgk/");
        assert_eq!(base_path_of("/gk/"), "/gk/");
        assert_eq!(base_path_of("gk"), "/gk/");
    }
}
