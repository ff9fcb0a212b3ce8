//! Noise removal by the rules file: each line either stays or is removed with a reason.
//! Only the rules written for the report's kinds of source apply (see
//! [`super::classify`]), and structure the source itself marks — the table rows, list
//! items and headings of an office document or of a page's content element — is never
//! removed by a line rule.

use super::classify::{Classification, SourceFormat};
use super::extract::{Extracted, LineKind, Region};
use super::rules::{NoiseRule, Rules, Scope};

/// Rules are tried only on lines up to this many characters: a longer line is the
/// document's own text (often a merged body), never removed whole.
const MAX_NOISE_LINE: usize = 200;
/// A line this long is surely body text; it bounds `and_before`/`and_after`.
const BODY_LINE: usize = 120;
/// More consecutive lines than this removed by one rule are worth a second look.
const WARN_RUN: usize = 3;
/// More than this share of the text's characters removed by rules is worth one too.
const WARN_SHARE: f64 = 0.2;

/// A place where the copy lost text, before line `before` (or at the end).
#[derive(Debug, Clone)]
pub struct Gap {
    pub before: usize,
    pub note: String,
}

/// Per line: `Some(reason)` when removed whole. `cuts` holds, by line, the sentences
/// removed from a line whose other sentences are the document's own text (absolute
/// byte spans, with the reason).
#[derive(Debug, Default)]
pub struct Cleaned {
    pub removed: Vec<Option<String>>,
    pub cuts: std::collections::BTreeMap<usize, Vec<(usize, usize, String)>>,
    pub gaps: Vec<Gap>,
    /// Titles named by removed lines (rules with `title = true`), with the line.
    pub titles: Vec<(usize, String)>,
    /// Removals big enough that a person should look at them.
    pub warnings: Vec<String>,
}

/// The pieces of a line ending at one of `marks`: byte spans relative to it.
fn split_at(t: &str, marks: &[char]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if marks.contains(&c) {
            let end = i + c.len_utf8();
            out.push((start, end));
            start = end;
        }
    }
    if start < t.len() {
        out.push((start, t.len()));
    }
    out.retain(|&(a, b)| !t[a..b].trim().is_empty());
    out
}

const SENTENCE_END: [char; 5] = ['。', '！', '？', '!', '?'];
const CLAUSE_END: [char; 10] = ['。', '！', '？', '!', '?', '，', ',', '；', ';', '\u{3000}'];

/// Whether a line reads as the document's running text: longer than any chrome line,
/// clauses with commas, closed by a full stop. Line rules are not tried on it (spliced
/// adverts still are): it is most of a report's lines and never chrome.
pub(super) fn running_text(t: &str) -> bool {
    t.len() > 3 * 60
        && t.ends_with('。')
        && t.matches(['，', ',']).nth(1).is_some()
        && t.chars().count() > 60
}

/// A sentence whose clauses other than the advert's hold no more than this many
/// characters goes whole (`…注册即送38元彩金，天天返水。`).
const ADVERT_REST: usize = 12;

