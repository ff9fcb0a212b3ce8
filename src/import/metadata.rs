//! Metadata from what the raw report says: `<meta>` tags, labelled fields in their
//! variants, metadata tables, a WeChat timestamp, title patterns and the signature
//! block of a 公文. A value the report does not support is left out.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::extract::{Extracted, LineKind, Region};
use super::rules::Rules;
use super::{Piece, Removal};
use crate::document::numbers::fullwidth_to_ascii;

/// A field value and where it came from (for the report).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub value: String,
    pub from: String,
}

#[derive(Debug, Default)]
pub struct Metadata {
    /// By canonical key (标题, 机构, …), plus 原文链接 and 站点.
    pub fields: BTreeMap<&'static str, Field>,
    pub title_derived: bool,
    /// Values that count only when the document itself says nothing (a 生成日期 beside
    /// the 落款 date).
    deferred: Vec<(&'static str, Field)>,
}

impl Metadata {
    /// Sets a field unless it has a value already; `true` when it was set.
    pub fn set(&mut self, key: &'static str, value: String, from: impl Into<String>) -> bool {
        let value = value.trim().to_string();
        // `无`, or a placeholder of dashes and slashes (`—  —`, `/`): no value.
        let placeholder = value
            .chars()
            .all(|c| c.is_whitespace() || "—-－/／_".contains(c));
        if placeholder || value == "无" || self.fields.contains_key(key) {
            return false;
        }
        self.fields.insert(
            key,
            Field {
                value,
                from: from.into(),
            },
        );
        true
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(|f| f.value.as_str())
    }
}

/// A line this long (in characters) is the body; the header of a report is above it.
const HEAD_END: usize = 60;
const TITLE_MAX: usize = 64;

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:(?:\s*|[T-])(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")
        .expect("constant pattern")
});
static CN_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^([〇零OoО○０-９0-9一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$")
        .expect("constant pattern")
});
static DOC_NO_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[\p{Han}]{1,12}\s*[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*第?\d{1,5}号$")
        .expect("constant pattern")
});

/// `YYYY-MM-DD[ HH:MM:SS]` from the dates copies write (`2021-01-12 16:15:50`,
/// `2021年1月8日`, `2021/1/8`, Chinese numerals).
pub fn parse_date(s: &str) -> Option<String> {
    let s = fullwidth_to_ascii(s.trim());
    if let Some(d) = chinese_date(&s) {
        return Some(d);
    }
    let c = DATE.captures(&s)?;
    let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let (y, m, d) = (num(1)?, num(2)?, num(3)?);
    chrono::NaiveDate::from_ymd_opt(y as i32, m, d)?;
    let mut out = format!("{y:04}-{m:02}-{d:02}");
    if let (Some(h), Some(mi)) = (num(4), num(5))
        && h < 24
        && mi < 60
    {
        let sec = num(6).filter(|s| *s < 60).unwrap_or(0);
        out.push_str(&format!(" {h:02}:{mi:02}:{sec:02}"));
    }
    Some(out)
}

/// 二〇二〇年八月二十日, 二OO八年十二月三日 → `YYYY-MM-DD`.
fn chinese_date(s: &str) -> Option<String> {
    let c = CN_DATE.captures(s.trim())?;
    let year: String = c[1]
        .chars()
        .map(|ch| match ch {
            '〇' | '零' | 'O' | 'o' | 'О' | '○' => Some('0'),
            '0'..='9' => Some(ch),
            _ => "一二三四五六七八九"
                .chars()
                .position(|x| x == ch)
                .and_then(|p| char::from_digit(p as u32 + 1, 10)),
        })
        .collect::<Option<String>>()?;
    let y: i32 = year.parse().ok()?;
    let m = cn_number(&c[2])?;
    let d = cn_number(&c[3])?;
    chrono::NaiveDate::from_ymd_opt(y, m, d)?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// 一 … 三十一.
fn cn_number(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "一二三四五六七八九"
            .chars()
            .position(|x| x == c)
            .map(|p| p as u32 + 1)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

fn is_date_line(s: &str) -> Option<String> {
    let t = s.trim();
    if t.chars().count() > 24 {
        return None;
    }
    if let Some(d) = chinese_date(t) {
        return Some(d);
    }
    let ascii = fullwidth_to_ascii(t);
    let c = DATE.captures(&ascii)?;
    (c.get(0)?.start() == 0 && c.get(0)?.as_str().len() + 3 >= ascii.len())
        .then(|| parse_date(t))
        .flatten()
}

fn ends_with_sentence(s: &str) -> bool {
    s.contains(['。', '！', '？', '；', '!', '?', ';'])
}

/// Whether a line can be a document title.
pub fn title_like(s: &str) -> bool {
    static OUTLINE_START: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d{1,2}[.．、])")
            .expect("constant pattern")
    });
    let n = s.chars().count();
    !OUTLINE_START.is_match(s)
        && (4..=TITLE_MAX).contains(&n)
        && !ends_with_sentence(s)
        && !s.ends_with([':', '：', '，', ',', '、'])
        && is_date_line(s).is_none()
        && s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Whether a line is a whole title in a 公文's shape (关于…的通知, …工作总结).
fn shaped_title(t: &str, rules: &Rules) -> bool {
    rules.title_shape.is_match(t) && title_like(t)
}

/// The organ name a title starts with (`庆元县教育局关于…`, `区教体局2022年工作总结`).
fn agency_in_title(title: &str, rules: &Rules) -> Option<String> {
    let part = title.rsplit("——").next().unwrap_or(title);
    let part = part.trim_start_matches(['—', '-', ' ']);
    agency_prefix(part, rules, &rules.title_agency_followers)
}

