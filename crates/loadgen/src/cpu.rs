//! CPU time per process, read from `/proc`: CPU-seconds per 1,000 units of work is a figure that
//! stays stable on a noisy machine, unlike a rate.
//!
//! Each service is its own process (its pid is known); Postgres and NATS are every process of
//! that name on the machine (a Postgres backend that exits leaves its time in the postmaster's
//! children's time, which is counted too; other users of the shared servers count as well, so run
//! benchmarks on a quiet server); the harness is this process.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::report::Report;
use crate::system::System;

/// `/proc` counts in USER_HZ ticks, 100 per second on every Linux architecture this runs on.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU-seconds used so far, by process group.
#[derive(Debug, Clone, Default)]
pub struct CpuTimes(BTreeMap<String, f64>);

impl CpuTimes {
    /// Now, for every service of `system`, Postgres, NATS and the harness.
    pub fn now(system: &System) -> Self {
        let mut times = BTreeMap::new();
        for service in system.services() {
            if let Some(seconds) = system.pid(service).and_then(seconds_of) {
                times.insert(service.to_owned(), seconds);
            }
        }
        for (group, comm) in [("postgres", "postgres"), ("nats", "nats-server")] {
            times.insert(group.to_owned(), seconds_named(comm));
        }
        times.insert(
            "harness".to_owned(),
            seconds_of(std::process::id()).unwrap_or_default(),
        );
        Self(times)
    }

    /// What each group used since `before`.
    pub fn since(&self, before: &Self) -> Self {
        Self(
            self.0
                .iter()
                .map(|(group, now)| {
                    let then = before.0.get(group).copied().unwrap_or_default();
                    (group.clone(), (now - then).max(0.0))
                })
                .collect(),
        )
    }

    /// A row and a JSON entry: CPU-seconds per 1,000 `units` for each group and in all.
    pub fn report(&self, report: &mut Report, label: &str, units: usize, unit: &str) {
        let per = |seconds: f64| seconds * 1000.0 / units.max(1) as f64;
        let total: f64 = self.0.values().sum();
        let listed: Vec<String> = self
            .0
            .iter()
            .map(|(group, seconds)| format!("{group} {:.2}", per(*seconds)))
            .collect();
        report.row(
            &format!("CPU-seconds per 1,000 {unit}, {label}"),
            format!("{:.2} in all: {}", per(total), listed.join(", ")),
            "",
        );
        let mut json = Map::new();
        for (group, seconds) in &self.0 {
            json.insert(group.clone(), Value::from(round3(per(*seconds))));
        }
        json.insert("all".into(), Value::from(round3(per(total))));
        json.insert("units".into(), Value::from(units));
        report.set(
            &format!("cpu_seconds_per_1000_{}", label.replace([' ', '-'], "_")),
            Value::Object(json),
        );
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// utime + stime + cutime + cstime of `pid`, in seconds.
fn seconds_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&stat).map(|(_, ticks)| ticks as f64 / TICKS_PER_SECOND)
}

/// The CPU-seconds of every process whose name is `comm`.
fn seconds_named(comm: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    let ticks: u64 = entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| parse_stat(&stat))
        .filter(|(name, _)| name == comm)
        .map(|(_, ticks)| ticks)
        .sum();
    ticks as f64 / TICKS_PER_SECOND
}

/// The process name and its CPU ticks (its own and its reaped children's) from a
/// `/proc/<pid>/stat` line. The name is in parentheses and may hold spaces or parentheses.
fn parse_stat(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let name = stat.get(open + 1..close)?.to_owned();
    // After the name: state (field 3) ... utime (14), stime (15), cutime (16), cstime (17).
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let ticks = fields
        .get(11..15)?
        .iter()
        .map(|f| f.parse::<i64>().ok().map(|t| t.max(0) as u64))
        .sum::<Option<u64>>()?;
    Some((name, ticks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_stat_line_whatever_the_name() {
        let line = "4242 (tokio (rt) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    250 50 7 3 20 0 9 0 123 456 789";
        assert_eq!(parse_stat(line), Some(("tokio (rt) 1".to_owned(), 310)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn busy_work_shows_in_this_process_time() {
        let before = seconds_of(std::process::id()).expect("reading /proc/self");
        let started = std::time::Instant::now();
        let mut spin = 0u64;
        let mut now = before;
        // However loaded the machine, work done shows up as CPU time within the bound.
        while now - before < 0.05 && started.elapsed() < std::time::Duration::from_secs(60) {
            for _ in 0..1_000_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
            now = seconds_of(std::process::id()).expect("reading /proc/self");
        }
        assert!(
            now - before >= 0.05,
            "{before} s, then {now} s after a minute of work"
        );
    }
}
