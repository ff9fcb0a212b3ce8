//! Bytes → text: BOM, declared HTML charset or detection; line ends made LF.

use encoding_rs::{Encoding, UTF_8};

/// Text decoded from a raw file, and how.
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static str,
}

/// Why a file could not be read as text.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    Empty,
    Binary,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReadError::Empty => "the file is empty; there is nothing to import",
            ReadError::Binary => {
                "this is not text (binary data); save the report as .txt (UTF-8 or GB18030), .html or .docx"
            }
        })
    }
}

/// Decodes a raw file. `html` lets a `<meta charset>` decide before detection.
pub fn decode(bytes: &[u8], html: bool) -> Result<Decoded, ReadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty);
    }
    let (text, encoding) = if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (t, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        (t.into_owned(), enc)
    } else {
        if looks_binary(bytes) {
            return Err(ReadError::Binary);
        }
        let declared = if html { declared_charset(bytes) } else { None };
        // A page may declare the wrong charset (a GBK page saying utf-8): when the
        // declared one does not decode cleanly, detection decides.
        let declared = declared.filter(|e| {
            let (_, had_errors) = e.decode_without_bom_handling(bytes);
            !had_errors
        });
        let enc = match declared {
            Some(e) => e,
            None if mostly_utf8(bytes) => UTF_8,
            None => {
                let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
                det.feed(bytes, true);
                det.guess(None, chardetng::Utf8Detection::Allow)
            }
        };
        // Valid UTF-8, the usual case, needs no decoding pass.
        let text = match std::str::from_utf8(bytes) {
            Ok(t) if enc == UTF_8 => t.to_string(),
            _ => enc.decode(bytes).0.into_owned(),
        };
        (text, enc)
    };
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    // Many replacement characters: not text in any encoding we know. (One at the
    // end is a character cut off by a truncated download.)
    if text.contains('\u{FFFD}') {
        let body = text.strip_suffix('\u{FFFD}').unwrap_or(&text);
        let replaced = body.chars().filter(|&c| c == '\u{FFFD}').count();
        if replaced > 0 && replaced * 20 > body.chars().count() {
            return Err(ReadError::Binary);
        }
    }
    Ok(Decoded {
        text: normalize_newlines(text),
        encoding: encoding.name(),
    })
}

/// UTF-8, allowing a character cut off at the end (a truncated download) and a
/// stray bad byte or two; text in another encoding fails by the hundreds.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    let mut errors = 0;
    loop {
        match std::str::from_utf8(rest) {
            Ok(_) => return true,
            Err(e) => match e.error_len() {
                None => return true,
                Some(n) => {
                    errors += 1;
                    if errors > 2 + bytes.len() / 2000 {
                        return false;
                    }
                    rest = &rest[e.valid_up_to() + n..];
                }
            },
        }
    }
}

/// CRLF and CR become LF; the escaped CRLF of some scrapers (`x0dx0a`) too.
pub fn normalize_newlines(s: String) -> String {
    let s = if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s
    };
    if s.contains("x0dx0a") {
        s.replace("x0dx0a", "\n")
    } else {
        s
    }
}

/// NUL bytes or many control characters mean binary. UTF-16 without a BOM is not
/// supported (it is rare in practice and indistinguishable from binary here).
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.contains(&0) {
        return true;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 50 > sample.len()
}

/// The charset an HTML page declares in its first 2 KiB (`<meta charset=…>` or
/// `content="text/html; charset=…"`), as the HTML standard's prescan does.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(2048)];
    let lower: Vec<u8> = head.iter().map(|b| b.to_ascii_lowercase()).collect();
    let mut from = 0;
    while let Some(pos) = find(&lower[from..], b"charset") {
        let mut i = from + pos + b"charset".len();
        while i < lower.len() && matches!(lower[i], b' ' | b'=' | b'"' | b'\'') {
            i += 1;
        }
        let start = i;
        while i < lower.len()
            && (lower[i].is_ascii_alphanumeric() || matches!(lower[i], b'-' | b'_'))
        {
            i += 1;
        }
        if let Some(e) = Encoding::for_label(&lower[start..i]) {
            // A page served as UTF-16 cannot declare it in ASCII; the standard says
            // such a declaration means UTF-8.
            return Some(
                if e == encoding_rs::UTF_16LE || e == encoding_rs::UTF_16BE {
                    UTF_8
                } else {
                    e
                },
            );
        }
        from = i.max(from + pos + 1);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_gb18030() {
        let d = decode("\u{feff}通知\r\n第二行\r末行".as_bytes(), false).unwrap();
        assert_eq!(d.text, "通知\n第二行\n末行");
        let mut utf16 = vec![0xFF, 0xFE];
        for u in "公开\r\n".encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        let d = decode(&utf16, false).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("公开\n", "UTF-16LE"));
        let mut be = vec![0xFE, 0xFF];
        for u in "公开\r".encode_utf16() {
            be.extend(u.to_be_bytes());
        }
        let d = decode(&be, false).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), ("公开\n", "UTF-16BE"));
        let (gb, _, _) =
            encoding_rs::GB18030.encode("县教育局关于做好年度工作总结的通知，请各单位认真落实。");
        let d = decode(&gb, false).unwrap();
        assert!(
            d.text.starts_with("县教育局"),
            "{} via {}",
            d.text,
            d.encoding
        );
    }

    #[test]
    fn html_charset_wins() {
        let (gb, _, _) = encoding_rs::GBK.encode("<meta charset=\"gbk\"><p>公开</p>");
        let d = decode(&gb, true).unwrap();
        assert_eq!(d.encoding, "GBK");
        assert!(d.text.contains("公开"));
    }

    #[test]
    fn a_wrong_declaration_gives_way_to_detection() {
        let page = "<meta charset=\"utf-8\"><p>各乡镇人民政府：现将冬季森林防火工作有关事项通知如下，请认真贯彻执行。</p>";
        let (gb, _, _) = encoding_rs::GBK.encode(page);
        let d = decode(&gb, true).unwrap();
        assert!(d.text.contains("森林防火"), "{} via {}", d.text, d.encoding);
    }

    #[test]
    fn a_truncated_utf8_file_is_still_utf8() {
        let t = "各乡镇人民政府：现将冬季森林防火工作有关事项通知如下。".as_bytes();
        let d = decode(&t[..t.len() - 1], false).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.text.starts_with("各乡镇人民政府"));
    }

    #[test]
    fn refuses_empty_and_binary() {
        assert_eq!(decode(b"", false).unwrap_err(), ReadError::Empty);
        assert_eq!(decode(b" \n\n", false).unwrap_err(), ReadError::Empty);
        assert_eq!(
            decode(&[0u8, 159, 146, 150, 1, 2, 3], false).unwrap_err(),
            ReadError::Binary
        );
    }
}