/// The shortest prefix of `s` ending with an organ suffix and followed by `follow`.
fn agency_prefix(s: &str, rules: &Rules, follow: &Regex) -> Option<String> {
    for (i, _) in s.char_indices().skip(1) {
        let head = &s[..i];
        if head.chars().count() > 24 {
            break;
        }
        if rules
            .agency_suffixes
            .iter()
            .any(|suf| head.ends_with(suf.as_str()))
            && head.chars().count() >= 2
            && head.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
            && follow.is_match(&s[i..])
        {
            return Some(head.to_string());
        }
    }
    None
}

fn is_agency_name(s: &str, rules: &Rules) -> bool {
    let n = s.chars().count();
    (2..=30).contains(&n)
        && s.chars()
            .all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c) || c == '（' || c == '）')
        && rules
            .agency_suffixes
            .iter()
            .any(|suf| s.ends_with(suf.as_str()))
}

/// Splits a labelled line into (key, label, value); `None` unless it starts with a label.
/// A label after a field separator (tab, two spaces, a full-width space, a bar).
static OTHER_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\t|[ \u{3000}]{2,}|\u{3000}|[|｜])\s*\p{Han}{1,6}[ \u{3000}]*[:：]")
        .expect("constant pattern")
});

fn labelled_fields(line: &str, rules: &Rules) -> Option<Vec<(&'static str, String, String)>> {
    let t = line.trim();
    let matches: Vec<_> = rules.label_regex.captures_iter(t).collect();
    let first = matches.first()?;
    if first.get(0)?.start() != 0 {
        return None;
    }
    let mut out = Vec::new();
    for (i, m) in matches.iter().enumerate() {
        let (Some(whole), Some(label)) = (m.get(0), m.get(1)) else {
            continue;
        };
        let end = matches
            .get(i + 1)
            .and_then(|n| n.get(0))
            .map_or(t.len(), |n| n.start());
        // A label the rules do not know ends the value too (`索引号：\t…\t分类：\t…`).
        let end = OTHER_LABEL
            .find(&t[whole.end()..end])
            .map_or(end, |m| whole.end() + m.start());
        let value = t[whole.end()..end]
            .trim()
            .trim_matches(|c: char| c == '|' || c == '｜' || c.is_whitespace())
            // The bracket that opens the next control (`来源：县局 【字体：…】`).
            .trim_end_matches(|c: char| "【[（(〔".contains(c) || c.is_whitespace())
            .trim_start_matches(|c: char| "】]）)〕".contains(c) || c.is_whitespace())
            .to_string();
        let key = rules.key_of(label.as_str())?;
        out.push((key, label.as_str().to_string(), value));
    }
    Some(out)
}

