//! The archive as a site: documents in date order and the ways to browse them
//! (by 机构, by 年份, by 主题分类).

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::columns::Columns;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::document::{DisclosureDate, Document};

/// A way of browsing: its folder in the site and its Chinese label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaxonomyKind {
    Agency,
    Year,
    Topic,
}

impl TaxonomyKind {
    pub const ALL: [TaxonomyKind; 3] = [
        TaxonomyKind::Agency,
        TaxonomyKind::Year,
        TaxonomyKind::Topic,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            TaxonomyKind::Agency => "agency",
            TaxonomyKind::Year => "year",
            TaxonomyKind::Topic => "topic",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TaxonomyKind::Agency => "机构",
            TaxonomyKind::Year => "年份",
            TaxonomyKind::Topic => "主题分类",
        }
    }
}

/// One 机构, 年份 or 主题分类 and its documents, newest first.
#[derive(Debug, Clone)]
pub struct Term {
    pub name: String,
    /// `agency/3fa2c1d0/`: ASCII, so it works on every file system and from file://.
    pub url_path: String,
    /// Indices into [`Site::documents`].
    pub documents: Vec<usize>,
}

/// The documents of the archive and how they are grouped.
#[derive(Debug)]
pub struct Site {
    /// Newest first; undated documents last, by path.
    pub documents: Vec<Document>,
    pub agencies: Vec<Term>,
    pub years: Vec<Term>,
    pub topics: Vec<Term>,
    /// The column tree of site.toml, holding the documents (empty when site.toml has
    /// none).
    pub columns: Columns,
    /// The texts of the page columns (指南, 依申请公开 …), by path: not disclosure
    /// documents, so in no list, term or search.
    pub pages: Vec<Document>,
    /// Term name → position, for each taxonomy (pages look up their terms by name).
    by_name: [std::collections::HashMap<String, usize>; 3],
    /// Page bundles moved one folder down ([`Site::nest_crowded_folders`]): content
    /// folder (`2024/notice/`) → page folder (`2024/3f/notice/`); their files go along.
    pub moved_bundles: MovedBundles,
}

/// Sets [`Document::nest`] of every document whose output folder would hold more than
/// `limit` pages (see [`Site::nest_crowded_folders`]); returns the bundles that moved.
pub fn nest_crowded(documents: &mut [Document], limit: usize) -> MovedBundles {
    let parent = |d: &Document| {
        let url = crate::document::url_path_of(&d.path);
        let trimmed = url.trim_end_matches('/');
        let cut = trimmed.rfind('/').map_or(0, |i| i + 1);
        (trimmed[..cut].to_string(), trimmed[cut..].to_string())
    };
    let mut counts: std::collections::HashMap<String, usize> = Default::default();
    for d in documents.iter() {
        *counts.entry(parent(d).0).or_default() += 1;
    }
    let mut moved = MovedBundles::default();
    for d in documents.iter_mut() {
        let (folder, name) = parent(d);
        d.nest = (counts[&folder] > limit).then(|| nest_of(&name));
        if d.nest.is_some()
            && let Some(bundle) = d.path.strip_suffix("index.md")
        {
            moved.0.insert(bundle.to_string(), d.url_path());
        }
    }
    moved
}

/// Page bundles whose page was nested ([`Site::nest_crowded_folders`]): content folder
/// (`2024/notice/`) → page folder (`2024/3f/notice/`).
#[derive(Debug, Default)]
pub struct MovedBundles(std::collections::HashMap<String, String>);

impl MovedBundles {
    /// Where the file at `rel` under content/ is published: beside its page when its
    /// page bundle was nested, else at the same path.
    pub fn output_path<'a>(&self, rel: &'a str) -> std::borrow::Cow<'a, str> {
        if self.0.is_empty() {
            return rel.into();
        }
        let mut at = rel.len();
        while let Some(i) = rel[..at].rfind('/') {
            if let Some(moved) = self.0.get(&rel[..=i]) {
                return format!("{moved}{}", &rel[i + 1..]).into();
            }
            at = i;
        }
        rel.into()
    }
}

/// The most documents an output folder holds before its documents are nested one
/// folder down (FAT32 allows 65,534 entries a folder, fewer with long names).
pub const MAX_DOCUMENTS_PER_FOLDER: usize = 10_000;

/// Folders a crowded folder's documents are shared among: two hexadecimal digits.
const NEST_BUCKETS: u32 = 256;

/// The folder a nested page goes in: two hexadecimal digits of the FNV-1a hash of its
/// own folder's name, so it stays there whatever else is added.
pub fn nest_of(name: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    format!("{:02x}", h % NEST_BUCKETS)
}

