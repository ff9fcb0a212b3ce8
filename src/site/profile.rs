//! Phase timings of a build, printed to stderr when `GONGKAI_PROFILE` is set; this is
//! how bench/README.md's figures of where the time goes were taken.

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
            "profile: {phase:<18} {:>8.1} ms (total {:>8.1} ms)",
            (now - self.last.get()).as_secs_f64() * 1e3,
            (now - self.start).as_secs_f64() * 1e3
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
