//! marketplace: browsing and searching at a real marketplace's size. L listings (100,000) are
//! written straight into the tickets database (titles from word lists, one a minute back from
//! now), then, one request at a time: the API's first page, a page deep in the list, a
//! search, and the storefront's home page, first and searched; each timed (median, p95) and
//! weighed. Then V visitors (200) at once each load the home page R times. Finally every page
//! of the API is followed from the first: each listing must come exactly once.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use serde_json::json;

use crate::cli::Options;
use crate::report::Report;
use crate::stats::Latencies;
use crate::system::{Config, Nats, STOREFRONT, System};

const ARTISTS: &[&str] = &[
    "The Rust Orchestra",
    "Café Tacuba",
    "Björk",
    "Los Lobos",
    "Nina Simone Tribute",
    "The Blue Door Trio",
    "Motörhead Revival",
    "Sigur Rós",
    "Daft Punk Live",
    "Beyoncé Experience",
    "Kraftwerk",
    "Ensemble Intercontemporain",
    "Hamilton",
    "Les Misérables",
    "The Lion King",
    "Swan Lake",
    "Giselle",
    "Carmen",
    "La Traviata",
    "Tosca",
    "City Marathon",
    "Derby Day",
    "Grand Prix",
    "Champions Final",
    "Jazz Brunch",
    "Comedy Night",
    "Poetry Slam",
    "Open Mic",
    "Film Festival",
    "Food Market",
];
const VENUES: &[&str] = &[
    "Royal Albert Hall",
    "Olympia",
    "Madison Square Garden",
    "Sydney Opera House",
    "Red Rocks",
    "Wembley",
    "La Scala",
    "Bolshoi",
    "Blue Note",
    "Paradiso",
    "Fillmore",
    "Hollywood Bowl",
    "Zénith",
    "Palau de la Música",
    "Concertgebouw",
    "Elbphilharmonie",
];
const SEATS: &[&str] = &[
    "front row",
    "balcony",
    "stalls",
    "standing",
    "box seat",
    "aisle seat",
    "VIP lounge",
    "general admission",
];

/// The searched word: one artist in thirty.
const SEARCH: &str = "tacuba";
/// How many visits each visitor makes in the concurrent phase.
const VISITS: usize = 10;

pub async fn run(options: &Options, args: crate::cli::Marketplace) -> anyhow::Result<Report> {
    let listings = options.or(args.listings, 100_000, 2_000);
    let samples = options.or(args.samples, 200, 20);
    let visitors = options.or(args.visitors, 200, 20);
    let mut report = Report::new("marketplace");
    let system = System::start(
        options,
        Config {
            services: vec!["tickets", STOREFRONT],
            hold_seconds: 900,
            nats: Nats::Shared,
            one_by_one: false,
        },
    )
    .await?;
    let seeding = Instant::now();
    seed(system.pool("tickets")?, listings).await?;
    system.vacuum().await?;
    report.row(
        "listings (written to the database, then VACUUM ANALYZE)",
        format!("{listings} in {:.1} s", seeding.elapsed().as_secs_f64()),
        "",
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(visitors + 8)
        .build()?;
    let api = format!("{}/api/tickets", system.url("tickets"));
    let home = system.url(STOREFRONT);

    let first = get(&http, &api).await?;
    let deep = deep_page(&http, &system.url("tickets"), &first, 20).await?;
    let targets = [
        (
            "GET /api/tickets (first page, 50)",
            api.clone(),
            "api_first",
        ),
        ("GET /api/tickets (21st page)", deep, "api_deep"),
        (
            "GET /api/tickets?q= (one artist in thirty)",
            format!("{api}?q={SEARCH}"),
            "api_search",
        ),
        ("GET / (storefront home, 24)", format!("{home}/"), "home"),
        (
            "GET /?q= (storefront search)",
            format!("{home}/?q={SEARCH}"),
            "home_search",
        ),
    ];
    let mut figures = serde_json::Map::new();
    let mut within = true;
    for (label, url, key) in targets {
        let (latencies, bytes) = timed(&http, &url, samples).await?;
        let median = latencies.percentile_ms(50.0);
        report.row(
            label,
            format!(
                "median {median:.1} ms, p95 {:.1} ms, {:.1} KB",
                latencies.percentile_ms(95.0),
                bytes as f64 / 1000.0
            ),
            "< 20 ms median, < 100 KB",
        );
        within &= median < 20.0 && bytes < 100_000;
        figures.insert(
            key.into(),
            json!({"latency_ms": latencies.summary(), "bytes": bytes}),
        );
    }
    report.set("sequential", serde_json::Value::Object(figures));

    let crowd = crowd(&http, &home, visitors).await;
    report.row(
        &format!("{visitors} concurrent visitors × {VISITS} home pages"),
        format!(
            "{} answered 200, {} errors; median {:.1} ms, p99 {:.1} ms; {:.0} pages/s",
            crowd.ok,
            crowd.errors,
            crowd.latencies.percentile_ms(50.0),
            crowd.latencies.percentile_ms(99.0),
            crowd.ok as f64 / crowd.took.as_secs_f64().max(0.001)
        ),
        "no errors",
    );
    report.set(
        "crowd",
        json!({"visitors": visitors, "ok": crowd.ok, "errors": crowd.errors,
               "latency_ms": crowd.latencies.summary(), "seconds": crowd.took.as_secs_f64()}),
    );

    let walked = Instant::now();
    let (seen, pages) = walk(&http, &system.url("tickets")).await?;
    report.row(
        "every page followed from the first (limit 100)",
        format!(
            "{pages} pages, {seen} listings in {:.1} s",
            walked.elapsed().as_secs_f64()
        ),
        "each listing once",
    );
    report.invariant(
        &format!("{visitors} concurrent visitors get no errors"),
        crowd.errors == 0,
        format!("{} errors", crowd.errors),
    );
    report.invariant(
        "following next yields every listing exactly once",
        seen == listings,
        format!("{seen} distinct of {listings}, no duplicate"),
    );
    report.set("within_targets", within);
    system.stop().await?;
    Ok(report)
}

/// `count` free listings, one a minute back from now, from 500 sellers, in one statement.
async fn seed(pool: &sqlx::PgPool, count: usize) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO tickets (id, title, price_cents, user_id, version, created_at)
         SELECT gen_random_uuid(),
                format('%s at %s, %s', ($2::text[])[1 + n % cardinality($2)],
                       ($3::text[])[1 + (n / 7) % cardinality($3)],
                       ($4::text[])[1 + (n / 3) % cardinality($4)]),
                500 + (n * 37) % 20000,
                ('00000000-0000-4000-8000-' || lpad(to_hex(n % 500), 12, '0'))::uuid,
                0,
                now() - make_interval(mins => $1 - n)
         FROM generate_series(1, $1) AS n",
    )
    .bind(count as i32)
    .bind(ARTISTS)
    .bind(VENUES)
    .bind(SEATS)
    .execute(pool)
    .await
    .context("seeding the listings")?;
    Ok(())
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<reqwest::Response> {
    let response = http.get(url).send().await?;
    ensure!(
        response.status() == 200,
        "GET {url} answered {}",
        response.status()
    );
    Ok(response)
}

