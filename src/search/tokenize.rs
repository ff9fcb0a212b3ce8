//! How text becomes index terms. `assets/search.js` repeats these rules exactly (its
//! `normalizeChar`, `isHan`, `tokenize`, `compactId`, `hashToken`): the browser has no
//! segmenter, so the build must not use one either, or a query would be cut differently
//! from the text it should find.
//!
//! - Full-width ASCII becomes ASCII, ASCII letters lower case.
//! - A run of Han characters gives each character (a unigram) and each pair of
//!   neighbours (a bigram); a query of two or more characters looks only for its bigrams,
//!   so any substring of 2+ characters finds its documents.
//! - A run of ASCII letters and digits is one word.
//! - Everything else separates.
//! - An identifier (索引号, 文号) is also indexed whole, as `#` + [`compact_id`], so an
//!   exact number typed with any brackets finds its document first.

/// One index term. Han unigrams and bigrams are packed into a number (two code points of
/// 21 bits) because they are nearly all the terms and a `String` for each would dominate
/// the build's time and memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Term {
    /// A unigram (`second == 0`) or bigram of Han characters.
    Han(u64),
    /// An ASCII word, or `#` + a compacted identifier.
    Word(String),
}

impl Term {
    pub fn unigram(c: char) -> Term {
        Term::Han((c as u64) << 21)
    }

    pub fn bigram(a: char, b: char) -> Term {
        Term::Han(((a as u64) << 21) | b as u64)
    }

    /// The term whose [`text`](Self::text) is `text` (a shard file's key): Han
    /// unigrams and bigrams start with a Han character, words and numbers with ASCII.
    pub fn from_text(text: &str) -> Term {
        let mut chars = text.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(a), None, _) if !a.is_ascii() => Term::unigram(a),
            (Some(a), Some(b), None) if !a.is_ascii() && !b.is_ascii() => Term::bigram(a, b),
            _ => Term::Word(text.to_string()),
        }
    }

    /// The term as the browser spells it (the key in a shard file).
    pub fn text(&self) -> String {
        match self {
            Term::Han(packed) => {
                let mut s = String::new();
                for cp in [packed >> 21, packed & 0x1F_FFFF] {
                    if let Some(c) = char::from_u32(cp as u32).filter(|_| cp != 0) {
                        s.push(c);
                    }
                }
                s
            }
            Term::Word(w) => w.clone(),
        }
    }

    /// `self.text().len()`, without building the string.
    pub fn text_len(&self) -> usize {
        match self {
            Term::Han(packed) => [packed >> 21, packed & 0x1F_FFFF]
                .into_iter()
                .filter(|&cp| cp != 0)
                .filter_map(|cp| char::from_u32(cp as u32))
                .map(char::len_utf8)
                .sum(),
            Term::Word(w) => w.len(),
        }
    }

    /// The order of [`text`](Self::text) (the order of a shard file's keys), without
    /// building the strings: a word starts with an ASCII byte (a letter, a digit or
    /// `#`), so words come before Han terms, whose packed code points sort as their
    /// UTF-8 does.
    pub fn cmp_text(&self, other: &Term) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Term::Han(a), Term::Han(b)) => a.cmp(b),
            (Term::Word(a), Term::Word(b)) => a.cmp(b),
            (Term::Word(_), Term::Han(_)) => Ordering::Less,
            (Term::Han(_), Term::Word(_)) => Ordering::Greater,
        }
    }
}

/// Full-width ASCII to ASCII, ideographic space to space, ASCII upper to lower case.
pub fn normalize_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFEE0).map_or(c, |a| a.to_ascii_lowercase())
        }
        '\u{3000}' => ' ',
        _ => c.to_ascii_lowercase(),
    }
}

