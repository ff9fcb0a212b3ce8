//! Zip containers (.docx, .xlsx) checked before a reader parses them: a zip bomb (a
//! part that inflates to gigabytes) is a one-line error, not gigabytes of memory.
//!
//! The sizes a zip declares can lie, so the parts a reader parses are inflated once
//! here, counting the bytes that really come out, and the count stops at the cap.

use std::io::{Cursor, Read};

use zip::ZipArchive;

/// At most this many bytes inflated from one XML part.
pub const MAX_PART_BYTES: u64 = 128 << 20;
/// At most this many bytes inflated from all XML parts together.
pub const MAX_TOTAL_BYTES: u64 = 256 << 20;
/// At most this many entries in the container.
pub const MAX_ENTRIES: usize = 20_000;

/// Opens a zip container whose XML parts stay within the caps. `what` names the
/// format for messages (".docx", ".xlsx").
pub fn open<'a>(bytes: &'a [u8], what: &str) -> Result<ZipArchive<Cursor<&'a [u8]>>, String> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        format!(
            "not a readable {what} (the zip container is damaged: {e}); open it in its program and save it again"
        )
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "not imported: this {what} holds {} parts (more than {MAX_ENTRIES}); it is not an office document as saved by Word, Excel or WPS",
            zip.len()
        ));
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut part = zip
            .by_index(i)
            .map_err(|e| format!("not a readable {what} (part {i}: {e})"))?;
        let name = part.name().map(|n| n.to_string()).unwrap_or_default();
        // Pictures and embedded files are never parsed, only the XML is.
        if !(name.ends_with(".xml") || name.ends_with(".rels")) {
            continue;
        }
        let left = MAX_PART_BYTES.min(MAX_TOTAL_BYTES - total);
        let n = std::io::copy(&mut (&mut part).take(left + 1), &mut std::io::sink())
            .map_err(|e| format!("not a readable {what} ({name} is damaged: {e})"))?;
        if n > left {
            return Err(format!(
                "not imported: {name} inside this {what} inflates to more than {} MiB (a zip bomb, or far larger than any report); nothing was read",
                if left == MAX_PART_BYTES {
                    MAX_PART_BYTES >> 20
                } else {
                    MAX_TOTAL_BYTES >> 20
                }
            ));
        }
        total += n;
    }
    Ok(zip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in parts {
            z.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            z.write_all(data).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn small_parts_open() {
        let z = zip_of(&[("word/document.xml", b"<w:document/>"), ("a.png", b"x")]);
        assert_eq!(open(&z, ".docx").unwrap().len(), 2);
    }

    #[test]
    fn damaged_container_says_so() {
        let e = open(b"PK\x03\x04 broken", ".xlsx").unwrap_err();
        assert!(e.starts_with("not a readable .xlsx"), "{e}");
    }
}
