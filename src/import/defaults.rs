//! Values for fields a raw report does not name: `gongkai import --set 机构=青溪县教育局`
//! and the `[import.defaults]` table of site.toml. A default fills a field only where the
//! import found no value; the report says where the value came from.

use std::path::Path;

use crate::diagnostic::Diagnostic;
use crate::document::{DisclosureDate, Key, VALIDITY_VALUES};

/// One default: the canonical key, its value, and where it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDefault {
    pub key: &'static str,
    pub value: String,
    pub from: String,
}

/// The keys a default may fill: the metadata of a disclosure item. The import itself
/// decides 完整性, 来源 and 附件.
const SETTABLE: [Key; 11] = [
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
];

fn settable_names() -> String {
    SETTABLE
        .iter()
        .map(|k| k.canonical())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A key as written (canonical, an alias such as `agency`) and a value, checked.
fn field(name: &str, value: &str, from: String) -> Result<FieldDefault, String> {
    let name = name.trim();
    let value = value.trim();
    let key = Key::from_name(name)
        .filter(|k| SETTABLE.contains(k))
        .ok_or_else(|| {
            let hint = Key::suggest(name)
                .filter(|k| SETTABLE.contains(k))
                .map(|k| format!(" (did you mean {}?)", k.canonical()))
                .unwrap_or_default();
            format!(
                "`{name}` is not a field import can fill{hint}; the fields are {}",
                settable_names()
            )
        })?;
    if value.is_empty() {
        return Err(format!("`{}` needs a value", key.canonical()));
    }
    match key {
        Key::Published | Key::Written => {
            value.parse::<DisclosureDate>().map_err(|_| {
                format!(
                    "`{}={value}` is not a date; write YYYY-MM-DD or YYYY-MM-DD HH:MM:SS",
                    key.canonical()
                )
            })?;
        }
        Key::Validity if !VALIDITY_VALUES.contains(&value) => {
            return Err(format!(
                "`有效性={value}`: the values are {}",
                VALIDITY_VALUES.join(", ")
            ));
        }
        _ => {}
    }
    Ok(FieldDefault {
        key: key.canonical(),
        value: value.to_string(),
        from,
    })
}

/// `--set KEY=VALUE` arguments, in order.
pub fn from_args(args: &[String]) -> Result<Vec<FieldDefault>, String> {
    args.iter()
        .map(|a| {
            let (k, v) = a.split_once('=').ok_or_else(|| {
                format!("--set {a}: write KEY=VALUE, e.g. --set 机构=青溪县教育局")
            })?;
            field(k, v, format!("--set {}", a.trim())).map_err(|e| format!("--set: {e}"))
        })
        .collect()
}

/// The `[import.defaults]` table of site.toml.
pub fn from_site(
    table: Option<&toml::Table>,
    site_toml: &Path,
) -> Result<Vec<FieldDefault>, Diagnostic> {
    let Some(v) = table.and_then(|t| t.get("defaults")) else {
        return Ok(Vec::new());
    };
    let err = |m: String| Diagnostic::error(site_toml, None, format!("[import.defaults]: {m}"));
    let t = v.as_table().ok_or_else(|| {
        err(format!(
            "must be a table of field = value, e.g. \"机构\" = \"青溪县教育局\"; found {}",
            v.type_str()
        ))
    })?;
    t.iter()
        .map(|(k, v)| {
            let value = v
                .as_str()
                .ok_or_else(|| err(format!("`{k}` must be a string, e.g. \"{k}\" = \"…\"")))?;
            field(k, value, "[import.defaults] in site.toml".into()).map_err(err)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arguments_are_checked() {
        let d = from_args(&["机构=青溪县教育局".into(), "agency=x".into()]).unwrap();
        assert_eq!(d[0].key, "机构");
        assert_eq!(d[0].value, "青溪县教育局");
        assert_eq!(d[1].key, "机构");
        for (bad, says) in [
            ("机构", "KEY=VALUE"),
            ("作者=某人", "not a field"),
            ("完整性=完整", "not a field"),
            ("发布时间=去年", "not a date"),
            ("有效性=有用", "the values are"),
            ("机构= ", "needs a value"),
        ] {
            let e = from_args(&[bad.into()]).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn site_defaults_name_the_file() {
        let t: toml::Table = toml::from_str("[defaults]\n\"机构\" = \"青溪县教育局\"\n").unwrap();
        let d = from_site(Some(&t), Path::new("a/site.toml")).unwrap();
        assert_eq!(d[0].from, "[import.defaults] in site.toml");
        let t: toml::Table = toml::from_str("[defaults]\n\"发布时间\" = 2024\n").unwrap();
        let e = from_site(Some(&t), Path::new("a/site.toml")).unwrap_err();
        assert_eq!(e.file, Path::new("a/site.toml"));
        assert!(e.message.contains("must be a string"), "{}", e.message);
    }
}
