//! Markdown bodies to HTML, safely: disclosure text is not trusted markup.
//!
//! Raw HTML in a body is shown as text, links and images with script-capable schemes
//! are dropped (their text stays), headings get stable ids and are shifted so the page
//! title stays the only `<h1>`.

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

/// A rendered body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedBody {
    pub html: String,
    /// The body as plain text, blocks separated by newlines (for search and summaries).
    pub text: String,
    /// Internal links and images the body refers to, as site paths, for link checks.
    pub links: Vec<String>,
}

/// How relative links in a body are turned into site links.
pub trait LinkResolver {
    /// The href for a relative link `dest` found in the body, or `None` to leave it as is.
    fn resolve(&self, dest: &str) -> Option<String>;
}

/// Leaves every link as written.
pub struct NoRewrite;

impl LinkResolver for NoRewrite {
    fn resolve(&self, _dest: &str) -> Option<String> {
        None
    }
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_HEADING_ATTRIBUTES
}

/// Whether a link destination could run script or smuggle content when followed.
pub fn is_unsafe_url(dest: &str) -> bool {
    // Browsers ignore ASCII whitespace and control characters inside the scheme.
    let scheme: String = dest
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .take_while(|&c| c != ':' && c != '/' && c != '?' && c != '#')
        .collect::<String>()
        .to_ascii_lowercase();
    let has_scheme = dest
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .nth(scheme.chars().count())
        == Some(':');
    has_scheme && matches!(scheme.as_str(), "javascript" | "vbscript" | "data" | "file")
}

fn is_external(dest: &str) -> bool {
    let lower = dest.trim_start().to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("mailto:")
        || lower.starts_with("tel:")
        || lower.starts_with("//")
        || lower.starts_with('#')
}

/// Renders a Markdown body.
pub fn render(markdown: &str, links: &dyn LinkResolver) -> RenderedBody {
    let mut events: Vec<Event> = Parser::new_ext(markdown, options()).collect();
    // The page title is the h1; a body that uses `#` has all its headings moved down one.
    let shift = events.iter().any(|e| {
        matches!(
            e,
            Event::Start(Tag::Heading {
                level: HeadingLevel::H1,
                ..
            })
        )
    });
    let mut out_events: Vec<Event> = Vec::with_capacity(events.len());
    let mut text = String::with_capacity(markdown.len());
    let mut found_links = Vec::new();
    let mut ids = HeadingIds::default();
    // Depth of links/images being dropped: their end tags must be dropped too.
    let mut dropped: Vec<bool> = Vec::new();
    let mut tables = 0;
    let mut i = 0;
    while i < events.len() {
        // Taken, not cloned (a clone copies a boxed string): only the events after it
        // are looked at again, for a heading's text.
        let ev = std::mem::replace(&mut events[i], Event::SoftBreak);
        i += 1;
        match ev {
            Event::Html(h) | Event::InlineHtml(h) => {
                text.push_str(&h);
                out_events.push(Event::Text(h));
            }
            // `{key=value}` after a heading would become an attribute of any name
            // (`onclick=…`, `style=…`): a body sets none of them, so `attrs` is dropped.
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs: _,
            }) => {
                let level = if shift { deeper(level) } else { level };
                // The id comes from the heading's own text, so links to it stay stable.
                let mut heading_text = String::new();
                for e in &events[i..] {
                    match e {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(t) | Event::Code(t) => heading_text.push_str(t),
                        _ => {}
                    }
                }
                let id = match id {
                    Some(id) => ids.claim(&id),
                    None => ids.claim(&heading_text),
                };
                out_events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes,
                    attrs: Vec::new(),
                }));
            }
            Event::End(TagEnd::Heading(level)) => {
                let level = if shift { deeper(level) } else { level };
                out_events.push(Event::End(TagEnd::Heading(level)));
                text.push('\n');
            }
            Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
                let is_image = matches!(tag, Tag::Image { .. });
                let (Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                }
                | Tag::Image {
                    link_type,
                    dest_url,
                    title,
                    id,
                }) = tag
                else {
                    continue;
                };
                // An unsafe link is dropped with its end tag; its text (an image's alt
                // text) stays as text.
                let unsafe_url = is_unsafe_url(&dest_url);
                dropped.push(unsafe_url);
                if unsafe_url {
                    continue;
                }
                let dest_url = rewrite(&dest_url, links, &mut found_links, link_type);
                out_events.push(Event::Start(if is_image {
                    Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }
                } else {
                    Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    }
                }));
            }
            Event::End(TagEnd::Link) | Event::End(TagEnd::Image) => {
                if dropped.pop() != Some(true) {
                    out_events.push(ev);
                }
            }
            Event::Start(Tag::Table(_)) => {
                // Wide tables scroll inside their own box instead of widening the page;
                // the box is a labelled region, numbered so each landmark is unique.
                tables += 1;
                out_events.push(Event::Html(CowStr::from(format!(
                    "<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"表格 {tables}\">"
                ))));
                out_events.push(ev);
            }
            Event::End(TagEnd::Table) => {
                out_events.push(ev);
                out_events.push(Event::Html(CowStr::Borrowed("</div>")));
                text.push('\n');
            }
            Event::Text(ref t) | Event::Code(ref t) => {
                text.push_str(t);
                out_events.push(ev);
            }
            Event::SoftBreak | Event::HardBreak => {
                text.push('\n');
                out_events.push(ev);
            }
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::Item)
            | Event::End(TagEnd::TableHead)
            | Event::End(TagEnd::TableRow)
            | Event::End(TagEnd::TableCell)
            | Event::End(TagEnd::CodeBlock) => {
                text.push(if matches!(ev, Event::End(TagEnd::TableCell)) {
                    ' '
                } else {
                    '\n'
                });
                out_events.push(ev);
            }
            other => out_events.push(other),
        }
    }
    let mut html = String::with_capacity(markdown.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, out_events.into_iter());
    RenderedBody {
        html,
        text: collapse_blank_lines(&text),
        links: found_links,
    }
}