/// The spans (relative to `text`) of the adverts in a line, with the rule's reason.
fn advert_spans(
    text: &str,
    cutters: &[&NoiseRule],
    words: &[String],
) -> Vec<(usize, usize, String)> {
    let mut spans = Vec::new();
    let trimmed = |a: usize, b: usize| {
        let seg = &text[a..b];
        let a = a + (seg.len() - seg.trim_start().len());
        (a, a + seg.trim().len())
    };
    for (sa, sb) in split_at(text, &SENTENCE_END) {
        let clauses: Vec<(usize, usize)> = split_at(&text[sa..sb], &CLAUSE_END)
            .into_iter()
            .map(|(a, b)| (sa + a, sa + b))
            .collect();
        let hits: Vec<Option<&NoiseRule>> = clauses
            .iter()
            .map(|&(a, b)| {
                cutters
                    .iter()
                    .copied()
                    .find(|r| r.matches(text[a..b].trim()))
            })
            .collect();
        let Some(rule) = hits.iter().flatten().next() else {
            continue;
        };
        // In each clause that carries an advert, the run of advert words and what is
        // left of the clause beside it (an advert spliced in with no punctuation
        // around it: `增长6.2%澳门…直营其中…`).
        let runs: Vec<Option<((usize, usize), usize)>> = clauses
            .iter()
            .zip(&hits)
            .map(|(&(a, b), h)| {
                let (x, y) = advert_run(&text[a..b], (*h)?, words)?;
                Some((
                    (a + x, a + y),
                    alnum(&text[a..b]) - alnum(&text[a + x..a + y]),
                ))
            })
            .collect();
        let rest: usize = clauses
            .iter()
            .zip(&runs)
            .map(|(&(a, b), run)| match run {
                // A few characters beside the run are the advert's own too.
                Some((_, left)) if *left <= ADVERT_REST => 0,
                Some((_, left)) => *left,
                None => alnum(&text[a..b]),
            })
            .sum();
        if rest <= ADVERT_REST {
            let (a, b) = trimmed(sa, sb);
            spans.push((a, b, rule.reason.clone()));
        } else {
            for ((&(a, b), h), run) in clauses.iter().zip(&hits).zip(&runs) {
                let Some(r) = h else { continue };
                let (a, b) = match run {
                    Some((span, left)) if *left > ADVERT_REST => *span,
                    _ => trimmed(a, b),
                };
                spans.push((a, b, r.reason.clone()));
            }
        }
    }
    spans
}

/// Letters and digits in a text (what an advert's rest is measured in).
fn alnum(t: &str) -> usize {
    t.chars().filter(|c| c.is_alphanumeric()).count()
}

/// The advert in a clause as a run: the rule's match, widened over the advert words
/// (longest first) right before and after it. `None` when the rule does not match.
fn advert_run(clause: &str, rule: &NoiseRule, words: &[String]) -> Option<(usize, usize)> {
    let m = rule.pattern.find(clause)?;
    let (mut a, mut b) = (m.start(), m.end());
    // Letters and digits next to an advert are its own (`pk10`, `uu快3`, `888`).
    let latin = |c: char| c.is_ascii_alphanumeric();
    loop {
        let before = words
            .iter()
            .find(|w| clause[..a].ends_with(w.as_str()))
            .map(String::len)
            .or_else(|| {
                clause[..a]
                    .chars()
                    .next_back()
                    .filter(|&c| latin(c))
                    .map(char::len_utf8)
            });
        let after = words
            .iter()
            .find(|w| clause[b..].starts_with(w.as_str()))
            .map(String::len)
            .or_else(|| {
                clause[b..]
                    .chars()
                    .next()
                    .filter(|&c| latin(c))
                    .map(char::len_utf8)
            });
        if before.is_none() && after.is_none() {
            return Some((a, b));
        }
        a -= before.unwrap_or(0);
        b += after.unwrap_or(0);
    }
}

/// Whether a line is structure its source marked (and so out of the line rules' reach).
fn protected(x: &Extracted, kind: LineKind, region: &Region) -> bool {
    let structure = matches!(
        kind,
        LineKind::TableRow { .. } | LineKind::ListItem | LineKind::Heading(_)
    );
    structure
        && match x.format {
            SourceFormat::Office => true,
            // Inside the page's known content element the markup is the document's.
            SourceFormat::Html => x.page.content_selector.is_some() && *region == Region::Content,
            SourceFormat::Text => false,
        }
}

/// Whether a rule takes this line: a table row only when every cell is chrome.
fn rule_matches(rule: &NoiseRule, text: &str, kind: LineKind) -> bool {
    if let LineKind::TableRow { .. } = kind {
        let cells: Vec<&str> = text
            .split('\t')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        return !cells.is_empty() && cells.iter().all(|c| rule.matches(c));
    }
    rule.matches(text)
}

