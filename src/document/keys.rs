//! The front-matter keys: canonical Chinese names, accepted aliases, and suggestions
//! for the near misses people actually type.

/// A front-matter key, by what it means.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Key {
    Title,
    Agency,
    Published,
    Written,
    IndexNo,
    DocNo,
    Topic,
    Genre,
    Keywords,
    Validity,
    Disclosure,
    Completeness,
    CompletenessNote,
    Source,
    Attachments,
    Column,
    Updated,
}

impl Key {
    /// Every key in the order the importer writes them.
    pub const ALL: [Key; 17] = [
        Key::Title,
        Key::Agency,
        Key::Published,
        Key::Written,
        Key::IndexNo,
        Key::DocNo,
        Key::Topic,
        Key::Genre,
        Key::Keywords,
        Key::Validity,
        Key::Disclosure,
        Key::Completeness,
        Key::CompletenessNote,
        Key::Source,
        Key::Attachments,
        Key::Column,
        Key::Updated,
    ];

    /// The canonical key, as disclosure pages write it.
    pub fn canonical(self) -> &'static str {
        match self {
            Key::Title => "标题",
            Key::Agency => "机构",
            Key::Published => "发布时间",
            Key::Written => "成文日期",
            Key::IndexNo => "索引号",
            Key::DocNo => "文号",
            Key::Topic => "主题分类",
            Key::Genre => "体裁分类",
            Key::Keywords => "主题词",
            Key::Validity => "有效性",
            Key::Disclosure => "公开方式",
            Key::Completeness => "完整性",
            Key::CompletenessNote => "完整性说明",
            Key::Source => "来源",
            Key::Attachments => "附件",
            Key::Column => "栏目",
            Key::Updated => "更新时间",
        }
    }

    /// English names accepted on input, for people and tools that write ASCII keys.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Key::Title => &["title"],
            Key::Agency => &["agency"],
            Key::Published => &["date", "published"],
            Key::Written => &["written_date"],
            Key::IndexNo => &["index_no"],
            Key::DocNo => &["doc_no"],
            Key::Topic => &["topic"],
            Key::Genre => &["genre"],
            Key::Keywords => &["keywords"],
            Key::Validity => &["validity"],
            Key::Disclosure => &["disclosure"],
            Key::Completeness => &["completeness"],
            Key::CompletenessNote => &["completeness_note"],
            Key::Source => &["source"],
            Key::Attachments => &["attachments"],
            Key::Column => &["column"],
            Key::Updated => &["updated"],
        }
    }

    /// The names that portals use for the same field (see DOMAIN.md). They are not
    /// accepted silently, because a typo must never be dropped or guessed; they drive
    /// the suggestion in the error instead.
    fn variants(self) -> &'static [&'static str] {
        match self {
            Key::Title => &["名称", "文件名称", "题目"],
            Key::Agency => &[
                "发布机构",
                "发文机关",
                "发文单位",
                "公开主体",
                "机关",
                "单位",
            ],
            Key::Published => &["发布日期", "公开日期", "时间", "日期", "发布时期"],
            Key::Written => &["生成日期", "产生日期", "成文时间"],
            Key::IndexNo => &["信息索引号", "索 引 号", "索引"],
            Key::DocNo => &["发文字号", "文件编号", "字号"],
            Key::Keywords => &["关键词", "关键字"],
            Key::Attachments => &["附件列表"],
            Key::Column => &["所属栏目", "栏目名称"],
            Key::Updated => &["修改时间", "更新日期"],
            _ => &[],
        }
    }

    /// The key a front-matter name stands for, if it is canonical or an alias.
    pub fn from_name(name: &str) -> Option<Key> {
        Key::ALL
            .into_iter()
            .find(|k| k.canonical() == name || k.aliases().contains(&name))
    }

    /// The closest known key for an unknown name: a known variant first, then the
    /// nearest by edit distance, if it is near enough to be a plausible typo.
    pub fn suggest(name: &str) -> Option<Key> {
        let trimmed: String = name.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(k) = Key::from_name(&trimmed) {
            return Some(k);
        }
        if let Some(k) = Key::ALL.into_iter().find(|k| {
            k.variants()
                .iter()
                .any(|v| *v == name || v.replace(' ', "") == trimmed)
        }) {
            return Some(k);
        }
        let lower = trimmed.to_lowercase();
        Key::ALL
            .into_iter()
            .flat_map(|k| {
                std::iter::once(k.canonical())
                    .chain(k.aliases().iter().copied())
                    .map(move |n| (k, n))
            })
            .map(|(k, n)| (strsim::normalized_levenshtein(&lower, n), k))
            .filter(|(score, _)| *score >= 0.5)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, k)| k)
    }
}

/// The keys of the `来源` map.
pub const SOURCE_KEYS: [(&str, &[&str]); 5] = [
    ("文件", &["file"]),
    ("sha256", &[]),
    ("原文链接", &["url"]),
    ("站点", &["site"]),
    ("文字识别", &["ocr"]),
];

/// The keys of an `附件` entry written as a map (see [`super::Attachment`]).
pub const ATTACHMENT_KEYS: [(&str, &[&str]); 4] = [
    ("名称", &["name"]),
    ("链接", &["url"]),
    ("原文链接", &["source_url"]),
    ("文本", &["text"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_and_aliases_resolve() {
        assert_eq!(Key::from_name("标题"), Some(Key::Title));
        assert_eq!(Key::from_name("title"), Some(Key::Title));
        assert_eq!(Key::from_name("date"), Some(Key::Published));
        assert_eq!(Key::from_name("index_no"), Some(Key::IndexNo));
        assert_eq!(Key::from_name("doc_no"), Some(Key::DocNo));
        assert_eq!(Key::from_name("agency"), Some(Key::Agency));
        assert_eq!(Key::from_name("发布日期"), None);
    }

    #[test]
    fn suggests_for_typos_and_portal_variants() {
        assert_eq!(Key::suggest("发布日期"), Some(Key::Published));
        assert_eq!(Key::suggest("发布机构"), Some(Key::Agency));
        assert_eq!(Key::suggest("索 引 号"), Some(Key::IndexNo));
        assert_eq!(Key::suggest("titel"), Some(Key::Title));
        assert_eq!(Key::suggest("zzzzzzzz"), None);
    }
}
