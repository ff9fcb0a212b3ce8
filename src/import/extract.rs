//! Text → lines: plain text as it is, HTML through html5ever (scraper), DOCX through
//! zip + quick-xml. Every later stage works on [`Extracted`]: one text and its lines,
//! each line a byte span of that text, so removals can be reported as spans.

use std::collections::BTreeMap;
use std::io::Read;

use quick_xml::events::Event;
use scraper::{ElementRef, Html, Node};

use super::rules::Rules;

/// What a line is, as far as the source format says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Para,
    /// A heading of the source (`<h2>`, a DOCX heading style), its level 1–6.
    Heading(u8),
    ListItem,
    /// A table row; cells are separated by tabs. `table` numbers the tables.
    TableRow {
        table: usize,
    },
    /// A link to an attached file; the index into [`PageMeta::attachments`].
    Attachment(usize),
}

/// Whether a line is the page's own text or chrome known from the markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Region {
    Content,
    /// Outside the content element, or inside `<nav>`/`<form>`; the reason says which.
    Chrome(String),
}

#[derive(Debug, Clone)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub kind: LineKind,
    pub region: Region,
    /// Bold runs, as byte ranges relative to `start`.
    pub bold: Vec<(usize, usize)>,
}

/// What a page says about itself outside its text.
#[derive(Debug, Default, Clone)]
pub struct PageMeta {
    /// `<meta name|property=… content=…>`, names lower-cased.
    pub meta: BTreeMap<String, String>,
    pub title_tag: Option<String>,
    pub h1: Option<String>,
    /// A WeChat article's publish time (`var ct = "…"`), Unix seconds.
    pub wechat_ct: Option<i64>,
    /// The content element that was found, e.g. `div.article_content`.
    pub content_selector: Option<String>,
    /// Links to attached files.
    pub attachments: Vec<PageAttachment>,
    /// How much of the page is links, for telling list pages from documents.
    pub links: LinkStats,
}

/// A link to an attached file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAttachment {
    /// The link's text, else the file name.
    pub name: String,
    /// The address, resolved against the page's `Url` when it has one.
    pub url: String,
    /// The `href` as the page wrote it: where a saved copy is looked for beside the page.
    pub href: String,
}

/// The links of a page's text (its content element, else its body; `<nav>` and `<form>`
/// left out): a channel, list or search page is mostly links and has no paragraph of
/// its own.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LinkStats {
    /// Characters of text, and of them those inside links to other pages.
    pub text_chars: usize,
    pub link_chars: usize,
    /// Links to other pages.
    pub links: usize,
    /// Of them, links whose text is long enough to be a document's title (a list's
    /// entries), not a menu's word.
    pub title_links: usize,
    /// Characters of the longest line without link text.
    pub longest_plain_line: usize,
    /// The page has a search form (a text box named or labelled for searching).
    pub search_form: bool,
}

#[derive(Debug, Default)]
pub struct Extracted {
    pub text: String,
    pub lines: Vec<Line>,
    pub page: PageMeta,
}

impl Extracted {
    pub fn line_text(&self, l: &Line) -> &str {
        &self.text[l.start..l.end]
    }

    pub(crate) fn push(
        &mut self,
        s: &str,
        kind: LineKind,
        region: Region,
        bold: Vec<(usize, usize)>,
    ) {
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        let start = self.text.len();
        self.text.push_str(s);
        self.lines.push(Line {
            start,
            end: self.text.len(),
            kind,
            region,
            bold,
        });
    }
}

/// Plain text: one line per line.
pub fn text(t: String) -> Extracted {
    let mut lines = Vec::new();
    let mut start = 0;
    for l in t.split('\n') {
        lines.push(Line {
            start,
            end: start + l.len(),
            kind: LineKind::Para,
            region: Region::Content,
            bold: Vec::new(),
        });
        start += l.len() + 1;
    }
    Extracted {
        text: t,
        lines,
        page: PageMeta::default(),
    }
}

// ---- HTML -------------------------------------------------------------------------

/// Elements without text of the document: skipped whole.
const SKIPPED: [&str; 10] = [
    "script", "style", "noscript", "template", "svg", "iframe", "object", "embed", "head", "canvas",
];
/// Elements whose text is page furniture, kept as lines marked as chrome.
const FURNITURE: [&str; 6] = ["nav", "form", "select", "button", "textarea", "option"];
const BLOCKS: [&str; 32] = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "ul",
    "ol",
    "li",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "blockquote",
    "pre",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "dl",
    "dt",
    "dd",
    "hr",
    "center",
    "figure",
    "figcaption",
    "address",
];

