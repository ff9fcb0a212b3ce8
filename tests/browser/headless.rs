//! Starting headless Chromium for the browser tests: where it is, the flags every test
//! starts it with, and when a test may skip for want of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A quiet, self-contained headless run: no sandbox or GPU (containers), and none of
/// Chromium's own traffic (the offline test counts every request a page makes).
const FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
];

pub fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .map(|c| Command::new("which").arg(c).output())
        .filter_map(Result::ok)
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        .next()
}

/// Chromium for a browser test: `None` (skip the test) only when GONGKAI_SKIP_BROWSER is
/// set; without Chromium otherwise the test fails, so CI cannot pass by skipping.
pub fn required() -> Option<PathBuf> {
    if let Some(c) = chromium() {
        return Some(c);
    }
    if std::env::var_os("GONGKAI_SKIP_BROWSER").is_some() {
        eprintln!("skipped: no chromium (GONGKAI_SKIP_BROWSER set)");
        return None;
    }
    panic!(
        "headless Chromium is needed: apt-get install -y chromium (or set GONGKAI_SKIP_BROWSER=1)"
    );
}

/// `chrome`, headless, with its profile in `profile` (a fresh folder the caller keeps
/// until Chromium has exited).
pub fn command(chrome: &Path, profile: &Path) -> Command {
    let mut c = Command::new(chrome);
    c.args(FLAGS)
        .arg(format!("--user-data-dir={}", profile.display()));
    c
}
