//! Figures for docs/search.md, run by bench/search_engines.sh (ignored in normal test runs: it
//! needs a generated corpus). Indexes the Markdown of `GONGKAI_SEARCH_CORPUS`
//! (a content/ folder) with the shipped writer or with elasticlunr-rs's own index
//! (`GONGKAI_SEARCH_ENGINE=elasticlunr`), and prints size, time and peak memory.

use std::path::Path;
use std::time::Instant;

mod search_engine;

use gongkai::document::Document;
use gongkai::search::{SearchDocument, SearchIndex, write_document};
use search_engine::ElasticlunrIndex;

fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut out = String::new();
    for e in Parser::new(markdown) {
        match e {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(_) => out.push('\n'),
            _ => {}
        }
    }
    out
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[test]
#[ignore = "benchmark: needs GONGKAI_SEARCH_CORPUS (see bench/search_engines.sh)"]
fn index_a_generated_corpus() {
    let Ok(corpus) = std::env::var("GONGKAI_SEARCH_CORPUS") else {
        panic!("set GONGKAI_SEARCH_CORPUS to a content/ folder");
    };
    let out =
        std::env::var("GONGKAI_SEARCH_OUT").unwrap_or_else(|_| "/tmp/gongkai-search-bench".into());
    let engine = std::env::var("GONGKAI_SEARCH_ENGINE").unwrap_or_default();
    let mut files: Vec<_> = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    let base_rss = peak_rss_mib();
    let start = Instant::now();
    let mut markdown_bytes = 0u64;
    let mut in_add = std::time::Duration::ZERO;
    let (mut doc_files, mut doc_bytes, mut doc_file_count) = (0usize, 0u64, 0usize);
    let mut index = SearchIndex::new();
    let mut el_index = (engine == "elasticlunr").then(ElasticlunrIndex::new);
    // Documents in batches, as the build renders them (GONGKAI_SEARCH_BATCH, default 256;
    // 1 = one `add` per document).
    let batch: usize = std::env::var("GONGKAI_SEARCH_BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(256);
    type Owned = (
        String,
        String,
        String,
        String,
        Option<i32>,
        String,
        String,
        String,
    );
    for group in files.chunks(batch.max(1)) {
        let mut owned: Vec<Owned> = Vec::with_capacity(group.len());
        for f in group {
            let text = std::fs::read_to_string(f).unwrap();
            markdown_bytes += text.len() as u64;
            let rel = f
                .strip_prefix(&corpus)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let doc = Document::parse(f, &rel, &text).unwrap();
            let fm = &doc.front;
            owned.push((
                doc.url_path(),
                fm.title.clone(),
                fm.agency.as_ref().map_or("", |a| a.as_str()).to_string(),
                fm.published
                    .as_ref()
                    .map(|d| d.date_string())
                    .unwrap_or_default(),
                fm.year(),
                fm.index_no.as_ref().map_or("", |n| n.as_str()).to_string(),
                fm.doc_no.as_ref().map_or("", |n| n.as_str()).to_string(),
                plain_text(&doc.body),
            ));
        }
        let docs: Vec<SearchDocument> = owned
            .iter()
            .map(|o| SearchDocument {
                url_path: &o.0,
                title: &o.1,
                agency: &o.2,
                published: &o.3,
                year: o.4,
                index_no: &o.5,
                doc_no: &o.6,
                text: &o.7,
                attachments: &[],
            })
            .collect();
        let t = Instant::now();
        match el_index.as_mut() {
            Some(el) => docs.iter().for_each(|d| el.add(d)),
            None if batch == 1 => index.add(&docs[0]),
            None => index.add_batch(&docs),
        }
        in_add += t.elapsed();
        if el_index.is_none() {
            // Each document's own files, as the build writes them beside its page.
            for d in &docs {
                let stats = write_document(Path::new(&out), doc_files as u32, d).unwrap();
                doc_files += 1;
                doc_bytes += stats.bytes;
                doc_file_count += stats.files;
            }
        }
    }
    let indexed = start.elapsed();
    let (files_written, bytes) = if let Some(el) = el_index {
        let json = el.to_json();
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(Path::new(&out).join("elasticlunr.json"), &json).unwrap();
        (1, json.len() as u64)
    } else {
        let (stats, _) = index.write(Path::new(&out)).unwrap();
        (stats.files + doc_file_count, stats.bytes + doc_bytes)
    };
    let total = start.elapsed();
    println!(
        "engine={} batch={batch} documents={} markdown_bytes={} index_bytes={} files={} ratio={:.3} read_parse_index_s={:.2} add_s={:.2} total_s={:.2} peak_rss_mib={:.0} (before={:.0})",
        if engine.is_empty() {
            "gongkai"
        } else {
            &engine
        },
        files.len(),
        markdown_bytes,
        bytes,
        files_written,
        bytes as f64 / markdown_bytes as f64,
        indexed.as_secs_f64(),
        in_add.as_secs_f64(),
        total.as_secs_f64(),
        peak_rss_mib(),
        base_rss
    );
}
