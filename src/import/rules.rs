//! The importer's rules as data: the embedded `rules.toml`, extended by the `[import]`
//! table of a site's site.toml.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;
use serde::Deserialize;

use super::classify::SourceKind;
use crate::diagnostic::Diagnostic;

const EMBEDDED: &str = include_str!("rules.toml");

/// The canonical keys a field-name variant may map to, in the order they are written.
pub const FIELD_KEYS: [&str; 11] = [
    "标题",
    "机构",
    "发布时间",
    "成文日期",
    "索引号",
    "文号",
    "主题分类",
    "体裁分类",
    "主题词",
    "有效性",
    "公开方式",
];

/// The fields a `<meta>` tag may fill (`[meta_fields]`).
const META_KEYS: [&str; 5] = ["标题", "机构", "发布时间", "原文链接", "站点"];

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    content_selectors: Vec<String>,
    #[serde(default)]
    agency_suffixes: Vec<String>,
    #[serde(default)]
    weak_labels: Vec<String>,
    #[serde(default)]
    agency_followers: Vec<String>,
    #[serde(default)]
    title_agency_followers: Vec<String>,
    #[serde(default)]
    fields: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    other_labels: Option<OtherLabels>,
    #[serde(default)]
    spinning: Option<SpinningFile>,
    #[serde(default)]
    noise: Vec<NoiseFile>,
    #[serde(default)]
    kinds: BTreeMap<String, KindFile>,
    #[serde(default)]
    meta_fields: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    title_shapes: Vec<String>,
    #[serde(default)]
    masthead: Vec<String>,
    #[serde(default)]
    not_titles: Vec<String>,
    #[serde(default)]
    weak_agency_labels: Vec<String>,
    #[serde(default)]
    weak_written_labels: Vec<String>,
    #[serde(default)]
    sub_unit_suffixes: Vec<String>,
    #[serde(default)]
    website_markers: Vec<String>,
    #[serde(default)]
    advert_words: Vec<String>,
}