/// Characters of link text from which a link reads as a document's title.
const TITLE_LINK: usize = 10;

/// How deep the HTML walk follows elements before it takes the rest as plain text; the
/// walk recurses, and a crafted page nests tens of thousands of levels.
const MAX_DEPTH: usize = 256;

struct HtmlWalk<'a> {
    out: Extracted,
    buf: String,
    bold: Vec<(usize, usize)>,
    bold_depth: usize,
    kind: LineKind,
    content: Option<ElementRef<'a>>,
    in_content: bool,
    furniture: Option<&'static str>,
    /// Set while inside a table row: cells are gathered into `buf`.
    in_row: bool,
    cell_open: bool,
    tables: usize,
    table_stack: Vec<usize>,
    ct_regex: &'a regex::Regex,
    content_name: String,
    base_url: Option<String>,
    attachments: Vec<PageAttachment>,
    links: LinkStats,
    /// Inside `<a href>` to another page; characters of the line inside such links
    /// and in all, to tell a menu entry from text.
    link_depth: usize,
    /// How many elements deep the walk is (see [`MAX_DEPTH`]).
    depth: usize,
    link_chars: usize,
    line_chars: usize,
}

pub fn html(source: &str, rules: &Rules) -> Extracted {
    let doc = Html::parse_document(&super::nesting::cap(source));
    let mut page = PageMeta::default();
    let meta_sel = scraper::Selector::parse("meta").ok();
    if let Some(sel) = &meta_sel {
        for m in doc.select(sel) {
            let v = m.value();
            let name = v.attr("name").or_else(|| v.attr("property"));
            if let (Some(n), Some(c)) = (name, v.attr("content")) {
                let c = squeeze(c);
                if !c.is_empty() {
                    page.meta.entry(n.to_ascii_lowercase()).or_insert(c);
                }
            }
        }
    }
    if let Ok(sel) = scraper::Selector::parse("title") {
        page.title_tag = doc
            .select(&sel)
            .next()
            .map(|t| squeeze(&t.text().collect::<String>()))
            .filter(|t| !t.is_empty());
    }
    if let Ok(sel) = scraper::Selector::parse("h1") {
        page.h1 = doc
            .select(&sel)
            .map(|t| squeeze(&t.text().collect::<String>()))
            .find(|t| !t.is_empty());
    }
    let mut content = None;
    for (sel, name) in rules
        .content_selectors
        .iter()
        .zip(&rules.content_selector_names)
    {
        if let Some(e) = doc.select(sel).next() {
            content = Some(e);
            page.content_selector = Some(name.clone());
            break;
        }
    }
    let mut w = HtmlWalk {
        out: Extracted::default(),
        buf: String::new(),
        bold: Vec::new(),
        bold_depth: 0,
        kind: LineKind::Para,
        content,
        in_content: content.is_none(),
        furniture: None,
        in_row: false,
        cell_open: false,
        tables: 0,
        table_stack: Vec::new(),
        ct_regex: &WECHAT_CT,
        content_name: page.content_selector.clone().unwrap_or_default(),
        base_url: page.meta.get("url").cloned(),
        attachments: Vec::new(),
        links: LinkStats::default(),
        link_depth: 0,
        depth: 0,
        link_chars: 0,
        line_chars: 0,
    };
    // WeChat puts the publish time in a script, which the walk skips.
    if let Ok(sel) = scraper::Selector::parse("script") {
        for s in doc.select(&sel) {
            let t: String = s.text().collect();
            if let Some(c) = w.ct_regex.captures(&t) {
                page.wechat_ct = c[1].parse().ok();
                break;
            }
        }
    }
    let root = doc.root_element();
    let body = scraper::Selector::parse("body")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .unwrap_or(root);
    w.walk(body);
    w.flush();
    let mut out = w.out;
    page.attachments = w.attachments;
    page.links = w.links;
    out.page = page;
    out
}

/// A WeChat article's publish time in its page script: `var ct = "1706745600"`.
static WECHAT_CT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"\bct\s*=\s*["']?(\d{9,11})["']?"#).expect("constant pattern")
});

