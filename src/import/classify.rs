//! Which kind of source a raw report is. Noise rules name the kinds they were written
//! for (`kinds` in rules.toml), so a rule for a sharing site's keyword tags never
//! touches a Word document's table. A kind is detected only on evidence: signals of
//! rules.toml found in the text (each with its line, for the report), the page's
//! `<meta>` tags and content element, or the file's format.

use serde::Serialize;

use super::extract::Extracted;
use super::rules::Rules;

/// The kinds of source the rules are scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A government portal's page (HTML, or saved as text with its chrome).
    Portal,
    /// A copy from a document-sharing site (汇文网, 原创力, 道客巴巴, 人人文库, 豆丁 …).
    Sharing,
    /// A paywalled blog or a reposting site.
    Blog,
    /// A WeChat public-account article.
    Wechat,
    /// An office document (.docx and the other office formats) with no web chrome.
    Office,
    /// Plain text of a notice or report with no web chrome.
    Notice,
}

impl SourceKind {
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Portal,
        SourceKind::Sharing,
        SourceKind::Blog,
        SourceKind::Wechat,
        SourceKind::Office,
        SourceKind::Notice,
    ];
    /// The kinds whose copies carry a web site's chrome.
    pub const WEB: [SourceKind; 4] = [
        SourceKind::Portal,
        SourceKind::Sharing,
        SourceKind::Blog,
        SourceKind::Wechat,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Portal => "portal",
            SourceKind::Sharing => "sharing",
            SourceKind::Blog => "blog",
            SourceKind::Wechat => "wechat",
            SourceKind::Office => "office",
            SourceKind::Notice => "notice",
        }
    }

    pub fn from_name(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The container a report came in, as the reader knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceFormat {
    #[default]
    Text,
    Html,
    /// .docx and the other office formats: their tables, lists and headings are the
    /// document's own structure.
    Office,
}

/// The kinds a report shows evidence of, the main one first.
#[derive(Debug, Clone, Serialize)]
pub struct Classification {
    /// The kind with the most evidence.
    pub kind: SourceKind,
    /// Every kind with evidence (`kind` among them); rules of any of them apply.
    pub kinds: Vec<SourceKind>,
    /// What was seen, e.g. `sharing: 下载文档 (line 3)`.
    pub evidence: Vec<String>,
}

impl Classification {
    pub fn has(&self, kind: SourceKind) -> bool {
        self.kinds.contains(&kind)
    }
}

/// Lines longer than this are body text; signals are looked for in shorter ones.
const SIGNAL_LINE: usize = 160;
/// How many lines with text at each end of a report are searched for signals.
const SIGNAL_LINES: usize = 40;

/// `<meta>` names that government pages carry (GB/T 42147-2022) and WeChat's page
/// markers; each is evidence of its kind on its own.
const PORTAL_META: [&str; 6] = [
    "articletitle",
    "pubdate",
    "contentsource",
    "siteidcode",
    "columnname",
    "sitedomain",
];
const WECHAT_SELECTORS: [&str; 2] = ["#js_content", "div.rich_media_content"];

pub fn classify(x: &Extracted, rules: &Rules) -> Classification {
    // (kind, strong signals seen, weak signals seen, evidence)
    let mut found: Vec<(SourceKind, usize, usize)> =
        SourceKind::ALL.iter().map(|k| (*k, 0, 0)).collect();
    let mut evidence = Vec::new();
    let mut note = |kind: SourceKind, strong: bool, what: String| {
        if let Some(f) = found.iter_mut().find(|f| f.0 == kind) {
            if strong {
                f.1 += 1;
            } else {
                f.2 += 1;
            }
        }
        evidence.push(format!("{}: {what}", kind.name()));
    };
    let page = &x.page;
    if let Some(m) = PORTAL_META.iter().find(|m| page.meta.contains_key(**m)) {
        note(SourceKind::Portal, true, format!("<meta name=\"{m}\">"));
    }
    let wechat_page = page
        .content_selector
        .as_deref()
        .is_some_and(|s| WECHAT_SELECTORS.contains(&s));
    if wechat_page || page.wechat_ct.is_some() {
        note(
            SourceKind::Wechat,
            true,
            "WeChat article markup (js_content / var ct)".into(),
        );
    }
    // Each signal counts once, at the first line that shows it. Each is tried on its
    // own: small patterns with literals the regex engine finds fast (one union of them
    // all makes its lazy DFA thrash).
    let mut seen: Vec<(Vec<bool>, Vec<bool>)> = rules
        .kind_signals
        .iter()
        .map(|k| (vec![false; k.strong.len()], vec![false; k.weak.len()]))
        .collect();
    // A site's chrome sits above and below the document's text: the first and last
    // lines with text are where its signals are.
    let with_text: Vec<&super::extract::Line> = x
        .lines
        .iter()
        .filter(|l| !x.line_text(l).trim().is_empty())
        .collect();
    let ends = if with_text.len() > 2 * SIGNAL_LINES {
        [
            &with_text[..SIGNAL_LINES],
            &with_text[with_text.len() - SIGNAL_LINES..],
        ]
        .concat()
    } else {
        with_text
    };
    for l in ends {
        let t = x.line_text(l).trim();
        if t.chars().count() > SIGNAL_LINE || super::clean::running_text(t) {
            continue;
        }
        // The signals that may match the line at all (see `RulePrefilter`), numbered
        // as `rules::signal_patterns` lists them: kind by kind, strong then weak.
        let may = rules.signal_prefilter.candidates(t);
        let mut number = 0;
        for (signals, (strong_seen, weak_seen)) in rules.kind_signals.iter().zip(&mut seen) {
            for (list, seen, strong) in [
                (&signals.strong, strong_seen, true),
                (&signals.weak, weak_seen, false),
            ] {
                for (re, seen) in list.iter().zip(seen.iter_mut()) {
                    number += 1;
                    if !*seen && may[number - 1] && re.is_match(t) {
                        *seen = true;
                        let line = crate::diagnostic::line_of(&x.text, l.start);
                        note(signals.kind, strong, format!("{} (line {line})", short(t)));
                    }
                }
            }
        }
    }
    let mut kinds: Vec<(SourceKind, usize)> = found
        .iter()
        .filter(|(_, strong, weak)| *strong >= 1 || *weak >= 2)
        .map(|(k, strong, weak)| (*k, strong * 2 + weak))
        .collect();
    if kinds.is_empty() {
        let fallback = match x.format {
            SourceFormat::Office => SourceKind::Office,
            // A web page with no known signal is still a web page: its chrome is a
            // portal's as far as the rules go.
            SourceFormat::Html => SourceKind::Portal,
            SourceFormat::Text => SourceKind::Notice,
        };
        evidence.push(format!(
            "{}: no web chrome seen; the {} format",
            fallback.name(),
            match x.format {
                SourceFormat::Office => "office document",
                SourceFormat::Html => "HTML",
                SourceFormat::Text => "plain-text",
            }
        ));
        kinds.push((fallback, 0));
    }
    // Most evidence first; on a tie, the order of SourceKind (stable sort).
    kinds.sort_by_key(|k| std::cmp::Reverse(k.1));
    let kind = kinds[0].0;
    let mut kinds: Vec<SourceKind> = kinds.into_iter().map(|k| k.0).collect();
    kinds.sort();
    evidence.retain(|e| {
        kinds
            .iter()
            .any(|k| e.starts_with(&format!("{}:", k.name())))
    });
    Classification {
        kind,
        kinds,
        evidence,
    }
}

/// A line as evidence: at most 24 characters.
fn short(t: &str) -> String {
    let n = t.chars().count();
    if n <= 24 {
        t.to_string()
    } else {
        format!("{}…", t.chars().take(23).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::super::extract;
    use super::*;

    fn kind_of(t: &str) -> Classification {
        let rules = Rules::load(None, None).unwrap();
        classify(&extract::text(t.to_string()), &rules)
    }

    #[test]
    fn plain_text_without_chrome_is_a_notice() {
        let c = kind_of("青禾县水利局关于做好汛期值班的通知\n各乡镇：\n请做好值班工作。");
        assert_eq!(c.kind, SourceKind::Notice);
        assert_eq!(c.kinds, vec![SourceKind::Notice]);
    }

    #[test]
    fn a_sharing_page_is_recognised_by_its_chrome() {
        let c = kind_of("分享\n某某工作总结.docx\n下载文档\nID:1234\n页数:5页\n正文。");
        assert_eq!(c.kind, SourceKind::Sharing);
        assert!(c.evidence.iter().any(|e| e.contains("下载文档 (line 3)")));
    }

    #[test]
    fn one_weak_signal_is_not_enough() {
        // `格式：` alone is a notice's own word.
        let c = kind_of("报送要求\n格式：Word文档\n各单位按时报送。");
        assert_eq!(c.kind, SourceKind::Notice);
    }

    #[test]
    fn a_portal_page_saved_as_text() {
        let c = kind_of(
            "当前位置：首页 > 信息公开\n索引号：K1/2024-1  发布机构：青禾县民政局\n正文。\n网站标识码：3300000001",
        );
        assert_eq!(c.kind, SourceKind::Portal);
    }
}