/// Han ideographs (CJK unified, extension A, compatibility, extensions B and later) and 〇.
pub fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3007}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// A term as [`scan_terms`] finds it: a Han unigram or bigram packed as in
/// [`Term::Han`], or an ASCII word borrowed from the scanner (no string per word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token<'w> {
    Han(u64),
    Word(&'w str),
}

/// Calls `emit` for every term occurrence of `text`, in order (repeats included).
pub fn for_each_term(text: &str, emit: impl FnMut(Term)) {
    for_each_term_in(text.chars(), emit);
}

/// [`for_each_term`] over characters from anywhere (several strings in a row): a term
/// is given while the character that ends it is read (a word: the one after it).
pub fn for_each_term_in(chars: impl Iterator<Item = char>, mut emit: impl FnMut(Term)) {
    scan_terms(chars, |t| {
        emit(match t {
            Token::Han(packed) => Term::Han(packed),
            Token::Word(w) => Term::Word(w.to_string()),
        })
    });
}

/// The rules of this module, once: every term occurrence of `chars` as a [`Token`], in
/// the order [`for_each_term_in`] gives them. The build's hot loops (counting a
/// document's terms, its parts' filters) take tokens, so a Han term is a number all the
/// way and a word is not copied.
pub fn scan_terms(chars: impl Iterator<Item = char>, mut emit: impl FnMut(Token<'_>)) {
    let mut scanner = Scanner::default();
    for c in chars {
        scanner.feed(c, &mut emit);
    }
    scanner.finish(&mut emit);
}

/// [`scan_terms`] a character at a time, for a caller that needs to know where each
/// character is (the build scans a text's parts once for its terms and its parts'
/// filters). Kept between texts, its word buffer is allocated once.
#[derive(Default)]
pub struct Scanner {
    /// The code point of the Han character before (0: none; no Han character is U+0000).
    prev_han: u64,
    word: String,
}

impl Scanner {
    /// Reads one character; `emit` gets the terms it ends.
    #[inline]
    pub fn feed(&mut self, raw: char, emit: &mut impl FnMut(Token<'_>)) {
        let c = normalize_char(raw);
        if is_word_char(c) {
            self.prev_han = 0;
            self.word.push(c);
            return;
        }
        if !self.word.is_empty() {
            emit(Token::Word(&self.word));
            self.word.clear();
        }
        if is_han(c) {
            let cp = c as u64;
            emit(Token::Han(cp << 21));
            if self.prev_han != 0 {
                emit(Token::Han((self.prev_han << 21) | cp));
            }
            self.prev_han = cp;
        } else {
            self.prev_han = 0;
        }
    }

    /// Ends the text: `emit` gets the word it ends with, if any; the scanner is ready
    /// for the next text.
    pub fn finish(&mut self, emit: &mut impl FnMut(Token<'_>)) {
        if !self.word.is_empty() {
            emit(Token::Word(&self.word));
            self.word.clear();
        }
        self.prev_han = 0;
    }
}

/// The terms of `text` as strings, in order: the same list `tokenize` in search.js gives
/// for an indexed text (used to check that both sides agree).
pub fn terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_term(text, |t| out.push(t.text()));
    out
}

/// An identifier reduced to its letters, digits and Han characters, so `青教〔2022〕7号`,
/// `青教[2022]7号` and `青教（2022）7号` are the same key. `None` when nothing is left.
pub fn compact_id(raw: &str) -> Option<String> {
    let s: String = raw
        .chars()
        .map(normalize_char)
        .filter(|&c| is_word_char(c) || is_han(c))
        .collect();
    if s.is_empty() { None } else { Some(s) }
}

/// The whole-identifier term of an 索引号 or 文号.
pub fn id_term(raw: &str) -> Option<Term> {
    compact_id(raw).map(|s| Term::Word(format!("#{s}")))
}

/// FNV-1a (32 bit) over the term's code points: which shard holds the term.
pub fn hash_term(term: &Term) -> u32 {
    match term {
        Term::Han(packed) => hash_han(*packed),
        Term::Word(w) => hash_word(w),
    }
}

/// [`hash_term`] of a packed Han unigram or bigram.
pub fn hash_han(packed: u64) -> u32 {
    let h = fnv1a(FNV_OFFSET, (packed >> 21) as u32);
    match (packed & 0x1F_FFFF) as u32 {
        0 => h,
        second => fnv1a(h, second),
    }
}

/// [`hash_term`] of a word.
pub fn hash_word(word: &str) -> u32 {
    word.chars().fold(FNV_OFFSET, |h, c| fnv1a(h, c as u32))
}

const FNV_OFFSET: u32 = 0x811C_9DC5;

fn fnv1a(h: u32, code_point: u32) -> u32 {
    (h ^ code_point).wrapping_mul(0x0100_0193)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_runs_give_unigrams_and_bigrams() {
        assert_eq!(
            terms("双减政策"),
            ["双", "减", "双减", "政", "减政", "策", "政策"]
        );
    }

    #[test]
    fn punctuation_breaks_bigrams_and_words_are_lower_case() {
        assert_eq!(terms("学位，ＡＢ12c"), ["学", "位", "学位", "ab12c"]);
        assert_eq!(terms("疫情 防控"), ["疫", "情", "疫情", "防", "控", "防控"]);
    }

    #[test]
    fn ids_compact_across_bracket_styles() {
        let a = compact_id("青教〔2022〕7号");
        assert_eq!(a.as_deref(), Some("青教20227号"));
        assert_eq!(compact_id("青教[2022]7号"), a);
        assert_eq!(compact_id("青教（2022）7号"), a);
        assert_eq!(
            compact_id("002658260/2021-17205").as_deref(),
            Some("002658260202117205")
        );
        assert_eq!(compact_id("〔〕"), None);
    }

    #[test]
    fn term_text_round_trips() {
        assert_eq!(Term::bigram('零', '次').text(), "零次");
        assert_eq!(Term::unigram('〇').text(), "〇");
        assert_eq!(Term::bigram('𠀀', '学').text(), "𠀀学");
    }

    #[test]
    fn text_order_and_length_need_no_strings() {
        let mut terms = vec![
            Term::Word("#青教20227号".into()),
            Term::Word("2021".into()),
            Term::Word("ab".into()),
            Term::Word("a".into()),
            Term::unigram('〇'),
            Term::unigram('学'),
            Term::bigram('学', '位'),
            Term::bigram('学', '𠀀'),
            Term::unigram('𠀀'),
            Term::bigram('位', '学'),
            Term::unigram('位'),
        ];
        for t in &terms {
            assert_eq!(t.text_len(), t.text().len(), "{}", t.text());
        }
        let mut by_text = terms.clone();
        by_text.sort_by_key(Term::text);
        terms.sort_by(Term::cmp_text);
        assert_eq!(terms, by_text);
    }

    #[test]
    fn tokens_are_the_terms() {
        let text = "双减ＡＢ12c，〇学 wifi零次𠀀学x";
        let mut tokens = Vec::new();
        scan_terms(text.chars(), |t| {
            tokens.push(match t {
                Token::Han(p) => (Term::Han(p).text(), hash_han(p)),
                Token::Word(w) => (w.to_string(), hash_word(w)),
            })
        });
        let mut terms = Vec::new();
        for_each_term(text, |t| terms.push((t.text(), hash_term(&t))));
        assert_eq!(tokens, terms);
        assert_eq!(terms.len(), 16);
    }

    #[test]
    fn hash_is_fnv1a_over_code_points() {
        // Same as hashing the string "a": 0xE40C292C (FNV-1a 32 of one byte 0x61).
        assert_eq!(hash_term(&Term::Word("a".into())), 0xE40C_292C);
        assert_ne!(
            hash_term(&Term::bigram('学', '位')),
            hash_term(&Term::unigram('学'))
        );
    }
}
