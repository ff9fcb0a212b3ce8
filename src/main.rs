//! The `gongkai` command: parses arguments, calls the library, turns outcomes into
//! messages and exit codes. No logic of its own lives here.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use gongkai::config::SiteConfig;
use gongkai::diagnostic::Diagnostics;

// A build allocates millions of small strings and maps on every core; the system
// allocator's locks cost a tenth of its CPU (perf, 10,000 documents).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc 3's `mi_option_e` (libmimalloc-sys names no
/// constant for it; the test below checks the number against its default).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Memory a build frees is used again moments later (the next chunk of pages): handing it
/// back to the system and faulting it in again cost 5% of a build's wall time, so the
/// allocator keeps it (peak memory is the same; it is returned when the process ends).
fn keep_freed_memory() {
    // SAFETY: sets an option of the linked allocator; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

#[derive(Parser)]
#[command(
    name = "gongkai",
    version,
    about = "公开 — build a searchable 政府信息公开 archive from raw reports",
    long_about = "公开 — build a searchable 政府信息公开 (government information disclosure) \
                  archive.\n\nimport turns raw reports (.txt, .html, .docx) into Markdown \
                  documents under content/; build renders content/ into a static site with \
                  a search index, for publishing under a base URL or for opening offline."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new archive: site.toml, content/ and a first example document.
    Init {
        /// The folder to create (it may exist, but must not hold a site.toml).
        dir: PathBuf,
    },
    /// Normalise raw reports (.txt, .html, .docx, .pdf, images) into Markdown documents.
    Import {
        /// Files or folders of raw reports (folders are read recursively).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The archive's folder; its site.toml may add noise rules.
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the documents (default: <root>/content).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also write a JSON report of everything found, removed and guessed.
        #[arg(long, value_name = "FILE.json")]
        report: Option<PathBuf>,
        /// Overwrite documents that already exist.
        #[arg(long)]
        force: bool,
        /// Fill a front-matter field where a report names none, e.g.
        /// `--set 机构=青溪县教育局` (repeatable; wins over [import.defaults] in site.toml).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Recognise text in scans and images with Tesseract: auto (pages without a
        /// text layer, and images), always (every page's picture), never.
        #[arg(long, value_enum, default_value_t = gongkai::import::ocr::OcrMode::Auto)]
        ocr: gongkai::import::ocr::OcrMode,
    },
    /// Render content/ into a static site.
    Build {
        /// The archive's folder (the one holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Where to write the site (default: output_dir of site.toml, `public`).
        #[arg(long)]
        output: Option<PathBuf>,
        /// Publish under this address instead of site.toml's base_url,
        /// e.g. https://www.example.gov.cn/xxgk/
        #[arg(long)]
        base_url: Option<String>,
        /// Build a copy that works opened from file:// (a USB stick): relative links only.
        #[arg(long)]
        offline: bool,
        /// Build every page again, whatever the build cache (.NAME.gongkai-cache beside
        /// the output) says is current; the cache is then written anew.
        #[arg(long)]
        clean: bool,
    },
    /// Validate the archive without writing it: front matter, links, templates,
    /// accessibility of the rendered pages.
    Check {
        /// The archive's folder (the one holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// `human`: `file:line: level: message` lines; `json`: one JSON report.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also check against the inspection indicators of government websites:
        /// footer identifiers, broken links, blank or stale columns, 年报, 指南.
        #[arg(long)]
        gov: bool,
        /// Judge dates as on this day (YYYY-MM-DD) instead of today in Beijing time
        /// (also GONGKAI_TODAY).
        #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
        today: Option<chrono::NaiveDate>,
    },
    /// Pack an offline copy into one zip (for a USB stick), with 使用说明.txt and SHA256SUMS.
    Archive {
        /// The zip file to write, e.g. 信息公开-离线版.zip
        #[arg(long, value_name = "FILE.zip")]
        output: PathBuf,
        /// The archive's folder (the one holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
    /// Check an offline copy (the zip or its unpacked folder) against its SHA256SUMS.
    Verify {
        /// The .zip made by `gongkai archive`, or the folder it was unpacked into.
        path: PathBuf,
    },
    /// Preview the site in a browser: build, serve, rebuild and reload on every change.
    ///
    /// The site is built into a temporary folder that is removed on exit (public/ is not
    /// touched) and served at the root of http://127.0.0.1:PORT/, whatever base_url says.
    Serve {
        /// The archive's folder (the one holding site.toml).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// The port to listen on (0: any free port).
        #[arg(long, default_value_t = 1111)]
        port: u16,
        /// The address to listen on; the default lets only this computer in.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Open the site in the default browser once it is served.
        #[arg(long)]
        open: bool,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Human,
    Json,
}

fn main() -> ExitCode {
    keep_freed_memory();
    let cli = Cli::parse();
    match cli.command {
        Command::Init { dir } => match gongkai::init::create(&dir) {
            Ok(()) => {
                eprintln!(
                    "created a new archive in {0}; build it with `gongkai build --root {0}`",
                    dir.display()
                );
                ExitCode::SUCCESS
            }
            Err(d) => fail(&d.into()),
        },
        Command::Build {
            root,
            output,
            base_url,
            offline,
            clean,
        } => {
            let opts = gongkai::site::BuildOptions {
                root,
                output,
                base_url,
                offline,
                cache: true,
                clean,
            };
            match gongkai::site::build(&opts) {
                Ok(summary) => {
                    eprintln!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors),
            }
        }
        Command::Check {
            root,
            format,
            gov,
            today,
        } => {
            let opts = gongkai::check::CheckOptions { gov, today };
            let report = gongkai::check::check_with(&root, &opts);
            match format {
                Format::Human => print!("{}", report.human()),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(json) => println!("{json}"),
                    Err(e) => {
                        eprintln!("gongkai: cannot write the report: {e}");
                        return ExitCode::FAILURE;
                    }
                },
            }
            if report.errors > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Command::Archive { output, root } => {
            match gongkai::archive::create(&gongkai::archive::ArchiveOptions { root, output }) {
                Ok(summary) => {
                    eprintln!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(errors) => fail(&errors),
            }
        }
        Command::Verify { path } => match gongkai::archive::verify(&path) {
            Ok(report) => {
                println!("{report}");
                if report.is_intact() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }
            Err(errors) => {
                for d in errors.iter() {
                    eprintln!("{d}");
                }
                ExitCode::FAILURE
            }
        },
        Command::Serve {
            root,
            port,
            bind,
            open,
        } => {
            let opts = gongkai::serve::ServeOptions {
                root,
                port,
                bind,
                open,
            };
            match gongkai::serve::run(&opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(errors) => {
                    for d in errors.iter() {
                        eprintln!("{d}");
                    }
                    ExitCode::FAILURE
                }
            }
        }
        Command::Import {
            paths,
            root,
            out,
            report,
            force,
            set,
            ocr,
        } => {
            let defaults = match gongkai::import::defaults::from_args(&set) {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("gongkai import: {e}");
                    return ExitCode::from(2);
                }
            };
            // site.toml is optional for import: raw reports can be normalised before
            // an archive exists. When it is there but broken, say so.
            let config = if root.join(gongkai::config::FILE_NAME).exists() {
                match SiteConfig::load(&root) {
                    Ok(c) => Some(c),
                    Err(d) => return fail(&d.into()),
                }
            } else {
                None
            };
            let opts = gongkai::import::ImportOptions {
                inputs: paths,
                out_dir: out.unwrap_or_else(|| root.join("content")),
                report,
                force,
                site_rules: config.map(|c| c.import),
                site_toml: Some(root.join(gongkai::config::FILE_NAME)),
                progress: std::io::stderr().is_terminal(),
                defaults,
                ocr,
            };
            match gongkai::import::run(&opts) {
                Ok(summary) => {
                    eprintln!("{summary}");
                    if summary.failed > 0 {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(d) => fail(&d.into()),
            }
        }
    }
}

fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("`{s}` is not a day; write YYYY-MM-DD, e.g. 2026-02-01"))
}

/// Prints every problem as `file:line: message` and the count, then fails.
fn fail(errors: &Diagnostics) -> ExitCode {
    for d in errors.iter() {
        eprintln!("{d}");
    }
    let n = errors.len();
    eprintln!(
        "gongkai: {n} error{} found; nothing was written",
        if n == 1 { "" } else { "s" }
    );
    ExitCode::FAILURE
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_set() {
        // mimalloc 3's default purge delay is 1000 ms; no other option defaults to it.
        // SAFETY: reads an option of the linked allocator.
        let delay = unsafe { libmimalloc_sys::mi_option_get(super::MI_OPTION_PURGE_DELAY) };
        assert_eq!(delay, 1000);
    }
}