/// The signals of one source kind: one strong signal, or two different weak ones,
/// make the kind.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct KindFile {
    #[serde(default)]
    strong: Vec<String>,
    #[serde(default)]
    weak: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct OtherLabels {
    #[serde(default)]
    labels: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SpinningFile {
    min_pairs: Option<usize>,
    #[serde(default)]
    pairs: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoiseFile {
    pattern: String,
    reason: String,
    #[serde(default)]
    scope: Scope,
    end: Option<String>,
    incomplete: Option<String>,
    #[serde(default)]
    title: bool,
    #[serde(default)]
    kinds: Vec<String>,
    unless: Option<String>,
    unless_next: Option<String>,
    continues: Option<String>,
    #[serde(default)]
    outside_text: bool,
}

/// What a noise rule removes around the line it matches.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    #[default]
    Line,
    AndBefore,
    AndAfter,
    Block,
    /// Only the clauses (between ，。；！？) that match go; the rest of the line stays.
    Cut,
}

/// One compiled noise rule.
#[derive(Debug)]
pub struct NoiseRule {
    pub pattern: Regex,
    pub reason: String,
    pub scope: Scope,
    pub end: Option<Regex>,
    /// The completeness note when this removal cuts the document's own text.
    pub incomplete: Option<String>,
    /// The removed line names the document: the pattern's first group is a title
    /// for a report that has no other.
    pub title: bool,
    /// The kinds of source the rule was written for; empty for every kind.
    pub kinds: Vec<SourceKind>,
    /// A line (or sentence) matching this is the document's own text after all.
    pub unless: Option<Regex>,
    /// The lines right after the matching one that go with it while they match this
    /// (the numbered points of a 温馨提示).
    pub continues: Option<Regex>,
    /// The line is the document's own when the next line with text matches this (a
    /// `附件：` label over the attachments it introduces).
    pub unless_next: Option<Regex>,
    /// Written in the site's site.toml: tried on every line, running text included.
    pub from_site: bool,
    /// Page furniture that sits around the article (a footer's 网站标识码, the site's
    /// menu): not tried inside a page's known content element, where such a line is
    /// the document's own (a notice about the website).
    pub outside_text: bool,
    /// The rule's place in `Rules::noise`.
    pub index: usize,
}

impl NoiseRule {
    /// Whether the rule applies to a source of these kinds.
    pub fn applies_to(&self, kinds: &[SourceKind]) -> bool {
        self.kinds.is_empty() || self.kinds.iter().any(|k| kinds.contains(k))
    }

    /// Whether the rule matches this (trimmed) text.
    pub fn matches(&self, t: &str) -> bool {
        self.pattern.is_match(t) && !self.unless.as_ref().is_some_and(|u| u.is_match(t))
    }
}

/// Tells which rules may match a line before any of their patterns is run: most
/// patterns start with one of a few literals (`^(下载文档|立即下载|…)`), so a line
/// holding none of a rule's literals cannot match it. One Aho-Corasick pass finds the
/// literals of every rule at once (one `RegexSet` of ~90 Unicode patterns is far
/// slower: its lazy DFA thrashes).
#[derive(Debug)]
pub struct RulePrefilter {
    searcher: Option<aho_corasick::AhoCorasick>,
    /// The rule each literal belongs to.
    owner: Vec<usize>,
    /// Rules whose matches start with no finite set of literals: always tried.
    always: Vec<bool>,
}

impl RulePrefilter {
    /// Over patterns numbered in the order given.
    fn new<'a>(patterns: impl Iterator<Item = &'a Regex>) -> RulePrefilter {
        let mut literals = Vec::new();
        let mut owner = Vec::new();
        let mut always = Vec::new();
        for (i, r) in patterns.enumerate() {
            match required_literals(r.as_str()) {
                Some(lits) => {
                    owner.extend(std::iter::repeat_n(i, lits.len()));
                    literals.extend(lits);
                    always.push(false);
                }
                None => always.push(true),
            }
        }
        let searcher = aho_corasick::AhoCorasick::new(&literals).ok();
        if searcher.is_none() {
            always.iter_mut().for_each(|a| *a = true);
        }
        RulePrefilter {
            searcher,
            owner,
            always,
        }
    }

    /// By pattern number: whether the pattern may match `line` (a cell of it too).
    pub fn candidates(&self, line: &str) -> Vec<bool> {
        let mut may = self.always.clone();
        if let Some(ac) = &self.searcher {
            for m in ac.find_overlapping_iter(line) {
                may[self.owner[m.pattern().as_usize()]] = true;
            }
        }
        may
    }
}

/// Every kind's signals in the order `Rules::signal_prefilter` numbers them: kind by
/// kind, strong then weak.
pub fn signal_patterns(kinds: &[KindSignals]) -> impl Iterator<Item = &Regex> {
    kinds.iter().flat_map(|k| k.strong.iter().chain(&k.weak))
}

/// The literals one of which every match of `pattern` starts with (so a text holding
/// none of them has no match); `None` when there is no such finite set.
fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let seq = regex_syntax::hir::literal::Extractor::new().extract(&hir);
    let lits = seq.literals()?;
    if lits.is_empty() || lits.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    Some(lits.iter().map(|l| l.as_bytes().to_vec()).collect())
}

/// The compiled signals of one source kind.
#[derive(Debug)]
pub struct KindSignals {
    pub kind: SourceKind,
    pub strong: Vec<Regex>,
    pub weak: Vec<Regex>,
}

/// A field-name variant and the canonical key it stands for.
#[derive(Debug, Clone)]
pub struct FieldLabel {
    pub key: &'static str,
    pub variant: String,
}