fn rewrite<'a>(
    dest: &CowStr<'a>,
    links: &dyn LinkResolver,
    found: &mut Vec<String>,
    link_type: LinkType,
) -> CowStr<'a> {
    if matches!(link_type, LinkType::Email) || is_external(dest) || dest.is_empty() {
        return dest.clone();
    }
    match links.resolve(dest) {
        Some(href) => {
            found.push(dest.to_string());
            CowStr::from(href)
        }
        None => dest.clone(),
    }
}

fn deeper(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

/// Heading ids, unique within a page.
#[derive(Default)]
struct HeadingIds {
    used: std::collections::HashSet<String>,
}

impl HeadingIds {
    fn claim(&mut self, text: &str) -> String {
        let mut base: String = text
            .trim()
            .chars()
            .filter_map(|c| {
                // Most heading text is Han: letters that have no lower case, kept
                // without the Unicode table lookups below.
                if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
                    return Some(c);
                }
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    Some(c.to_lowercase().next().unwrap_or(c))
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .take(40)
            .collect();
        if base.is_empty() {
            base = "section".into();
        }
        let mut id = base.clone();
        let mut n = 1;
        while !self.used.insert(id.clone()) {
            n += 1;
            id = format!("{base}-{n}");
        }
        id
    }
}

fn collapse_blank_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(md: &str) -> String {
        render(md, &NoRewrite).html
    }

    #[test]
    fn han_letters_are_kept_as_the_unicode_rule_keeps_them() {
        for c in ('\u{4E00}'..='\u{9FFF}').step_by(7) {
            assert!(c.is_alphanumeric(), "U+{:04X}", c as u32);
            assert_eq!(c.to_lowercase().collect::<String>(), c.to_string());
        }
        let mut ids = HeadingIds {
            used: Default::default(),
        };
        assert_eq!(ids.claim(" 一、总体 Plan_A "), "一总体-plan_a");
    }

    #[test]
    fn raw_html_is_text() {
        let h = html(
            "正文<script>alert(1)</script>\n\n<iframe src=x></iframe>\n\n<img src=x onerror=alert(1)>",
        );
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<iframe"), "{h}");
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
    }

    #[test]
    fn script_urls_never_reach_the_output() {
        for md in [
            "[点我](javascript:alert(1))",
            "[点我](JaVaScRiPt:alert(1))",
            "[点我](java\tscript:alert(1))",
            "[点我](data:text/html;base64,PHNjcmlwdD4=)",
            "![图](javascript:alert(1))",
            "<javascript:alert(1)>",
            "[a][r]\n\n[r]: vbscript:msgbox",
        ] {
            let h = html(md);
            for attr in ["href=\"", "src=\""] {
                for value in h.split(attr).skip(1) {
                    let value = value.split('"').next().unwrap_or("");
                    assert!(!is_unsafe_url(value), "{md} → {h}");
                }
            }
        }
        assert!(html("[点我](javascript:alert(1))").contains("点我"));
    }

    #[test]
    fn heading_attributes_set_no_attribute() {
        let h = html("## 标题 {#sec .note onclick=alert(1) style=\"position:fixed\"}\n");
        assert!(!h.contains("onclick") && !h.contains("style"), "{h}");
        assert!(h.contains("id=\"sec\"") && h.contains("标题</h2>"), "{h}");
    }

    #[test]
    fn headings_get_ids_and_never_h1() {
        let h = html("# 总结\n\n## 一、工作\n\n## 一、工作\n");
        assert!(!h.contains("<h1"), "{h}");
        assert!(h.contains("<h2 id=\"总结\">"), "{h}");
        assert!(h.contains("<h3 id=\"一工作\">"), "{h}");
        assert!(h.contains("<h3 id=\"一工作-2\">"), "{h}");
        let h = html("## 一、工作\n\n### （一）要点\n");
        assert!(h.contains("<h2 id=\"一工作\">") && h.contains("<h3"), "{h}");
    }

    #[test]
    fn tables_footnotes_strikethrough() {
        let h =
            html("| 项目 | 数量 |\n| --- | --- |\n| 学校 | 3 |\n\n~~删~~ 注[^1]\n\n[^1]: 脚注\n");
        assert!(h.contains("<table>") && h.contains("table-wrap"), "{h}");
        assert!(h.contains("<del>"), "{h}");
        assert!(h.contains("footnote"), "{h}");
    }

    #[test]
    fn plain_text_for_search() {
        let r = render(
            "## 一、工作\n\n双减**落实**。\n\n| a | b |\n|---|---|\n| 学位 | 2 |\n",
            &NoRewrite,
        );
        assert_eq!(r.text, "一、工作\n双减落实。\na b\n学位 2\n");
    }

    #[test]
    fn relative_links_are_resolved() {
        struct Prefix;
        impl LinkResolver for Prefix {
            fn resolve(&self, dest: &str) -> Option<String> {
                Some(format!("/site/{dest}"))
            }
        }
        let r = render("[b](b.md) [x](https://x.gov.cn/) [#](#top)", &Prefix);
        assert!(r.html.contains("href=\"/site/b.md\""), "{}", r.html);
        assert!(r.html.contains("href=\"https://x.gov.cn/\""));
        assert!(r.html.contains("href=\"#top\""));
        assert_eq!(r.links, ["b.md"]);
    }
}
