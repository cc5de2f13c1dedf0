//! What every request meets before its handler: a deadline on its body, and the refusal of a
//! browser's cross-site state change.

use std::time::Duration;

use actix_web::HttpMessage as _;
use actix_web::ResponseError as _;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use bytes::Bytes;
use futures::{Stream, StreamExt as _};
use std::pin::Pin;

use crate::error::ApiError;

/// `REQUEST_BODY_TIMEOUT_SECONDS` unless set: a 64 KiB body arrives in well under this, even on a
/// slow mobile link.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// Middleware: a body not received in full within `timeout` of the request's start fails to
/// read, so the request ends (408 from the JSON extractor) and the connection is closed, instead
/// of a stalled client holding it open for good.
pub async fn body_deadline(
    timeout: Duration,
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    let payload = req.take_payload();
    // The payload's chunks, each raced against the deadline; the stream ends after an error.
    let guarded =
        futures::stream::unfold((payload, false), move |(mut payload, failed)| async move {
            if failed {
                return None;
            }
            match tokio::time::timeout_at(deadline, payload.next()).await {
                Ok(Some(chunk)) => {
                    let failed = chunk.is_err();
                    Some((chunk, (payload, failed)))
                }
                Ok(None) => None,
                Err(_) => {
                    let timed_out =
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "body timed out");
                    Some((Err(PayloadError::Io(timed_out)), (payload, true)))
                }
            }
        });
    let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(guarded);
    req.set_payload(Payload::from(boxed));
    next.call(req).await
}

/// Whether a payload error is the body deadline passing.
pub fn is_body_timeout(error: &PayloadError) -> bool {
    matches!(error, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// Middleware around everything: notes each request's arrival (the drain waits for a quiet
/// moment), and while draining asks clients to close their connection after the answer, so their
/// next request opens one to a replica that is staying.
pub async fn while_draining(
    activity: std::sync::Arc<crate::server::Activity>,
    draining: std::sync::Arc<std::sync::atomic::AtomicBool>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    activity.touch();
    let mut response = next.call(req).await?;
    if draining.load(std::sync::atomic::Ordering::Relaxed) {
        response
            .response_mut()
            .head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
    }
    Ok(response)
}

/// The database gate of each service that has one, by service name.
pub struct Gates(std::collections::HashMap<&'static str, crate::db::DatabaseGate>);

impl Gates {
    pub fn new(dependencies: &[crate::health::Dependency]) -> Self {
        Self(
            dependencies
                .iter()
                .filter_map(|d| match d {
                    crate::health::Dependency::Postgres(gate) => {
                        Some((gate.service(), gate.clone()))
                    }
                    crate::health::Dependency::Nats { .. } => None,
                })
                .collect(),
        )
    }
}

/// Middleware: while the database of the service a request is for is unreachable, the request is
/// answered at once with 503 and `Retry-After` (contract: "a dependency is down"), without
/// waiting on its pool or opening a connection.
pub async fn refuse_while_database_down(
    gates: std::sync::Arc<Gates>,
    services: std::sync::Arc<crate::observe::ServiceMap>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let service = services.service_for(req.path());
    if req.path().starts_with("/api/")
        && let Some(gate) = gates.0.get(service)
        && !gate.is_up()
    {
        let refusal = ApiError::Unavailable {
            retry_after: 1,
            cause: format!("the {service} database is unreachable"),
        };
        let response = refusal.error_response().map_into_right_body();
        return Ok(req.into_response(response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// Middleware for `/api`: a state change that a browser sends on behalf of another site (a form
/// on a page elsewhere posting to `/api/users/signout`, with the visitor's cookie) is refused with
/// 403. Browsers say where a request comes from (`Sec-Fetch-Site`; older ones `Origin`); clients
/// that are not browsers send neither and are unaffected.
pub async fn same_origin_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let writing = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if writing && req.path().starts_with("/api/") && is_cross_site(&req) {
        let refusal = ApiError::CrossSite.error_response().map_into_right_body();
        return Ok(req.into_response(refusal));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

fn is_cross_site(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        // `none`: typed in or bookmarked by the user themselves.
        return !matches!(site, "same-origin" | "none");
    }
    match text(header::ORIGIN.as_str()) {
        None => false,
        Some(origin) => {
            let host = text(header::HOST.as_str()).unwrap_or_default();
            origin
                .split_once("://")
                .map(|(_, authority)| authority.trim_end_matches('/'))
                .is_none_or(|authority| !authority.eq_ignore_ascii_case(host))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn cross_site(headers: &[(&str, &str)]) -> bool {
        let mut request = TestRequest::post()
            .uri("/api/users/signout")
            .insert_header(("host", "shop.example"));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        is_cross_site(&request.to_srv_request())
    }

    #[test]
    fn only_browser_requests_from_elsewhere_are_cross_site() {
        let cases = [
            (vec![], false, "no browser headers: an API client"),
            (
                vec![("sec-fetch-site", "same-origin")],
                false,
                "the site's own page",
            ),
            (
                vec![("sec-fetch-site", "none")],
                false,
                "typed in by the user",
            ),
            (
                vec![("sec-fetch-site", "cross-site")],
                true,
                "a form on another site",
            ),
            (
                vec![("sec-fetch-site", "same-site")],
                true,
                "a sibling subdomain",
            ),
            (
                vec![("origin", "https://shop.example")],
                false,
                "an older browser, same origin",
            ),
            (
                vec![("origin", "https://evil.example")],
                true,
                "an older browser, elsewhere",
            ),
            (vec![("origin", "null")], true, "a sandboxed or file page"),
        ];
        for (headers, expected, why) in cases {
            assert_eq!(cross_site(&headers), expected, "{why}");
        }
    }
}