/// Every rule the importer applies, compiled.
#[derive(Debug)]
pub struct Rules {
    pub content_selectors: Vec<scraper::Selector>,
    pub content_selector_names: Vec<String>,
    pub agency_suffixes: Vec<String>,
    pub noise: Vec<NoiseRule>,
    /// Which noise rules may match a line, from the literals their matches start with.
    pub noise_prefilter: RulePrefilter,
    /// Variants of every field (and the non-field labels, with key ""), longest first.
    pub labels: Vec<FieldLabel>,
    /// Matches one label followed by a colon; group 1 is the label.
    pub label_regex: Regex,
    pub spinning_pairs: Vec<(String, String)>,
    pub spinning_min_pairs: usize,
    /// Every word of the spinning pairs, and one pattern matching any of them.
    pub spinning_words: Vec<String>,
    pub spinning_regex: Regex,
    /// Labels too common to mark a metadata line on their own below the title.
    pub weak_labels: Vec<String>,
    /// Words that follow the organ a body-only report starts with (`区教委全面…`):
    /// matches any of them at the start of a text.
    pub agency_followers: Regex,
    /// What follows the organ a title starts with (`…局关于…`, `…局2022年工作总结`);
    /// entries are regular expressions.
    pub title_agency_followers: Regex,
    /// Signals of each source kind (see [`super::classify`]).
    pub kind_signals: Vec<KindSignals>,
    /// Which signals may match a line: numbered kind by kind, strong then weak.
    pub signal_prefilter: RulePrefilter,
    /// `<meta>` names (lower case) that carry a field, by canonical key, in order.
    pub meta_fields: Vec<(&'static str, Vec<String>)>,
    /// The shapes of a 公文's title (关于…的通知, …工作总结); any of them.
    pub title_shape: Regex,
    /// 红头 masthead lines (`××人民政府办公室文件`); group 1 is the organ.
    pub masthead: Vec<Regex>,
    /// Lines that are never a title (buttons, navigation, site furniture).
    pub not_title: Regex,
    /// Labels of 机构 that name where a page came from rather than who issued it
    /// (`来源：`): the document's own evidence wins over them.
    pub weak_agency_labels: Vec<String>,
    /// Labels of 成文日期 whose value gives way to the document's 落款 date.
    pub weak_written_labels: Vec<String>,
    /// How the name of a unit inside an organ ends (秘书科, 综合股).
    pub sub_unit_suffixes: Vec<String>,
    /// What marks a name as a web site's rather than an organ's.
    pub website_markers: Regex,
    /// Words of a spliced advert (`在线`, `官方`, `直营`), longest first: an advert
    /// with no punctuation around it is cut over the run of them around its match.
    pub advert_words: Vec<String>,
    /// Values for fields the raw report does not name (`--set`, `[import.defaults]`),
    /// the first given for a key winning.
    pub defaults: Vec<super::defaults::FieldDefault>,
}

impl Rules {
    /// The embedded rules, extended by a site's `[import]` table. `site_toml` names the
    /// file in messages.
    pub fn load(site: Option<&toml::Table>, site_toml: Option<&Path>) -> Result<Rules, Diagnostic> {
        let base: RulesFile = toml::from_str(EMBEDDED).map_err(|e| {
            Diagnostic::error(
                "src/import/rules.toml",
                None,
                format!("embedded rules: {e}"),
            )
        })?;
        let file = site_toml.unwrap_or(Path::new("site.toml")).to_path_buf();
        let site_err = |msg: String| Diagnostic::error(file.clone(), None, msg);
        let extra: RulesFile = match site {
            Some(t) => site_file(t, &site_err)?,
            None => RulesFile::default(),
        };
        let mut rules = compile(base, "rules.toml (embedded)", &|m| {
            Diagnostic::error("src/import/rules.toml", None, m)
        })?;
        let mut more = compile(extra, "[import]", &site_err)?;
        for rule in &mut more.noise {
            rule.from_site = true;
        }
        // Site rules come first: a site knows its own chrome best.
        let mut sel = more.content_selectors;
        sel.extend(rules.content_selectors);
        rules.content_selectors = sel;
        let mut names = more.content_selector_names;
        names.extend(rules.content_selector_names);
        rules.content_selector_names = names;
        let mut noise = more.noise;
        noise.extend(rules.noise);
        rules.noise = noise;
        for (i, rule) in rules.noise.iter_mut().enumerate() {
            rule.index = i;
        }
        let noise_prefilter = RulePrefilter::new(rules.noise.iter().map(|r| &r.pattern));
        rules.agency_suffixes.extend(more.agency_suffixes);
        rules
            .agency_suffixes
            .sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
        rules.agency_suffixes.dedup();
        rules.labels.extend(more.labels);
        rules.weak_labels.extend(more.weak_labels);
        rules.agency_followers.extend(more.agency_followers);
        rules
            .title_agency_followers
            .extend(more.title_agency_followers);
        rules.spinning_pairs.extend(more.spinning_pairs);
        for k in more.kind_signals {
            match rules.kind_signals.iter_mut().find(|s| s.kind == k.kind) {
                Some(s) => {
                    s.strong.extend(k.strong);
                    s.weak.extend(k.weak);
                }
                None => rules.kind_signals.push(k),
            }
        }
        for (key, names) in more.meta_fields {
            match rules.meta_fields.iter_mut().find(|m| m.0 == key) {
                // A site's names are tried first.
                Some(m) => m.1.splice(0..0, names).for_each(drop),
                None => rules.meta_fields.push((key, names)),
            }
        }
        rules.title_shapes.extend(more.title_shapes);
        let mut masthead = more.masthead;
        masthead.extend(rules.masthead);
        rules.masthead = masthead;
        rules.not_titles.extend(more.not_titles);
        rules.weak_agency_labels.extend(more.weak_agency_labels);
        rules.weak_written_labels.extend(more.weak_written_labels);
        rules.sub_unit_suffixes.extend(more.sub_unit_suffixes);
        rules.website_markers.extend(more.website_markers);
        rules.advert_words.extend(more.advert_words);
        rules
            .advert_words
            .sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        rules.advert_words.dedup();
        if more.spinning_min_pairs_set {
            rules.spinning_min_pairs = more.spinning_min_pairs;
        }
        rules.labels.sort_by(|a, b| {
            b.variant
                .chars()
                .count()
                .cmp(&a.variant.chars().count())
                .then(a.variant.cmp(&b.variant))
        });
        rules.labels.dedup_by(|a, b| a.variant == b.variant);
        let alternatives: Vec<String> = rules
            .labels
            .iter()
            .map(|l| {
                l.variant
                    .chars()
                    .map(|c| regex::escape(&c.to_string()))
                    .collect::<Vec<_>>()
                    .join(r"[ \t\u{3000}]*")
            })
            .collect();
        let label_regex = Regex::new(&format!(
            r"({})[ \t\u{{3000}}]*[:：]",
            alternatives.join("|")
        ))
        .map_err(|e| {
            site_err(format!(
                "[import.fields]: a field name makes a bad pattern: {e}"
            ))
        })?;
        Ok(Rules {
            content_selectors: rules.content_selectors,
            content_selector_names: rules.content_selector_names,
            agency_suffixes: rules.agency_suffixes,
            noise: rules.noise,
            noise_prefilter,
            labels: rules.labels,
            label_regex,
            spinning_regex: words_regex(&rules.spinning_pairs).map_err(|e| {
                site_err(format!(
                    "[import.spinning]: a word makes a bad pattern: {e}"
                ))
            })?,
            spinning_words: rules
                .spinning_pairs
                .iter()
                .flat_map(|(a, b)| [a.clone(), b.clone()])
                .collect(),
            spinning_pairs: rules.spinning_pairs,
            spinning_min_pairs: rules.spinning_min_pairs,
            weak_labels: rules.weak_labels,
            agency_followers: Regex::new(&format!(
                "^(?:{})",
                if rules.agency_followers.is_empty() {
                    "$^".to_string()
                } else {
                    rules
                        .agency_followers
                        .iter()
                        .map(|w| regex::escape(w))
                        .collect::<Vec<_>>()
                        .join("|")
                }
            ))
            .map_err(|e| site_err(format!("[import].agency_followers: {e}")))?,
            title_agency_followers: Regex::new(&format!(
                "^(?:{})",
                if rules.title_agency_followers.is_empty() {
                    "$^".to_string()
                } else {
                    rules.title_agency_followers.join("|")
                }
            ))
            .map_err(|e| {
                site_err(format!(
                    "[import].title_agency_followers: not a regular expression: {e}"
                ))
            })?,
            signal_prefilter: RulePrefilter::new(signal_patterns(&rules.kind_signals)),
            kind_signals: rules.kind_signals,
            meta_fields: rules.meta_fields,
            title_shape: any_of(&rules.title_shapes, "title_shapes", &site_err)?,
            masthead: rules.masthead,
            not_title: any_of(&rules.not_titles, "not_titles", &site_err)?,
            weak_agency_labels: rules.weak_agency_labels,
            weak_written_labels: rules.weak_written_labels,
            sub_unit_suffixes: rules.sub_unit_suffixes,
            website_markers: any_of(&rules.website_markers, "website_markers", &site_err)?,
            advert_words: rules.advert_words,
            defaults: super::defaults::from_site(site, &file)?,
        })
    }

