//! The one error type at the HTTP edge. Every failure a client can see renders the
//! `{"errors": [{"message", "field"?}]}` body with the status docs/contract.md#errors gives it.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, error, web};
use serde::Serialize;

/// One entry of the `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    /// What went wrong, for people.
    #[schema(example = "Title is required")]
    pub message: String,
    /// The failing input field; present only for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "title", value_type = String)]
    pub field: Option<String>,
}

/// A validation failure of one input field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: &'static str,
}

impl FieldError {
    pub const fn new(field: &'static str, message: &'static str) -> Self {
        Self { field, message }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    /// A business rule refused the request; the message is shown to the client.
    #[error("{0}")]
    BadRequest(String),
    #[error("not authorized")]
    NotAuthorized,
    #[error("not found")]
    NotFound,
    #[error("invalid JSON body: {0}")]
    InvalidJson(String),
    #[error("request body too large")]
    PayloadTooLarge,
    /// A service's own answer with its own status (a declined card's 402, say): `message` is
    /// shown to the client; `cause`, when there is one, is logged as a warning, never sent.
    #[error("{message}")]
    WithStatus {
        status: StatusCode,
        message: String,
        cause: Option<anyhow::Error>,
    },
    /// Too many attempts (a rate limit): try again after `retry_after` seconds.
    #[error("rate limited for {retry_after}s")]
    TooManyRequests { retry_after: u64 },
    /// A dependency is down, or the service is saturated: fail fast, try again after
    /// `retry_after` seconds. `cause` is logged, never sent.
    #[error("temporarily unavailable: {cause}")]
    Unavailable { retry_after: u64, cause: String },
    /// A browser's cross-site state change (a form on another site posting to the API).
    #[error("cross-site request refused")]
    CrossSite,
    /// The client stopped sending its body before the deadline.
    #[error("request body timed out")]
    BodyTimeout,
    /// Anything unexpected: logged with its cause chain, rendered as "Something went wrong".
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub const NOT_AUTHORIZED: &str = "Not authorized";
pub const NOT_FOUND: &str = "Not Found";
pub const SOMETHING_WENT_WRONG: &str = "Something went wrong";
pub const TOO_LARGE: &str = "Request body too large";
pub const TOO_MANY_REQUESTS: &str = "Too many attempts: please try again later";
pub const UNAVAILABLE: &str =
    "The service is temporarily unavailable: please try again in a moment";
pub const CROSS_SITE: &str = "Cross-site request refused";
pub const BODY_TIMEOUT: &str = "Request body timed out";

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest(message.into())
    }

    /// An answer with `status` and `message`; see [`ApiError::WithStatus`].
    pub fn with_status(status: StatusCode, message: impl Into<String>) -> Self {
        Self::WithStatus {
            status,
            message: message.into(),
            cause: None,
        }
    }

    /// An answer with `status` and `message` whose `cause` is logged beside it, never sent.
    pub fn with_status_caused_by(
        status: StatusCode,
        message: impl Into<String>,
        cause: anyhow::Error,
    ) -> Self {
        Self::WithStatus {
            status,
            message: message.into(),
            cause: Some(cause),
        }
    }

    pub fn items(&self) -> Vec<ErrorItem> {
        let plain = |m: &str| {
            vec![ErrorItem {
                message: m.to_owned(),
                field: None,
            }]
        };
        match self {
            Self::Validation(fields) => fields
                .iter()
                .map(|f| ErrorItem {
                    message: f.message.to_owned(),
                    field: Some(f.field.to_owned()),
                })
                .collect(),
            Self::BadRequest(m) | Self::WithStatus { message: m, .. } => plain(m),
            Self::InvalidJson(m) => plain(&format!("Request body is not valid JSON: {m}")),
            Self::NotAuthorized => plain(NOT_AUTHORIZED),
            Self::NotFound => plain(NOT_FOUND),
            Self::PayloadTooLarge => plain(TOO_LARGE),
            Self::TooManyRequests { .. } => plain(TOO_MANY_REQUESTS),
            Self::Unavailable { .. } => plain(UNAVAILABLE),
            Self::CrossSite => plain(CROSS_SITE),
            Self::BodyTimeout => plain(BODY_TIMEOUT),
            Self::Internal(_) => plain(SOMETHING_WENT_WRONG),
        }
    }
}

/// The body of every error response (docs/contract.md#errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    #[schema(min_items = 1)]
    pub errors: Vec<ErrorItem>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::BadRequest(_) | Self::InvalidJson(_) => {
                StatusCode::BAD_REQUEST
            }
            Self::NotAuthorized => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::WithStatus { status, .. } => *status,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::CrossSite => StatusCode::FORBIDDEN,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::WithStatus {
                status,
                message,
                cause: Some(cause),
            } => {
                tracing::warn!(error = format!("{cause:#}"), %status, %message, "answered")
            }
            Self::Unavailable { cause, .. } => {
                tracing::warn!(%cause, "answered 503: temporarily unavailable")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::TooManyRequests { retry_after } | Self::Unavailable { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            // The client is slow or gone: do not keep its connection for another request.
            Self::BodyTimeout => {
                response.force_close();
            }
            _ => {}
        }
        response.json(ErrorBody {
            errors: self.items(),
        })
    }
}

