//! The committed contracts (`docs/openapi.json`, `docs/asyncapi.yaml`) are what the code
//! generates, and real events validate against the committed payload schemas.
//! `UPDATE_CONTRACTS=1 cargo test -p ticketing --test contracts` rewrites both documents.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use common::events::*;
use common::{OrderId, PaymentId, Price, TicketId, UserId};
use serde_json::{Value, json};
use ticketing::contracts;

fn docs(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs")
        .join(file)
}

fn updating() -> bool {
    std::env::var("UPDATE_CONTRACTS").is_ok_and(|v| v == "1")
}

/// Compares the generated text with the committed file as documents (key order aside), or
/// rewrites the file under `UPDATE_CONTRACTS=1`.
fn check_committed(file: &str, generated: &str, parse: fn(&str) -> Value) {
    let path = docs(file);
    if updating() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        parse(&committed) == parse(generated),
        "docs/{file} differs from what the code generates; run \
         `UPDATE_CONTRACTS=1 cargo test -p ticketing --test contracts` and commit the result"
    );
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn parse_yaml(text: &str) -> Value {
    serde_norway::from_str(text).unwrap()
}

fn openapi() -> Value {
    serde_json::to_value(contracts::openapi(&ticketing::services::names()).unwrap()).unwrap()
}

#[test]
fn openapi_document_matches_the_code() {
    let doc = contracts::openapi(&ticketing::services::names()).unwrap();
    let mut text = doc.to_pretty_json().unwrap();
    text.push('\n');
    check_committed("openapi.json", &text, parse_json);
}

#[test]
fn asyncapi_document_matches_the_code() {
    check_committed(
        "asyncapi.yaml",
        &contracts::asyncapi_yaml().unwrap(),
        parse_yaml,
    );
}

#[test]
fn openapi_documents_every_route_of_spec_section_3() {
    let doc = openapi();
    assert_eq!(doc["openapi"], "3.1.0");
    // (path, method, statuses, signed in)
    let routes = [
        (
            "/api/users/signup",
            "post",
            &[201, 400, 403, 408, 413, 429, 500, 503][..],
            false,
        ),
        (
            "/api/users/signin",
            "post",
            &[200, 400, 403, 408, 413, 429, 500, 503],
            false,
        ),
        ("/api/users/signout", "post", &[200, 403, 500, 503], false),
        ("/api/users/currentuser", "get", &[200, 503], false),
        (
            "/api/tickets",
            "post",
            &[201, 400, 401, 403, 408, 413, 429, 500, 503],
            true,
        ),
        ("/api/tickets", "get", &[200, 400, 401, 500, 503], false),
        ("/api/tickets/{id}", "get", &[200, 404, 500, 503], false),
        (
            "/api/tickets/{id}",
            "put",
            &[200, 400, 401, 403, 404, 408, 413, 429, 500, 503],
            true,
        ),
        (
            "/api/orders",
            "post",
            &[201, 400, 401, 403, 404, 408, 413, 429, 500, 503],
            true,
        ),
        ("/api/orders", "get", &[200, 400, 401, 500, 503], true),
        ("/api/orders/{id}", "get", &[200, 401, 404, 500, 503], true),
        (
            "/api/orders/{id}",
            "delete",
            &[204, 400, 401, 403, 404, 429, 500, 503],
            true,
        ),
        (
            "/api/payments",
            "post",
            &[201, 400, 401, 402, 403, 404, 408, 413, 429, 500, 502, 503],
            true,
        ),
    ];
    let mut documented = 0;
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, method, statuses, signed_in) in routes {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        assert!(
            operation_ids.insert(operation["operationId"].as_str().unwrap()),
            "{method} {path}: operationId is unique"
        );
        let responses = operation["responses"].as_object().unwrap();
        let mut got: Vec<u16> = responses.keys().map(|k| k.parse().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, statuses, "{method} {path}: documented statuses");
        for (status, response) in responses {
            if status.starts_with(['4', '5']) {
                assert_eq!(
                    response["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{method} {path} {status} uses the SPEC error body"
                );
            }
        }
        if signed_in {
            assert_eq!(
                operation["security"],
                json!([{"session": []}, {"bearer": []}]),
                "{method} {path}: cookie or bearer"
            );
        }
        documented += 1;
    }
    let total: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(total, documented, "a route the SPEC does not list");
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(
        schemes["session"],
        json!({"type": "apiKey", "in": "cookie", "name": "session", "description": schemes["session"]["description"]})
    );
    assert_eq!(schemes["bearer"]["bearerFormat"], "JWT");
    let price = &doc["components"]["schemas"]["PriceInput"]["oneOf"];
    assert_eq!(price[0]["type"], "number", "price as a number");
    assert_eq!(price[1]["type"], "string", "or as a numeric string");
}