/// The URL of the `rel` link of an answer.
fn link(response: &reqwest::Response, base: &str, rel: &str) -> Option<String> {
    let links = response
        .headers()
        .get(reqwest::header::LINK)?
        .to_str()
        .ok()?;
    let wanted = format!("rel=\"{rel}\"");
    links.split(", ").find_map(|l| {
        let (target, params) = l.split_once(';')?;
        (params.trim() == wanted).then(|| {
            format!(
                "{base}{}",
                target.trim().trim_start_matches('<').trim_end_matches('>')
            )
        })
    })
}

/// The URL of the page `depth` pages after `first`.
async fn deep_page(
    http: &reqwest::Client,
    base: &str,
    first: &reqwest::Response,
    depth: usize,
) -> anyhow::Result<String> {
    let mut url = link(first, base, "next").context("a next page")?;
    for _ in 1..depth {
        let page = get(http, &url).await?;
        match link(&page, base, "next") {
            Some(next) => url = next,
            None => break,
        }
    }
    Ok(url)
}

/// `samples` GETs one after the other; their latencies and the size of the last body.
async fn timed(
    http: &reqwest::Client,
    url: &str,
    samples: usize,
) -> anyhow::Result<(Latencies, usize)> {
    let mut latencies = Latencies::default();
    let mut bytes = 0;
    // One unmeasured request first: connections and caches warm.
    get(http, url).await?.bytes().await?;
    for _ in 0..samples {
        let started = Instant::now();
        let body = get(http, url).await?.bytes().await?;
        latencies.push(started.elapsed());
        bytes = body.len();
    }
    Ok((latencies, bytes))
}

struct Crowd {
    ok: usize,
    errors: usize,
    latencies: Latencies,
    took: Duration,
}

/// `visitors` at once, each loading the home page [`VISITS`] times (every third a search).
async fn crowd(http: &reqwest::Client, home: &str, visitors: usize) -> Crowd {
    let start = Arc::new(tokio::sync::Barrier::new(visitors));
    let started = Instant::now();
    let tasks: Vec<_> = (0..visitors)
        .map(|v| {
            let (http, home, start) = (http.clone(), home.to_owned(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let mut answers = Vec::with_capacity(VISITS);
                for visit in 0..VISITS {
                    let url = match (v + visit) % 3 {
                        0 => format!("{home}/?q={SEARCH}"),
                        _ => format!("{home}/"),
                    };
                    let began = Instant::now();
                    let ok = match http.get(&url).send().await {
                        Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    answers.push((ok, began.elapsed()));
                }
                answers
            })
        })
        .collect();
    let mut crowd = Crowd {
        ok: 0,
        errors: 0,
        latencies: Latencies::default(),
        took: Duration::ZERO,
    };
    for task in tasks {
        match task.await {
            Ok(answers) => {
                for (ok, took) in answers {
                    if ok {
                        crowd.ok += 1;
                    } else {
                        crowd.errors += 1;
                    }
                    crowd.latencies.push(took);
                }
            }
            Err(_) => crowd.errors += VISITS,
        }
    }
    crowd.took = started.elapsed();
    crowd
}

/// Follows `next` from the first page (100 at a time): the distinct listings seen, and pages.
async fn walk(http: &reqwest::Client, base: &str) -> anyhow::Result<(usize, usize)> {
    let mut seen = HashSet::new();
    let mut pages = 0;
    let mut url = Some(format!("{base}/api/tickets?limit=100"));
    while let Some(current) = url {
        let response = get(http, &current).await?;
        url = link(&response, base, "next");
        let page: Vec<serde_json::Value> = response.json().await?;
        pages += 1;
        for ticket in page {
            let id = ticket["id"].as_str().context("a ticket id")?.to_owned();
            if !seen.insert(id.clone()) {
                bail!("{id} came twice (page {pages})");
            }
        }
    }
    Ok((seen.len(), pages))
}
