//! The machine-readable contracts of the system, generated from the code: the OpenAPI document of
//! every `/api` route (merged from each service's `openapi()`) and the AsyncAPI document of the
//! events (payload schemas from the event types in `common::events`).
//! Both are committed under `docs/`; `tests/contracts.rs` fails when they drift from the code.

use actix_web::{HttpResponse, web};
use anyhow::Context as _;
use common::events::{
    Event, ExpirationComplete, OrderCancelled, OrderCreated, PaymentCreated, PaymentRefunded,
    SessionRevoked, TicketCreated, TicketUpdated,
};
use common::server::ServicePart;
use serde_json::{Map, Value, json};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

/// Where the launcher serves the OpenAPI document.
pub const OPENAPI_PATH: &str = "/api/docs/openapi.json";

/// The OpenAPI document of the selected services (those without HTTP routes add nothing).
/// Two services defining a schema of the same name with different content is an error: the
/// merged document would silently keep only the first.
pub fn openapi(selection: &[&str]) -> anyhow::Result<OpenApi> {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("ticketing")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The HTTP API of the ticketing marketplace (docs/contract.md#routes). Every \
                     error answers `{\"errors\": [{\"message\", \"field\"?}]}`; an unknown \
                     route or a malformed id in a path is a 404, a body over 64 KiB a 413.",
                ))
                .build(),
        )
        .build();
    for name in selection {
        let Some(part) = crate::services::service(name).and_then(|s| s.openapi) else {
            continue;
        };
        let part = part();
        check_no_conflicting_schemas(&doc, &part)
            .with_context(|| format!("merging the {name} document"))?;
        doc.merge(part);
    }
    document_edge_responses(&mut doc);
    Ok(doc)
}

/// What the server answers before any handler runs (`common::edge`), on every operation it
/// applies to: 503 while the service's database is unreachable, 403 for a browser's cross-site
/// state change, 408 for a body that stalls.
fn document_edge_responses(doc: &mut OpenApi) {
    use utoipa::openapi::{HttpMethod, Ref, ResponseBuilder, content::ContentBuilder};
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    };
    for item in doc.paths.paths.values_mut() {
        let every = [
            item.get.as_mut(),
            item.post.as_mut(),
            item.put.as_mut(),
            item.delete.as_mut(),
            item.patch.as_mut(),
        ];
        for operation in every.into_iter().flatten() {
            operation.responses.responses.insert(
                "503".into(),
                error(
                    "The service's database is unreachable, or the service is saturated: \
                       try again after `Retry-After` seconds",
                )
                .into(),
            );
        }
        let operations = [
            (HttpMethod::Post, item.post.as_mut()),
            (HttpMethod::Put, item.put.as_mut()),
            (HttpMethod::Delete, item.delete.as_mut()),
            (HttpMethod::Patch, item.patch.as_mut()),
        ];
        for (_, operation) in operations {
            let Some(operation) = operation else { continue };
            let responses = &mut operation.responses.responses;
            responses.insert(
                "403".into(),
                error(
                    "A browser's request from another site (`Sec-Fetch-Site`, `Origin`): \
                       \"Cross-site request refused\"",
                )
                .into(),
            );
            if operation.request_body.is_some() {
                responses.insert(
                    "408".into(),
                    error(
                        "The body did not arrive within `REQUEST_BODY_TIMEOUT_SECONDS`: \
                           \"Request body timed out\"",
                    )
                    .into(),
                );
            }
        }
    }
}

fn check_no_conflicting_schemas(doc: &OpenApi, other: &OpenApi) -> anyhow::Result<()> {
    let (Some(mine), Some(theirs)) = (&doc.components, &other.components) else {
        return Ok(());
    };
    for (name, schema) in &theirs.schemas {
        if let Some(existing) = mine.schemas.get(name)
            && serde_json::to_value(existing)? != serde_json::to_value(schema)?
        {
            anyhow::bail!("two different schemas are both named {name}");
        }
    }
    Ok(())
}

/// A part serving the OpenAPI document of `selection` at [`OPENAPI_PATH`].
pub fn docs_part(selection: &[&str]) -> anyhow::Result<ServicePart> {
    let body = openapi(selection)?.to_pretty_json()?;
    Ok(ServicePart::new("docs", move |cfg| {
        let body = body.clone();
        cfg.route(
            OPENAPI_PATH,
            web::get().to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        );
    })
    .serves(OPENAPI_PATH))
}

/// One event of docs/contract.md#events: who publishes it and who consumes it
/// (docs/contract.md#services).
pub struct EventContract {
    pub subject: &'static str,
    /// The schema and message name, e.g. `TicketCreated`.
    pub name: &'static str,
    pub summary: &'static str,
    pub publisher: &'static str,
    pub consumers: &'static [&'static str],
    pub payload: fn(&mut schemars::SchemaGenerator) -> schemars::Schema,
}

fn contract<E: Event + schemars::JsonSchema>(
    name: &'static str,
    summary: &'static str,
    publisher: &'static str,
    consumers: &'static [&'static str],
) -> EventContract {
    EventContract {
        subject: E::SUBJECT,
        name,
        summary,
        publisher,
        consumers,
        payload: |generator| generator.root_schema_for::<E>(),
    }
}