impl HtmlWalk<'_> {
    /// Whether text here is the page's own (its content, not `<nav>`/`<form>`).
    fn counts_for_links(&self) -> bool {
        self.in_content && self.furniture.is_none()
    }

    fn region(&self) -> Region {
        if let Some(f) = self.furniture {
            Region::Chrome(format!("page furniture inside <{f}>"))
        } else if self.in_content {
            Region::Content
        } else {
            Region::Chrome(format!(
                "portal chrome outside the page's content ({})",
                self.content_name
            ))
        }
    }

    fn flush(&mut self) {
        let raw = std::mem::take(&mut self.buf);
        let mut bold = std::mem::take(&mut self.bold);
        // Trim, shifting bold ranges with the text.
        let lead = raw.len() - raw.trim_start().len();
        let t = raw.trim();
        if t.is_empty() {
            self.kind = LineKind::Para;
            self.link_chars = 0;
            self.line_chars = 0;
            return;
        }
        for b in &mut bold {
            b.0 = b.0.saturating_sub(lead).min(t.len());
            b.1 = b.1.saturating_sub(lead).min(t.len());
        }
        bold.retain(|b| b.1 > b.0);
        if self.counts_for_links() {
            let stats = &mut self.links;
            stats.text_chars += self.line_chars;
            stats.link_chars += self.link_chars;
            if self.link_chars == 0 {
                stats.longest_plain_line = stats.longest_plain_line.max(self.line_chars);
            }
        }
        let mut region = self.region();
        // With no known content element, a short line that is nothing but a link to
        // another page is a menu entry.
        let menu_entry = self.content.is_none()
            && self.line_chars > 0
            && self.link_chars == self.line_chars
            && t.chars().count() <= 30;
        if menu_entry && region == Region::Content {
            region = Region::Chrome("a link to another page (menu entry)".into());
        }
        let kind = self.kind;
        self.out.push(t, kind, region, bold);
        self.kind = LineKind::Para;
        self.link_chars = 0;
        self.line_chars = 0;
    }

    fn text(&mut self, s: &str) {
        let mut pending_space = self.buf.ends_with(' ');
        let start = self.buf.len();
        for c in s.chars() {
            if c.is_whitespace() || c == '\u{a0}' {
                pending_space = true;
                continue;
            }
            if pending_space && !self.buf.is_empty() && !self.buf.ends_with(' ') {
                self.buf.push(' ');
            }
            pending_space = false;
            let c = if c == '\t' { ' ' } else { c };
            self.buf.push(c);
            self.line_chars += 1;
            if self.link_depth > 0 {
                self.link_chars += 1;
            }
        }
        if pending_space && !self.buf.is_empty() && !self.buf.ends_with(' ') {
            self.buf.push(' ');
        }
        if self.bold_depth > 0 && self.buf.len() > start {
            let end = self.buf.trim_end().len().max(start);
            let s0 = start + (self.buf[start..].len() - self.buf[start..].trim_start().len());
            if end > s0 {
                self.bold.push((s0, end));
            }
        }
    }

    fn walk(&mut self, node: ElementRef<'_>) {
        if self.depth >= MAX_DEPTH {
            // Nesting no real page has (a crafted or broken one): the text below is kept,
            // in order, as one run, without walking further down the stack.
            for t in node.text() {
                self.text(t);
            }
            return;
        }
        self.depth += 1;
        for child in node.children() {
            match child.value() {
                Node::Text(t) => self.text(t),
                Node::Element(_) => {
                    if let Some(e) = ElementRef::wrap(child) {
                        self.element(e);
                    }
                }
                _ => {}
            }
        }
        self.depth -= 1;
    }

    fn element(&mut self, e: ElementRef<'_>) {
        let name = e.value().name();
        if SKIPPED.contains(&name) || e.value().attr("hidden").is_some() {
            return;
        }
        let entering_content = self.content == Some(e);
        if entering_content {
            self.flush();
            self.in_content = true;
        }
        let furniture = FURNITURE.iter().find(|f| **f == name).copied();
        let outer_furniture = self.furniture;
        if let Some(f) = furniture {
            self.flush();
            self.furniture.get_or_insert(f);
            if f == "form" && self.in_content && is_search_form(e) {
                self.links.search_form = true;
            }
        }
        let is_bold = matches!(name, "b" | "strong");
        let attachment = (name == "a" && !self.in_row)
            .then(|| e.value().attr("href"))
            .flatten()
            .filter(|h| is_document_link(h));
        match name {
            _ if attachment.is_some() => {
                // A link to a file is a line of its own: the body links to it and
                // the front matter lists it under 附件.
                let href = attachment.unwrap_or_default();
                self.flush();
                self.walk(e);
                let label = squeeze(&self.buf);
                let url = resolve(self.base_url.as_deref(), href);
                let idx = match self.attachments.iter().position(|a| a.url == url) {
                    Some(i) => i,
                    None => {
                        let name = if label.is_empty() {
                            url.rsplit('/').next().unwrap_or(&url).to_string()
                        } else {
                            label
                        };
                        self.attachments.push(PageAttachment {
                            name,
                            url,
                            href: href.trim().to_string(),
                        });
                        self.attachments.len() - 1
                    }
                };
                if !self.buf.trim().is_empty() {
                    self.kind = LineKind::Attachment(idx);
                }
                self.bold.clear();
                self.flush();
            }
            "br" => {
                if self.in_row {
                    self.buf.push(' ');
                } else {
                    let k = self.kind;
                    self.flush();
                    self.kind = k;
                }
            }
            "table" => {
                self.flush();
                self.tables += 1;
                self.table_stack.push(self.tables);
                self.walk(e);
                self.table_stack.pop();
                self.flush();
            }
            "tr" if !self.in_row => {
                self.flush();
                self.in_row = true;
                self.cell_open = false;
                self.walk(e);
                self.in_row = false;
                self.kind = LineKind::TableRow {
                    table: self.table_stack.last().copied().unwrap_or(self.tables),
                };
                // A row is one line: cells joined by tabs.
                let row = std::mem::take(&mut self.buf);
                let cells: Vec<&str> = row.split('\t').map(str::trim).collect();
                self.buf = cells.join("\t");
                self.bold.clear();
                self.flush();
            }
            "td" | "th" if self.in_row => {
                if self.cell_open {
                    let trimmed = self.buf.trim_end().len();
                    self.buf.truncate(trimmed);
                    self.buf.push('\t');
                }
                self.cell_open = true;
                self.walk(e);
            }
            _ if self.in_row => {
                // Blocks inside a cell stay inside the cell.
                if BLOCKS.contains(&name)
                    && !self.buf.ends_with([' ', '\t'])
                    && !self.buf.is_empty()
                {
                    self.buf.push(' ');
                }
                if is_bold {
                    self.bold_depth += 1;
                }
                self.walk(e);
                if is_bold {
                    self.bold_depth -= 1;
                }
            }
            _ if BLOCKS.contains(&name) => {
                self.flush();
                if let Some(level) = name.strip_prefix('h').and_then(|d| d.parse::<u8>().ok()) {
                    self.kind = LineKind::Heading(level);
                } else if name == "li" {
                    self.kind = LineKind::ListItem;
                }
                self.walk(e);
                self.flush();
            }
            _ => {
                let page_link = name == "a"
                    && e.value()
                        .attr("href")
                        .is_some_and(|h| !h.trim().is_empty() && !h.trim().starts_with('#'));
                if is_bold {
                    self.bold_depth += 1;
                }
                if page_link {
                    self.link_depth += 1;
                    if self.counts_for_links() {
                        self.links.links += 1;
                        let chars = e.text().flat_map(str::chars).filter(|c| !c.is_whitespace());
                        if chars.take(TITLE_LINK).count() == TITLE_LINK {
                            self.links.title_links += 1;
                        }
                    }
                }
                self.walk(e);
                if page_link {
                    self.link_depth -= 1;
                }
                if is_bold {
                    self.bold_depth -= 1;
                }
            }
        }
        if furniture.is_some() {
            self.flush();
            self.furniture = outer_furniture;
        }
        if entering_content {
            self.flush();
            self.in_content = false;
        }
    }
}

