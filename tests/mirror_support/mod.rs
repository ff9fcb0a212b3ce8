//! The fixture mirror (tests/fixtures/mirror) imported into an archive, for the mirror
//! tests and the browser test of searching attachments.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::{self, stderr, tree};
use crate::import_support::import;
use serde_json::Value;

/// The fixture's host folder.
pub const HOST: &str = "www.qingxi.example";
/// The bundle of the spring-planting notice (索引号 QX0301/2024-00101) and its files.
pub const SPRING: &str = "2024/qx0301-2024-00101";
pub const SPRING_DOCX: &str = "P020240305512345678901.docx";
pub const SPRING_TXT: &str = "W020240305398765432100.txt";
/// A word only the notice's .docx attachment holds.
pub const ATTACHMENT_ONLY: &str = "紫云英";

/// The fixture copied into `dir/mirror` as wget saves it on Linux (a list page's query
/// after `?`; the repository keeps the `@` form Windows allows), and a file just
/// outside the mirror that a page's link climbs up to.
pub fn mirror(dir: &Path) -> PathBuf {
    let from = common::repo().join("tests/fixtures/mirror");
    let to = dir.join("mirror");
    for (rel, bytes) in tree(&from) {
        let p = to.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    if cfg!(unix) {
        let lists = to.join(HOST).join("zwgk/zcwj");
        std::fs::rename(
            lists.join("list.html@page=2"),
            lists.join("list.html?page=2"),
        )
        .unwrap();
    }
    // ../../../../../outside.docx from zwgk/tzgg/202405/ under the host folder.
    std::fs::write(
        dir.join("outside.docx"),
        b"not to be read: outside the mirror",
    )
    .unwrap();
    std::fs::write(
        dir.join("site.toml"),
        "title = \"青溪县人民政府信息公开\"\norganizer = \"青溪县人民政府办公室\"\n",
    )
    .unwrap();
    to
}

/// Imports the fixture mirror into `dir/content`; returns the report.
pub fn import_mirror(dir: &Path) -> Value {
    let m = mirror(dir);
    let (o, report) = import(&[&m], dir, &[]);
    assert!(o.status.success(), "import failed:\n{}", stderr(&o));
    let summary = stderr(&o);
    assert!(
        summary.contains("list pages skipped 7, attachments copied 4, attachments missing 2"),
        "{summary}"
    );
    report
}
