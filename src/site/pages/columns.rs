//! The pages of the column tree (栏目) and what every template sees of it: the tree for
//! the navigation, the trail for breadcrumbs, a list column's paginated documents, a
//! page column's text (see docs/templates.md).

use serde::Serialize;

use super::{PageJob, Paginator, Renderer, paginate};
use crate::config::ColumnKind;
use crate::site::columns::{Column, Columns};

/// A column as templates see it in the tree.
#[derive(Debug, Clone, Serialize)]
pub(super) struct ColumnLink {
    name: String,
    url_path: String,
    /// `list` or `page`.
    kind: &'static str,
    /// `指南`, `年报` … or "".
    role: &'static str,
    /// Documents listed (own and children's); 0 for a page.
    count: usize,
    children: Vec<ColumnLink>,
}

/// One step of a breadcrumb through the tree.
#[derive(Debug, Clone, Serialize)]
pub(super) struct TrailStep {
    name: String,
    url_path: String,
}

/// A page column's text.
#[derive(Debug, Clone, Serialize)]
struct PageContext {
    title: String,
    /// 更新时间, `YYYY-MM-DD`.
    updated: String,
    agency: String,
    body_html: String,
}

fn link(columns: &Columns, i: usize) -> ColumnLink {
    let c = &columns.all[i];
    ColumnLink {
        name: c.name.clone(),
        url_path: c.url_path.clone(),
        kind: match c.kind {
            ColumnKind::List => "list",
            ColumnKind::Page => "page",
        },
        role: c.role.map(|r| r.label()).unwrap_or(""),
        count: c.documents.len(),
        children: c.children.iter().map(|&k| link(columns, k)).collect(),
    }
}

/// The whole tree, top-level columns first, for the navigation and the home page.
pub(super) fn tree(columns: &Columns) -> Vec<ColumnLink> {
    columns.top().map(|(i, _)| link(columns, i)).collect()
}

/// The breadcrumb steps down to column `i`, or none.
pub(super) fn trail(columns: &Columns, i: Option<usize>) -> Vec<TrailStep> {
    i.map(|i| {
        columns
            .trail(i)
            .into_iter()
            .map(|c: &Column| TrailStep {
                name: c.name.clone(),
                url_path: c.url_path.clone(),
            })
            .collect()
    })
    .unwrap_or_default()
}

impl Renderer<'_> {
    /// The pages of every column: each list paginated, each page column's text.
    pub(super) fn column_pages<'r>(&'r self, out: &mut Vec<PageJob<'r>>) {
        let columns = &self.site.columns;
        let per_page = self.config.per_page.max(1);
        for (i, c) in columns.all.iter().enumerate() {
            let column = link(columns, i);
            let steps = trail(columns, Some(i));
            match c.kind {
                ColumnKind::List => {
                    for (path, paginator, chunk) in paginate(&c.url_path, &c.documents, per_page) {
                        let page = format!("{path}index.html");
                        let (column, steps) = (column.clone(), steps.clone());
                        out.push(PageJob::new("column.html", page, move || {
                            let mut ctx = self.context("column", &path);
                            ctx.insert("column", &column);
                            ctx.insert("trail", &steps);
                            ctx.insert("by_year", &c.by_year);
                            ctx.insert("docs", &self.summaries(chunk));
                            ctx.insert::<Paginator, _>("paginator", &paginator);
                            ctx
                        }));
                    }
                }
                ColumnKind::Page => {
                    let page = c.page.map(|p| self.page_context(p));
                    let mut ctx = self.context("page", &c.url_path);
                    ctx.insert("column", &column);
                    ctx.insert("trail", &steps);
                    ctx.insert("page", &page);
                    let path = format!("{}index.html", c.url_path);
                    out.push(PageJob::made("page.html", path, ctx));
                }
            }
        }
    }

    fn page_context(&self, p: usize) -> PageContext {
        let page = &self.site.pages[p];
        let body = self.body(page);
        PageContext {
            title: page.front.title.clone(),
            updated: page
                .front
                .updated
                .map(|d| d.date_string())
                .unwrap_or_default(),
            agency: page
                .front
                .agency
                .as_ref()
                .map(|a| a.0.clone())
                .unwrap_or_default(),
            body_html: body.html,
        }
    }
}