    /// Puts `--set` values before the site's `[import.defaults]`: the command line wins.
    pub fn add_defaults(&mut self, first: &[super::defaults::FieldDefault]) {
        let site = std::mem::take(&mut self.defaults);
        self.defaults = first.iter().cloned().chain(site).collect();
    }

    /// The canonical key of a label as written (spaces inside allowed), "" for a known
    /// non-field label, `None` for no label.
    pub fn key_of(&self, label: &str) -> Option<&'static str> {
        let squeezed: String = label.chars().filter(|c| !c.is_whitespace()).collect();
        self.labels
            .iter()
            .find(|l| l.variant == squeezed)
            .map(|l| l.key)
    }
}

/// One pattern matching any of `patterns` (regular expressions); matches nothing when
/// there are none.
fn any_of(
    patterns: &[String],
    key: &str,
    err: &dyn Fn(String) -> Diagnostic,
) -> Result<Regex, Diagnostic> {
    if patterns.is_empty() {
        return Ok(Regex::new("$^").expect("constant pattern"));
    }
    let alts: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Regex::new(&alts.join("|"))
        .map_err(|e| err(format!("[import].{key}: not a regular expression: {e}")))
}

/// Matches any word of the pairs, longest first so a longer word wins.
fn words_regex(pairs: &[(String, String)]) -> Result<Regex, regex::Error> {
    let mut words: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
    words.dedup();
    let alts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    Regex::new(&if alts.is_empty() {
        "$^".to_string()
    } else {
        alts.join("|")
    })
}

