//! The body of `POST /api/payments`, parsed: every failing field is reported at once.

use common::{FieldError, OrderId};
use serde_json::Value;

pub const TOKEN_REQUIRED: FieldError = FieldError::new("token", "Token is required");
pub const ORDER_ID_REQUIRED: FieldError = FieldError::new("orderId", "OrderId must be provided");

/// A card token from the client (a Stripe source such as `tok_visa`): non-empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardToken(String);

impl CardToken {
    pub fn parse(value: Option<&Value>) -> Option<Self> {
        match value {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(Self(s.clone())),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub token: CardToken,
    pub order_id: OrderId,
}

impl PaymentRequest {
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let token = CardToken::parse(body.get("token"));
        let order_id = match body.get("orderId") {
            Some(Value::String(s)) => s.trim().parse::<OrderId>().ok(),
            _ => None,
        };
        match (token, order_id) {
            (Some(token), Some(order_id)) => Ok(Self { token, order_id }),
            (token, order_id) => {
                let mut errors = Vec::new();
                if token.is_none() {
                    errors.push(TOKEN_REQUIRED);
                }
                if order_id.is_none() {
                    errors.push(ORDER_ID_REQUIRED);
                }
                Err(errors)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_failing_field_is_reported() {
        let id = OrderId::new();
        let cases = [
            (
                "empty body",
                json!({}),
                vec![TOKEN_REQUIRED, ORDER_ID_REQUIRED],
            ),
            (
                "not an object",
                json!([1]),
                vec![TOKEN_REQUIRED, ORDER_ID_REQUIRED],
            ),
            (
                "blank token",
                json!({"token": "  ", "orderId": id}),
                vec![TOKEN_REQUIRED],
            ),
            (
                "numeric token",
                json!({"token": 4242, "orderId": id}),
                vec![TOKEN_REQUIRED],
            ),
            (
                "malformed order id",
                json!({"token": "tok_visa", "orderId": "abc"}),
                vec![ORDER_ID_REQUIRED],
            ),
            (
                "numeric order id",
                json!({"token": "tok_visa", "orderId": 7}),
                vec![ORDER_ID_REQUIRED],
            ),
        ];
        for (name, body, expected) in cases {
            assert_eq!(PaymentRequest::parse(&body), Err(expected), "{name}");
        }
    }

    #[test]
    fn a_good_body_parses() {
        let id = OrderId::new();
        let parsed = PaymentRequest::parse(&json!({"token": "tok_visa", "orderId": id}));
        assert_eq!(
            parsed.map(|p| (p.token.as_str().to_owned(), p.order_id)),
            Ok(("tok_visa".to_owned(), id))
        );
    }
}
