//! Benchmark of the search index's share of a build (see bench/README.md): each
//! document's files and counted terms, and the merge of its terms into the postings,
//! as the build does them a chunk of 512 documents at a time, without the pages:
//!
//!   RAYON_NUM_THREADS=1 cargo run --release --example search_work -- OUTPUT/search 10000 3
//!
//! The documents are read back from an earlier build's `search/` folder (their text
//! as the records hold it, which has the same terms and files). Prints, for each of
//! the runs, the process's CPU time (Linux: from /proc) and the wall time; one thread
//! gives the steadiest figure on a busy machine.

use std::path::PathBuf;
use std::time::Instant;

use gongkai::search::format::StoredDocument;
use gongkai::search::{self, SearchDocument, SearchIndex};
use rayon::prelude::*;

mod common;
use common::cpu_seconds;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(count), Some(runs)) = (
        args.first().map(PathBuf::from),
        args.get(1).and_then(|n| n.parse::<u32>().ok()),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: search_work SEARCH_DIR DOCUMENTS RUNS (an earlier build's search/)");
        std::process::exit(2);
    };
    let docs: Vec<StoredDocument> = match (0..count)
        .map(|id| StoredDocument::read(&dir, id))
        .collect()
    {
        Ok(docs) => docs,
        Err(e) => {
            eprintln!("cannot read the documents under {}: {e}", dir.display());
            std::process::exit(1);
        }
    };
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..runs {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let mut index = SearchIndex::new();
        let mut bytes = 0usize;
        for (c, chunk) in docs.chunks(512).enumerate() {
            let chunk: Vec<SearchDocument<'_>> =
                chunk.iter().map(StoredDocument::search_document).collect();
            let prepared: Vec<_> = chunk
                .par_iter()
                .enumerate()
                .map(|(k, d)| search::prepare_document((c * 512 + k) as u32, d))
                .collect();
            let mut counted = Vec::with_capacity(prepared.len());
            for (files, terms) in prepared {
                bytes += files.iter().map(|(_, text)| text.len()).sum::<usize>();
                counted.push(terms);
            }
            index.add_counted(counted);
        }
        let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
        drop(index);
        println!(
            "cpu {cpu:.2} s, wall {wall:.2} s ({} MB of document files)",
            bytes >> 20
        );
        best = (best.0.min(cpu), best.1.min(wall));
    }
    println!("best: cpu {:.2} s, wall {:.2} s", best.0, best.1);
}
