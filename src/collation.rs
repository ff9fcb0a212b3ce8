//! The order people expect names in: 机构 and 主题分类 lists, the search filter. Chinese
//! collation (pinyin, from the Unicode CLDR data in ICU4X), not code-point order, which
//! puts 青溪县人民政府 before 青溪县教育局 for no reason a reader can see.

use std::cmp::Ordering;
use std::sync::LazyLock;

use icu_collator::options::CollatorOptions;
use icu_collator::{Collator, CollatorBorrowed};

static ZH: LazyLock<Option<CollatorBorrowed<'static>>> = LazyLock::new(|| {
    Collator::try_new(
        icu_locale_core::locale!("zh").into(),
        CollatorOptions::default(),
    )
    .ok()
});

/// Compares two names in Chinese (pinyin) order; names the collation holds equal are
/// ordered by code point, so the order is total and the output deterministic.
pub fn compare_names(a: &str, b: &str) -> Ordering {
    ZH.as_ref()
        .map_or(Ordering::Equal, |c| c.compare(a, b))
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_sort_by_pinyin() {
        let mut names = vec![
            "青溪县自然资源局",
            "青溪县人民政府办公室",
            "青溪县教育局",
            "青溪县财政局",
            "安全生产委员会",
        ];
        names.sort_by(|a, b| compare_names(a, b));
        assert_eq!(
            names,
            [
                "安全生产委员会",
                "青溪县财政局",
                "青溪县教育局",
                "青溪县人民政府办公室",
                "青溪县自然资源局",
            ]
        );
    }

    #[test]
    fn the_order_is_total() {
        // Full-width and half-width digits may collate alike; they stay distinct.
        assert_ne!(compare_names("1号", "１号"), Ordering::Equal);
        assert_eq!(compare_names("局", "局"), Ordering::Equal);
    }
}
