//! 索引号 (disclosure index numbers) and 文号 (document numbers).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A disclosure index number (索引号). Opaque: forms differ by site and year
/// (`002658260/2021-17205`, `01527918X-2020-153077`, `SY310107202603028`), so it is
/// kept exactly as given, only trimmed and with full-width characters made ASCII.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IndexNumber(String);

impl IndexNumber {
    /// `None` for an empty value or an explicit 无.
    pub fn new(raw: &str) -> Option<Self> {
        compact(raw).map(IndexNumber)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IndexNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document number (文号), e.g. `庆教〔2021〕5号` (GB/T 9704-2012 §7.2.5).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocNumber(String);

impl DocNumber {
    /// Normalises what copies do to a 文号: full-width digits, stray spaces, and the
    /// year brackets `[2008]`, `(2020)`, `（2020）`, `【2020】`, `〔〕`, which all become
    /// 〔〕. Everything else is kept. `None` for an empty value or 无.
    pub fn new(raw: &str) -> Option<Self> {
        compact(raw).map(|s| DocNumber(normalize_year_brackets(&s)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it has the standard form: issuer + 〔four-digit year〕 + serial + 号,
    /// or the 第N号 form of orders (国令第706号).
    pub fn is_standard(&self) -> bool {
        let s = &self.0;
        if let (Some(open), Some(close)) = (s.find('〔'), s.find('〕')) {
            let year = &s[open + '〔'.len_utf8()..close];
            let rest = &s[close + '〕'.len_utf8()..];
            let serial = rest.strip_suffix('号').unwrap_or("");
            open > 0
                && year.len() == 4
                && year.bytes().all(|b| b.is_ascii_digit())
                && !serial.is_empty()
                && serial.bytes().all(|b| b.is_ascii_digit())
                && !serial.starts_with('0')
        } else {
            s.contains('第') && s.ends_with('号')
        }
    }
}

impl fmt::Display for DocNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A number as copies write it, made ASCII with no spaces; `None` when empty or 无.
fn compact(raw: &str) -> Option<String> {
    let s: String = fullwidth_to_ascii(raw.trim())
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    (!s.is_empty() && s != "无").then_some(s)
}

fn normalize_year_brackets(s: &str) -> String {
    const PAIRS: [(char, char); 5] = [
        ('[', ']'),
        ('(', ')'),
        ('【', '】'),
        ('〔', '〕'),
        ('［', '］'),
    ];
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(&(_, close)) = PAIRS.iter().find(|(o, _)| *o == c) {
            // Only a bracket around a year (or an empty pair) is the 文号's own.
            let inner: String = chars[i + 1..].iter().take_while(|&&x| x != close).collect();
            let end = i + 1 + inner.chars().count();
            let is_year = inner.is_empty()
                || (inner.chars().count() == 4 && inner.chars().all(|x| x.is_ascii_digit()));
            if end < chars.len() && is_year {
                out.push('〔');
                out.push_str(&inner);
                out.push('〕');
                i = end + 1;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Full-width ASCII (`０１２ＡＢ`, full-width space) to ASCII; other characters as they are.
pub fn fullwidth_to_ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_numbers_are_opaque() {
        for s in [
            "002658260/2021-17205",
            "114403006955506492/2021-00426",
            "01527918X-2020-153077",
            "PZ00101-1700-2023-00094",
        ] {
            assert_eq!(IndexNumber::new(s).unwrap().as_str(), s);
        }
        assert_eq!(
            IndexNumber::new(" ００２６５８２６０/2021-17205 ")
                .unwrap()
                .as_str(),
            "002658260/2021-17205"
        );
        assert_eq!(IndexNumber::new("无"), None);
    }

    #[test]
    fn doc_number_brackets_become_hexagonal() {
        for (raw, want) in [
            ("庆教[2021]5号", "庆教〔2021〕5号"),
            ("庆教(2021)5号", "庆教〔2021〕5号"),
            ("庆教（２０２１）5号", "庆教〔2021〕5号"),
            ("庆教【2021】5号", "庆教〔2021〕5号"),
            ("杭政办函〔〕75号", "杭政办函〔〕75号"),
            ("国令第706号", "国令第706号"),
            ("青教 〔2022〕 7号", "青教〔2022〕7号"),
        ] {
            assert_eq!(DocNumber::new(raw).unwrap().as_str(), want, "{raw}");
        }
        assert_eq!(DocNumber::new("无"), None);
    }

    #[test]
    fn standard_form() {
        assert!(DocNumber::new("庆教〔2021〕5号").unwrap().is_standard());
        assert!(
            DocNumber::new("工信部联规〔2026〕109号")
                .unwrap()
                .is_standard()
        );
        assert!(DocNumber::new("国令第706号").unwrap().is_standard());
        assert!(!DocNumber::new("杭政办函〔〕75号").unwrap().is_standard());
        assert!(!DocNumber::new("庆教〔2021〕05号").unwrap().is_standard());
        assert!(!DocNumber::new("庆教〔21〕5号").unwrap().is_standard());
    }
}
