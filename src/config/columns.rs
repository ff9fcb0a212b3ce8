//! The column tree (栏目) of `site.toml` and the office that takes applications
//! (依申请公开), as written; [`crate::site::columns`] resolves the tree against the
//! documents.

use serde::Deserialize;

/// Whether a column lists documents or shows one page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum ColumnKind {
    /// A list of documents, newest first, paginated (列表).
    #[default]
    #[serde(rename = "list", alias = "列表")]
    List,
    /// One page of text: `content/<column path>.md` (单页).
    #[serde(rename = "page", alias = "单页")]
    Page,
}

/// What a column is for, among the parts every 政府信息公开 section has; `check --gov`
/// looks for these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ColumnRole {
    /// 政府信息公开指南
    #[serde(rename = "指南", alias = "guide")]
    Guide,
    /// 政府信息公开制度
    #[serde(rename = "制度", alias = "rules")]
    Rules,
    /// 法定主动公开内容
    #[serde(rename = "法定主动公开内容", alias = "statutory")]
    Statutory,
    /// 政府信息公开年报
    #[serde(rename = "年报", alias = "annual_report")]
    AnnualReport,
    /// 依申请公开
    #[serde(rename = "依申请公开", alias = "application")]
    Application,
}

impl ColumnRole {
    /// The role's name, as site.toml writes it.
    pub fn label(self) -> &'static str {
        match self {
            ColumnRole::Guide => "指南",
            ColumnRole::Rules => "制度",
            ColumnRole::Statutory => "法定主动公开内容",
            ColumnRole::AnnualReport => "年报",
            ColumnRole::Application => "依申请公开",
        }
    }
}

/// One column (栏目) of the tree, as site.toml writes it (`[[columns]]`, its children
/// `[[columns.children]]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnConfig {
    /// 名称, shown in the navigation and breadcrumbs.
    #[serde(alias = "名称")]
    pub name: toml::Spanned<String>,
    /// The column's folder in the site (`zcwj` → `…/zcwj/`): ASCII letters, digits, `-`
    /// and `_`, so it works on every file system and from file://.
    #[serde(alias = "路径")]
    pub slug: String,
    /// `list` (default) or `page`.
    #[serde(default, alias = "类型")]
    pub kind: ColumnKind,
    /// `指南`, `制度`, `法定主动公开内容`, `年报` or `依申请公开`.
    #[serde(default, alias = "用途")]
    pub role: Option<ColumnRole>,
    /// Content folders whose documents the column lists (besides its own path).
    #[serde(default, alias = "文件夹")]
    pub folders: Vec<String>,
    /// 体裁分类 values whose documents the column lists.
    #[serde(default, alias = "体裁分类")]
    pub genres: Vec<String>,
    /// 主题分类 beginnings: `财政` takes `财政、金融、审计\财政` too.
    #[serde(default, alias = "主题分类")]
    pub topics: Vec<String>,
    /// 更新周期: the most days the newest document may be old (`check --gov`).
    #[serde(default, alias = "更新周期")]
    pub update_days: Option<u32>,
    /// List the documents under a heading per year (年报).
    #[serde(default, alias = "按年份")]
    pub by_year: bool,
    /// 子栏目
    #[serde(default, alias = "子栏目")]
    pub children: Vec<ColumnConfig>,
    /// The line of site.toml that names the column (set after parsing).
    #[serde(skip)]
    pub line: usize,
}

/// Sets each column's [`ColumnConfig::line`] from the text of site.toml.
pub fn set_lines(columns: &mut [ColumnConfig], text: &str) {
    for c in columns {
        c.line = crate::diagnostic::line_of(text, c.name.span().start);
        set_lines(&mut c.children, text);
    }
}

/// The office that takes applications for disclosure (依申请公开受理机构), shown on the
/// 依申请公开 page. Every field is optional; `check --gov` names the missing ones.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    #[serde(default, alias = "名称")]
    pub name: String,
    #[serde(default, alias = "地址")]
    pub address: String,
    #[serde(default, alias = "邮编")]
    pub postcode: String,
    #[serde(default, alias = "电话")]
    pub phone: String,
    #[serde(default, alias = "办公时间")]
    pub hours: String,
    #[serde(default, alias = "电子邮箱")]
    pub email: String,
}

impl Office {
    /// The fields an applicant needs, by label, with their values.
    pub fn fields(&self) -> [(&'static str, &str); 6] {
        [
            ("名称", &self.name),
            ("地址", &self.address),
            ("邮编", &self.postcode),
            ("电话", &self.phone),
            ("办公时间", &self.hours),
            ("电子邮箱", &self.email),
        ]
    }
}

/// Site paths the build writes itself, which no column may take.
pub const RESERVED_SLUGS: [&str; 8] = [
    "agency", "year", "topic", "search", "assets", "404", "sitemap", "atom",
];

/// Why a column slug cannot be used, if so.
pub fn slug_problem(slug: &str) -> Option<String> {
    if slug.is_empty() {
        return Some("is empty".into());
    }
    if !slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Some(
            "may hold only lower-case ASCII letters, digits, `-` and `_` (e.g. zcwj)".into(),
        );
    }
    if slug == "page" {
        return Some("is `page`, which the site uses for the later pages of a list".into());
    }
    None
}

/// Every column of the tree with its site path (`fdzdgknr/zcwj/`), parents before
/// children, in the order site.toml gives them.
pub fn walk(columns: &[ColumnConfig]) -> Vec<(&ColumnConfig, String, usize)> {
    fn visit<'a>(
        cs: &'a [ColumnConfig],
        prefix: &str,
        depth: usize,
        out: &mut Vec<(&'a ColumnConfig, String, usize)>,
    ) {
        for c in cs {
            let path = format!("{prefix}{}/", c.slug);
            out.push((c, path.clone(), depth));
            visit(&c.children, &path, depth + 1, out);
        }
    }
    let mut out = Vec::new();
    visit(columns, "", 0, &mut out);
    out
}