#[test]
fn only_the_selected_services_are_documented() {
    let doc =
        serde_json::to_value(contracts::openapi(&["tickets", "expiration"]).unwrap()).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/api/tickets", "/api/tickets/{id}"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_launcher_serves_the_document() {
    let part = contracts::docs_part(&ticketing::services::names()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let running = common::server::start(
        listener,
        common::testing::loopback(),
        vec![part],
        common::server::ServerOptions::workers(1),
    )
    .unwrap();
    let res = reqwest::get(format!("{}{}", running.url(), contracts::OPENAPI_PATH))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    let served: Value = res.json().await.unwrap();
    assert_eq!(served, openapi());
    running.shutdown().await.unwrap();
}

/// One real instance of every event type, serialised as it travels.
fn real_events() -> Vec<(&'static str, &'static str, Value)> {
    fn of<E: Event>(name: &'static str, event: E) -> (&'static str, &'static str, Value) {
        (name, E::SUBJECT, serde_json::to_value(event).unwrap())
    }
    let (ticket, order, user) = (TicketId::new(), OrderId::new(), UserId::new());
    let price = Price::from_cents(1999).unwrap();
    vec![
        of(
            "TicketCreated",
            TicketCreated {
                id: ticket,
                version: 0,
                title: "concert".into(),
                price,
                user_id: user,
            },
        ),
        of(
            "TicketUpdated",
            TicketUpdated {
                id: ticket,
                version: 1,
                title: "concert".into(),
                price,
                user_id: user,
                order_id: Some(order),
            },
        ),
        of(
            "TicketUpdated",
            TicketUpdated {
                id: ticket,
                version: 2,
                title: "concert".into(),
                price: Price::from_cents(2000).unwrap(),
                user_id: user,
                order_id: None,
            },
        ),
        of(
            "OrderCreated",
            OrderCreated {
                id: order,
                version: 0,
                status: OrderStatus::Created,
                user_id: user,
                expires_at: time::OffsetDateTime::now_utc(),
                ticket: OrderCreatedTicket { id: ticket, price },
            },
        ),
        of(
            "OrderCancelled",
            OrderCancelled {
                id: order,
                version: 1,
                ticket: TicketRef { id: ticket },
            },
        ),
        of("ExpirationComplete", ExpirationComplete { order_id: order }),
        of(
            "PaymentCreated",
            PaymentCreated {
                id: PaymentId::new(),
                order_id: order,
                stripe_id: "ch_1".into(),
            },
        ),
        of(
            "PaymentRefunded",
            PaymentRefunded {
                id: PaymentId::new(),
                order_id: order,
                stripe_id: "ch_1".into(),
            },
        ),
        of(
            "SessionRevoked",
            SessionRevoked {
                id: common::SessionId::new(),
                user_id: user,
                expires_at: time::OffsetDateTime::now_utc(),
            },
        ),
    ]
}

/// The committed document (the generated one while `UPDATE_CONTRACTS=1` rewrites it).
fn committed_asyncapi() -> Value {
    if updating() {
        return contracts::asyncapi();
    }
    parse_yaml(&std::fs::read_to_string(docs("asyncapi.yaml")).unwrap())
}

fn validator(doc: &Value, schema: &str) -> jsonschema::Validator {
    let schema = &doc["components"]["schemas"][schema];
    assert!(schema.is_object(), "no schema {schema}");
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap()
}

#[test]
fn every_real_event_validates_against_the_committed_document() {
    let doc = committed_asyncapi();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let mut seen = std::collections::BTreeSet::new();
    for (name, subject, payload) in real_events() {
        let errors: Vec<String> = validator(&doc, name)
            .iter_errors(&payload)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name} {payload}: {errors:?}");
        let channel = &doc["channels"][name[..1].to_lowercase() + &name[1..]];
        assert_eq!(
            channel["address"],
            format!("{{namespace}}.{subject}"),
            "{name}"
        );
        seen.insert(subject);
    }
    assert_eq!(
        seen.len(),
        ALL_SUBJECTS.len(),
        "every event type is checked"
    );
}