/// Fills in the fields; removes from `pieces` the lines that moved into the front
/// matter (title, metadata lines), recording them in `removals`.
pub fn gather(
    x: &Extracted,
    pieces: &mut Vec<Piece>,
    removals: &mut Vec<Removal>,
    named: &[(usize, String)],
    rules: &Rules,
) -> Metadata {
    let mut md = Metadata::default();
    let mut organs = Organs::default();
    let page = &x.page;
    let meta = |k: &str| page.meta.get(k).map(String::as_str);
    for (key, names) in &rules.meta_fields {
        for name in names {
            let Some(v) = meta(name) else { continue };
            let from = format!("<meta name=\"{name}\">");
            let taken = match *key {
                "发布时间" => parse_date(v).is_some_and(|d| md.set(key, d, from)),
                "机构" => {
                    organs.add(v, from, Rank::Meta, rules);
                    true
                }
                _ => md.set(key, v.to_string(), from),
            };
            if taken {
                break;
            }
        }
    }
    if let Some(ct) = page.wechat_ct
        && let Some(t) = chrono::DateTime::from_timestamp(ct, 0)
    {
        let bj = t.naive_utc() + chrono::Duration::hours(8);
        md.set(
            "发布时间",
            bj.format("%Y-%m-%d %H:%M:%S").to_string(),
            "WeChat publish time (var ct)",
        );
    }
    if let Some(d) = meta("#publish_time").and_then(parse_date) {
        md.set("发布时间", d, "WeChat publish time (#publish_time)");
    }
    if let Some(a) = meta("author")
        && is_agency_name(a, rules)
    {
        organs.add(a, "<meta name=\"Author\">".into(), Rank::Hint, rules);
    }

    // Metadata tables and labelled lines: anywhere outside the content, and in the
    // head of the content (above the first body-length line).
    let first_body = pieces
        .iter()
        .position(|p| {
            let t = &x.text[p.start..p.end];
            t.chars().count() > HEAD_END && labelled_fields(t, rules).is_none()
        })
        .unwrap_or(pieces.len());
    let mut consumed: Vec<Option<String>> = vec![None; pieces.len()];
    let line_no = |start: usize| crate::diagnostic::line_of(&x.text, start);
    for l in &x.lines {
        if l.region == super::extract::Region::Content {
            continue;
        }
        for (key, label, value) in fields_of(x.line_text(l), l.kind, rules) {
            let from = format!("{label} (line {})", line_no(l.start));
            apply_field(&mut md, &mut organs, key, &label, &value, &from, rules);
        }
    }
    // Head lines a noise rule removed may carry fields too (`发布日期：… 来源：…
    // 【字体：大 中 小】`): the fields are taken, the line stays removed.
    let head_end = pieces.get(first_body).map_or(x.text.len(), |p| p.start);
    for r in removals.iter_mut().filter(|r| r.start < head_end) {
        let found = fields_of(&x.text[r.start..r.end], LineKind::Para, rules);
        let mut taken = Vec::new();
        for (key, label, value) in found {
            let from = format!("{label} (line {})", line_no(r.start));
            if apply_field(&mut md, &mut organs, key, &label, &value, &from, rules) {
                taken.push(key);
            }
        }
        if !taken.is_empty() {
            r.reason = format!(
                "{}; its fields went into the front matter ({})",
                r.reason,
                taken.join(", ")
            );
        }
    }
    let mut below_title = false;
    for (i, p) in pieces.iter().enumerate().take(first_body) {
        let t = &x.text[p.start..p.end];
        let found = fields_of(t, p.kind, rules);
        // `时间：…` alone below the title is the document's own line (a meeting's
        // time), not the page's metadata.
        let weak = found.len() == 1
            && rules
                .weak_labels
                .iter()
                .any(|w| *w == squeeze_label(&found[0].1));
        if found.is_empty() && title_like(t.trim()) {
            below_title = true;
        }
        let own_text = weak && below_title;
        if !found.is_empty() && !own_text {
            let keys: Vec<&str> = found
                .iter()
                .map(|f| f.0)
                .filter(|k| !k.is_empty())
                .collect();
            for (key, label, value) in found {
                let from = format!("{label} (line {})", line_no(p.start));
                apply_field(&mut md, &mut organs, key, &label, &value, &from, rules);
            }
            consumed[i] = Some(if keys.is_empty() {
                "metadata line of the page (counters, column)".into()
            } else {
                format!(
                    "metadata line, moved into the front matter ({})",
                    keys.join(", ")
                )
            });
        }
    }
    // The 文号 line of a 公文 (with 签发人 beside it in a 上行文) and its masthead.
    let mut masthead = None;
    let mut number_at = None;
    for (i, p) in pieces.iter().enumerate().take(first_body) {
        let t = x.text[p.start..p.end].trim();
        if consumed[i].is_some() {
            continue;
        }
        if let Some(no) = doc_number_line(t) {
            number_at.get_or_insert(i);
            md.set(
                "文号",
                no.to_string(),
                format!("文号 line (line {})", line_no(p.start)),
            );
            // A line that is the 文号 and nothing else moves into the front matter;
            // one with 签发人 beside it stays, for the name.
            if no == t && md.get("文号") == Some(no) {
                consumed[i] = Some("the 文号 line, moved into the front matter (文号)".into());
            }
        } else if masthead.is_none()
            && let Some(organ) = masthead_organ(t, rules)
        {
            masthead = Some((i, organ));
        }
    }
    if let Some((i, organ)) = &masthead {
        let from = format!("the 红头 masthead (line {})", line_no(pieces[*i].start));
        organs.add(organ, from, Rank::Document, rules);
        consumed[*i] = Some(format!(
            "the 红头 masthead (发文机关标志 of {organ}), evidence for the front matter (机构)"
        ));
    }
    if let Some(n) = number_at {
        head_of_minutes(
            x,
            pieces,
            &mut consumed,
            n,
            first_body,
            rules,
            &mut md,
            &mut organs,
        );
    }

    // The title.
    if !md.fields.contains_key("标题") {
        choose_title(x, pieces, &consumed, first_body, named, rules, &mut md);
    }
    // The title's own line (or the two or three lines it was broken into), and its
    // repeats in the head, leave the body.
    if let Some(title) = md.get("标题").map(str::to_string) {
        let squeezed: String = title.chars().filter(|c| !c.is_whitespace()).collect();
        let flat = |p: &Piece| -> String {
            x.text[p.start..p.end]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect()
        };
        let head = first_body.min(pieces.len());
        let mut i = 0;
        while i < head {
            let mut joined = String::new();
            let mut matched = None;
            for j in i..head.min(i + 3) {
                if consumed[j].is_some() {
                    break;
                }
                joined.push_str(&flat(&pieces[j]));
                if joined == squeezed {
                    matched = Some(j);
                    break;
                }
                if !squeezed.starts_with(&joined) {
                    break;
                }
            }
            match matched {
                Some(j) => {
                    for c in consumed.iter_mut().take(j + 1).skip(i) {
                        *c = Some("the title, moved into the front matter (标题)".into());
                    }
                    i = j + 1;
                }
                None => i += 1,
            }
        }
    }

    // 落款: an organ name over a date, the first one from the end; else a date standing
    // alone at the end, after the 附件 and 版记 lines if there are any.
    let live: Vec<usize> = (0..pieces.len())
        .filter(|&i| consumed[i].is_none())
        .collect();
    let text_of = |i: usize| x.text[pieces[i].start..pieces[i].end].trim();
    let mut signed = None;
    for w in (1..live.len()).rev() {
        let (a, d) = (text_of(live[w - 1]), text_of(live[w]));
        if let Some(date) = is_date_line(d)
            && is_agency_name(a, rules)
        {
            // A joint document (联合行文) signs with each organ on its own line, the
            // lead organ first (GB/T 9704 §7.3.5): the topmost of them is the issuer.
            let mut top = w - 1;
            while top > 0 && w - top < 6 && is_agency_name(text_of(live[top - 1]), rules) {
                top -= 1;
            }
            signed = Some(Closing {
                date,
                line: line_no(pieces[live[w]].start),
                organ: Some((
                    text_of(live[top]).to_string(),
                    line_no(pieces[live[top]].start),
                )),
                signers: w - top,
            });
            break;
        }
    }
    if signed.is_none() {
        signed = closing_date(x, pieces, &live, rules);
    }
    if let Some(Closing {
        date,
        line,
        organ,
        signers,
    }) = &signed
    {
        md.set(
            "成文日期",
            date.clone(),
            match organ {
                Some(_) => format!("落款 date under the organ (line {line})"),
                None => format!("落款 date standing alone at the end (line {line})"),
            },
        );
        if let Some((a, l)) = organ {
            let from = if *signers > 1 {
                format!("落款 (line {l}), the first of {signers} organs signing (联合行文)")
            } else {
                format!("落款 (line {l})")
            };
            organs.add(a, from, Rank::Document, rules);
        }
    }
    // A `来源：` line closing the text (a WeChat or portal article names the organ it
    // came from there): evidence for 机构, and into the front matter with it.
    for &i in live.iter().rev().take(6) {
        let t = text_of(i);
        if let [(key, label, value)] = fields_of(t, pieces[i].kind, rules).as_slice()
            && *key == "机构"
            && is_agency_name(value.trim(), rules)
        {
            let from = format!(
                "{label} at the end of the text (line {})",
                line_no(pieces[i].start)
            );
            organs.add(value, from, Rank::Source, rules);
            consumed[i] = Some("来源 line, moved into the front matter (机构)".into());
            break;
        }
    }
    for (key, f) in std::mem::take(&mut md.deferred) {
        md.set(key, f.value, f.from);
    }
    if let Some(t) = md.get("标题")
        && let Some(a) = agency_in_title(t, rules)
    {
        organs.add(
            &a,
            "the title (the organ it opens with)".into(),
            Rank::Document,
            rules,
        );
    }
    if let Some((crumb, line)) = breadcrumb_organ(x, rules) {
        organs.add(
            &crumb,
            format!("breadcrumb (line {line})"),
            Rank::Hint,
            rules,
        );
    }
    if let Some(f) = organs.choose() {
        md.fields.insert("机构", f);
    }

    // Lines that moved into the front matter leave the body.
    let mut kept = Vec::with_capacity(pieces.len());
    for (i, p) in pieces.drain(..).enumerate() {
        if let Some(reason) = consumed[i].take() {
            removals.push(Removal {
                start: p.start,
                end: p.end,
                reason,
            });
        } else {
            kept.push(p);
        }
    }
    *pieces = kept;

    if !md.fields.contains_key("标题") {
        derive_title(x, pieces, rules, &mut md);
    }
    md
}

