//! Percentiles over recorded durations.

use std::time::Duration;

use serde_json::{Value, json};

#[derive(Debug, Clone, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `p`-th percentile (nearest rank), in ms; 0 when empty.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut sorted = self.0.clone();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        let index = rank.clamp(1, sorted.len()) - 1;
        sorted[index].as_secs_f64() * 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.0
            .iter()
            .max()
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    pub fn summary(&self) -> Value {
        json!({
            "count": self.len(),
            "p50_ms": round(self.percentile_ms(50.0)),
            "p95_ms": round(self.percentile_ms(95.0)),
            "p99_ms": round(self.percentile_ms(99.0)),
            "max_ms": round(self.max_ms()),
        })
    }
}

pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut l = Latencies::default();
        assert_eq!(l.percentile_ms(99.0), 0.0, "empty");
        for ms in 1..=100 {
            l.push(Duration::from_millis(ms));
        }
        let cases = [
            (50.0, 50.0),
            (95.0, 95.0),
            (99.0, 99.0),
            (100.0, 100.0),
            (0.0, 1.0),
        ];
        for (p, expected) in cases {
            assert!((l.percentile_ms(p) - expected).abs() < 1e-9, "p{p}");
        }
        assert_eq!(l.max_ms(), 100.0);
    }
}