#[test]
fn the_committed_schemas_refuse_payloads_the_spec_refuses() {
    let doc = committed_asyncapi();
    let (ticket, order, user) = (TicketId::new(), OrderId::new(), UserId::new());
    let cases = [
        (
            "TicketCreated",
            json!({"id": ticket, "version": 0, "title": "a", "price": "20", "userId": user}),
            "price as a string",
        ),
        (
            "TicketCreated",
            json!({"id": ticket, "version": 0, "title": "a", "price": 0, "userId": user}),
            "price not positive",
        ),
        (
            "TicketCreated",
            json!({"id": ticket, "version": 0, "title": "a", "price": 20}),
            "userId missing",
        ),
        (
            "TicketUpdated",
            json!({"id": "not-a-uuid", "version": 1, "title": "a", "price": 20, "userId": user, "orderId": null}),
            "id not a uuid",
        ),
        (
            "OrderCreated",
            json!({"id": order, "version": 0, "status": "paid", "userId": user,
                   "expiresAt": "2026-11-22T10:15:00.000Z", "ticket": {"id": ticket, "price": 20}}),
            "unknown status",
        ),
        (
            "OrderCreated",
            json!({"id": order, "version": 0, "status": "created", "userId": user,
                   "expiresAt": "tomorrow", "ticket": {"id": ticket, "price": 20}}),
            "expiresAt not a date-time",
        ),
        ("ExpirationComplete", json!({}), "orderId missing"),
    ];
    for (name, payload, why) in cases {
        assert!(!validator(&doc, name).is_valid(&payload), "{name}: {why}");
    }
}

#[test]
fn every_message_names_its_headers_publisher_and_consumers() {
    let doc = committed_asyncapi();
    let headers = &doc["components"]["schemas"]["MessageHeaders"];
    assert_eq!(headers["required"], json!(["Nats-Msg-Id"]));
    assert!(headers["properties"]["traceparent"].is_object());
    let operations = doc["operations"].as_object().unwrap();
    for event in contracts::events() {
        let sends: Vec<&String> = operations
            .iter()
            .filter(|(_, op)| {
                op["action"] == "send"
                    && op["channel"]["$ref"].as_str().is_some_and(|r| {
                        r.ends_with(&format!(
                            "/{}",
                            event.name[..1].to_lowercase() + &event.name[1..]
                        ))
                    })
            })
            .map(|(id, _)| id)
            .collect();
        assert_eq!(sends.len(), 1, "{}: one publisher", event.subject);
        assert!(sends[0].starts_with(event.publisher), "{}", event.subject);
    }
    let receives = operations
        .values()
        .filter(|op| op["action"] == "receive")
        .count();
    assert_eq!(
        receives, 16,
        "the consumers of docs/contract.md#services, and session.revoked's in every service checking sessions"
    );
}