/// The head of a 纪要 or 简报 (GB/T 9704 §10.3): a title-shaped 标志 above the 文号
/// (`××县人民政府常务会议纪要`) while the document's own title follows below it, and
/// the line naming who compiled it and when (`××办公室　　　　2024年5月13日`). The
/// 标志 leaves the body; the compiler's line gives 机构 evidence and a 成文日期 that a
/// 落款 date would still win over.
#[allow(clippy::too_many_arguments)]
fn head_of_minutes(
    x: &Extracted,
    pieces: &[Piece],
    consumed: &mut [Option<String>],
    number_at: usize,
    first_body: usize,
    rules: &Rules,
    md: &mut Metadata,
    organs: &mut Organs,
) {
    static COMPILER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(\S.*?)[ \t\u{3000}]{2,}(\S.*)$").expect("constant pattern")
    });
    let line_no = |i: usize| crate::diagnostic::line_of(&x.text, pieces[i].start);
    let text_of = |i: usize| x.text[pieces[i].start..pieces[i].end].trim();
    let shaped = |i: usize| consumed[i].is_none() && shaped_title(text_of(i), rules);
    let head = first_body.min(pieces.len());
    let title_below = (number_at + 1..head).any(shaped);
    if title_below && let Some(m) = (0..number_at).find(|&i| shaped(i)) {
        consumed[m] =
            Some("the masthead above the 文号 (纪要/简报标志); the title follows the 文号".into());
    }
    for i in number_at + 1..head {
        if consumed.get(i).is_none_or(Option::is_some) {
            continue;
        }
        let Some(c) = COMPILER.captures(text_of(i)) else {
            continue;
        };
        let (organ, date) = (c[1].trim(), c[2].trim());
        let Some(d) = is_date_line(date).filter(|_| is_agency_name(organ, rules)) else {
            continue;
        };
        let from = format!("the compiler's line under the 文号 (line {})", line_no(i));
        organs.add(organ, from.clone(), Rank::Document, rules);
        md.deferred.push((
            "成文日期",
            Field {
                value: d,
                from: format!("{from} (no 落款 date in the text)"),
            },
        ));
        consumed[i] = Some(
            "the compiler's line under the 文号, moved into the front matter (机构, 成文日期)"
                .into(),
        );
        break;
    }
}

/// `青政办发〔2024〕5号`, alone or with 签发人 beside it: the 文号.
fn doc_number_line(t: &str) -> Option<&str> {
    static SIGNER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(.+?)[\s\u{3000}]+签\s*发\s*人\s*[:：].{0,20}$").expect("constant pattern")
    });
    if DOC_NO_LINE.is_match(t) {
        return Some(t);
    }
    let head = SIGNER.captures(t)?.get(1)?.as_str().trim();
    DOC_NO_LINE.is_match(head).then_some(head)
}

