//! The column tree (栏目) of site.toml resolved against the documents: which documents
//! each list column holds, which file each page column shows, and which column a
//! document's breadcrumb goes through. Made once with the [`super::model::Site`]; the
//! pages, the navigation and `check --gov` all read this one result.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::config::{ColumnConfig, ColumnKind, ColumnRole};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::{Document, Key};

/// One column of the tree.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The names from the top of the tree, `法定主动公开内容/政策文件`: what `栏目:` may
    /// write when a name alone is ambiguous.
    pub full_name: String,
    /// `fdzdgknr/zcwj/`
    pub url_path: String,
    pub kind: ColumnKind,
    pub role: Option<ColumnRole>,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
    /// Indices into the site's documents, newest first: the column's own and its
    /// children's (a list column); empty for a page column.
    pub documents: Vec<usize>,
    /// A page column's text: an index into the site's pages, when the file exists.
    pub page: Option<usize>,
    /// 更新周期 in days.
    pub update_days: Option<u32>,
    pub by_year: bool,
    /// Where site.toml names the column, for findings about it.
    pub line: usize,
    rules: Rules,
}

/// What takes a document into a column, besides `栏目:`.
#[derive(Debug, Clone, Default)]
struct Rules {
    /// Content folders, each ending in `/`.
    folders: Vec<String>,
    genres: Vec<String>,
    topics: Vec<String>,
}

impl Rules {
    fn take(&self, d: &Document) -> bool {
        let f = &d.front;
        self.folders
            .iter()
            .any(|dir| d.path.starts_with(dir.as_str()))
            || f.genre.as_ref().is_some_and(|g| self.genres.contains(g))
            || f.topic
                .as_ref()
                .is_some_and(|t| self.topics.iter().any(|p| t.starts_with(p.as_str())))
    }
}

/// The resolved tree.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Parents before children, in site.toml's order.
    pub all: Vec<Column>,
    /// For each document (by index), the column its page's breadcrumb goes through: the
    /// deepest column that takes it, the first in tree order among equals.
    pub of_document: Vec<Option<usize>>,
}

impl Columns {
    /// The tree of site.toml's `config`, not yet holding any document.
    pub fn from_config(config: &[ColumnConfig]) -> Columns {
        let mut all: Vec<Column> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        for (c, url_path, depth) in crate::config::walk_columns(config) {
            open.truncate(depth);
            let parent = open.last().copied();
            let full_name = match parent {
                Some(p) => format!("{}/{}", all[p].full_name, c.name.get_ref()),
                None => c.name.get_ref().clone(),
            };
            let mut folders: Vec<String> = c
                .folders
                .iter()
                .map(|f| format!("{}/", f.trim_matches('/')))
                .collect();
            folders.push(url_path.clone());
            let i = all.len();
            if let Some(p) = parent {
                all[p].children.push(i);
            }
            all.push(Column {
                name: c.name.get_ref().clone(),
                full_name,
                url_path,
                kind: c.kind,
                role: c.role,
                parent,
                children: Vec::new(),
                documents: Vec::new(),
                page: None,
                update_days: c.update_days,
                by_year: c.by_year,
                line: c.line,
                rules: Rules {
                    folders,
                    genres: c.genres.clone(),
                    topics: c.topics.clone(),
                },
            });
            open.push(i);
        }
        Columns {
            all,
            of_document: Vec::new(),
        }
    }

    /// Whether the document at `url_path` is a page column's text.
    pub fn is_page(&self, url_path: &str) -> bool {
        self.all
            .iter()
            .any(|c| c.kind == ColumnKind::Page && c.url_path == url_path)
    }