/// Site paths the build writes itself; a document there would be overwritten.
const RESERVED: [&str; 8] = crate::config::RESERVED_PATHS;

/// The label of the year term for documents with no date.
pub const UNDATED: &str = "未注明日期";

/// The date a document is sorted and grouped by: 发布时间, else 成文日期.
pub fn sort_date(d: &Document) -> Option<DisclosureDate> {
    d.front.published.or(d.front.written)
}

impl Site {
    /// Orders and groups the documents and takes them into `columns` (the tree of
    /// site.toml, [`Columns::from_config`]); refuses what cannot be built (a document
    /// with no 机构, one whose path the site needs for its own pages).
    pub fn new(
        documents: Vec<Document>,
        content_dir: &std::path::Path,
        mut columns: Columns,
    ) -> Result<Site, Diagnostics> {
        let errors = Site::refusals(&documents, content_dir, &columns);
        if errors.has_errors() {
            return Err(errors.sorted());
        }
        let page_paths = columns.page_paths();
        // Taken out in place: the documents keep the exact allocation they were loaded
        // in (collecting them anew doubles as it grows, 40% more at 300,000).
        let mut documents = documents;
        let pages: Vec<Document> = documents
            .extract_if(.., |d| page_paths.contains(d.url_path().as_str()))
            .collect();
        drop(page_paths);
        // Unstable, so no buffer of half the documents: paths are unique, the order total.
        documents.sort_unstable_by(|a, b| match (sort_date(a), sort_date(b)) {
            (Some(x), Some(y)) => y.cmp(&x).then_with(|| a.path.cmp(&b.path)),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.path.cmp(&b.path),
        });

        let mut agencies: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut years: BTreeMap<Option<i32>, Vec<usize>> = BTreeMap::new();
        let mut topics: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, d) in documents.iter().enumerate() {
            if let Some(a) = &d.front.agency {
                agencies.entry(a.0.clone()).or_default().push(i);
            }
            years.entry(d.front.year()).or_default().push(i);
            if let Some(t) = &d.front.topic {
                topics.entry(t.clone()).or_default().push(i);
            }
        }
        let agencies = hashed_terms(TaxonomyKind::Agency, agencies);
        let topics = hashed_terms(TaxonomyKind::Topic, topics);
        let years = years
            .into_iter()
            .rev()
            .map(|(year, documents)| {
                let (name, slug) = match year {
                    Some(y) => (format!("{y}"), format!("{y}")),
                    None => (UNDATED.to_string(), "undated".to_string()),
                };
                Term {
                    name,
                    url_path: format!("{}/{slug}/", TaxonomyKind::Year.slug()),
                    documents,
                }
            })
            // Undated sorts first in a BTreeMap (None < Some); put it last.
            .fold(Vec::new(), |mut v: Vec<Term>, t| {
                if t.name == UNDATED {
                    v.push(t);
                } else {
                    let at = v.iter().position(|x| x.name == UNDATED).unwrap_or(v.len());
                    v.insert(at, t);
                }
                v
            });
        let by_name = [&agencies, &years, &topics].map(|terms| {
            terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.name.clone(), i))
                .collect()
        });
        columns.resolve(&documents, &pages);
        Ok(Site {
            documents,
            agencies,
            years,
            topics,
            columns,
            pages,
            by_name,
            moved_bundles: Default::default(),
        })
    }

    /// Moves the pages of every output folder that would hold more than `limit`
    /// documents one folder down, into [`nest_of`] their own folder's name (`2024/a/` →
    /// `2024/3f/a/`): a year of 300,000 documents makes 256 folders of about 1,200.
    /// Folders within the limit keep their URLs. Only the pages move; documents'
    /// files under content/ stay where they are, and links to them follow.
    pub fn nest_crowded_folders(&mut self, limit: usize) {
        self.moved_bundles = nest_crowded(&mut self.documents, limit);
    }

    /// Where the file at `rel` under content/ is published ([`MovedBundles`]).
    pub fn output_path<'a>(&self, rel: &'a str) -> std::borrow::Cow<'a, str> {
        self.moved_bundles.output_path(rel)
    }

    /// What keeps documents out of a site: no 机构, a path the site needs for itself,
    /// a place in the column tree that cannot be ([`Columns::refusals`]).
    pub fn refusals(
        documents: &[Document],
        content_dir: &std::path::Path,
        columns: &Columns,
    ) -> Diagnostics {
        let mut errors = columns.refusals(documents, content_dir);
        for d in documents {
            let file = d.file(content_dir);
            // A column's page (指南, 依申请公开) is the office's own text.
            if d.front.agency.is_none() && !columns.is_page(&d.url_path()) {
                errors.push(Diagnostic::error(
                    &file,
                    Some(2),
                    "`机构` is missing; add `机构: <发布机构全称>` to the front matter, or \
                     import again with `gongkai import --set 机构=<发布机构全称>` (fills it \
                     where a report names no organ) or an [import.defaults] table in \
                     site.toml (the importer leaves it out when the raw report does not \
                     name the organ)",
                ));
            }
            let first = d.path.split('/').next().unwrap_or("");
            let first = first.strip_suffix(".md").unwrap_or(first);
            if d.path == "index.md" {
                errors.push(Diagnostic::error(
                    &file,
                    None,
                    "content/index.md would be the home page, which the site writes itself; \
                     give the document a folder of its own (e.g. content/2024/<name>/index.md)",
                ));
            } else if RESERVED.contains(&first) {
                errors.push(Diagnostic::error(
                    &file,
                    None,
                    format!(
                        "the site uses `{first}/` for its own pages; move the document to \
                         another folder"
                    ),
                ));
            }
        }
        errors.extend(same_page_twice(documents, content_dir));
        errors
    }

    pub fn terms(&self, kind: TaxonomyKind) -> &[Term] {
        match kind {
            TaxonomyKind::Agency => &self.agencies,
            TaxonomyKind::Year => &self.years,
            TaxonomyKind::Topic => &self.topics,
        }
    }

    /// The term a document belongs to, for links from its page.
    pub fn term_of(&self, kind: TaxonomyKind, name: &str) -> Option<&Term> {
        let at = *self.by_name[kind as usize].get(name)?;
        self.terms(kind).get(at)
    }

    /// The 年份 term a document is listed under.
    pub fn year_of(&self, d: &Document) -> Option<&Term> {
        let name = d
            .front
            .year()
            .map_or_else(|| UNDATED.to_string(), |y| y.to_string());
        self.term_of(TaxonomyKind::Year, &name)
    }
}