/// The organ of a 红头 masthead line (`青溪县人民政府办公室文件`).
fn masthead_organ(t: &str, rules: &Rules) -> Option<String> {
    let squeezed: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    rules.masthead.iter().find_map(|re| {
        let organ = re.captures(&squeezed)?.get(1)?.as_str().to_string();
        (is_agency_name(&organ, rules) && !organ.contains("关于")).then_some(organ)
    })
}

/// Whether a line is chrome or furniture that is never a title.
fn never_title(t: &str, rules: &Rules) -> bool {
    rules.not_title.is_match(t)
        || doc_number_line(t).is_some()
        || masthead_organ(t, rules).is_some()
        // An organ's name alone: a letter's masthead or a 落款, not a title.
        || is_agency_name(t, rules)
}

/// The title: the page's own where its sources agree, else the 公文-shaped line of the
/// head (joined when it runs over two or three lines), else the first title-like line.
fn choose_title(
    x: &Extracted,
    pieces: &[Piece],
    consumed: &[Option<String>],
    first_body: usize,
    named: &[(usize, String)],
    rules: &Rules,
    md: &mut Metadata,
) {
    let line_no = |start: usize| crate::diagnostic::line_of(&x.text, start);
    // The head's candidates: (title, first piece, how many pieces, shaped).
    let head = first_body.max(1).min(pieces.len());
    let text_of = |i: usize| x.text[pieces[i].start..pieces[i].end].trim();
    let usable = |i: usize| {
        consumed[i].is_none()
            && matches!(pieces[i].kind, LineKind::Para | LineKind::Heading(_))
            && !never_title(text_of(i), rules)
    };
    // An organ's name alone may open a title broken after it (`青溪县人民政府办公室` /
    // `关于印发…的通知`), though it is never a title by itself.
    let opens = |i: usize| {
        consumed[i].is_none()
            && matches!(pieces[i].kind, LineKind::Para | LineKind::Heading(_))
            && is_agency_name(text_of(i), rules)
            && masthead_organ(text_of(i), rules).is_none()
    };
    let mut shaped = None;
    let mut plain = None;
    'head: for i in 0..head {
        let alone = usable(i) && title_like(text_of(i));
        if !alone && !opens(i) {
            continue;
        }
        // A line that neither names an organ nor starts a title (`关于…`) does not
        // open one the lines after it make whole on their own (an account's or a
        // site's name above it).
        let starts_title = || {
            opens(i) || text_of(i).contains("关于") || agency_in_title(text_of(i), rules).is_some()
        };
        // One line, or the title broken over the next one or two.
        let mut joined = String::new();
        let mut rest = String::new();
        for j in i..(i + 3).min(head) {
            if j > i && (!usable(j) || !title_like(text_of(j))) {
                break;
            }
            joined.push_str(text_of(j));
            if j > i {
                rest.push_str(text_of(j));
                // Nor a line that already holds them (`题目_某某文库` over `题目`).
                if shaped_title(&rest, rules)
                    && (text_of(i).contains(rest.as_str()) || !starts_title())
                {
                    continue 'head;
                }
            }
            if (alone || j > i) && shaped_title(&joined, rules) {
                shaped = Some((joined.clone(), i, j));
                break 'head;
            }
        }
        if alone {
            plain.get_or_insert((text_of(i).to_string(), i));
        }
    }
    if x.format == super::classify::SourceFormat::Html
        && let Some((t, from)) = page_title(x, shaped.as_ref().map(|s| s.0.as_str()), rules)
    {
        md.set("标题", t, from);
        return;
    }
    if let Some((t, i, j)) = shaped {
        let from = if j > i {
            format!(
                "公文 title joined from lines {}–{}",
                line_no(pieces[i].start),
                line_no(pieces[j].start)
            )
        } else {
            format!("公文-shaped title line (line {})", line_no(pieces[i].start))
        };
        md.set("标题", t, from);
    } else if let Some((t, i)) = plain {
        md.set(
            "标题",
            t,
            format!(
                "first title-like line of the head (line {})",
                line_no(pieces[i].start)
            ),
        );
    } else if let Some((l, t)) = named
        .iter()
        .find(|(_, t)| title_like(t) && !rules.not_title.is_match(t))
    {
        md.set(
            "标题",
            t.clone(),
            format!(
                "file name on the page (line {})",
                line_no(x.lines[*l].start)
            ),
        );
    }
}

