//! `gongkai archive` packs an offline copy into a deterministic zip; `gongkai verify`
//! finds missing, extra and altered files in the zip or in the unpacked folder.

mod common;
mod offline_support;

use std::io::{Read, Write};
use std::path::Path;

use common::{gongkai, stderr, tree};
use offline_support::mini_archive;

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn archive(root: &Path, zip: &Path) {
    let o = pack(root, zip);
    assert!(o.status.success(), "archive failed:\n{}", stderr(&o));
}

fn verify(path: &Path) -> (bool, String) {
    let o = gongkai(&["verify", path.to_str().unwrap()]);
    (o.status.success(), format!("{}{}", stdout(&o), stderr(&o)))
}

fn unzip(zip: &Path, dir: &Path) {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    for i in 0..z.len() {
        let mut e = z.by_index(i).unwrap();
        let rel = e.enclosed_name().unwrap();
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let mut bytes = Vec::new();
        e.read_to_end(&mut bytes).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
}

/// Every entry of a zip: name → bytes.
fn entries(zip: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            (e.name().unwrap().to_string(), bytes)
        })
        .collect()
}

/// The text of the entry `name` of [`entries`].
fn entry_text(entries: &[(String, Vec<u8>)], name: &str) -> String {
    let (_, bytes) = entries
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in the zip"));
    String::from_utf8(bytes.clone()).unwrap()
}

/// Writes a zip of `entries`, as someone repacking a copy would.
fn repack(zip: &Path, entries: &[(String, Vec<u8>)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(zip).unwrap());
    for (name, bytes) in entries {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(bytes).unwrap();
    }
    w.finish().unwrap();
}

/// `gongkai archive --root ROOT --output ZIP`.
fn pack(root: &Path, zip: &Path) -> std::process::Output {
    gongkai(&[
        "archive",
        "--root",
        root.to_str().unwrap(),
        "--output",
        zip.to_str().unwrap(),
    ])
}

#[test]
fn archive_and_verify_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "https://www.example.gov.cn/xxgk/");
    let zip = dir.path().join("档案.zip");
    archive(&root, &zip);
    let first = std::fs::read(&zip).unwrap();
    // Deterministic: the same archive packs to the same bytes.
    archive(&root, &zip);
    assert_eq!(first, std::fs::read(&zip).unwrap(), "two archives differ");

    let names: Vec<String> = entries(&zip).into_iter().map(|(n, _)| n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "entries are not sorted");
    for must in [
        "index.html",
        "使用说明.txt",
        "SHA256SUMS",
        "2021/notice/index.html",
    ] {
        assert!(names.iter().any(|n| n == must), "{must} not in {names:?}");
    }
    assert!(!names.iter().any(|n| n == "sitemap.xml"), "{names:?}");
    // Fixed timestamps: the zip epoch, never the time of packing.
    let mut z = zip::ZipArchive::new(std::fs::File::open(&zip).unwrap()).unwrap();
    for i in 0..z.len() {
        let e = z.by_index(i).unwrap();
        let t = e.last_modified().unwrap();
        assert_eq!(
            (t.year(), t.month(), t.day()),
            (1980, 1, 1),
            "{:?}",
            e.name()
        );
    }
    // The manifest lists every other entry, in the format of `sha256sum -c`.
    let all = entries(&zip);
    let manifest = entry_text(&all, "SHA256SUMS");
    assert_eq!(manifest.lines().count(), all.len() - 1, "{manifest}");
    for (name, bytes) in &all {
        if name == "SHA256SUMS" {
            continue;
        }
        use sha2::Digest;
        let sum: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(manifest.contains(&format!("{sum}  {name}\n")), "{name}");
    }
    let readme = entry_text(&all, "使用说明.txt");
    assert!(
        readme.contains("index.html") && readme.contains("gongkai verify"),
        "{readme}"
    );

    let (ok, report) = verify(&zip);
    assert!(ok, "{report}");
    assert!(report.contains("intact"), "{report}");

    let unpacked = dir.path().join("usb");
    unzip(&zip, &unpacked);
    let (ok, report) = verify(&unpacked);
    assert!(ok, "{report}");
    // The manifest is what the standard tool reads, too.
    #[cfg(target_os = "linux")]
    {
        let o = std::process::Command::new("sha256sum")
            .args(["--check", "--strict", "--quiet", "SHA256SUMS"])
            .current_dir(&unpacked)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    }
    // Litter an operating system adds to a USB stick does not count.
    std::fs::write(unpacked.join(".DS_Store"), "x").unwrap();
    let (ok, report) = verify(&unpacked);
    assert!(ok, "{report}");
    // And the unpacked copy is the offline build itself.
    assert!(tree(&unpacked).contains_key("assets/mini.css"));
}

