//! `GET /api/tickets` answers one page at a time, oldest first, with keyset `Link`s; `?q=` searches
//! titles through an index; `?sellerId=me` shows a seller every ticket of theirs and its state.

use std::collections::HashSet;

use common::OrderId;
use common::testing::{assert_errors, expect_status};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn, ticket_id, user};

async fn list_many(app: &TestApp, count: usize, title: &str) -> Vec<Value> {
    let (_, token) = user();
    let mut listed = Vec::new();
    for i in 0..count {
        listed.push(
            app.create_ticket(&token, &format!("{title} {i}"), json!(1))
                .await,
        );
    }
    listed
}

fn ids(tickets: &[Value]) -> Vec<String> {
    tickets
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listing_is_paged_oldest_first_with_next_and_prev_links() {
    let app = spawn().await;
    let listed = list_many(&app, 23, "show").await;

    let first = app.page("/api/tickets?limit=10", None).await;
    assert_eq!(first.ids(), ids(&listed[..10]));
    assert!(first.prev.is_none(), "nothing before the first page");
    let next = first.next.expect("more remain");
    assert!(next.starts_with("/api/tickets?limit=10&cursor="), "{next}");
    let second = app.page(&next, None).await;
    assert_eq!(second.ids(), ids(&listed[10..20]));
    let third = app
        .page(&second.next.clone().expect("more remain"), None)
        .await;
    assert_eq!(third.ids(), ids(&listed[20..]));
    assert!(third.next.is_none(), "no link after the last page");
    let back = app.page(&third.prev.expect("a way back"), None).await;
    assert_eq!(
        back.ids(),
        ids(&listed[10..20]),
        "prev gives the page before"
    );

    let default = app.page("/api/tickets", None).await;
    assert_eq!(
        default.ids(),
        ids(&listed),
        "50 by default: all 23, no link"
    );
    assert!(default.next.is_none());
    assert_eq!(
        app.all_pages("/api/tickets?limit=4", None).await,
        ids(&listed)
    );

    let newest = app.page("/api/tickets?limit=10&cursor=last", None).await;
    assert_eq!(newest.ids(), ids(&listed[13..]), "the newest page");
    assert!(newest.next.is_none(), "nothing after the newest page");
    let older = app.page(&newest.prev.expect("older pages"), None).await;
    assert_eq!(older.ids(), ids(&listed[3..13]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paging_parameters_are_each_reported() {
    let app = spawn().await;
    let limit = ("Limit must be between 1 and 100", Some("limit"));
    let cursor = (
        "Cursor is invalid: use the links of the previous answer, or last",
        Some("cursor"),
    );
    let cases = [
        ("/api/tickets?limit=0", vec![limit]),
        ("/api/tickets?limit=101", vec![limit]),
        ("/api/tickets?limit=many", vec![limit]),
        ("/api/tickets?cursor=nonsense", vec![cursor]),
        ("/api/tickets?limit=-3&cursor=%2F%2F", vec![limit, cursor]),
        (
            "/api/tickets?sellerId=someone",
            vec![("sellerId can only be me", Some("sellerId"))],
        ),
    ];
    for (path, errors) in cases {
        let (status, body) = app.api.get(path, None).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_errors(&body, &errors, path);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_while_tickets_are_listed_reserved_and_freed_shows_each_once() {
    let app = spawn().await;
    let stable = list_many(&app, 30, "stays on sale").await;
    let churn = list_many(&app, 20, "comes and goes").await;
    let stable_ids: HashSet<String> = ids(&stable).into_iter().collect();

    let mut seen = Vec::new();
    let mut at = Some("/api/tickets?limit=7".to_owned());
    let mut round = 0;
    while let Some(path) = at {
        let page = app.page(&path, None).await;
        seen.extend(page.ids());
        at = page.next;
        // Between pages: some tickets are reserved, some freed again, new ones listed.
        let ticket = &churn[round % churn.len()];
        let order = OrderId::new();
        app.order_created(ticket, order).await;
        if round % 2 == 0 {
            app.order_cancelled(ticket, order).await;
        }
        list_many(&app, 1, &format!("new {round}")).await;
        round += 1;
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    let missing: Vec<&String> = stable_ids
        .iter()
        .filter(|id| !unique.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "every ticket on sale throughout is seen: {missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_words_whatever_their_case_and_accents() {
    let app = spawn().await;
    let (_, seller) = user();
    let titles = [
        "Café Concert",
        "ROCK night",
        "Concerto grosso",
        "Jazz brunch",
        "Cafe society",
    ];
    let mut listed = Vec::new();
    for title in titles {
        listed.push(app.create_ticket(&seller, title, json!(5)).await);
    }
    app.order_created(&listed[4], OrderId::new()).await;
    let cases = [
        (
            "cafe",
            vec!["Café Concert"],
            "accents do not count; reserved tickets are not on sale",
        ),
        ("CAFÉ", vec!["Café Concert"], "nor case, on either side"),
        (
            "conc",
            vec!["Café Concert", "Concerto grosso"],
            "a word's beginning",
        ),
        ("rock nig", vec!["ROCK night"], "every word must match"),
        ("rock jazz", vec![], "every word, not any"),
        ("opera", vec![], "nothing"),
    ];
    for (q, expected, why) in cases {
        let page = app
            .page(&format!("/api/tickets?q={}", urlencode(q)), None)
            .await;
        let found: Vec<&str> = page
            .tickets
            .iter()
            .map(|t| t["title"].as_str().expect("title"))
            .collect();
        assert_eq!(found, expected, "{q}: {why}");
        assert_eq!(
            page.total,
            Some(expected.len() as i64),
            "{q}: X-Total-Count"
        );
    }
    let paged = app.page("/api/tickets?q=c&limit=1", None).await;
    assert_eq!(paged.total, Some(2));
    let next = paged.next.expect("a second match");
    assert!(
        next.contains("q=c&"),
        "the search is kept in the link: {next}"
    );
    assert_eq!(
        app.page(&next, None).await.tickets[0]["title"],
        "Concerto grosso"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_sees_every_ticket_of_theirs_and_where_it_stands() {
    let app = spawn().await;
    let (_, seller) = user();
    let on_sale = app.create_ticket(&seller, "on sale", json!(1)).await;
    let reserved = app.create_ticket(&seller, "reserved", json!(2)).await;
    let sold = app.create_ticket(&seller, "sold", json!(3)).await;
    let (_, someone_else) = user();
    app.create_ticket(&someone_else, "not mine", json!(4)).await;
    app.order_created(&reserved, OrderId::new()).await;
    let paid = OrderId::new();
    app.order_created(&sold, paid).await;
    app.order_paid(paid).await;

    let mine = app.page("/api/tickets?sellerId=me", Some(&seller)).await;
    let states: Vec<(Value, Value, bool)> = mine
        .tickets
        .iter()
        .map(|t| {
            (
                t["title"].clone(),
                t["state"].clone(),
                t["heldUntil"].is_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            (json!("on sale"), json!("on_sale"), false),
            (json!("reserved"), json!("reserved"), true),
            (json!("sold"), json!("sold"), false),
        ]
    );
    assert_eq!(mine.ids()[0], ticket_id(&on_sale).to_string());
    let (status, body) = app.api.get("/api/tickets?sellerId=me", None).await;
    assert_eq!(status, 401, "a seller's listing needs a session: {body}");
    let public = expect_status(app.api.get("/api/tickets", None).await, 200, "public");
    assert_eq!(
        public.as_array().map(Vec::len),
        Some(2),
        "only what is on sale"
    );
}

/// Every (node type, relation, index) of a JSON plan.
fn nodes(plan: &Value, out: &mut Vec<(String, String, String)>) {
    let text = |key: &str| plan[key].as_str().unwrap_or_default().to_owned();
    if plan["Node Type"].is_string() {
        out.push((text("Node Type"), text("Relation Name"), text("Index Name")));
    }
    for child in plan["Plans"].as_array().into_iter().flatten() {
        nodes(child, out);
    }
}

/// Whether the plan reads the tickets table through `index` and never scans it whole.
fn walks_index(plan: &str, index: &str) -> bool {
    let plan: Value = serde_json::from_str(plan).expect("a JSON plan");
    let mut found = Vec::new();
    nodes(&plan[0]["Plan"], &mut found);
    let uses = found.iter().any(|(_, _, i)| i == index);
    let scans_tickets = found
        .iter()
        .any(|(node, relation, _)| node == "Seq Scan" && relation == "tickets");
    uses && !scans_tickets
}

/// The plan Postgres chooses for a listing statement, as JSON text.
async fn plan(
    app: &TestApp,
    statement: &str,
    binds: (
        Option<time::OffsetDateTime>,
        Option<uuid::Uuid>,
        Option<&str>,
    ),
) -> String {
    let explain = format!("EXPLAIN (FORMAT JSON) {statement}");
    let query = sqlx::query_as(sqlx::AssertSqlSafe(explain))
        .bind(binds.0)
        .bind(binds.1)
        .bind(51_i64);
    // A search statement takes the words as its fourth parameter.
    let query = match binds.2 {
        Some(words) => query.bind(words),
        None => query,
    };
    let rows: Vec<(serde_json::Value,)> = query.fetch_all(&app.pool).await.expect("explain");
    rows[0].0.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_100000_listings_pages_and_searches_use_their_indexes() {
    use common::paging::Direction;
    use tickets::repo::{Listing, page_statement};
    let app = spawn().await;
    sqlx::query(
        "INSERT INTO tickets (id, title, price_cents, user_id, created_at)
         SELECT gen_random_uuid(),
                'Show ' || n || ' ' || (ARRAY['rock','jazz','opera','folk'])[n % 4 + 1]
                    || CASE WHEN n % 20000 = 0 THEN ' zydeco' ELSE '' END,
                100 + n % 5000, gen_random_uuid(), now() - make_interval(secs => 100000 - n)
         FROM generate_series(1, 100000) n",
    )
    .execute(&app.pool)
    .await
    .expect("100,000 listings");
    sqlx::query("VACUUM ANALYZE tickets")
        .execute(&app.pool)
        .await
        .expect("analyze");

    let first = plan(
        &app,
        page_statement(Listing::OnSale(None), Direction::After),
        (None, None, None),
    )
    .await;
    assert!(
        walks_index(&first, "tickets_free_by_age"),
        "the first page walks the age index: {first}"
    );

    let middle = time::OffsetDateTime::now_utc() - time::Duration::seconds(50_000);
    let later = plan(
        &app,
        page_statement(Listing::OnSale(None), Direction::After),
        (Some(middle), Some(uuid::Uuid::nil()), None),
    )
    .await;
    assert!(
        walks_index(&later, "tickets_free_by_age"),
        "a later page seeks, no OFFSET: {later}"
    );

    let search = tickets::domain::Search::parse("zydeco")
        .expect("valid")
        .expect("words");
    let found = plan(
        &app,
        page_statement(Listing::OnSale(Some(&search)), Direction::After),
        (None, None, Some(search.as_tsquery())),
    )
    .await;
    assert!(
        walks_index(&found, "tickets_title_words"),
        "a search uses the title words index: {found}"
    );

    let page = app.page("/api/tickets?q=zydeco", None).await;
    assert_eq!(page.total, Some(5));
    assert_eq!(page.tickets.len(), 5);
}