/// A web page's title from its own sources (og:title, `<h1>`, `<title>`, the first title
/// line of its text): the one at least two of them agree on, else the first of them
/// shaped like a 公文 title, else og:title, an `<h1>` that is not the site's name, the
/// `<title>` without the site's name. `None` when the page names no title of its own.
fn page_title(x: &Extracted, text_title: Option<&str>, rules: &Rules) -> Option<(String, String)> {
    let page = &x.page;
    let squeeze = |s: &str| -> String { s.chars().filter(|c| !c.is_whitespace()).collect() };
    let site: Vec<String> = ["sitename", "og:site_name"]
        .iter()
        .filter_map(|k| page.meta.get(*k))
        .map(|s| squeeze(s))
        .collect();
    // The <title> without the site's name (`题目_青溪县人民政府`, `题目 - 网站`).
    let title_tag = page.title_tag.as_deref().map(|t| {
        t.split(['_', '|', '｜'])
            .next()
            .unwrap_or(t)
            .split(" - ")
            .next()
            .unwrap_or(t)
            .trim()
            .to_string()
    });
    let mut sources: Vec<(String, &str)> = Vec::new();
    if let Some(t) = page.meta.get("og:title") {
        sources.push((t.clone(), "og:title"));
    }
    for h in &page.h1s {
        sources.push((h.clone(), "<h1>"));
    }
    if let Some(t) = &title_tag {
        sources.push((t.clone(), "<title>"));
    }
    if let Some(t) = text_title {
        sources.push((t.to_string(), "the title line of the text"));
    }
    // A 公文-shaped line just above the page's text element (`div.title` outside
    // `div.TRS_Editor`): the title as the page shows it when <title> and <h1> carry only
    // the site's name.
    let first_content = x.lines.iter().position(|l| l.region == Region::Content);
    if let Some(first) = first_content.filter(|_| page.content_selector.is_some()) {
        let above = x.lines[..first]
            .iter()
            .rev()
            .take(8)
            .map(|l| x.line_text(l).trim())
            .find(|t| shaped_title(t, rules) && !never_title(t, rules));
        if let Some(t) = above {
            sources.push((t.to_string(), "the title line above the page's text"));
        }
    }
    let ok = |t: &str| {
        let s = squeeze(t);
        title_like(t)
            && !rules.not_title.is_match(t)
            && !site.contains(&s)
            && !is_agency_name(t, rules)
    };
    sources.retain(|(t, _)| ok(t));
    if sources.is_empty() {
        return None;
    }
    // Agreement: another source says the same, or holds it (a <title> with the site's
    // name after it).
    let full_tag = page.title_tag.as_deref().map(squeeze).unwrap_or_default();
    for (t, from) in &sources {
        let s = squeeze(t);
        let others: Vec<&str> = sources
            .iter()
            .filter(|(u, f)| f != from && squeeze(u) == s)
            .map(|(_, f)| *f)
            .chain(
                (*from != "<title>"
                    && !full_tag.is_empty()
                    && full_tag.contains(&s)
                    && !sources.iter().any(|(_, f)| *f == "<title>"))
                .then_some("<title>"),
            )
            .collect();
        if let Some(other) = others.first() {
            return Some((t.clone(), format!("{from}, agreeing with {other}")));
        }
    }
    if let Some((t, from)) = sources.iter().find(|(t, _)| rules.title_shape.is_match(t)) {
        return Some((
            t.clone(),
            format!("{from} (shaped like a 公文 title; no other source agrees)"),
        ));
    }
    let (t, from) = &sources[0];
    Some((t.clone(), format!("{from} (no other source agrees)")))
}

/// The date of a 落款, its line, and the organ above it with its line if there is one.
struct Closing {
    date: String,
    line: usize,
    organ: Option<(String, usize)>,
    /// How many organs sign it (more than one: a joint document).
    signers: usize,
}

/// A date standing alone at the end of the text, after the 附件, 版记 and note lines
/// that may follow a 落款.
fn closing_date(x: &Extracted, pieces: &[Piece], live: &[usize], rules: &Rules) -> Option<Closing> {
    static TRAILING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(附\s*件|相关附件|[（(]此件.{0,16}[）)]|抄\s*送|抄\s*报|分\s*送|主\s*送|印\s*发|联\s*系\s*人|联系电话|\d{1,2}\s*[.．、]\s*.{1,60}\.(docx?|xlsx?|pdf|wps|et|zip|rar)$)",
        )
        .expect("constant pattern")
    });
    let line_no = |i: usize| crate::diagnostic::line_of(&x.text, pieces[i].start);
    let text_of = |i: usize| x.text[pieces[i].start..pieces[i].end].trim();
    let mut k = live.len();
    let mut skipped = 0;
    while k > 0 && skipped < 12 {
        let i = live[k - 1];
        let trailing = matches!(pieces[i].kind, LineKind::Attachment(_) | LineKind::TableRow { .. })
            || TRAILING.is_match(text_of(i))
            // A name in the list of attachments, or a 版记 line ending in 印发.
            || (text_of(i).ends_with("印发") && text_of(i).chars().count() <= 40);
        if !trailing {
            break;
        }
        k -= 1;
        skipped += 1;
    }
    let i = *live.get(k.checked_sub(1)?)?;
    let date = is_date_line(text_of(i))?;
    // A date that is the text's last word, not one inside a list or table of dates.
    let before = k.checked_sub(2).map(|b| live[b]);
    if let Some(b) = before
        && is_date_line(text_of(b)).is_some()
    {
        return None;
    }
    let organ = before
        .filter(|&b| is_agency_name(text_of(b), rules))
        .map(|b| (text_of(b).to_string(), line_no(b)));
    Some(Closing {
        date,
        line: line_no(i),
        signers: usize::from(organ.is_some()),
        organ,
    })
}

/// How many lines from the top a breadcrumb is looked for in.
const BREADCRUMB_LINES: usize = 60;

/// A department named in a breadcrumb (`当前位置：首页 > 部门信息公开 > 青溪县教育局 >
/// 通知公告`): the last crumb that is an organ's name.
fn breadcrumb_organ(x: &Extracted, rules: &Rules) -> Option<(String, usize)> {
    static CRUMB: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(当前位置|当前的位置|((您|你)(当前|现在|目前)?(所在)?的?|现在的?|所在的?)位置)?\s*[:：]?\s*首页\s*[>＞»›]",
        )
        .expect("constant pattern")
    });
    // Breadcrumbs sit at the top of a page.
    x.lines.iter().take(BREADCRUMB_LINES).find_map(|l| {
        let t = x.line_text(l).trim();
        let t = t
            .split_once(['：', ':'])
            .filter(|(label, _)| label.chars().count() <= 6)
            .map_or(t, |(_, rest)| rest.trim());
        if !CRUMB.is_match(t) && !t.starts_with("首页") {
            return None;
        }
        let organ = t
            .split(['>', '＞', '»', '›'])
            .map(str::trim)
            .rfind(|c| is_agency_name(c, rules))?;
        Some((
            organ.to_string(),
            crate::diagnostic::line_of(&x.text, l.start),
        ))
    })
}

