//! Replays every input the fuzzers once failed on (fuzz/regressions/<target>/) through
//! the same checks the fuzz targets run (fuzz/checks.rs), so a fixed crash stays fixed
//! without cargo-fuzz or a nightly toolchain.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    inputs.sort();
    let mut failed = Vec::new();
    for input in &inputs {
        let bytes = std::fs::read(input).expect("a regression input");
        if std::panic::catch_unwind(|| check(&bytes)).is_err() {
            failed.push(input.display().to_string());
        }
    }
    assert!(failed.is_empty(), "{target} fails again on: {failed:#?}");
}

#[test]
fn front_matter_regressions() {
    replay("front_matter", checks::front_matter);
}

#[test]
fn text_import_regressions() {
    replay("text_import", checks::text_import);
}

#[test]
fn html_import_regressions() {
    replay("html_import", checks::html_import);
}

#[test]
fn pdf_import_regressions() {
    replay("pdf_import", checks::pdf_import);
}

#[test]
fn doc_import_regressions() {
    replay("doc_import", checks::doc_import);
}

#[test]
fn sheet_import_regressions() {
    replay("sheet_import", checks::sheet_import);
}

#[test]
fn markdown_render_regressions() {
    replay("markdown_render", checks::markdown_render);
}

/// The checks can fail: live markup in rendered HTML is caught.
#[test]
fn the_inertness_check_catches_live_markup() {
    for live in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\" JaVa\tScRiPt:alert(1)\">x</a>",
        "<iframe src=\"https://example.com\"></iframe>",
    ] {
        assert!(
            std::panic::catch_unwind(|| checks::assert_inert(live)).is_err(),
            "{live} passed"
        );
    }
    checks::assert_inert("<p>正文 <a href=\"https://example.com/\">链接</a></p>");
    // And the renderer turns the same markup into text.
    checks::markdown_render(b"<script>alert(1)</script> [x](javascript:alert(1))");
}