impl From<sqlx::Error> for ApiError {
    /// The database unreachable or overloaded is a 503 the client may retry; anything else is
    /// unexpected.
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            return Self::Unavailable {
                retry_after: 1,
                cause: format!("database: {e}"),
            };
        }
        Self::Internal(anyhow::Error::new(e).context("database error"))
    }
}

/// Whether a database error means "down or saturated, try again": no connection in time, a
/// connection that broke, or the server refusing connections (SQLSTATE class 08, 57P01-57P03,
/// 53300).
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// The name of the constraint a database error violated, if any. Routes map named constraints to
/// client errors with this instead of matching message strings.
pub fn violated_constraint(e: &sqlx::Error) -> Option<&str> {
    match e {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// Maps a violation of `constraint` to `to`, every other error to `ApiError::from`.
pub fn on_constraint(e: sqlx::Error, constraint: &str, to: ApiError) -> ApiError {
    if violated_constraint(&e) == Some(constraint) {
        to
    } else {
        e.into()
    }
}

/// Largest accepted JSON body (docs/contract.md#http-conventions).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// JSON extractor configuration rendering every rejection in the SPEC's error format.
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .error_handler(|err, _req| json_rejection(&err).into())
}

fn json_rejection(err: &error::JsonPayloadError) -> ApiError {
    use error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::PayloadTooLarge,
        E::ContentType => ApiError::InvalidJson("expected Content-Type: application/json".into()),
        E::Deserialize(e) => ApiError::InvalidJson(e.to_string()),
        E::Payload(e) if crate::edge::is_body_timeout(e) => ApiError::BodyTimeout,
        other => ApiError::InvalidJson(other.to_string()),
    }
}

/// Path extractor configuration: a malformed id in a path is a 404, like an unknown one.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|_, _| ApiError::NotFound.into())
}

/// The default service: unknown routes get the SPEC's 404 body.
pub async fn not_found(_req: HttpRequest) -> ApiError {
    ApiError::NotFound
}

impl actix_web::Responder for ApiError {
    type Body = actix_web::body::BoxBody;
    fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
        self.error_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;
    use serde_json::{Value, json};

    async fn render(e: ApiError) -> (u16, Value) {
        let res = e.error_response();
        let status = res.status().as_u16();
        let bytes = to_bytes(res.into_body()).await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[actix_web::test]
    async fn every_variant_renders_the_spec_body() {
        let cases = [
            (
                ApiError::Validation(vec![
                    FieldError::new("title", "Title is required"),
                    FieldError::new("price", "Price must be greater than 0"),
                ]),
                400,
                json!({"errors": [
                    {"message": "Title is required", "field": "title"},
                    {"message": "Price must be greater than 0", "field": "price"}
                ]}),
            ),
            (
                ApiError::bad_request("Ticket is already reserved"),
                400,
                json!({"errors": [{"message": "Ticket is already reserved"}]}),
            ),
            (
                ApiError::NotAuthorized,
                401,
                json!({"errors": [{"message": "Not authorized"}]}),
            ),
            (
                ApiError::NotFound,
                404,
                json!({"errors": [{"message": "Not Found"}]}),
            ),
            (
                ApiError::PayloadTooLarge,
                413,
                json!({"errors": [{"message": "Request body too large"}]}),
            ),
            (
                ApiError::with_status(StatusCode::PAYMENT_REQUIRED, "Your card was declined."),
                402,
                json!({"errors": [{"message": "Your card was declined."}]}),
            ),
            (
                ApiError::with_status_caused_by(
                    StatusCode::BAD_GATEWAY,
                    "Payment provider unavailable",
                    anyhow::anyhow!("connect refused"),
                ),
                502,
                json!({"errors": [{"message": "Payment provider unavailable"}]}),
            ),
            (
                ApiError::TooManyRequests { retry_after: 7 },
                429,
                json!({"errors": [{"message": "Too many attempts: please try again later"}]}),
            ),
            (
                ApiError::Unavailable {
                    retry_after: 1,
                    cause: "pool timed out".into(),
                },
                503,
                json!({"errors": [{"message": "The service is temporarily unavailable: please try again in a moment"}]}),
            ),
            (
                ApiError::CrossSite,
                403,
                json!({"errors": [{"message": "Cross-site request refused"}]}),
            ),
            (
                ApiError::BodyTimeout,
                408,
                json!({"errors": [{"message": "Request body timed out"}]}),
            ),
            (
                ApiError::Internal(anyhow::anyhow!("secret detail: password=hunter2")),
                500,
                json!({"errors": [{"message": "Something went wrong"}]}),
            ),
        ];
        for (error, status, body) in cases {
            let name = format!("{error:?}");
            assert_eq!(render(error).await, (status, body), "{name}");
        }
    }

    #[actix_web::test]
    async fn waits_are_announced_in_retry_after() {
        for (error, seconds) in [
            (ApiError::TooManyRequests { retry_after: 7 }, "7"),
            (
                ApiError::Unavailable {
                    retry_after: 1,
                    cause: String::new(),
                },
                "1",
            ),
        ] {
            let response = error.error_response();
            assert_eq!(
                response
                    .headers()
                    .get(header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok()),
                Some(seconds)
            );
        }
    }

    #[actix_web::test]
    async fn invalid_json_says_so() {
        let (status, body) = render(ApiError::InvalidJson("expected value".into())).await;
        assert_eq!(status, 400);
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with("Request body is not valid JSON"),
            "{message}"
        );
        assert!(body["errors"][0].get("field").is_none());
    }
}