/// Whether `short` is a shortened form of the organ name `long`: the same last character
/// (局, 办公室 …) and its characters in `long` in order (县人力社保局 of
/// 青溪县人力资源和社会保障局, 县教育局 of 庆元县教育局).
fn abbreviates(short: &str, long: &str) -> bool {
    if short.len() >= long.len()
        || short.chars().count() < 2
        || short.chars().last() != long.chars().last()
    {
        return false;
    }
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

/// How much a piece of evidence for 机构 weighs, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// `<meta name="ContentSource">` (GB/T 42147): the full name, as a rule.
    Meta,
    /// 发布机构, 发文机关, 公开主体 … : the page's disclosure metadata.
    Label,
    /// The document itself: its 落款, masthead, the organ its title opens with.
    Document,
    /// 来源： and the like: where the page came from.
    Source,
    /// A name that is a unit inside an organ (秘书科): below the document's evidence.
    SubUnit,
    /// `<meta name="Author">`, a breadcrumb.
    Hint,
}

/// Every piece of evidence for 机构, with where it came from.
#[derive(Debug, Default)]
struct Organs {
    found: Vec<(String, String, Rank)>,
    /// Values that were set aside, and why (for the report).
    set_aside: Vec<String>,
}

impl Organs {
    fn add(&mut self, value: &str, from: String, rank: Rank, rules: &Rules) {
        let v = value.trim();
        if v.is_empty() || v == "无" {
            return;
        }
        if rules.website_markers.is_match(v) {
            self.set_aside
                .push(format!("{from}: “{v}” names a web site, not an organ"));
            return;
        }
        if let Some(unit) = rules
            .sub_unit_suffixes
            .iter()
            .find(|s| v.ends_with(s.as_str()) && !v.ends_with("办公室"))
        {
            // The organ the unit belongs to, when the name starts with it.
            let organ = (2..v.chars().count())
                .rev()
                .map(|n| v.chars().take(n).collect::<String>())
                .find(|p| is_agency_name(p, rules) && p.chars().count() >= 4);
            self.set_aside.push(format!(
                "{from}: “{v}” names a unit inside an organ (…{unit})"
            ));
            if let Some(o) = organ {
                self.found.push((
                    o,
                    format!("{from}, without its unit (…{unit})"),
                    Rank::SubUnit,
                ));
            }
            return;
        }
        if !self.found.iter().any(|f| f.0 == v && f.1 == from) {
            self.found.push((v.to_string(), from, rank));
        }
    }

    /// The strongest evidence; an abbreviation gives way to the full name that ends the
    /// same way; the report says what else agreed and what was set aside.
    fn choose(&self) -> Option<Field> {
        let best = self.found.iter().min_by_key(|f| f.2)?;
        let (mut value, mut from) = (best.0.clone(), best.1.clone());
        let mut full_from = None;
        if let Some(full) = self
            .found
            .iter()
            .filter(|f| abbreviates(&value, &f.0))
            .max_by_key(|f| f.0.len())
        {
            from = format!("{from}, full name from {}", full.1);
            value = full.0.clone();
            full_from = Some(full.1.as_str());
        }
        let mut agreeing: Vec<&str> = self
            .found
            .iter()
            .filter(|f| f.1 != best.1 && Some(f.1.as_str()) != full_from)
            .filter(|f| f.0 == value || abbreviates(&f.0, &value))
            .map(|f| f.1.as_str())
            .collect();
        agreeing.dedup();
        if !agreeing.is_empty() {
            from = format!("{from}; agrees with {}", agreeing.join(", "));
        }
        let differing: Vec<String> = self
            .found
            .iter()
            .filter(|f| !(f.0 == value || abbreviates(&f.0, &value)))
            .map(|f| format!("{} says “{}”", f.1, f.0))
            .collect();
        if !differing.is_empty() {
            from = format!("{from}; not used: {}", differing.join(", "));
        }
        if !self.set_aside.is_empty() {
            from = format!("{from}; set aside: {}", self.set_aside.join(", "));
        }
        Some(Field { value, from })
    }
}

fn squeeze_label(l: &str) -> String {
    l.chars().filter(|c| !c.is_whitespace()).collect()
}

fn fields_of(t: &str, kind: LineKind, rules: &Rules) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    if let LineKind::TableRow { .. } = kind {
        let cells: Vec<&str> = t.split('\t').map(str::trim).collect();
        let mut i = 0;
        while i < cells.len() {
            let c = cells[i];
            if let Some(f) = labelled_fields(c, rules).filter(|f| f.iter().any(|x| !x.2.is_empty()))
            {
                out.extend(f);
                i += 1;
                continue;
            }
            let label = c.trim_end_matches([':', '：']);
            if let Some(key) = rules.key_of(label)
                && let Some(v) = cells.get(i + 1)
            {
                out.push((key, label.to_string(), v.to_string()));
                i += 2;
                continue;
            }
            i += 1;
        }
        return out;
    }
    labelled_fields(t, rules).unwrap_or_default()
}

