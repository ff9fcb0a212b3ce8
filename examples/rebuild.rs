//! Benchmark of the preview's rebuild after a one-document change (see bench/README.md):
//!
//!   cargo run --release --example rebuild -- /tmp/gongkai-bench/gongkai-10000
//!
//! Builds the archive once, then edits one document's body three times and prints how
//! long each incremental rebuild took next to the full build. The edited file is put
//! back afterwards.

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
    let doc = walkdir::WalkDir::new(root.join("content"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path());
    let Some(doc) = doc else {
        eprintln!("no document under {}", root.join("content").display());
        std::process::exit(1);
    };
    let original = std::fs::read_to_string(&doc).unwrap_or_default();
    let mut times = Vec::new();
    for n in 0..3 {
        std::fs::write(&doc, format!("{original}\n第{n}次修改的段落。\n")).ok();
        let t = Instant::now();
        match inc.rebuild(std::slice::from_ref(&doc)) {
            Ok((_, how)) => times.push((t.elapsed().as_secs_f64(), how)),
            Err(e) => eprintln!("{e}"),
        }
    }
    std::fs::write(&doc, original).ok();
    println!("full build: {full:.2} s");
    for (t, how) in &times {
        println!(
            "one-document change: {t:.3} s ({how:?}), {:.2}× the full build",
            t / full
        );
    }
    let _ = std::fs::remove_dir_all(out);
}