/// The keys of the `[import]` table, for messages.
const SITE_KEYS: &str = "content_selectors, agency_suffixes, weak_labels, agency_followers, \
    title_agency_followers, title_shapes, masthead, not_titles, weak_agency_labels, weak_written_labels, \
    sub_unit_suffixes, website_markers, advert_words, [import.fields], [import.meta_fields], [import.kinds.<kind>], \
    [import.other_labels], [import.spinning], [import.defaults] and [[import.noise]] \
    (pattern, reason, scope, end, incomplete, title, kinds, unless, unless_next, continues, outside_text)";

/// Reads a site's `[import]` table key by key, so a message names the key at fault.
fn site_file(t: &toml::Table, err: &dyn Fn(String) -> Diagnostic) -> Result<RulesFile, Diagnostic> {
    fn one<T: serde::de::DeserializeOwned>(
        v: &toml::Value,
        key: &str,
        err: &dyn Fn(String) -> Diagnostic,
    ) -> Result<T, Diagnostic> {
        v.clone()
            .try_into()
            .map_err(|e: toml::de::Error| err(format!("[import].{key}: {}", e.message())))
    }
    let mut f = RulesFile::default();
    for (key, v) in t {
        match key.as_str() {
            "content_selectors" => f.content_selectors = one(v, key, err)?,
            "agency_suffixes" => f.agency_suffixes = one(v, key, err)?,
            "weak_labels" => f.weak_labels = one(v, key, err)?,
            "agency_followers" => f.agency_followers = one(v, key, err)?,
            "title_agency_followers" => f.title_agency_followers = one(v, key, err)?,
            "fields" => f.fields = one(v, key, err)?,
            "other_labels" => f.other_labels = one(v, key, err)?,
            "spinning" => f.spinning = one(v, key, err)?,
            "kinds" => f.kinds = one(v, key, err)?,
            "meta_fields" => f.meta_fields = one(v, key, err)?,
            "title_shapes" => f.title_shapes = one(v, key, err)?,
            "masthead" => f.masthead = one(v, key, err)?,
            "not_titles" => f.not_titles = one(v, key, err)?,
            "weak_agency_labels" => f.weak_agency_labels = one(v, key, err)?,
            "weak_written_labels" => f.weak_written_labels = one(v, key, err)?,
            "sub_unit_suffixes" => f.sub_unit_suffixes = one(v, key, err)?,
            "website_markers" => f.website_markers = one(v, key, err)?,
            "advert_words" => f.advert_words = one(v, key, err)?,
            // Values for missing fields, read by the importer itself (see `Defaults`).
            "defaults" => {}
            "noise" => {
                let Some(items) = v.as_array() else {
                    return Err(err(format!(
                        "[import].noise must be a list of [[import.noise]] tables, not {}",
                        v.type_str()
                    )));
                };
                for (i, item) in items.iter().enumerate() {
                    f.noise.push(one(item, &format!("noise[{i}]"), err)?);
                }
            }
            other => {
                return Err(err(format!(
                    "[import].{other} is not a setting of import; the table takes {SITE_KEYS}"
                )));
            }
        }
    }
    Ok(f)
}

