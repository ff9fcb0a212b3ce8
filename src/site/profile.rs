//! Phase timings of a build, printed to stderr when `GONGKAI_PROFILE` is set; this is
//! how bench/README.md's figures of where the time goes were taken. On Linux each lap
//! also gives the CPU time the phase took (all threads: beside its wall time, how well
//! it kept the cores busy) and the process's memory: resident now and its peak so far.

use std::cell::Cell;
use std::time::Instant;

pub struct Timer {
    enabled: bool,
    start: Instant,
    last: Cell<Instant>,
    /// CPU seconds of the process at the last lap.
    last_cpu: Cell<Option<f64>>,
}

impl Timer {
    pub fn start() -> Timer {
        let now = Instant::now();
        Timer {
            enabled: std::env::var_os("GONGKAI_PROFILE").is_some(),
            start: now,
            last: Cell::new(now),
            last_cpu: Cell::new(cpu_seconds()),
        }
    }

    /// Reports the time since the previous lap under `phase`.
    pub fn lap(&self, phase: &str) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let cpu = cpu_seconds();
        let phase_cpu = match (cpu, self.last_cpu.get()) {
            (Some(now), Some(before)) => format!(" cpu {:>7.0} ms", (now - before) * 1e3),
            _ => String::new(),
        };
        eprintln!(
            "profile: {phase:<27} {:>8.1} ms (total {:>8.1} ms){phase_cpu}{}",
            (now - self.last.get()).as_secs_f64() * 1e3,
            (now - self.start).as_secs_f64() * 1e3,
            memory().map_or_else(String::new, |(rss, peak)| format!(
                " rss {rss:>5} MB, peak {peak:>5} MB"
            ))
        );
        self.last.set(now);
        self.last_cpu.set(cpu);
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

/// User and system CPU seconds of the process so far (fields 14 and 15 of
/// /proc/self/stat, in clock ticks of 1/100 s on Linux); `None` where there is no such
/// file.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some((user + system) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn memory_is_read_on_linux() {
        let (rss, peak) = super::memory().expect("VmRSS and VmHWM");
        assert!(rss > 0 && peak >= rss, "{rss} {peak}");
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn cpu_time_is_read_on_linux_and_grows() {
        let before = super::cpu_seconds().expect("utime and stime");
        let start = std::time::Instant::now();
        let mut x = 1u64;
        while start.elapsed().as_millis() < 60 {
            x = std::hint::black_box(x.wrapping_mul(3).wrapping_add(1));
        }
        let after = super::cpu_seconds().expect("utime and stime");
        assert!(after > before, "{before} → {after}");
    }
}