/// The events, with their publishers and consumers.
pub fn events() -> Vec<EventContract> {
    vec![
        contract::<TicketCreated>(
            "TicketCreated",
            "A ticket was listed for sale.",
            "tickets",
            &["orders"],
        ),
        contract::<TicketUpdated>(
            "TicketUpdated",
            "A ticket was edited, reserved or released (version + 1).",
            "tickets",
            &["orders"],
        ),
        contract::<OrderCreated>(
            "OrderCreated",
            "An order now holds a ticket until `expiresAt`.",
            "orders",
            &["tickets", "expiration", "payments"],
        ),
        contract::<OrderCancelled>(
            "OrderCancelled",
            "An order was cancelled (by its buyer or by expiry); its ticket is free again.",
            "orders",
            &["tickets", "expiration", "payments"],
        ),
        contract::<ExpirationComplete>(
            "ExpirationComplete",
            "An order's hold ran out.",
            "expiration",
            &["orders"],
        ),
        contract::<PaymentCreated>(
            "PaymentCreated",
            "An order was paid (tickets then shows the seller the ticket sold).",
            "payments",
            &["orders", "expiration", "tickets"],
        ),
        contract::<PaymentRefunded>(
            "PaymentRefunded",
            "A charge for an order that could not keep it was refunded.",
            "payments",
            &[],
        ),
        contract::<SessionRevoked>(
            "SessionRevoked",
            "A session signed out. Every process of every service that checks sessions reads \
             these (each replica, not a shared consumer), from as far back as a token lives, and \
             refuses the session until it would have expired.",
            "auth",
            &["auth", "tickets", "orders", "payments"],
        ),
    ]
}

/// `ticket.created` → `ticketCreated`.
fn camel(subject: &str) -> String {
    let mut out = String::new();
    for (i, word) in subject.split('.').enumerate() {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            if i == 0 {
                out.push(first);
            } else {
                out.extend(first.to_uppercase());
            }
            out.push_str(chars.as_str());
        }
    }
    out
}

/// The AsyncAPI 3.0 document of the events.
pub fn asyncapi() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft07()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let mut channels = Map::new();
    let mut operations = Map::new();
    let mut messages = Map::new();
    let mut schemas = Map::new();
    schemas.insert("MessageHeaders".into(), message_headers());
    for event in events() {
        let id = camel(event.subject);
        let message_ref = json!({"$ref": format!("#/components/messages/{id}")});
        channels.insert(
            id.clone(),
            json!({
                "address": format!("{{namespace}}.{}", event.subject),
                "title": event.subject,
                "summary": event.summary,
                "parameters": {"namespace": {"$ref": "#/components/parameters/namespace"}},
                "messages": {id.clone(): message_ref},
            }),
        );
        let channel_ref = json!({"$ref": format!("#/channels/{id}")});
        let operation_message = json!([{"$ref": format!("#/channels/{id}/messages/{id}")}]);
        operations.insert(
            format!("{}.publish.{id}", event.publisher),
            json!({
                "action": "send",
                "channel": channel_ref,
                "summary": format!(
                    "{} publishes {} through its transactional outbox.",
                    event.publisher, event.subject
                ),
                "tags": [{"name": event.publisher}],
                "messages": operation_message,
            }),
        );
        for consumer in event.consumers {
            operations.insert(
                format!("{consumer}.consume.{id}"),
                json!({
                    "action": "receive",
                    "channel": channel_ref,
                    "summary": format!(
                        "{consumer} consumes {} with a durable consumer shared by its replicas; \
                         acked after its effects commit.",
                        event.subject
                    ),
                    "tags": [{"name": consumer}],
                    "messages": operation_message,
                }),
            );
        }
        messages.insert(
            id.clone(),
            json!({
                "name": event.name,
                "title": event.subject,
                "summary": event.summary,
                "contentType": "application/json",
                "headers": {"$ref": "#/components/schemas/MessageHeaders"},
                "payload": {"$ref": format!("#/components/schemas/{}", event.name)},
            }),
        );
        let payload = (event.payload)(&mut generator);
        schemas.insert(event.name.into(), payload.to_value());
    }
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "ticketing events",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The events of the ticketing marketplace (docs/contract.md#events) on \
                NATS JetStream. Payloads are JSON, camelCase. Every state change and its event \
                commit in one transaction (an outbox); consumers are idempotent and apply \
                versioned updates in version order.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:4222",
                "protocol": "nats",
                "description": "NATS with JetStream (`NATS_URL`).",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "namespace": {
                    "description": "`EVENTS_NAMESPACE`: isolates tenants and tests on one NATS server.",
                    "default": common::config::DEFAULT_NAMESPACE,
                    "examples": [common::config::DEFAULT_NAMESPACE],
                },
            },
            "messages": messages,
            "schemas": schemas,
        },
    })
}

fn message_headers() -> Value {
    json!({
        "type": "object",
        "required": ["Nats-Msg-Id"],
        "properties": {
            "Nats-Msg-Id": {
                "type": "string",
                "format": "uuid",
                "description": "The event's own id, assigned once when it is written to the \
                    outbox: a re-publish is dropped by the stream's duplicate window.",
            },
            "traceparent": {
                "type": "string",
                "description": "Optional W3C trace context of the request that caused the event.",
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
            },
        },
    })
}

/// The AsyncAPI document as YAML, as committed in `docs/asyncapi.yaml`.
pub fn asyncapi_yaml() -> anyhow::Result<String> {
    Ok(serde_norway::to_string(&asyncapi())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_ids() {
        assert_eq!(camel("ticket.created"), "ticketCreated");
        assert_eq!(camel("expiration.complete"), "expirationComplete");
    }

    #[test]
    fn every_subject_has_one_contract() {
        let mut subjects: Vec<_> = events().iter().map(|e| e.subject).collect();
        subjects.sort_unstable();
        let mut all = common::events::ALL_SUBJECTS.to_vec();
        all.sort_unstable();
        assert_eq!(subjects, all);
    }
}
