//! Rendering: Markdown bodies ([`markdown`]) and Tera templates ([`templates`]).

pub mod markdown;
pub mod templates;

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped in the path of a link: everything but unreserved ASCII and `/`,
/// so a non-ASCII file name works in every browser and from file://.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'|')
    .add(b'\'');

/// A site path (`2021/通知/`) as it is written in a link (`2021/%E9%80%9A%E7%9F%A5/`).
pub fn encode_path(path: &str) -> String {
    utf8_percent_encode(path, PATH).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_non_ascii_paths() {
        assert_eq!(super::encode_path("2021/a b/"), "2021/a%20b/");
        assert_eq!(super::encode_path("通知/"), "%E9%80%9A%E7%9F%A5/");
        assert_eq!(super::encode_path("assets/x.css"), "assets/x.css");
    }
}
