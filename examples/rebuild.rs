//! Benchmark of the preview's rebuild after a one-document change (see bench/README.md):
//!
//!   cargo run --release --example rebuild -- /tmp/gongkai-bench/gongkai-10000
//!
//! Builds the archive once, then edits one document three times (a paragraph added to
//! its body), then three times replaces its whole body by another document's (most of
//! its terms change, so most term shards are written again), and prints how long each
//! incremental rebuild took (pages and search index) next to the full build. The edited
//! file is put back afterwards. With `GONGKAI_PROFILE=1` each rebuild's pages and
//! search index are timed apart on stderr.

use std::path::PathBuf;
use std::time::Instant;

use gongkai::site::BuildOptions;
use gongkai::site::incremental::Incremental;

fn main() {
    let Some(root) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: rebuild ARCHIVE_DIR (an archive with site.toml and content/)");
        std::process::exit(2);
    };
    let out = std::env::temp_dir().join("gongkai-rebuild-bench");
    let mut inc = Incremental::new(BuildOptions {
        root: root.clone(),
        output: Some(out.clone()),
        ..Default::default()
    });
    let t = Instant::now();
    if let Err(e) = inc.rebuild(&[]) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    let full = t.elapsed().as_secs_f64();
    let docs: Vec<PathBuf> = walkdir::WalkDir::new(root.join("content"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    let Some(doc) = docs.first() else {
        eprintln!("no document under {}", root.join("content").display());
        std::process::exit(1);
    };
    let original = std::fs::read_to_string(doc).unwrap_or_default();
    let mut edits: Vec<(String, String)> = (0..3)
        .map(|n| {
            (
                "a paragraph added".to_string(),
                format!("{original}\n第{n}次修改的段落。\n"),
            )
        })
        .collect();
    // The front matter of the edited document (so the lists stay), the body of another.
    let front_end = |t: &str| t.find("\n---\n").map_or(0, |i| i + 5);
    for other in [docs.len() - 1, docs.len() / 2, docs.len() - 1] {
        let other_text = std::fs::read_to_string(&docs[other]).unwrap_or_default();
        edits.push((
            "whole body replaced".to_string(),
            format!(
                "{}{}",
                &original[..front_end(&original)],
                &other_text[front_end(&other_text)..]
            ),
        ));
    }
    let mut times = Vec::new();
    for (what, text) in &edits {
        std::fs::write(doc, text).ok();
        let t = Instant::now();
        match inc.rebuild(std::slice::from_ref(doc)) {
            Ok((_, how)) => times.push((what, t.elapsed().as_secs_f64(), how)),
            Err(e) => eprintln!("{e}"),
        }
    }
    std::fs::write(doc, original).ok();
    println!("full build: {full:.2} s");
    for (what, took, how) in &times {
        println!(
            "one-document change ({what}): pages and search index served after {took:.3} s \
             ({how:?}, {:.3}x the full build)",
            took / full
        );
    }
    let _ = std::fs::remove_dir_all(out);
}
