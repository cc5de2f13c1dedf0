//! What every service's OpenAPI document shares: the error body (docs/contract.md#errors), the two
//! ways to carry a session (cookie `session`, `Authorization: Bearer`), and the price as clients
//! may send it.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    KnownFormat, ObjectBuilder, OneOfBuilder, RefOr, Schema, SchemaFormat, Type,
};

pub use crate::error::{ErrorBody, ErrorItem};

/// The security scheme of the session cookie.
pub const COOKIE_SCHEME: &str = "session";
/// The security scheme of `Authorization: Bearer <jwt>`.
pub const BEARER_SCHEME: &str = "bearer";

/// Adds both session schemes to a document's components; signed-in routes name them as
/// `security(("session" = []), ("bearer" = []))` (either one is enough).
pub struct SessionSchemes;

impl utoipa::Modify for SessionSchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            COOKIE_SCHEME,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::session::COOKIE_NAME,
                "The HttpOnly session cookie set by sign-up and sign-in.",
            ))),
        );
        components.add_security_scheme(
            BEARER_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "The same session token, as returned in the `token` field of sign-up and sign-in.",
                    ))
                    .build(),
            ),
        );
    }
}

/// An id: a lowercase hyphenated UUID string.
pub fn uuid_schema() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
        .into()
}

/// A price as rendered: a number in major units (`20`, `19.99`).
pub fn price_schema() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Number)
        .exclusive_minimum(Some(0))
        .maximum(Some(crate::money::MAX_CENTS / 100))
        .description(Some("Major units with at most 2 decimal places."))
        .examples([serde_json::json!(19.99)])
}

/// A price as a client may send it (docs/contract.md#money): a JSON number or a numeric string.
pub struct PriceInput;

impl utoipa::PartialSchema for PriceInput {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(price_schema())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^\s*[+-]?[0-9]*\.?[0-9]*([eE][+-]?[0-9]+)?\s*$"))
                    .description(Some("A numeric string such as \"20.00\"."))
                    .examples([serde_json::json!("20.00")]),
            )
            .description(Some(
                "A number or a numeric string; > 0, at most 2 decimal places, at most 1,000,000.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for PriceInput {}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema as _;

    #[test]
    fn schemes_and_schemas_render() {
        let mut doc = utoipa::openapi::OpenApi::default();
        utoipa::Modify::modify(&SessionSchemes, &mut doc);
        let json = serde_json::to_value(&doc).unwrap_or_default();
        let schemes = &json["components"]["securitySchemes"];
        assert_eq!(schemes[COOKIE_SCHEME]["in"], "cookie");
        assert_eq!(schemes[COOKIE_SCHEME]["name"], "session");
        assert_eq!(schemes[BEARER_SCHEME]["scheme"], "bearer");
        let price = serde_json::to_value(PriceInput::schema()).unwrap_or_default();
        assert_eq!(price["oneOf"][0]["type"], "number");
        assert_eq!(price["oneOf"][1]["type"], "string");
        let id = serde_json::to_value(crate::TicketId::schema()).unwrap_or_default();
        assert_eq!(id["format"], "uuid");
    }
}