/// Whether a link points at an attached file rather than a page.
fn is_document_link(href: &str) -> bool {
    let href = href.trim().to_ascii_lowercase();
    // Only web addresses and relative paths: never javascript:, data: or the like.
    if let Some(colon) = href.find(':') {
        let scheme = &href[..colon];
        let before_path = href.find(['/', '?', '#']).is_none_or(|slash| colon < slash);
        if before_path && scheme != "http" && scheme != "https" {
            return false;
        }
    }
    let href = href.split('#').next().unwrap_or(&href);
    let (path, query) = href.split_once('?').unwrap_or((href, ""));
    let is_file = |name: &str| {
        [
            ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et", ".ofd", ".zip", ".rar", ".7z",
            ".ppt", ".pptx", ".txt", ".csv",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
    };
    // A download script names the file in its query (`downfile.jsp?filename=a.pdf`).
    is_file(path)
        || query
            .split('&')
            .any(|kv| kv.split_once('=').is_some_and(|(_, v)| is_file(v)))
}

/// A form with a text box for searching (its name, placeholder or the form's action
/// says so); a pager's "go to page" box is not one.
fn is_search_form(form: ElementRef<'_>) -> bool {
    static INPUT: std::sync::LazyLock<Option<scraper::Selector>> =
        std::sync::LazyLock::new(|| scraper::Selector::parse("input").ok());
    let searchy = |v: &str| {
        let v = v.to_ascii_lowercase();
        [
            "search",
            "keyword",
            "query",
            "检索",
            "搜索",
            "关键字",
            "关键词",
        ]
        .iter()
        .any(|w| v.contains(w))
            || matches!(v.as_str(), "q" | "wd" | "kw" | "sword" | "searchword")
    };
    let action = form.value().attr("action").is_some_and(searchy);
    INPUT.as_ref().is_some_and(|sel| {
        form.select(sel).any(|input| {
            let v = input.value();
            let text_box = matches!(
                v.attr("type").map(str::to_ascii_lowercase).as_deref(),
                None | Some("text" | "search")
            );
            text_box
                && (action
                    || ["name", "id", "placeholder", "title"]
                        .iter()
                        .any(|a| v.attr(a).is_some_and(searchy)))
        })
    })
}

/// `href` made absolute against the page's own address, when it has one.
fn resolve(base: Option<&str>, href: &str) -> String {
    let href = href.trim();
    if href.contains("://") {
        return href.to_string();
    }
    let Some(base) = base.filter(|b| b.starts_with("http://") || b.starts_with("https://")) else {
        return href.to_string();
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    if let Some(rest) = href.strip_prefix("//") {
        return format!("{}{rest}", &base[..scheme_end]);
    }
    if href.starts_with('/') {
        return format!("{}{href}", &base[..origin_end]);
    }
    let dir_end = base
        .rfind('/')
        .filter(|&i| i >= origin_end)
        .map_or(base.len(), |i| i + 1);
    let mut dir = base[..dir_end].to_string();
    if !dir.ends_with('/') {
        dir.push('/');
    }
    format!("{dir}{}", href.trim_start_matches("./"))
}

/// Whitespace runs to one space, trimmed.
pub fn squeeze(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- DOCX -------------------------------------------------------------------------

/// Why a .docx could not be read.
pub fn docx(bytes: &[u8]) -> Result<Extracted, String> {
    let mut zip = super::zipped::open(bytes, ".docx")?;
    let mut read_part = |name: &str| -> Result<Option<String>, String> {
        let mut f = match zip.by_name(name) {
            Ok(f) => f,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(format!("not a readable .docx ({name}: {e})")),
        };
        let mut s = String::new();
        f.read_to_string(&mut s)
            .map_err(|e| format!("not a readable .docx ({name} is damaged: {e})"))?;
        Ok(Some(s))
    };
    let document = read_part("word/document.xml")?
        .ok_or("not a .docx: it has no word/document.xml; save the report from Word as .docx")?;
    let styles = read_part("word/styles.xml")?.unwrap_or_default();
    let headings = heading_styles(&styles);
    let numbering = Numbering::parse(&read_part("word/numbering.xml")?.unwrap_or_default());
    parse_document_xml(&document, &headings, &numbering)
}

/// Automatic numbering of DOCX paragraphs (word/numbering.xml): the markers Word
/// draws (`一、`, `（一）`, `1.`) are not in the text, so they are made again here.
#[derive(Debug, Default)]
struct Numbering {
    /// numId → abstractNumId
    nums: BTreeMap<String, String>,
    /// (abstractNumId, level) → (format, level text like `%1、`, start)
    levels: BTreeMap<(String, u8), (String, String, u32)>,
}

impl Numbering {
    fn parse(xml: &str) -> Numbering {
        let mut n = Numbering::default();
        let mut reader = quick_xml::Reader::from_str(xml);
        let (mut abs, mut num, mut lvl) = (None::<String>, None::<String>, None::<u8>);
        let (mut fmt, mut text, mut start) = (String::new(), String::new(), 1u32);
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                    "abstractNum" => abs = attr(&e, "abstractNumId"),
                    "num" => num = attr(&e, "numId"),
                    "abstractNumId" => {
                        if let (Some(id), Some(a)) = (&num, attr(&e, "val")) {
                            n.nums.insert(id.clone(), a);
                        }
                    }
                    "lvl" => {
                        lvl = attr(&e, "ilvl").and_then(|v| v.parse().ok());
                        (fmt, text, start) = ("decimal".into(), String::new(), 1);
                    }
                    "numFmt" if lvl.is_some() => fmt = attr(&e, "val").unwrap_or_default(),
                    "lvlText" if lvl.is_some() => text = attr(&e, "val").unwrap_or_default(),
                    "start" if lvl.is_some() => {
                        start = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(1)
                    }
                    _ => {}
                },
                Ok(Event::End(e)) if e.local_name().as_ref() == "lvl" => {
                    if let (Some(a), Some(l)) = (&abs, lvl.take()) {
                        n.levels
                            .insert((a.clone(), l), (fmt.clone(), text.clone(), start));
                    }
                }
                Ok(Event::Eof) | Err(_) => break,
                _ => {}
            }
        }
        n
    }

    /// The level's format, text and start of a numbered paragraph.
    fn level(&self, num_id: &str, ilvl: u8) -> Option<(&str, &str, u32)> {
        let abs = self.nums.get(num_id)?;
        let (f, t, s) = self.levels.get(&(abs.clone(), ilvl))?;
        Some((f.as_str(), t.as_str(), *s))
    }
}

