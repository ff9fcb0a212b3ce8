//! Benchmark of cutting broad terms to their heads (format 5, see docs/search.md), the
//! part of the build's search index phase that grows with the archive:
//!
//!   GONGKAI_SEARCH_HEAD_BYTES=1000000000 gongkai build --root ARCHIVE --output OUT
//!   cargo run --release --example cut_work -- OUT/search 3 [HEAD_BYTES]
//!
//! The build with huge heads writes every term whole; this reads those shards back and
//! makes each shard's files as a build with `HEAD_BYTES` heads (default 32 kB) would,
//! on one thread, without writing them. Prints each run's CPU and wall time, the bytes
//! in and out, the count of rest files, and a digest of every file's path and text, so
//! two versions of the code can be checked to make the same files.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::time::Instant;

use gongkai::search::format;
use gongkai::search::tokenize::Term;

mod common;
use common::cpu_seconds;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(runs)) = (
        args.first().map(PathBuf::from),
        args.get(1).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("usage: cut_work SEARCH_DIR RUNS [HEAD_BYTES] (a build's search/, nothing cut)");
        std::process::exit(2);
    };
    let head_bytes = args
        .get(2)
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(32 * 1024);
    let mut shards: Vec<Vec<(Term, Box<[u8]>)>> = Vec::new();
    for n in 0.. {
        let path = dir.join(format::shard_file_path(n));
        let Ok(text) = std::fs::read_to_string(&path) else {
            break;
        };
        let Some(terms) = format::parse_shard_file(&text) else {
            eprintln!("{} is not a term shard", path.display());
            std::process::exit(1);
        };
        shards.push(terms);
    }
    if shards.is_empty() {
        eprintln!("no term shards under {}", dir.display());
        std::process::exit(1);
    }
    let bytes_in: usize = shards.iter().flatten().map(|(_, p)| p.len()).sum();
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..runs {
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        let mut digest = std::collections::hash_map::DefaultHasher::new();
        let (mut bytes_out, mut rests) = (0usize, 0usize);
        for (n, terms) in shards.iter().enumerate() {
            let shard = format::shard_files(n, terms, head_bytes);
            rests += shard.files.len() - 1;
            for (path, text) in &shard.files {
                bytes_out += text.len();
                path.hash(&mut digest);
                text.hash(&mut digest);
            }
        }
        let (cpu, wall) = (cpu_seconds() - cpu, wall.elapsed().as_secs_f64());
        println!(
            "cpu {cpu:.2} s, wall {wall:.2} s: {} shards, {} MB of postings in, {} MB out, \
             {rests} rest files, digest {:016x}",
            shards.len(),
            bytes_in >> 20,
            bytes_out >> 20,
            digest.finish()
        );
        best = (best.0.min(cpu), best.1.min(wall));
    }
    println!("best: cpu {:.2} s, wall {:.2} s", best.0, best.1);
}