/// The text of `file` under `heading` (a `## ` heading), up to the next `## ` heading.
fn section<'a>(file: &str, text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("{file} has no `{heading}` section"));
    let body = &text[start + heading.len() + 2..];
    &body[..body.find("\n## ").unwrap_or(body.len())]
}

/// Every variable the services read: each `Settings::from_source`, and the process's own
/// `HostSettings`, runs against a recorder (as in `deploy_drift.rs`) holding only the required
/// values, so every optional branch (Stripe, each rate limit) asks for its variables too.
fn settings_the_code_reads() -> std::collections::BTreeSet<String> {
    use common::config::{HostSettings, Recorder};
    let recorder = Recorder::new([
        ("DATABASE_URL", "postgres://db/contract"),
        ("JWT_KEY", common::testing::TEST_JWT_KEY),
        ("STRIPE_KEY", "sk_test_contract"),
        ("API_BASE_URL", "http://127.0.0.1:3000"),
    ]);
    for service in ticketing::SERVICES {
        (service.settings)(&recorder)
            .unwrap_or_else(|e| panic!("{} cannot read its settings: {e}", service.name));
    }
    HostSettings::from_source(&recorder, common::telemetry::LogFormat::Json)
        .unwrap_or_else(|e| panic!("a process cannot read its host settings: {e}"));
    recorder.asked()
}

/// The variables named in the first column of README.md's configuration table.
fn settings_the_readme_documents() -> std::collections::BTreeSet<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    section("README.md", &readme, "## Configuration")
        .lines()
        .filter(|line| line.starts_with("| `"))
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .filter(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .map(str::to_owned)
        .collect()
}

/// `docs/contract.md` is the prose contract: it names every operation of the OpenAPI document
/// (as `` `GET /api/tickets/{id}` ``), every event subject the code defines, and every variable
/// the services read or README.md's configuration table lists.
#[test]
fn the_written_contract_names_every_route_event_and_setting() {
    let contract = std::fs::read_to_string(docs("contract.md"))
        .unwrap_or_else(|e| panic!("cannot read docs/contract.md: {e}"));
    let mut missing = Vec::new();

    let doc = openapi();
    let mut routes = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes += 1;
            let route = format!("`{} {path}`", method.to_uppercase());
            if !contract.contains(&route) {
                missing.push(format!(
                    "the route {route}: a row of its service's table under `## Routes`"
                ));
            }
        }
    }
    assert!(
        routes > 0,
        "the OpenAPI document has operations to look for"
    );

    let events = section("docs/contract.md", &contract, "## Events");
    let subjects: Vec<&str> = contracts::events().iter().map(|e| e.subject).collect();
    assert_eq!(
        subjects.len(),
        ALL_SUBJECTS.len(),
        "every subject has a contract"
    );
    for subject in subjects {
        if !events.contains(&format!("`{subject}`")) {
            missing.push(format!(
                "the event `{subject}`: a row of the table under `## Events`"
            ));
        }
    }

    let configuration = section("docs/contract.md", &contract, "## Configuration");
    let mut settings = std::collections::BTreeMap::<String, Vec<&str>>::new();
    for (names, source) in [
        (settings_the_code_reads(), "read by the code"),
        (settings_the_readme_documents(), "listed in README.md"),
    ] {
        assert!(
            names.contains("PORT") && names.contains("DATABASE_URL"),
            "the settings {source} were found: {names:?}"
        );
        for name in names {
            settings.entry(name).or_default().push(source);
        }
    }
    for (name, sources) in settings {
        if !configuration.contains(&format!("`{name}`")) {
            missing.push(format!(
                "the setting `{name}` ({}): a row of the table under `## Configuration`",
                sources.join(", ")
            ));
        }
    }

    assert!(
        missing.is_empty(),
        "docs/contract.md does not name everything the code defines; add:\n  - {}",
        missing.join("\n  - ")
    );
}