#[test]
fn a_tampered_folder_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "/");
    let zip = dir.path().join("a.zip");
    archive(&root, &zip);
    let usb = dir.path().join("usb");
    unzip(&zip, &usb);

    let page = usb.join("2021/notice/index.html");
    let mut text = std::fs::read_to_string(&page).unwrap();
    text = text.replace("测试通知一", "篡改的标题");
    std::fs::write(&page, text).unwrap();
    std::fs::remove_file(usb.join("2022/second/index.html")).unwrap();
    std::fs::write(usb.join("added.html"), "<p>x</p>").unwrap();
    let (ok, report) = verify(&usb);
    assert!(!ok, "{report}");
    assert!(
        report.contains("altered: 2021/notice/index.html"),
        "{report}"
    );
    assert!(
        report.contains("missing: 2022/second/index.html"),
        "{report}"
    );
    assert!(report.contains("extra: added.html"), "{report}");

    // No manifest at all: not a gongkai archive.
    std::fs::remove_file(usb.join("SHA256SUMS")).unwrap();
    let (ok, report) = verify(&usb);
    assert!(!ok && report.contains("SHA256SUMS"), "{report}");
}

#[test]
fn a_tampered_zip_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "/");
    let zip = dir.path().join("a.zip");
    archive(&root, &zip);
    let original = entries(&zip);

    // A page changed and the zip repacked: the manifest no longer matches.
    let mut changed = original.clone();
    for (name, bytes) in &mut changed {
        if name == "index.html" {
            bytes.extend_from_slice(b"<!-- changed -->");
        }
    }
    changed.push(("extra.js".into(), b"alert(1)".to_vec()));
    changed.retain(|(n, _)| n != "404.html");
    let bad = dir.path().join("bad.zip");
    repack(&bad, &changed);
    let (ok, report) = verify(&bad);
    assert!(!ok, "{report}");
    assert!(report.contains("altered: index.html"), "{report}");
    assert!(report.contains("extra: extra.js"), "{report}");
    assert!(report.contains("missing: 404.html"), "{report}");

    // Bytes flipped inside the zip itself (a damaged stick): reported, not accepted.
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes.len() / 3;
    for b in &mut bytes[at..at + 16] {
        *b ^= 0x5a;
    }
    let damaged = dir.path().join("damaged.zip");
    std::fs::write(&damaged, bytes).unwrap();
    let (ok, report) = verify(&damaged);
    assert!(!ok, "a damaged zip verified: {report}");

    let (ok, report) = verify(&dir.path().join("nothing.zip"));
    assert!(!ok && report.contains("no such file"), "{report}");
}

#[test]
fn an_archive_that_cannot_be_built_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "/");
    std::fs::write(
        root.join("content/2022/PRN.md"),
        "---\n标题: x\n机构: y\n---\n\nz\n",
    )
    .unwrap();
    let zip = dir.path().join("a.zip");
    let o = pack(&root, &zip);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("reserved"), "{}", stderr(&o));
    assert!(!zip.exists());
}

#[test]
fn the_zip_may_not_land_among_the_sources() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("site");
    mini_archive(&root, "/");
    // However the path is spelled: through a folder that does not exist and `..`, or a
    // link into content/.
    let mut zips = vec![
        root.join("content").join("a.zip"),
        root.join("nope/../content/b.zip"),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root.join("content"), dir.path().join("link")).unwrap();
        zips.push(dir.path().join("link/c.zip"));
    }
    for zip in &zips {
        let o = pack(&root, zip);
        assert!(!o.status.success(), "{} was accepted", zip.display());
        assert!(stderr(&o).contains("content/"), "{}", stderr(&o));
    }
    for name in ["a.zip", "b.zip", "c.zip"] {
        assert!(!root.join("content").join(name).exists(), "{name}");
    }
}