/// Two documents with one page: `2024/a.md` and the bundle `2024/a/index.md`.
fn same_page_twice(documents: &[Document], content_dir: &std::path::Path) -> Diagnostics {
    let mut by_page: BTreeMap<String, Vec<&Document>> = BTreeMap::new();
    for d in documents {
        by_page.entry(d.url_path()).or_default().push(d);
    }
    let mut errors = Diagnostics::new();
    for (page, docs) in by_page {
        if let [first, rest @ ..] = docs.as_slice() {
            for d in rest {
                errors.push(Diagnostic::error(
                    d.file(content_dir),
                    None,
                    format!(
                        "this document and content/{} would both be the page /{page}; \
                         keep one of them (a bundle folder's index.md, or the .md beside it)",
                        first.path
                    ),
                ));
            }
        }
    }
    errors
}

/// Terms named by free text get a short hash as their folder name: stable as long as
/// the name is, ASCII, and safe on FAT32. Sorted by document count, then name (pinyin).
fn hashed_terms(kind: TaxonomyKind, groups: BTreeMap<String, Vec<usize>>) -> Vec<Term> {
    let mut used: BTreeMap<String, String> = BTreeMap::new();
    let mut terms: Vec<Term> = groups
        .into_iter()
        .map(|(name, documents)| {
            let digest = hex(&Sha256::digest(name.as_bytes()));
            // Lengthen on the (unlikely) collision of the first 8 hex digits.
            let mut len = 8;
            while used.get(&digest[..len]).is_some_and(|other| *other != name) && len < digest.len()
            {
                len += 2;
            }
            let slug = digest[..len].to_string();
            used.insert(slug.clone(), name.clone());
            Term {
                url_path: format!("{}/{slug}/", kind.slug()),
                name,
                documents,
            }
        })
        .collect();
    terms.sort_by(|a, b| {
        b.documents
            .len()
            .cmp(&a.documents.len())
            .then_with(|| crate::collation::compare_names(&a.name, &b.name))
    });
    terms
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn doc(path: &str, agency: &str, date: Option<&str>, topic: Option<&str>) -> Document {
        let mut y = format!("标题: {path}\n机构: {agency}\n");
        if let Some(d) = date {
            y.push_str(&format!("发布时间: {d}\n"));
        }
        if let Some(t) = topic {
            y.push_str(&format!("主题分类: {t}\n"));
        }
        Document::parse(Path::new(path), path, &format!("---\n{y}---\n正文\n")).unwrap()
    }

    #[test]
    fn orders_newest_first_and_groups() {
        let site = Site::new(
            vec![
                doc("a.md", "甲局", Some("2021-01-01"), Some("教育")),
                doc("b.md", "乙局", None, None),
                doc("c.md", "甲局", Some("2023-05-01"), Some("教育")),
                doc("d.md", "乙局", Some("2022-01-01 08:00:00"), None),
            ],
            Path::new("content"),
            Columns::default(),
        )
        .unwrap();
        let paths: Vec<_> = site.documents.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["c.md", "d.md", "a.md", "b.md"]);
        let years: Vec<_> = site.years.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(years, ["2023", "2022", "2021", UNDATED]);
        assert_eq!(site.years[3].url_path, "year/undated/");
        assert_eq!(site.agencies.len(), 2);
        let jia = site.agencies.iter().find(|t| t.name == "甲局").unwrap();
        assert_eq!(jia.documents, [0, 2]);
        assert!(site.agencies[0].url_path.starts_with("agency/"));
        assert_eq!(site.topics[0].documents.len(), 2);
    }

    #[test]
    fn refuses_missing_agency_and_reserved_paths() {
        let no_agency =
            Document::parse(Path::new("x.md"), "x.md", "---\n标题: 无机构\n---\n").unwrap();
        let errs = Site::new(
            vec![no_agency, doc("search/a.md", "局", None, None)],
            Path::new("content"),
            Columns::default(),
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs}");
        assert!(errs.to_string().contains("机构"));
        assert!(errs.to_string().contains("search/"));
    }

    #[test]
    fn a_bundle_and_a_file_of_the_same_page_are_refused() {
        let errs = Site::new(
            vec![
                doc("2024/a.md", "局", None, None),
                doc("2024/a/index.md", "局", None, None),
                doc("2024/b/index.md", "局", None, None),
                doc("index.md", "局", None, None),
            ],
            Path::new("content"),
            Columns::default(),
        )
        .unwrap_err();
        assert_eq!(errs.len(), 2, "{errs}");
        let text = errs.to_string();
        assert!(
            text.contains("/2024/a/") && text.contains("home page"),
            "{text}"
        );
    }

    #[test]
    fn only_a_crowded_folder_is_nested_and_its_bundles_move_with_their_pages() {
        let mut docs = vec![
            doc("2024/a.md", "局", Some("2024-01-01"), None),
            doc("2024/b.md", "局", Some("2024-01-02"), None),
            doc("2024/c/index.md", "局", Some("2024-01-03"), None),
            doc("2023/d.md", "局", Some("2023-01-01"), None),
        ];
        let moved = nest_crowded(&mut docs, 2);
        assert_eq!(docs[3].url_path(), "2023/d/", "a folder within the limit");
        for d in &docs[..3] {
            let nest = nest_of(
                d.url_path()
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap(),
            );
            assert_eq!(d.nest.as_deref(), Some(nest.as_str()));
        }
        assert_eq!(docs[0].url_path(), format!("2024/{}/a/", nest_of("a")));
        let bundle = format!("2024/{}/c/", nest_of("c"));
        assert_eq!(docs[2].url_path(), bundle);
        assert_eq!(
            moved.output_path("2024/c/表.docx"),
            format!("{bundle}表.docx")
        );
        assert_eq!(
            moved.output_path("2024/c/x/y.pdf"),
            format!("{bundle}x/y.pdf")
        );
        assert_eq!(moved.output_path("2024/a.pdf"), "2024/a.pdf");
        // At the limit nothing moves.
        let mut docs = docs[..3].to_vec();
        assert!(nest_crowded(&mut docs, 3).output_path("2024/c/表.docx") == "2024/c/表.docx");
        assert!(docs.iter().all(|d| d.nest.is_none()));
    }

    /// 1,000,000 documents in one year's folder (names only, nothing written): 256
    /// folders, none over 10,000 pages; a year of 10,000 keeps its URLs.
    #[test]
    fn a_million_documents_in_one_folder_nest_under_ten_thousand_a_folder() {
        let mut buckets = std::collections::HashMap::<String, usize>::new();
        for i in 0..1_000_000u32 {
            *buckets
                .entry(nest_of(&format!("qx-2024-{i:07}")))
                .or_default() += 1;
        }
        assert_eq!(buckets.len(), NEST_BUCKETS as usize);
        let most = buckets.values().max().copied().unwrap_or(0);
        assert!(most <= MAX_DOCUMENTS_PER_FOLDER, "{most}");
        // With the pages' 256 folders, the year's folder holds far fewer entries too.
        assert!(buckets.len() < MAX_DOCUMENTS_PER_FOLDER);
    }
}