struct Compiled {
    content_selectors: Vec<scraper::Selector>,
    content_selector_names: Vec<String>,
    agency_suffixes: Vec<String>,
    noise: Vec<NoiseRule>,
    labels: Vec<FieldLabel>,
    spinning_pairs: Vec<(String, String)>,
    spinning_min_pairs: usize,
    spinning_min_pairs_set: bool,
    weak_labels: Vec<String>,
    agency_followers: Vec<String>,
    title_agency_followers: Vec<String>,
    kind_signals: Vec<KindSignals>,
    meta_fields: Vec<(&'static str, Vec<String>)>,
    title_shapes: Vec<String>,
    masthead: Vec<Regex>,
    not_titles: Vec<String>,
    weak_agency_labels: Vec<String>,
    weak_written_labels: Vec<String>,
    sub_unit_suffixes: Vec<String>,
    website_markers: Vec<String>,
    advert_words: Vec<String>,
}

/// The source kinds a rule names (`web` = every web kind); empty for all kinds.
fn kinds_of(
    names: &[String],
    at: &str,
    err: &dyn Fn(String) -> Diagnostic,
) -> Result<Vec<SourceKind>, Diagnostic> {
    let mut out = Vec::new();
    for n in names {
        if n == "web" {
            out.extend(SourceKind::WEB);
            continue;
        }
        match SourceKind::from_name(n) {
            Some(k) => out.push(k),
            None => {
                let known: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
                return Err(err(format!(
                    "{at}.kinds: `{n}` is not a kind of source; the kinds are {} and web (all web kinds)",
                    known.join(", ")
                )));
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn regexes(
    list: &[String],
    at: &str,
    err: &dyn Fn(String) -> Diagnostic,
) -> Result<Vec<Regex>, Diagnostic> {
    list.iter()
        .enumerate()
        .map(|(i, p)| {
            Regex::new(p)
                .map_err(|e| err(format!("{at}[{i}]: `{p}` is not a regular expression: {e}")))
        })
        .collect()
}

fn compile(
    f: RulesFile,
    table: &str,
    err: &dyn Fn(String) -> Diagnostic,
) -> Result<Compiled, Diagnostic> {
    let mut content_selectors = Vec::new();
    for (i, s) in f.content_selectors.iter().enumerate() {
        let sel = scraper::Selector::parse(s).map_err(|_| {
            err(format!(
                "{table}.content_selectors[{i}]: `{s}` is not a CSS selector; write e.g. \"div.article_content\" or \"#zoom\""
            ))
        })?;
        content_selectors.push(sel);
    }
    let mut noise = Vec::new();
    for (i, n) in f.noise.into_iter().enumerate() {
        let at = format!("{table}.noise[{i}]");
        let pattern = Regex::new(&n.pattern).map_err(|e| {
            err(format!(
                "{at}.pattern: `{}` is not a regular expression: {e}",
                n.pattern
            ))
        })?;
        let end =
            match &n.end {
                Some(e) => Some(Regex::new(e).map_err(|x| {
                    err(format!("{at}.end: `{e}` is not a regular expression: {x}"))
                })?),
                None => None,
            };
        if n.scope == Scope::Block && end.is_none() {
            return Err(err(format!(
                "{at}: scope = \"block\" needs an `end` pattern (the last line of the block)"
            )));
        }
        if n.reason.trim().is_empty() {
            return Err(err(format!(
                "{at}.reason is empty; say why these lines are noise (it goes in the report)"
            )));
        }
        // An optional pattern of the rule, compiled; an error names its key.
        let optional = |key: &str, pattern: &Option<String>| -> Result<Option<Regex>, _> {
            pattern
                .as_deref()
                .map(|c| {
                    Regex::new(c).map_err(|x| {
                        err(format!(
                            "{at}.{key}: `{c}` is not a regular expression: {x}"
                        ))
                    })
                })
                .transpose()
        };
        let unless_next = optional("unless_next", &n.unless_next)?;
        let continues = optional("continues", &n.continues)?;
        let unless = optional("unless", &n.unless)?;
        noise.push(NoiseRule {
            pattern,
            reason: n.reason,
            scope: n.scope,
            end,
            incomplete: n.incomplete,
            title: n.title,
            kinds: kinds_of(&n.kinds, &at, err)?,
            unless,
            continues,
            unless_next,
            from_site: false,
            outside_text: n.outside_text,
            index: 0,
        });
    }
    let mut labels = Vec::new();
    for (key, variants) in &f.fields {
        let Some(k) = FIELD_KEYS.iter().find(|k| **k == key.as_str()) else {
            return Err(err(format!(
                "{table}.fields: `{key}` is not a field; the fields are {}",
                FIELD_KEYS.join(", ")
            )));
        };
        for v in variants {
            let v: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            if v.is_empty() {
                return Err(err(format!("{table}.fields.{key}: a field name is empty")));
            }
            labels.push(FieldLabel { key: k, variant: v });
        }
    }
    for v in f.other_labels.map(|o| o.labels).unwrap_or_default() {
        labels.push(FieldLabel {
            key: "",
            variant: v.chars().filter(|c| !c.is_whitespace()).collect(),
        });
    }
    let (pairs, min, set) = match f.spinning {
        Some(s) => (s.pairs, s.min_pairs.unwrap_or(3), s.min_pairs.is_some()),
        None => (Vec::new(), 3, false),
    };
    for (i, (a, b)) in pairs.iter().enumerate() {
        if a.is_empty() || b.is_empty() || a == b {
            return Err(err(format!(
                "{table}.spinning.pairs[{i}]: write [\"original\", \"spun\"], two different words"
            )));
        }
    }
    let mut kind_signals = Vec::new();
    for (name, k) in &f.kinds {
        let at = format!("{table}.kinds.{name}");
        let Some(kind) = SourceKind::from_name(name) else {
            let known: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
            return Err(err(format!(
                "{at}: `{name}` is not a kind of source; the kinds are {}",
                known.join(", ")
            )));
        };
        kind_signals.push(KindSignals {
            kind,
            strong: regexes(&k.strong, &format!("{at}.strong"), err)?,
            weak: regexes(&k.weak, &format!("{at}.weak"), err)?,
        });
    }
    let mut meta_fields = Vec::new();
    for (key, names) in f.meta_fields {
        let Some(k) = META_KEYS.iter().find(|k| **k == key.as_str()) else {
            return Err(err(format!(
                "{table}.meta_fields: `{key}` is not a field a <meta> tag can fill; the fields are {}",
                META_KEYS.join(", ")
            )));
        };
        meta_fields.push((*k, names.iter().map(|n| n.to_ascii_lowercase()).collect()));
    }
    // Each masthead pattern needs the organ as its first group.
    let masthead = regexes(&f.masthead, &format!("{table}.masthead"), err)?;
    if let Some(bad) = masthead.iter().find(|r| r.captures_len() < 2) {
        return Err(err(format!(
            "{table}.masthead: `{bad}` needs a group around the organ's name, e.g. '^(.+?)文件$'"
        )));
    }
    for (name, list) in [
        ("title_shapes", &f.title_shapes),
        ("not_titles", &f.not_titles),
        ("website_markers", &f.website_markers),
    ] {
        regexes(list, &format!("{table}.{name}"), err)?;
    }
    Ok(Compiled {
        kind_signals,
        meta_fields,
        title_shapes: f.title_shapes,
        masthead,
        not_titles: f.not_titles,
        weak_agency_labels: f.weak_agency_labels,
        weak_written_labels: f.weak_written_labels,
        sub_unit_suffixes: f.sub_unit_suffixes,
        website_markers: f.website_markers,
        advert_words: f.advert_words,
        content_selector_names: f.content_selectors,
        content_selectors,
        agency_suffixes: f.agency_suffixes,
        noise,
        labels,
        spinning_pairs: pairs,
        spinning_min_pairs: min,
        spinning_min_pairs_set: set,
        weak_labels: f.weak_labels,
        agency_followers: f.agency_followers,
        title_agency_followers: f.title_agency_followers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prefilter_never_hides_a_match() {
        // Every line of the text fixtures (chrome of every kind among them), and lines
        // written to hit rules: wherever a rule's pattern matches, the prefilter lets
        // the rule be tried.
        let rules = Rules::load(None, None).unwrap();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/corpus");
        let mut lines: Vec<String> = [
            "下载文档",
            "★★★★☆ 4.0分（12人评价）",
            "4.6 ★★★★★ 2.1万次阅读",
            "某某报告_第2页",
            "青禾县教育局2024年工作要点_百度文库",
            "— 2 —",
            "第1页 共3页",
            "您所在的位置：首页",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "txt" || x == "html") {
                let t = std::fs::read_to_string(&p).unwrap_or_default();
                lines.extend(t.lines().map(|l| l.trim().to_string()));
            }
        }
        let mut hits = 0;
        for l in &lines {
            let may = rules.noise_prefilter.candidates(l);
            for r in &rules.noise {
                if r.pattern.is_match(l) {
                    hits += 1;
                    assert!(may[r.index], "`{}` hidden from {l}", r.pattern);
                }
            }
        }
        assert!(hits > 100, "{hits}");
        // The same for the kinds' signals, numbered kind by kind, strong then weak.
        let mut signal_hits = 0;
        for l in &lines {
            let may = rules.signal_prefilter.candidates(l);
            for (n, re) in signal_patterns(&rules.kind_signals).enumerate() {
                if re.is_match(l) {
                    signal_hits += 1;
                    assert!(may[n], "signal `{re}` hidden from {l}");
                }
            }
        }
        assert!(signal_hits > 50, "{signal_hits}");
        // Most rules have literals to look for; a line of plain text is a candidate
        // for few of them.
        let plain = rules
            .noise_prefilter
            .candidates("各乡镇要按时报送统计表，确保数据准确。");
        assert!(plain.iter().filter(|&&m| m).count() * 3 < plain.len());
        assert_eq!(required_literals(".{1,60}_第\\d+页$"), None);
        assert!(required_literals("^(下载文档|立即下载)$").is_some());
    }

    #[test]
    fn embedded_rules_compile() {
        let r = Rules::load(None, None).unwrap();
        assert!(r.noise.len() > 20);
        assert_eq!(r.key_of("索 引 号"), Some("索引号"));
        assert_eq!(r.key_of("发布机构"), Some("机构"));
        assert_eq!(r.key_of("点击数"), Some(""));
        assert!(r.label_regex.is_match("索 引 号：1"));
    }

    #[test]
    fn site_rules_extend_and_are_checked() {
        let t: toml::Table =
            toml::from_str("[[noise]]\npattern = '^本站声明'\nreason = \"site disclaimer\"\n")
                .unwrap();
        let r = Rules::load(Some(&t), Some(Path::new("x/site.toml"))).unwrap();
        assert_eq!(r.noise[0].reason, "site disclaimer");

        let bad: toml::Table =
            toml::from_str("[[noise]]\npattern = '('\nreason = \"x\"\n").unwrap();
        let e = Rules::load(Some(&bad), Some(Path::new("x/site.toml"))).unwrap_err();
        assert_eq!(e.file, Path::new("x/site.toml"));
        assert!(
            e.message.contains("[import].noise[0].pattern"),
            "{}",
            e.message
        );

        let unknown: toml::Table = toml::from_str("nosie = 1\n").unwrap();
        let e = Rules::load(Some(&unknown), Some(Path::new("site.toml"))).unwrap_err();
        assert!(
            e.message.contains("[import]") && e.message.contains("nosie"),
            "{}",
            e.message
        );

        let field: toml::Table = toml::from_str("[fields]\n\"标签\" = [\"x\"]\n").unwrap();
        let e = Rules::load(Some(&field), None).unwrap_err();
        assert!(e.message.contains("[import].fields"), "{}", e.message);
    }
}