/// Takes one labelled value; `true` when it filled a field (for 机构: when it was taken
/// as evidence).
fn apply_field(
    md: &mut Metadata,
    organs: &mut Organs,
    key: &'static str,
    label: &str,
    value: &str,
    from: &str,
    rules: &Rules,
) -> bool {
    let v = value.trim();
    match key {
        "" => false,
        "成文日期"
            if rules
                .weak_written_labels
                .iter()
                .any(|w| *w == squeeze_label(label)) =>
        {
            // The document's 落款 date, when it has one, is the better 成文日期.
            let Some(d) = parse_date(v) else { return false };
            md.deferred.push((
                key,
                Field {
                    value: d,
                    from: format!("{from} (no 落款 date in the text)"),
                },
            ));
            true
        }
        "发布时间" | "成文日期" => parse_date(v).is_some_and(|d| md.set(key, d, from)),
        "机构" => {
            let weak = rules
                .weak_agency_labels
                .iter()
                .any(|w| *w == squeeze_label(label));
            let before = organs.found.len();
            organs.add(
                v,
                from.to_string(),
                if weak { Rank::Source } else { Rank::Label },
                rules,
            );
            organs.found.len() > before
        }
        _ => md.set(key, v.to_string(), from),
    }
}

/// A title for a report that has none: the organ its text starts with, and its
/// top-level outline headings (`一、上半年工作总结` `二、下半年工作计划`).
fn derive_title(x: &Extracted, pieces: &[Piece], rules: &Rules, md: &mut Metadata) {
    static TOP: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[一二三四五六七八九十]+、(.+)$").expect("constant pattern"));
    let texts: Vec<&str> = pieces
        .iter()
        .map(|p| x.text[p.start..p.end].trim())
        .collect();
    let agency = texts
        .iter()
        .find(|t| !t.is_empty())
        .and_then(|t| agency_prefix(t, rules, &rules.agency_followers))
        .filter(|a| a.chars().count() <= 12);
    let heads: Vec<String> = texts
        .iter()
        .filter(|t| t.chars().count() <= 30 && !ends_with_sentence(t))
        .filter_map(|t| TOP.captures(t).map(|c| c[1].trim().to_string()))
        .take(2)
        .collect();
    let title = match heads.as_slice() {
        [a, b] => {
            // 2022年上半年工作总结 + 2022年下半年工作计划 → …总结和下半年工作计划
            let year = a.split_once('年').map(|(y, _)| format!("{y}年"));
            let b = match &year {
                Some(y) if b.starts_with(y.as_str()) => &b[y.len()..],
                _ => b.as_str(),
            };
            format!("{}{a}和{b}", agency.clone().unwrap_or_default())
        }
        [a] => format!("{}{a}", agency.clone().unwrap_or_default()),
        _ => {
            let first = texts.iter().find(|t| !t.is_empty()).copied().unwrap_or("");
            let sentence = first
                .split(['。', '，', ',', '；', '：', ':'])
                .next()
                .unwrap_or(first);
            sentence.chars().take(30).collect()
        }
    };
    if !title.trim().is_empty() {
        md.set(
            "标题",
            title,
            "derived from the text (no title in the report)",
        );
        md.title_derived = true;
    }
    if let Some(a) = agency {
        md.set("机构", a, "the organ the text starts with");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_every_form() {
        assert_eq!(
            parse_date("2021-01-12 16:15:50点击数").as_deref(),
            Some("2021-01-12 16:15:50")
        );
        assert_eq!(parse_date("2021年1月8日").as_deref(), Some("2021-01-08"));
        // gov.cn's firstpublishedtime, with a hyphen before the time.
        assert_eq!(
            parse_date("2024-05-07-10:20:00").as_deref(),
            Some("2024-05-07 10:20:00")
        );
        assert_eq!(
            parse_date("２０２３-０４-１９").as_deref(),
            Some("2023-04-19")
        );
        assert_eq!(
            parse_date("二〇二〇年八月二十日").as_deref(),
            Some("2020-08-20")
        );
        assert_eq!(
            parse_date("二OO八年十二月三十一日").as_deref(),
            Some("2008-12-31")
        );
        assert_eq!(parse_date("2021-02-30"), None);
        assert_eq!(parse_date("去年"), None);
    }

    #[test]
    fn labelled_lines_with_spaced_labels() {
        let rules = Rules::load(None, None).unwrap();
        let f = labelled_fields("索 引 号：K1/2020-1  发布机构:县林业局  点击数:", &rules).unwrap();
        assert_eq!(f[0], ("索引号", "索 引 号".into(), "K1/2020-1".into()));
        assert_eq!(f[1].0, "机构");
        assert_eq!(f[1].2, "县林业局");
        assert_eq!(f[2].0, "");
        assert!(labelled_fields("本次时间：三天", &rules).is_none());
        let f = labelled_fields(
            "发布日期：2025-11-01  来源：县民政局  【字体：大 中 小】",
            &rules,
        )
        .unwrap();
        assert_eq!(f[1].2, "县民政局");
    }

    #[test]
    fn agencies_from_titles() {
        let rules = Rules::load(None, None).unwrap();
        assert_eq!(
            agency_in_title("某县林业局关于做好防火工作的通知", &rules).as_deref(),
            Some("某县林业局")
        );
        assert_eq!(
            agency_in_title("奋进——区农业局2021年工作总结", &rules).as_deref(),
            Some("区农业局")
        );
        assert_eq!(agency_in_title("在全市会议上的交流发言汇编", &rules), None);
    }
}