pub fn clean(x: &Extracted, rules: &Rules, class: &Classification) -> Cleaned {
    let n = x.lines.len();
    let mut removed: Vec<Option<String>> = x
        .lines
        .iter()
        .map(|l| match &l.region {
            Region::Chrome(r) => Some(r.clone()),
            Region::Content => None,
        })
        .collect();
    let from_markup: Vec<bool> = removed.iter().map(Option::is_some).collect();
    let guarded: Vec<bool> = x
        .lines
        .iter()
        .map(|l| protected(x, l.kind, &l.region))
        .collect();
    let active: Vec<&NoiseRule> = rules
        .noise
        .iter()
        .filter(|r| r.applies_to(&class.kinds))
        .collect();
    let (cutters, line_rules): (Vec<&NoiseRule>, Vec<&NoiseRule>) =
        active.into_iter().partition(|r| r.scope == Scope::Cut);
    let mut gaps = Vec::new();
    let mut cuts = std::collections::BTreeMap::new();
    let mut titles = Vec::new();
    let long: Vec<bool> = x
        .lines
        .iter()
        .map(|l| x.line_text(l).chars().count() > BODY_LINE)
        .collect();
    // How much text each line holds (chrome known from the markup holds none).
    let weight: Vec<usize> = x
        .lines
        .iter()
        .zip(&from_markup)
        .map(|(l, m)| {
            if *m {
                0
            } else {
                x.line_text(l).trim().chars().count()
            }
        })
        .collect();
    let mut i = 0;
    while i < n {
        let line = &x.lines[i];
        let text = x.line_text(line).trim();
        let attachment = matches!(line.kind, LineKind::Attachment(_));
        if removed[i].is_some() || attachment || guarded[i] || text.is_empty() {
            i += 1;
            continue;
        }
        let raw = x.line_text(line);
        let lead = raw.len() - raw.trim_start().len();
        // The rules that may match the line at all (see `RulePrefilter`), found when a
        // rule is first asked about: most long lines are asked nothing.
        let candidates = std::cell::OnceCell::new();
        let may = |r: &NoiseRule| {
            candidates.get_or_init(|| rules.noise_prefilter.candidates(text))[r.index]
        };
        // Spliced-in advertising: on a line of any length, its sentence goes when the
        // advert is most of it, else only the clauses that carry it.
        if line.kind == LineKind::Para && cutters.iter().any(|r| may(r) && r.pattern.is_match(text))
        {
            let base = line.start + lead;
            let spans = advert_spans(text, &cutters, &rules.advert_words);
            if !spans.is_empty() {
                let cut: usize = spans.iter().map(|s| s.1 - s.0).sum();
                if cut >= text.trim_end().len() {
                    removed[i] = Some(spans[0].2.clone());
                } else {
                    cuts.insert(
                        i,
                        spans
                            .into_iter()
                            .map(|(a, b, r)| (base + a, base + b, r))
                            .collect(),
                    );
                }
                i += 1;
                continue;
            }
        }
        if text.chars().count() > MAX_NOISE_LINE {
            i += 1;
            continue;
        }
        // The built-in rules are for chrome, never running text; a site's own rules
        // are tried as written.
        let prose = running_text(text);
        // The next line with text, for rules that ask (`unless_next`).
        let next = || {
            x.lines[i + 1..]
                .iter()
                .map(|l| x.line_text(l).trim())
                .find(|t| !t.is_empty())
        };
        let in_text = x.page.content_selector.is_some() && line.region == Region::Content;
        let Some(rule) = line_rules.iter().find(|r| {
            (!prose || r.from_site)
                && !(r.outside_text && in_text)
                && may(r)
                && rule_matches(r, text, line.kind)
                && !r
                    .unless_next
                    .as_ref()
                    .is_some_and(|u| next().is_some_and(|n| u.is_match(n)))
        }) else {
            i += 1;
            continue;
        };
        let mut last = i;
        let mut ended = false;
        let take = |k: usize, removed: &mut Vec<Option<String>>| {
            if removed[k].is_none() && !guarded[k] {
                removed[k] = Some(rule.reason.clone());
            }
        };
        match rule.scope {
            Scope::Line | Scope::Cut => {
                // Chrome glued to the document's own sentences: only the sentences
                // the rule matches go.
                let parts = split_at(text, &SENTENCE_END);
                let hit: Vec<bool> = parts
                    .iter()
                    .map(|&(a, b)| rule.matches(text[a..b].trim()))
                    .collect();
                if line.kind == LineKind::Para
                    && parts.len() > 1
                    && hit.iter().any(|&h| h)
                    && !hit.iter().all(|&h| h)
                {
                    let spans = parts
                        .iter()
                        .zip(&hit)
                        .filter(|(_, h)| **h)
                        .map(|(&(a, b), _)| {
                            let seg = &text[a..b];
                            let a = a + (seg.len() - seg.trim_start().len());
                            let b = a + seg.trim().len();
                            (
                                line.start + lead + a,
                                line.start + lead + b,
                                rule.reason.clone(),
                            )
                        })
                        .collect();
                    cuts.insert(i, spans);
                } else {
                    take(i, &mut removed);
                    // The lines that belong to it (the numbered points of a notice).
                    if let Some(more) = &rule.continues {
                        while last + 1 < n {
                            let t = x.line_text(&x.lines[last + 1]).trim();
                            if !(t.is_empty() || more.is_match(t)) || guarded[last + 1] {
                                break;
                            }
                            last += 1;
                            if !t.is_empty() {
                                take(last, &mut removed);
                            }
                        }
                    }
                }
            }
            // Only a header: never reach back over the body, nor take more than
            // stays below it.
            Scope::AndBefore
                if !long[..i].iter().any(|&b| b)
                    && weight[..i].iter().sum::<usize>()
                        <= weight[i + 1..].iter().sum::<usize>() =>
            {
                for k in 0..=i {
                    take(k, &mut removed);
                }
            }
            // Only a tail: the text after the line must be less than the text before
            // it (a preview notice at the top of a copy is no end of it).
            Scope::AndAfter
                if !long[i + 1..].iter().any(|&b| b)
                    && weight[i + 1..].iter().sum::<usize>()
                        <= weight[..i].iter().sum::<usize>() =>
            {
                for k in i..n {
                    take(k, &mut removed);
                }
                last = n;
                ended = true;
            }
            Scope::Block => {
                let end = rule.end.as_ref();
                let close = (i..n).find(|&k| {
                    let t = x.line_text(&x.lines[k]).trim();
                    end.is_some_and(|e| e.is_match(t)) && t.chars().count() <= MAX_NOISE_LINE
                });
                last = close.unwrap_or(i);
                for k in i..=last {
                    take(k, &mut removed);
                }
            }
            // A header or tail rule whose line sits inside the body: just the line.
            Scope::AndBefore | Scope::AndAfter => take(i, &mut removed),
        }
        if rule.title
            && let Some(t) = rule.pattern.captures(text).and_then(|c| c.get(1))
        {
            titles.push((i, t.as_str().trim().to_string()));
        }
        // A loss of text is where the copy ends, or where a block (a paywall) was cut out;
        // a notice of the preview somewhere else in the text is just chrome.
        let at_end = || ended || (i + 1..n).all(|k| removed[k].is_some() || weight[k] == 0);
        if let Some(note) = rule
            .incomplete
            .as_ref()
            .filter(|_| rule.scope == Scope::Block || at_end())
        {
            gaps.push(Gap {
                before: i,
                note: note.clone(),
            });
        }
        i = last + 1;
    }
    let warnings = large_removals(x, &removed, &from_markup, &cuts);
    Cleaned {
        removed,
        cuts,
        gaps,
        titles,
        warnings,
    }
}