/// A counter in a numbering format (`chineseCounting` 3 → 三).
fn format_counter(fmt: &str, n: u32) -> String {
    const CN: [&str; 10] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match fmt {
        "chineseCounting"
        | "chineseCountingThousand"
        | "chineseLegalSimplified"
        | "ideographDigital"
            if n < 100 =>
        {
            let (t, u) = ((n / 10) as usize, (n % 10) as usize);
            match (t, u) {
                (0, u) => CN[u].to_string(),
                (1, 0) => "十".into(),
                (1, u) => format!("十{}", CN[u]),
                (t, 0) => format!("{}十", CN[t]),
                (t, u) => format!("{}十{}", CN[t], CN[u]),
            }
        }
        "ideographTraditional" if (1..=10).contains(&n) => "甲乙丙丁戊己庚辛壬癸"
            .chars()
            .nth(n as usize - 1)
            .map(String::from)
            .unwrap_or_default(),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            char::from_u32(0x2460 + n - 1)
                .map(String::from)
                .unwrap_or_default()
        }
        "upperLetter" | "lowerLetter" if (1..=26).contains(&n) => {
            let c = (b'A' + (n - 1) as u8) as char;
            if fmt == "lowerLetter" {
                c.to_ascii_lowercase()
            } else {
                c
            }
            .to_string()
        }
        "decimalZero" => format!("{n:02}"),
        _ => n.to_string(),
    }
}

