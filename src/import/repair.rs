//! The only changes import makes to a document's characters: the conversion artifacts of
//! DOMAIN.md. 〝〞 written for “”; 〔〕 written for （） by the same converters (only in a
//! copy that shows their quotes, and never around the year of a 文号); the letter O
//! written for 〇 in a year of Chinese numerals (二OO八年). Everything else — full-width
//! digits, brackets, spaces — stays as the source has it; matching and search normalise
//! for themselves. Each repair is counted for the report.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// How many of each repair were made.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repairs {
    pub quotes: usize,
    pub brackets: usize,
    pub zeros: usize,
}

impl Repairs {
    /// For the report: what was repaired, and how often (repairs made, only).
    pub fn to_report(self) -> BTreeMap<String, usize> {
        [
            ("〝〞 → “” (quotes of a converted copy)", self.quotes),
            ("〔〕 → （） (brackets of a converted copy)", self.brackets),
            (
                "O → 〇 (letter O in a year of Chinese numerals)",
                self.zeros,
            ),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (k.to_string(), n))
        .collect()
    }
}

/// The repairs one source needs.
#[derive(Debug, Clone, Copy)]
pub struct Repairer {
    /// The source shows a converter's quotes, so its 〔〕 are that converter's （）.
    brackets: bool,
}

/// A year of Chinese numerals with the letter O (Latin or Cyrillic) for some 〇.
static YEAR_WITH_O: LazyLock<Regex> =
    LazyLock::new(|| Regex::new("[〇零一二三四五六七八九OoО]{4}年").expect("constant pattern"));

impl Repairer {
    pub fn for_text(text: &str) -> Repairer {
        Repairer {
            brackets: text.contains(['〝', '〞']) && text.contains('〔'),
        }
    }

    /// `s` repaired, counting into `counts`.
    pub fn apply<'a>(&self, s: &'a str, counts: &mut Repairs) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(s);
        if out.contains(['〝', '〞']) {
            let n = out.chars().filter(|c| matches!(c, '〝' | '〞')).count();
            counts.quotes += n;
            out = Cow::Owned(out.replace('〝', "“").replace('〞', "”"));
        }
        if self.brackets && out.contains('〔') {
            let (fixed, n) = brackets(&out);
            if n > 0 {
                counts.brackets += n;
                out = Cow::Owned(fixed);
            }
        }
        if has_letter_o_in_numerals(&out) && YEAR_WITH_O.is_match(&out) {
            let mut n = 0;
            let fixed = YEAR_WITH_O
                .replace_all(&out, |c: &regex::Captures<'_>| {
                    let year = &c[0];
                    // A year of numerals, not a word: at least one real numeral in it.
                    if !year.chars().any(|ch| "〇零一二三四五六七八九".contains(ch)) {
                        return year.to_string();
                    }
                    year.chars()
                        .map(|ch| {
                            if matches!(ch, 'O' | 'o' | 'О') {
                                n += 1;
                                '〇'
                            } else {
                                ch
                            }
                        })
                        .collect()
                })
                .into_owned();
            if n > 0 {
                counts.zeros += n;
                out = Cow::Owned(fixed);
            }
        }
        out
    }
}

/// Whether a letter O stands next to a Chinese numeral anywhere: one pass over the
/// characters, so the pattern runs only where it can match.
fn has_letter_o_in_numerals(s: &str) -> bool {
    let numeral = |c: Option<char>| c.is_some_and(|c| "〇零一二三四五六七八九".contains(c));
    let near = |at: usize, len: usize| {
        numeral(s[..at].chars().next_back()) || numeral(s[at + len..].chars().next())
    };
    memchr::memchr2_iter(b'O', b'o', s.as_bytes()).any(|at| near(at, 1))
        || s.match_indices('О').any(|(at, o)| near(at, o.len()))
}

/// 〔…〕 around anything but a year (the year of a 文号, `〔2021〕`) becomes （…）.
fn brackets(text: &str) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut n = 0;
    let mut rest = text;
    while let Some(open) = rest.find('〔') {
        out.push_str(&rest[..open]);
        let after = &rest[open + '〔'.len_utf8()..];
        match after.find('〕') {
            Some(close) => {
                let inner = &after[..close];
                let year = inner.chars().count() == 4
                    && inner
                        .chars()
                        .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c));
                let short =
                    !inner.is_empty() && inner.chars().count() <= 12 && !inner.contains('\n');
                if short && !year {
                    out.push('（');
                    out.push_str(inner);
                    out.push('）');
                    n += 1;
                } else {
                    out.push('〔');
                    out.push_str(inner);
                    out.push('〕');
                }
                rest = &after[close + '〕'.len_utf8()..];
            }
            None => {
                out.push('〔');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(source: &str, s: &str) -> (String, Repairs) {
        let mut c = Repairs::default();
        let out = Repairer::for_text(source).apply(s, &mut c).into_owned();
        (out, c)
    }

    #[test]
    fn a_converted_copy_gets_its_quotes_and_brackets_back() {
        let t = "“一校一策〞，中学校〔幼儿园〕按庆教〔2021〕5号执行";
        let (out, c) = fix(t, t);
        assert_eq!(out, "“一校一策”，中学校（幼儿园）按庆教〔2021〕5号执行");
        assert_eq!(
            c,
            Repairs {
                quotes: 1,
                brackets: 1,
                zeros: 0
            }
        );
    }

    #[test]
    fn brackets_stay_where_no_converter_is_seen() {
        let t = "中学校〔幼儿园〕按庆教〔2021〕5号执行";
        assert_eq!(fix(t, t).0, t);
    }

    #[test]
    fn letter_o_in_a_chinese_year_only() {
        let (out, c) = fix("", "二OO八年十二月三日，二O一O年，OPPO年会，2008年");
        assert_eq!(out, "二〇〇八年十二月三日，二〇一〇年，OPPO年会，2008年");
        assert_eq!(c.zeros, 4);
    }

    #[test]
    fn everything_else_is_kept() {
        let t = "青溪县（２０２４）年度报告 (试行) ＡＢ";
        let (out, c) = fix(t, t);
        assert_eq!(out, t);
        assert_eq!(c, Repairs::default());
    }
}
