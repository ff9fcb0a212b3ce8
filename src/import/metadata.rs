//! Metadata from what the raw report says: `<meta>` tags, labelled fields in their
//! variants, metadata tables, a WeChat timestamp, title patterns and the signature
//! block of a 公文. A value the report does not support is left out.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::extract::{Extracted, LineKind};
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
}

impl Metadata {
    fn set(&mut self, key: &'static str, value: String, from: impl Into<String>) -> bool {
        let value = value.trim().to_string();
        if value.is_empty() || value == "无" || self.fields.contains_key(key) {
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
    Regex::new(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?")
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
    let page = &x.page;
    let meta = |k: &str| page.meta.get(k).map(String::as_str);
    if let Some(t) = meta("articletitle") {
        md.set("标题", t.to_string(), "<meta name=\"ArticleTitle\">");
    }
    if let Some(d) = meta("pubdate").and_then(parse_date) {
        md.set("发布时间", d, "<meta name=\"PubDate\">");
    }
    if let Some(a) = meta("contentsource") {
        md.set("机构", a.to_string(), "<meta name=\"ContentSource\">");
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
    if let Some(u) = meta("url").or(meta("og:url")) {
        md.set("原文链接", u.to_string(), "<meta name=\"Url\">");
    }
    if let Some(s) = meta("sitename").or(meta("og:site_name")) {
        md.set("站点", s.to_string(), "<meta name=\"SiteName\">");
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
            apply_field(
                &mut md,
                key,
                &value,
                &format!("{label} (line {})", line_no(l.start)),
            );
        }
    }
    // Head lines a noise rule removed may carry fields too (`发布日期：… 来源：…
    // 【字体：大 中 小】`): the fields are taken, the line stays removed.
    let head_end = pieces.get(first_body).map_or(x.text.len(), |p| p.start);
    for r in removals.iter_mut().filter(|r| r.start < head_end) {
        let found = fields_of(&x.text[r.start..r.end], LineKind::Para, rules);
        let keys: Vec<&str> = found
            .iter()
            .map(|f| f.0)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() {
            continue;
        }
        let mut taken = Vec::new();
        for (key, label, value) in found {
            let had = md.fields.contains_key(key);
            apply_field(
                &mut md,
                key,
                &value,
                &format!("{label} (line {})", line_no(r.start)),
            );
            if !had && md.fields.contains_key(key) {
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
                apply_field(
                    &mut md,
                    key,
                    &value,
                    &format!("{label} (line {})", line_no(p.start)),
                );
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
    for (i, p) in pieces.iter().enumerate().take(first_body) {
        let t = x.text[p.start..p.end].trim();
        if consumed[i].is_none() && DOC_NO_LINE.is_match(t) {
            md.set(
                "文号",
                t.to_string(),
                format!("文号 line (line {})", line_no(p.start)),
            );
        }
    }

    // The title: the page's own, else the first title-like line of the head.
    let head_title = pieces
        .iter()
        .enumerate()
        .take(first_body.max(1))
        .find(|(i, p)| {
            consumed[*i].is_none() && matches!(p.kind, LineKind::Para | LineKind::Heading(_)) && {
                let t = x.text[p.start..p.end].trim();
                title_like(t) && !DOC_NO_LINE.is_match(t)
            }
        })
        .map(|(i, p)| (i, x.text[p.start..p.end].trim().to_string()));
    if !md.fields.contains_key("标题") {
        // A page's <title> (without the site name after `_`, `|` or ` - `) before a
        // line of the text: on a page the title line usually sits outside the content.
        let title_tag = page.title_tag.as_deref().map(|t| {
            t.split(['_', '|'])
                .next()
                .unwrap_or(t)
                .split(" - ")
                .next()
                .unwrap_or(t)
                .trim()
                .to_string()
        });
        if let Some(t) = meta("og:title").or(page.h1.as_deref()) {
            md.set("标题", t.to_string(), "og:title or <h1>");
        } else if let Some(t) = title_tag.filter(|t| title_like(t)) {
            md.set("标题", t, "<title>");
        } else if let Some((i, t)) = &head_title {
            md.set(
                "标题",
                t.clone(),
                format!("title line (line {})", line_no(pieces[*i].start)),
            );
        } else if let Some((l, t)) = named.iter().find(|(_, t)| title_like(t)) {
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

    // Signature block: an organ name over a date, the first one from the end.
    let mut signature: Option<(String, String, usize)> = None;
    for w in (1..pieces.len()).rev() {
        let a = x.text[pieces[w - 1].start..pieces[w - 1].end].trim();
        let d = x.text[pieces[w].start..pieces[w].end].trim();
        if let Some(date) = is_date_line(d)
            && is_agency_name(a, rules)
        {
            signature = Some((a.to_string(), date, line_no(pieces[w - 1].start)));
            break;
        }
    }
    if let Some((_, date, line)) = &signature {
        md.set(
            "成文日期",
            date.clone(),
            format!("signature date (line {})", line + 1),
        );
    }

    // 机构: the labelled value, else the signature, else the title; an abbreviation
    // gives way to the full name that ends the same way.
    let title_agency = md.get("标题").and_then(|t| agency_in_title(t, rules));
    let sig_agency = signature.as_ref().map(|s| (s.0.clone(), s.2));
    match md.fields.get("机构").cloned() {
        Some(f) => {
            let longer = [
                sig_agency
                    .as_ref()
                    .map(|(a, l)| (a.clone(), format!("signature (line {l})"))),
                title_agency.clone().map(|a| (a, "title".to_string())),
            ]
            .into_iter()
            .flatten()
            .find(|(a, _)| a.len() > f.value.len() && a.ends_with(&f.value));
            if let Some((full, src)) = longer {
                md.fields.insert(
                    "机构",
                    Field {
                        value: full,
                        from: format!("{}, full name from the {src}", f.from),
                    },
                );
            }
        }
        None => {
            if let Some((a, l)) = sig_agency {
                md.set("机构", a, format!("signature (line {l})"));
            } else if let Some(a) = title_agency {
                md.set("机构", a, "title (organ name it starts with)");
            }
        }
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

fn apply_field(md: &mut Metadata, key: &'static str, value: &str, from: &str) {
    let v = value.trim();
    match key {
        "" => {}
        "发布时间" | "成文日期" => {
            if let Some(d) = parse_date(v) {
                md.set(key, d, from);
            }
        }
        _ => {
            md.set(key, v.to_string(), from);
        }
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
