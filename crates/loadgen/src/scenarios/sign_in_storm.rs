//! sign-in-storm: the memory an attacker can make auth spend. Waves of 64 and 128 concurrent
//! clients sign in with unknown emails as fast as they are answered; the auth process's RSS is
//! sampled throughout (peak) and a few seconds after each wave (settled). Also the time of a
//! sign-in for an unknown email against a wrong password for a known one, one at a time: they
//! must not tell an attacker which emails have accounts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use super::mib;
use crate::cli::Options;
use crate::report::Report;
use crate::stats::Latencies;
use crate::system::{Config, Nats, System};

/// A wave's answers.
#[derive(Default)]
struct Wave {
    checked: u64,
    refused: u64,
    other: u64,
    refused_slowest: Duration,
}

pub async fn run(options: &Options, args: crate::cli::SignInStorm) -> anyhow::Result<Report> {
    let seconds = options.or(args.seconds, 10, 1);
    let mut report = Report::new("sign-in-storm");
    let system = System::start(
        options,
        Config {
            services: vec!["auth"],
            hold_seconds: 900,
            nats: Nats::Shared,
            one_by_one: true,
        },
    )
    .await?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(256)
        .build()?;
    let signin = format!("{}/api/users/signin", system.url("auth"));
    let signup = format!("{}/api/users/signup", system.url("auth"));
    let known = http
        .post(&signup)
        .json(&json!({"email": "known@example.com", "password": "right-one"}))
        .send()
        .await?;
    anyhow::ensure!(known.status() == 201, "sign-up answered {}", known.status());

    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = system.rss_kib("auth");
    report.row("RSS auth, idle after start", mib(idle), "");
    let mut waves = serde_json::Map::new();
    let mut invariants_ok = true;
    for clients in [64usize, 128] {
        let peak = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done, pid) = (peak.clone(), done.clone(), system.pid("auth"));
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    if let Some(kib) = pid.and_then(crate::system::rss_kib_of) {
                        peak.fetch_max(kib, Ordering::Relaxed);
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let wave = storm(&http, &signin, clients, Duration::from_secs(seconds)).await;
        done.store(true, Ordering::Relaxed);
        sampler.await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let settled = system.rss_kib("auth");
        let peak = peak.load(Ordering::Relaxed);
        report.row(
            &format!("{clients} concurrent sign-ins for {seconds} s"),
            format!(
                "{} checked (400), {} refused with 503 (slowest refusal {} ms), {} other",
                wave.checked,
                wave.refused,
                wave.refused_slowest.as_millis(),
                wave.other
            ),
            "beyond the bound: 503 at once",
        );
        report.row(
            &format!("RSS auth, peak during {clients}"),
            mib(Some(peak)),
            "bounded (pod limit 512 MiB)",
        );
        report.row(
            &format!("RSS auth, 5 s after {clients}"),
            mib(settled),
            "within a few MiB of idle",
        );
        invariants_ok &= wave.other == 0;
        waves.insert(
            clients.to_string(),
            json!({
                "checked": wave.checked, "refused": wave.refused, "other": wave.other,
                "refused_slowest_ms": wave.refused_slowest.as_millis() as u64,
                "rss_kib_peak": peak, "rss_kib_settled": settled,
            }),
        );
    }
    report.invariant(
        "every sign-in answered 400 or 503",
        invariants_ok,
        "no 5xx other than 503, no dropped connection",
    );

    let samples = options.or(args.timing_samples, 40, 5);
    let unknown = timed(
        &http,
        &signin,
        samples,
        |i| json!({"email": format!("nobody-{i}@example.com"), "password": "right-one"}),
    )
    .await?;
    let wrong = timed(
        &http,
        &signin,
        samples,
        |_| json!({"email": "known@example.com", "password": "wrong-one"}),
    )
    .await?;
    let (unknown_ms, wrong_ms) = (unknown.percentile_ms(50.0), wrong.percentile_ms(50.0));
    report.row(
        "sign-in, unknown email vs wrong password (median, one at a time)",
        format!(
            "{unknown_ms:.1} ms vs {wrong_ms:.1} ms ({:.2}×)",
            unknown_ms / wrong_ms.max(0.001)
        ),
        "the same (no enumeration by timing)",
    );
    report.set("rss_kib_idle", idle);
    report.set("waves", serde_json::Value::Object(waves));
    report.set(
        "timing_ms",
        json!({"unknown_email_p50": unknown_ms, "wrong_password_p50": wrong_ms}),
    );
    system.stop().await?;
    Ok(report)
}

/// `clients` loops of sign-ins with unknown emails for `length`.
async fn storm(http: &reqwest::Client, url: &str, clients: usize, length: Duration) -> Wave {
    let until = Instant::now() + length;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let (http, url) = (http.clone(), url.to_owned());
            tokio::spawn(async move {
                let mut wave = Wave::default();
                let mut n = 0u64;
                while Instant::now() < until {
                    n += 1;
                    let started = Instant::now();
                    let body = json!({"email": format!("storm-{client}-{n}@example.com"), "password": "guess"});
                    match http.post(&url).json(&body).send().await.map(|r| r.status()) {
                        Ok(s) if s == 400 => wave.checked += 1,
                        Ok(s) if s == 503 => {
                            wave.refused += 1;
                            wave.refused_slowest = wave.refused_slowest.max(started.elapsed());
                            // A client that honours Retry-After would wait; a storm does not.
                        }
                        _ => wave.other += 1,
                    }
                }
                wave
            })
        })
        .collect();
    let mut total = Wave::default();
    for task in tasks {
        if let Ok(wave) = task.await {
            total.checked += wave.checked;
            total.refused += wave.refused;
            total.other += wave.other;
            total.refused_slowest = total.refused_slowest.max(wave.refused_slowest);
        }
    }
    total
}

/// `samples` sign-ins one after the other, timed.
async fn timed(
    http: &reqwest::Client,
    url: &str,
    samples: usize,
    body: impl Fn(usize) -> serde_json::Value,
) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::default();
    for i in 0..samples {
        let started = Instant::now();
        let status = http.post(url).json(&body(i)).send().await?.status();
        anyhow::ensure!(status == 400, "a wrong sign-in answered {status}");
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}