/// Warnings for more than a few consecutive lines removed by rules, and for rules that
/// took more than a fifth of the text between them (markup chrome not counted: it is
/// outside the page's content).
fn large_removals(
    x: &Extracted,
    removed: &[Option<String>],
    from_markup: &[bool],
    cuts: &std::collections::BTreeMap<usize, Vec<(usize, usize, String)>>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let line_no = |i: usize| crate::diagnostic::line_of(&x.text, x.lines[i].start);
    let chars = |i: usize| x.line_text(&x.lines[i]).trim().chars().count();
    let (mut total, mut gone) = (0usize, 0usize);
    // The run of removed lines: first, last, how many, the reasons.
    let mut run: Option<(usize, usize, usize, Vec<&str>)> = None;
    let flush = |run: &mut Option<(usize, usize, usize, Vec<&str>)>, warnings: &mut Vec<String>| {
        if let Some((first, last, lines, reasons)) = run.take()
            && lines > WARN_RUN
        {
            warnings.push(format!(
                "large removal: {lines} consecutive lines (lines {}–{}) removed by: {}; check \
                 them under `removed`",
                line_no(first),
                line_no(last),
                reasons.join("; ")
            ));
        }
    };
    for i in 0..x.lines.len() {
        if from_markup[i] || chars(i) == 0 {
            continue;
        }
        total += chars(i);
        if let Some(cut) = cuts.get(&i) {
            gone += cut
                .iter()
                .map(|c| x.text[c.0..c.1].chars().count())
                .sum::<usize>();
        }
        match &removed[i] {
            Some(reason) => {
                gone += chars(i);
                let r = run.get_or_insert((i, i, 0, Vec::new()));
                r.1 = i;
                r.2 += 1;
                if !r.3.contains(&reason.as_str()) {
                    r.3.push(reason.as_str());
                }
            }
            None => flush(&mut run, &mut warnings),
        }
    }
    flush(&mut run, &mut warnings);
    if total > 0 && gone as f64 > WARN_SHARE * total as f64 {
        warnings.push(format!(
            "large removal: noise rules removed {gone} of {total} characters ({:.0}%) of the \
             text; check the `removed` list",
            100.0 * gone as f64 / total as f64
        ));
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::super::classify::classify;
    use super::super::extract;
    use super::*;

    fn run(t: &str) -> (Vec<String>, Vec<Gap>) {
        let rules = Rules::load(None, None).unwrap();
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules, &classify(&x, &rules));
        let kept = x
            .lines
            .iter()
            .zip(&c.removed)
            .filter(|(l, r)| r.is_none() && !x.line_text(l).trim().is_empty())
            .map(|(l, _)| x.line_text(l).to_string())
            .collect();
        (kept, c.gaps)
    }

    #[test]
    fn removes_portal_chrome_and_keeps_text() {
        let (kept, gaps) = run(
            "网站首页\n当前位置：首页 > 通知公告\n关于做好秋季防汛工作的通知\n字号：[大 中 小]\n\
             各乡镇：现将有关事项通知如下。\n【打印本页】【关闭窗口】\n上一篇：无\n网站标识码：1234567890",
        );
        assert_eq!(
            kept,
            vec![
                "关于做好秋季防汛工作的通知",
                "各乡镇：现将有关事项通知如下。"
            ]
        );
        assert!(gaps.is_empty());
    }

    #[test]
    fn paywall_block_leaves_a_gap() {
        let (kept, gaps) = run("第一段。\n隐藏内容\n价格：9元\n会员免费查看\n第二段。");
        assert_eq!(kept, vec!["第一段。", "第二段。"]);
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].before, 1);
    }

    #[test]
    fn the_documents_own_lines_stay() {
        let own = [
            "请用微信扫一扫下方二维码报名。",
            "主办单位：青禾县文化馆",
            "附件：1.报名登记表.docx",
            "各单位要及时整理相关文档并归档。",
            "五、免责条款",
            "时间：2024年3月1日上午9时",
        ];
        let (kept, _) = run(&own.join("\n"));
        assert_eq!(kept, own);
    }

    #[test]
    fn chrome_glued_to_a_sentence_takes_only_its_sentence() {
        let rules = Rules::load(None, None).unwrap();
        let t = "本文由转载于互联网,如有侵权请联系删除!各校要按时上报统计表。";
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules, &classify(&x, &rules));
        assert_eq!(c.removed[0], None);
        let cut = &c.cuts[&0][0];
        assert_eq!(&t[cut.0..cut.1], "本文由转载于互联网,如有侵权请联系删除!");
    }

    #[test]
    fn tail_rules_do_not_cross_the_body() {
        let long = "正文".repeat(80);
        let (kept, _) = run(&format!("下载文档\n相关推荐\n{long}"));
        assert_eq!(kept, vec![long]);
    }

    #[test]
    fn rules_apply_only_to_their_kinds_of_source() {
        // Short spaced words are a sharing page's keyword tags there, a notice's own
        // line elsewhere; 格式： is a sharing page's file detail only on such a page.
        let own = ["报名 材料 格式 要求", "格式：A4纸打印", "各单位按时报送。"];
        let (kept, _) = run(&own.join("\n"));
        assert_eq!(kept, own);
        let (kept, _) = run(&format!("下载文档\n文档页数:3页\n{}", own.join("\n")));
        assert_eq!(kept, vec!["各单位按时报送。"]);
    }

    #[test]
    fn spliced_advertising_leaves_the_rest_of_the_line() {
        let rules = Rules::load(None, None).unwrap();
        let t = "下载文档\n文档页数:3页\n（三）加强校园安全管理，澳门葡京官网注册送88元彩金，各校要落实值班制度。\n\
                 严厉打击澳门博彩网站注册等违法行为。";
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules, &classify(&x, &rules));
        let cut = &c.cuts[&2];
        assert_eq!(cut.len(), 1);
        assert_eq!(&t[cut[0].0..cut[0].1], "澳门葡京官网注册送88元彩金，");
        // A sentence about fighting it is the document's own.
        assert!(c.removed[3].is_none() && !c.cuts.contains_key(&3));
    }

    #[test]
    fn an_advert_with_no_punctuation_goes_alone() {
        // Spliced between two clauses of a sharing copy with nothing to mark it off:
        // only the run of advert words goes, the figures on both sides stay.
        let rules = Rules::load(None, None).unwrap();
        let t = "下载文档\n文档页数:3页\n全县零售总额42.8亿元，同比增长6.2%澳门新葡京在线发牌官方直营其中限额以上单位增长8.1%。";
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules, &classify(&x, &rules));
        let cut = &c.cuts[&2];
        assert_eq!(cut.len(), 1);
        assert_eq!(&t[cut[0].0..cut[0].1], "澳门新葡京在线发牌官方直营");
    }

    #[test]
    fn footer_lines_inside_a_pages_text_are_its_own() {
        let rules = Rules::load(None, None).unwrap();
        let html = "<html><body><div class=\"xl_content\"><p>新网站上线，基本信息如下：</p>\
                    <p>网站标识码：9999000002</p></div>\
                    <div class=\"foot\"><p>网站标识码：9999000002　某ICP备00000002号</p></div></body></html>";
        let x = extract::html(html, &rules);
        let c = clean(&x, &rules, &classify(&x, &rules));
        let kept: Vec<&str> = x
            .lines
            .iter()
            .zip(&c.removed)
            .filter(|(_, r)| r.is_none())
            .map(|(l, _)| x.line_text(l).trim())
            .collect();
        assert_eq!(
            kept,
            vec!["新网站上线，基本信息如下：", "网站标识码：9999000002"]
        );
    }

    #[test]
    fn a_rule_never_removes_an_office_documents_table_rows() {
        let rules = Rules::load(None, None).unwrap();
        let mut x = extract::text("下载文档\n项目\t金额\n公用 经费 支出\t12.5".to_string());
        x.format = SourceFormat::Office;
        for (i, l) in x.lines.iter_mut().enumerate().skip(1) {
            l.kind = LineKind::TableRow { table: 1 };
            let _ = i;
        }
        let c = clean(&x, &rules, &classify(&x, &rules));
        assert!(c.removed[1].is_none() && c.removed[2].is_none());
    }

    #[test]
    fn many_lines_removed_by_one_rule_are_reported() {
        let rules = Rules::load(None, None).unwrap();
        let t = "网站首页\n机构概况\n政务公开\n办事服务\n互动交流\n当前位置：首页 > 通知\n\
                 正文第一段，各单位要按时报送材料。\n正文第二段，逾期不报的予以通报。";
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules, &classify(&x, &rules));
        assert!(
            c.warnings.iter().any(|w| w.contains("6 consecutive lines")),
            "{:?}",
            c.warnings
        );
    }
}
