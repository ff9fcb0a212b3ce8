//! Noise removal by the rules file: each line either stays or is removed with a reason.

use super::extract::{Extracted, LineKind, Region};
use super::rules::{Rules, Scope};

/// Rules are tried only on lines up to this many characters: a longer line is the
/// document's own text (often a merged body), never removed whole.
const MAX_NOISE_LINE: usize = 200;
/// A line this long is surely body text; it bounds `and_before`/`and_after`.
const BODY_LINE: usize = 120;

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
}

/// The sentences of a line: byte spans relative to it, each with its end mark.
fn sentences(t: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in t.char_indices() {
        if matches!(c, '。' | '！' | '？' | '!' | '?') {
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

pub fn clean(x: &Extracted, rules: &Rules) -> Cleaned {
    let n = x.lines.len();
    let mut removed: Vec<Option<String>> = x
        .lines
        .iter()
        .map(|l| match &l.region {
            Region::Chrome(r) => Some(r.clone()),
            Region::Content => None,
        })
        .collect();
    let mut gaps = Vec::new();
    let mut cuts = std::collections::BTreeMap::new();
    let mut titles = Vec::new();
    let long: Vec<bool> = x
        .lines
        .iter()
        .map(|l| x.line_text(l).chars().count() > BODY_LINE)
        .collect();
    let mut i = 0;
    while i < n {
        let text = x.line_text(&x.lines[i]).trim();
        // Links to attachments, and rows of a table the reader recovered (a row of
        // short cells looks like a sharing page's tags), are the document's own.
        let structured = matches!(
            x.lines[i].kind,
            LineKind::Attachment(_) | LineKind::TableRow { .. }
        );
        if removed[i].is_some()
            || structured
            || text.is_empty()
            || text.chars().count() > MAX_NOISE_LINE
        {
            i += 1;
            continue;
        }
        let Some(rule) = rules.noise.iter().find(|r| r.pattern.is_match(text)) else {
            i += 1;
            continue;
        };
        let mut last = i;
        match rule.scope {
            Scope::Line => {
                // Chrome glued to the document's own sentences: only the sentences
                // the rule matches go.
                let line = &x.lines[i];
                let raw = x.line_text(line);
                let lead = raw.len() - raw.trim_start().len();
                let parts = sentences(text);
                let hit: Vec<bool> = parts
                    .iter()
                    .map(|&(a, b)| rule.pattern.is_match(text[a..b].trim()))
                    .collect();
                if parts.len() > 1 && hit.iter().any(|&h| h) && !hit.iter().all(|&h| h) {
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
                    removed[i] = Some(rule.reason.clone());
                }
            }
            // Only a header: never reach back over the body.
            Scope::AndBefore if !long[..i].iter().any(|&b| b) => {
                for r in removed.iter_mut().take(i + 1) {
                    r.get_or_insert_with(|| rule.reason.clone());
                }
            }
            Scope::AndAfter if !long[i + 1..].iter().any(|&b| b) => {
                for r in removed.iter_mut().skip(i) {
                    r.get_or_insert_with(|| rule.reason.clone());
                }
                last = n;
            }
            Scope::Block => {
                let end = rule.end.as_ref();
                let close = (i..n).find(|&k| {
                    let t = x.line_text(&x.lines[k]).trim();
                    end.is_some_and(|e| e.is_match(t)) && t.chars().count() <= MAX_NOISE_LINE
                });
                last = close.unwrap_or(i);
                for r in removed.iter_mut().take(last + 1).skip(i) {
                    r.get_or_insert_with(|| rule.reason.clone());
                }
            }
            // A header or tail rule whose line sits inside the body: just the line.
            Scope::AndBefore | Scope::AndAfter => removed[i] = Some(rule.reason.clone()),
        }
        if rule.title
            && let Some(t) = rule.pattern.captures(text).and_then(|c| c.get(1))
        {
            titles.push((i, t.as_str().trim().to_string()));
        }
        if let Some(note) = &rule.incomplete {
            gaps.push(Gap {
                before: i,
                note: note.clone(),
            });
        }
        i = last + 1;
    }
    Cleaned {
        removed,
        cuts,
        gaps,
        titles,
    }
}

#[cfg(test)]
mod tests {
    use super::super::extract;
    use super::*;

    fn run(t: &str) -> (Vec<String>, Vec<Gap>) {
        let rules = Rules::load(None, None).unwrap();
        let x = extract::text(t.to_string());
        let c = clean(&x, &rules);
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
        let c = clean(&x, &rules);
        assert_eq!(c.removed[0], None);
        let cut = &c.cuts[&0][0];
        assert_eq!(&t[cut.0..cut.1], "本文由转载于互联网,如有侵权请联系删除!");
    }

    #[test]
    fn tail_rules_do_not_cross_the_body() {
        let long = "正文".repeat(80);
        let (kept, _) = run(&format!("相关推荐\n{long}"));
        assert_eq!(kept, vec![long]);
    }
}