    /// The column a `栏目:` value names: its full name, or a name no other column has.
    fn named(&self, value: &str) -> Result<usize, String> {
        let value = value.trim().trim_matches('/');
        if let Some(i) = self.all.iter().position(|c| c.full_name == value) {
            return Ok(i);
        }
        let same: Vec<usize> = (0..self.all.len())
            .filter(|&i| self.all[i].name == value)
            .collect();
        match same.as_slice() {
            [i] => Ok(*i),
            [] => Err(format!(
                "`栏目` is `{value}`, which no column of site.toml is called; write one of {}",
                self.list_names()
            )),
            many => Err(format!(
                "`栏目` is `{value}`, which names {} columns; write the full name, one of {}",
                many.len(),
                many.iter()
                    .map(|&i| self.all[i].full_name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    fn list_names(&self) -> String {
        let lists: Vec<&str> = self
            .all
            .iter()
            .filter(|c| c.kind == ColumnKind::List)
            .map(|c| c.full_name.as_str())
            .collect();
        if lists.is_empty() {
            "none: site.toml has no list column (add `[[columns]]` tables)".into()
        } else {
            lists.join(", ")
        }
    }

    /// What keeps documents and pages out of the columns: a `栏目:` naming no list
    /// column, a document where a list writes its pages, a page without 更新时间 or
    /// with a 索引号.
    pub fn refusals(&self, documents: &[Document], content_dir: &Path) -> Diagnostics {
        let mut errors = Diagnostics::new();
        let lists: Vec<&Column> = self
            .all
            .iter()
            .filter(|c| c.kind == ColumnKind::List)
            .collect();
        for d in documents {
            let file = d.file(content_dir);
            let url = d.url_path();
            if self.is_page(&url) {
                if d.front.updated.is_none() {
                    errors.push(Diagnostic::error(
                        &file,
                        Some(2),
                        "this is a column's page: it needs `更新时间: YYYY-MM-DD` (when the \
                         text was last revised)",
                    ));
                }
                if d.front.index_no.is_some() {
                    errors.push(Diagnostic::error(
                        &file,
                        Some(d.line_of(Key::IndexNo)),
                        "this is a column's page, not a disclosure document: it has no \
                         `索引号`; remove it, or move the document into a list column",
                    ));
                }
                continue;
            }
            if let Some(c) = lists.iter().find(|c| {
                url == c.url_path
                    || url
                        .strip_prefix(c.url_path.as_str())
                        .is_some_and(|r| r.starts_with("page/"))
            }) {
                errors.push(Diagnostic::error(
                    &file,
                    None,
                    format!(
                        "column `{}` writes its list at `{}`; move the document to another \
                         file name",
                        c.full_name, url
                    ),
                ));
            }
            if let Some(value) = &d.front.column {
                let found = self.named(value).and_then(|i| match self.all[i].kind {
                    ColumnKind::List => Ok(i),
                    ColumnKind::Page => Err(format!(
                        "`栏目` is `{value}`, a page column, which lists no documents; write \
                         one of {}",
                        self.list_names()
                    )),
                });
                if let Err(message) = found {
                    errors.push(Diagnostic::error(
                        &file,
                        Some(d.line_of(Key::Column)),
                        message,
                    ));
                }
            }
        }
        errors
    }

    /// Takes the site's documents (sorted, newest first) and pages into the tree.
    pub fn resolve(&mut self, documents: &[Document], pages: &[Document]) {
        let by_url: BTreeMap<String, usize> = pages
            .iter()
            .enumerate()
            .map(|(i, p)| (p.url_path(), i))
            .collect();
        for c in &mut self.all {
            if c.kind == ColumnKind::Page {
                c.page = by_url.get(&c.url_path).copied();
            }
        }
        let lists: Vec<usize> = (0..self.all.len())
            .filter(|&i| self.all[i].kind == ColumnKind::List)
            .collect();
        let depth = |mut i: usize| {
            let mut d = 0;
            while let Some(p) = self.all[i].parent {
                d += 1;
                i = p;
            }
            d
        };
        let depths: Vec<usize> = (0..self.all.len()).map(depth).collect();
        let mut direct: Vec<Vec<usize>> = vec![Vec::new(); self.all.len()];
        let mut of_document = Vec::with_capacity(documents.len());
        for (di, d) in documents.iter().enumerate() {
            let named = d.front.column.as_deref().and_then(|v| self.named(v).ok());
            let mut home: Option<usize> = None;
            for &ci in &lists {
                if named == Some(ci) || self.all[ci].rules.take(d) {
                    direct[ci].push(di);
                    if home.is_none_or(|h| depths[ci] > depths[h]) {
                        home = Some(ci);
                    }
                }
            }
            of_document.push(home);
        }
        // A list holds its own documents and those of every column below it; children
        // come after their parents, so walk the tree from the end.
        for ci in (0..self.all.len()).rev() {
            let mut docs = std::mem::take(&mut direct[ci]);
            for &child in &self.all[ci].children {
                docs.extend_from_slice(&self.all[child].documents);
            }
            docs.sort_unstable();
            docs.dedup();
            self.all[ci].documents = docs;
        }
        self.of_document = of_document;
    }

    /// The column and its ancestors, from the top of the tree down.
    pub fn trail(&self, i: usize) -> Vec<&Column> {
        let mut out = vec![&self.all[i]];
        let mut at = i;
        while let Some(p) = self.all[at].parent {
            out.push(&self.all[p]);
            at = p;
        }
        out.reverse();
        out
    }

    /// The columns with no parent.
    pub fn top(&self) -> impl Iterator<Item = (usize, &Column)> {
        self.all
            .iter()
            .enumerate()
            .filter(|(_, c)| c.parent.is_none())
    }

    /// The first column of a role.
    pub fn with_role(&self, role: ColumnRole) -> Option<&Column> {
        self.all.iter().find(|c| c.role == Some(role))
    }

    /// The url paths of the page columns' files, to tell pages from documents.
    pub fn page_paths(&self) -> HashSet<&str> {
        self.all
            .iter()
            .filter(|c| c.kind == ColumnKind::Page)
            .map(|c| c.url_path.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SiteConfig;

    const TREE: &str = r#"title = "青禾县政府信息公开"
organizer = "青禾县人民政府办公室"
[[columns]]
name = "政府信息公开指南"
slug = "zhinan"
kind = "page"
role = "指南"
[[columns]]
name = "法定主动公开内容"
slug = "fdzdgknr"
[[columns.children]]
name = "政策文件"
slug = "zcwj"
genres = ["通知"]
[[columns.children]]
name = "财政预决算"
slug = "czyjs"
topics = ["财政"]
[[columns]]
name = "政府信息公开年报"
slug = "ndbg"
role = "年报"
folders = ["nianbao"]
"#;

    fn doc(path: &str, extra: &str) -> Document {
        let text = format!("---\n标题: {path}\n机构: 青禾县财政局\n{extra}---\n正文\n");
        Document::parse(Path::new(path), path, &text).unwrap()
    }

    fn tree() -> Columns {
        let c = SiteConfig::parse(Path::new("site.toml"), TREE).unwrap();
        Columns::from_config(&c.columns)
    }

    #[test]
    fn documents_join_by_name_folder_genre_and_topic() {
        let mut cols = tree();
        let docs = [
            doc("a.md", "体裁分类: 通知\n"),
            doc("b.md", "主题分类: 财政、金融、审计\\财政\n"),
            doc("nianbao/c.md", ""),
            doc("d.md", "栏目: 政策文件\n"),
            doc("fdzdgknr/zcwj/e.md", ""),
            doc("f.md", ""),
        ];
        let zhinan = doc("zhinan.md", "更新时间: 2025-01-01\n");
        assert!(cols.refusals(&docs, Path::new("content")).is_empty());
        cols.resolve(&docs, std::slice::from_ref(&zhinan));
        let by = |name: &str| cols.all.iter().find(|c| c.name == name).unwrap();
        assert_eq!(by("政策文件").documents, [0, 3, 4]);
        assert_eq!(by("财政预决算").documents, [1]);
        assert_eq!(by("法定主动公开内容").documents, [0, 1, 3, 4]);
        assert_eq!(by("政府信息公开年报").documents, [2]);
        assert_eq!(by("政府信息公开指南").page, Some(0));
        assert_eq!(by("财政预决算").line, 16);
        assert_eq!(by("政策文件").full_name, "法定主动公开内容/政策文件");
        // The breadcrumb goes through the deepest column.
        let home = |i: usize| cols.of_document[i].map(|c| cols.all[c].name.as_str());
        assert_eq!(home(0), Some("政策文件"));
        assert_eq!(home(5), None);
        let trail: Vec<_> = cols.trail(2).iter().map(|c| c.name.as_str()).collect();
        assert_eq!(trail, ["法定主动公开内容", "政策文件"]);
    }

    #[test]
    fn refuses_what_cannot_be_placed() {
        let cols = tree();
        let docs = [
            doc("x.md", "栏目: 人事信息\n"),
            doc("y.md", "栏目: 政府信息公开指南\n"),
            doc("fdzdgknr/zcwj/page/2.md", ""),
            doc("zhinan.md", "索引号: 001/2025-1\n"),
        ];
        let errs = cols.refusals(&docs, Path::new("content")).sorted();
        let text = errs.to_string();
        assert_eq!(errs.len(), 5, "{text}");
        assert!(
            text.contains("x.md:4: `栏目` is `人事信息`, which no column"),
            "{text}"
        );
        assert!(text.contains("a page column"), "{text}");
        assert!(text.contains("writes its list"), "{text}");
        assert!(text.contains("更新时间"), "{text}");
        assert!(text.contains("has no `索引号`"), "{text}");
    }
}
