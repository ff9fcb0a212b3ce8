//! Phase timings of a build, printed to stderr when `GONGKAI_PROFILE` is set; this is
//! how bench/README.md's figures of where the time goes were taken. On Linux each lap
//! also gives the process's memory: resident now and its peak so far.

use std::cell::Cell;
use std::time::Instant;

pub struct Timer {
    enabled: bool,
    start: Instant,
    last: Cell<Instant>,
}

impl Timer {
    pub fn start() -> Timer {
        let now = Instant::now();
        Timer {
            enabled: std::env::var_os("GONGKAI_PROFILE").is_some(),
            start: now,
            last: Cell::new(now),
        }
    }

    /// Reports the time since the previous lap under `phase`.
    pub fn lap(&self, phase: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        eprintln!(
            "profile: {phase:<27} {:>8.1} ms (total {:>8.1} ms){}",
            (now - self.last.get()).as_secs_f64() * 1e3,
            (now - self.start).as_secs_f64() * 1e3,
            memory().map_or_else(String::new, |(rss, peak)| format!(
                " rss {rss:>5} MB, peak {peak:>5} MB"
            ))
        );
        self.last.set(now);
    }

    /// Prints a figure of the phase just timed.
    pub fn note(&self, what: &str) {
        if self.enabled {
            eprintln!("profile:   {what}");
        }
    }
}

/// Resident memory now and at its highest, in MB (`VmRSS`, `VmHWM` of
/// /proc/self/status); `None` where there is no such file.
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn memory_is_read_on_linux() {
        let (rss, peak) = super::memory().expect("VmRSS and VmHWM");
        assert!(rss > 0 && peak >= rss, "{rss} {peak}");
    }
}