/// styleId → heading level, from the style names (`heading 2`, `标题 2`, `Title`).
fn heading_styles(xml: &str) -> BTreeMap<String, u8> {
    let mut out = BTreeMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut current: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "style" => current = attr(&e, "styleId"),
                "name" => {
                    if let (Some(id), Some(name)) = (&current, attr(&e, "val"))
                        && let Some(level) = heading_level(&name)
                    {
                        out.insert(id.clone(), level);
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
    }
    out
}

fn heading_level(name: &str) -> Option<u8> {
    let n = name.to_ascii_lowercase();
    if n == "title" || n == "标题" {
        return Some(1);
    }
    let rest = n
        .strip_prefix("heading")
        .or_else(|| n.strip_prefix("标题"))?
        .trim();
    rest.parse::<u8>().ok().filter(|l| (1..=6).contains(l))
}

fn attr(e: &quick_xml::events::BytesStart<'_>, local: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find_map(|a| (a.key.local_name().as_ref() == local).then(|| a.value.clone().into_owned()))
}

fn parse_document_xml(
    xml: &str,
    headings: &BTreeMap<String, u8>,
    numbering: &Numbering,
) -> Result<Extracted, String> {
    let mut out = Extracted::default();
    // numId, ilvl of the paragraph; counters per numId and level.
    let (mut num_id, mut ilvl) = (None::<String>, 0u8);
    let mut counters: BTreeMap<String, [u32; 9]> = BTreeMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut para = String::new();
    let mut bold: Vec<(usize, usize)> = Vec::new();
    let mut kind = LineKind::Para;
    let mut run_bold = false;
    let mut in_rpr = false;
    let mut in_text = false;
    let mut table_depth = 0usize;
    let mut tables = 0usize;
    let mut row: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut in_cell = false;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("not a readable .docx (word/document.xml is damaged: {e})"))?;
        match ev {
            Event::Start(e) => match e.local_name().as_ref() {
                "p" => {
                    para.clear();
                    bold.clear();
                    kind = LineKind::Para;
                    num_id = None;
                    ilvl = 0;
                }
                "r" => run_bold = false,
                "rPr" => in_rpr = true,
                "b" if in_rpr => run_bold = !is_off(&e),
                "t" => in_text = true,
                "tbl" => {
                    table_depth += 1;
                    if table_depth == 1 {
                        tables += 1;
                    }
                }
                "numPr" if kind == LineKind::Para => kind = LineKind::ListItem,
                "tr" => row.clear(),
                "tc" => {
                    cell.clear();
                    in_cell = true;
                }
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                "b" if in_rpr => run_bold = !is_off(&e),
                "pStyle" => {
                    if let Some(level) = attr(&e, "val")
                        .and_then(|v| headings.get(&v).copied().or_else(|| heading_level(&v)))
                    {
                        kind = LineKind::Heading(level);
                    }
                }
                "numPr" if kind == LineKind::Para => kind = LineKind::ListItem,
                "numId" => num_id = attr(&e, "val").filter(|v| v != "0"),
                "ilvl" => {
                    ilvl = attr(&e, "val")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0)
                        .min(8)
                }
                "tab" if !in_rpr => para.push(' '),
                "br" => para.push(' '),
                _ => {}
            },
            Event::Text(t) if in_text => {
                let s = t.xml10_content();
                let start = para.len();
                para.push_str(&s);
                if run_bold && para.len() > start {
                    match bold.last_mut() {
                        Some(last) if last.1 == start => last.1 = para.len(),
                        _ => bold.push((start, para.len())),
                    }
                }
            }
            Event::GeneralRef(r) if in_text => {
                // Character and entity references inside w:t.
                let name: String = (*r).to_string();
                let c = match name.as_str() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                if let Some(c) = c {
                    para.push(c);
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "rPr" => in_rpr = false,
                "p" => {
                    if let Some(id) = num_id.take() {
                        number_paragraph(
                            numbering,
                            &mut counters,
                            &id,
                            ilvl,
                            &mut para,
                            &mut bold,
                            &mut kind,
                        );
                    }
                    if in_cell {
                        if !cell.is_empty() && !para.trim().is_empty() {
                            cell.push(' ');
                        }
                        cell.push_str(para.trim());
                    } else {
                        let lead = para.len() - para.trim_start().len();
                        let t = para.trim().to_string();
                        if !t.is_empty() {
                            let b = bold
                                .iter()
                                .map(|&(s, e)| {
                                    (
                                        s.saturating_sub(lead).min(t.len()),
                                        e.saturating_sub(lead).min(t.len()),
                                    )
                                })
                                .filter(|b| b.1 > b.0)
                                .collect();
                            out.push(&t, kind, Region::Content, b);
                        }
                    }
                    para.clear();
                    bold.clear();
                }
                "tc" => {
                    in_cell = table_depth > 1;
                    row.push(cell.replace('\t', " ").trim().to_string());
                    cell.clear();
                    if table_depth > 1 {
                        in_cell = true;
                    }
                }
                "tr" if table_depth == 1 => {
                    if row.iter().any(|c| !c.is_empty()) {
                        let line = row.join("\t");
                        out.push(
                            &line,
                            LineKind::TableRow { table: tables },
                            Region::Content,
                            Vec::new(),
                        );
                    }
                    row.clear();
                    in_cell = false;
                }
                "tbl" => table_depth = table_depth.saturating_sub(1),
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    if out.lines.is_empty() {
        return Err("the .docx holds no text".into());
    }
    Ok(out)
}

/// Puts the marker Word would draw in front of a numbered paragraph. Bullets stay
/// list items; numbered paragraphs become text starting with their marker, so
/// outline markers (`一、`) work as in any other copy.
fn number_paragraph(
    numbering: &Numbering,
    counters: &mut BTreeMap<String, [u32; 9]>,
    num_id: &str,
    ilvl: u8,
    para: &mut String,
    bold: &mut [(usize, usize)],
    kind: &mut LineKind,
) {
    let Some((fmt, text, start)) = numbering.level(num_id, ilvl) else {
        return;
    };
    if fmt == "bullet" || fmt == "none" {
        if *kind == LineKind::Para {
            *kind = LineKind::ListItem;
        }
        return;
    }
    let c = counters.entry(num_id.to_string()).or_insert([0; 9]);
    let l = ilvl as usize;
    c[l] = if c[l] == 0 { start } else { c[l] + 1 };
    for deeper in c.iter_mut().skip(l + 1) {
        *deeper = 0;
    }
    let mut marker = text.to_string();
    for (k, &count) in c.iter().enumerate().take(l + 1) {
        let f = numbering.level(num_id, k as u8).map_or("decimal", |x| x.0);
        let value = if count == 0 {
            numbering.level(num_id, k as u8).map_or(1, |x| x.2)
        } else {
            count
        };
        marker = marker.replace(&format!("%{}", k + 1), &format_counter(f, value));
    }
    if marker.trim().is_empty() {
        return;
    }
    let lead = para.len() - para.trim_start().len();
    para.replace_range(..lead, &marker);
    let shift = marker.len() as isize - lead as isize;
    for b in bold.iter_mut() {
        b.0 = (b.0 as isize + shift).max(0) as usize;
        b.1 = (b.1 as isize + shift).max(0) as usize;
    }
    if *kind == LineKind::ListItem {
        *kind = LineKind::Para;
    }
}

fn is_off(e: &quick_xml::events::BytesStart<'_>) -> bool {
    matches!(attr(e, "val").as_deref(), Some("0" | "false" | "off"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules::load(None, None).unwrap()
    }

    #[test]
    fn html_keeps_text_drops_scripts_marks_chrome() {
        let page = "<html><head><title>标题页</title><script>var a='脚本'</script></head><body>\
            <nav>导航栏</nav><div class=\"article_content\"><p>第一段<b>加粗</b>文字</p>\
            <table><tr><td>甲</td><td>乙</td></tr></table></div><div>页脚</div></body></html>";
        let x = html(page, &rules());
        let lines: Vec<(&str, bool)> = x
            .lines
            .iter()
            .map(|l| (x.line_text(l), l.region == Region::Content))
            .collect();
        assert_eq!(
            lines,
            vec![
                ("导航栏", false),
                ("第一段加粗文字", true),
                ("甲\t乙", true),
                ("页脚", false)
            ]
        );
        let p = &x.lines[1];
        let (s, e) = p.bold[0];
        assert_eq!(&x.line_text(p)[s..e], "加粗");
        assert!(!x.text.contains("脚本"));
        assert_eq!(x.page.title_tag.as_deref(), Some("标题页"));
    }

    #[test]
    fn only_web_links_are_attachments() {
        assert!(is_document_link("./W020250407.xls"));
        assert!(is_document_link("https://www.example.gov.cn/a/b.PDF"));
        assert!(!is_document_link("javascript:alert(1).pdf"));
        assert!(!is_document_link(" JavaScript:void(0)//.doc"));
        assert!(!is_document_link("data:application/pdf;base64,AAAA.pdf"));
        assert!(!is_document_link("/zwgk/list.htm"));
        assert!(is_document_link(
            "/module/download/downfile.jsp?classid=0&filename=1803051234.pdf"
        ));
        assert!(!is_document_link("/module/search/index.jsp?field=title"));
    }

    #[test]
    fn docx_numbering_markers() {
        assert_eq!(format_counter("chineseCounting", 3), "三");
        assert_eq!(format_counter("chineseCounting", 12), "十二");
        assert_eq!(format_counter("chineseCounting", 20), "二十");
        assert_eq!(format_counter("decimal", 7), "7");
        let numbering = Numbering::parse(
            r#"<w:numbering xmlns:w="w"><w:abstractNum w:abstractNumId="4">
            <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
            <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
            </w:abstractNum><w:num w:numId="2"><w:abstractNumId w:val="4"/></w:num></w:numbering>"#,
        );
        let p = |lvl: u8, t: &str| {
            format!(
                r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="{lvl}"/><w:numId w:val="2"/></w:numPr></w:pPr><w:r><w:t>{t}</w:t></w:r></w:p>"#
            )
        };
        let xml = format!(
            "<w:document xmlns:w=\"w\"><w:body>{}{}{}{}</w:body></w:document>",
            p(0, "目标"),
            p(1, "范围"),
            p(1, "对象"),
            p(0, "措施")
        );
        let x = parse_document_xml(&xml, &BTreeMap::new(), &numbering).unwrap();
        assert_eq!(x.text, "一、目标\n（一）范围\n（二）对象\n二、措施");
        assert!(x.lines.iter().all(|l| l.kind == LineKind::Para));
    }

    #[test]
    fn docx_xml_paragraphs_headings_tables() {
        let xml = r#"<w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>总则</w:t></w:r></w:p>
            <w:p><w:r><w:rPr><w:b/></w:rPr><w:t>重点</w:t></w:r><w:r><w:t>内容&amp;说明</w:t></w:r></w:p>
            <w:tbl><w:tr><w:tc><w:p><w:r><w:t>项目</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>金额</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
            </w:body></w:document>"#;
        let x = parse_document_xml(xml, &BTreeMap::new(), &Numbering::default()).unwrap();
        assert_eq!(x.text, "总则\n重点内容&说明\n项目\t金额");
        assert_eq!(x.lines[0].kind, LineKind::Heading(1));
        assert_eq!(x.lines[1].bold, vec![(0, "重点".len())]);
        assert!(matches!(x.lines[2].kind, LineKind::TableRow { .. }));
    }
}
