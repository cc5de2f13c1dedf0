//! What a buyer submits to pay an order, checked into valid values: every failing field is
//! reported at once.

use common::input::{Sent, Validation};
use common::{FieldError, OrderId};

pub const TOKEN_REQUIRED: FieldError = FieldError::new("token", "Token is required");
pub const ORDER_ID_REQUIRED: FieldError = FieldError::new("orderId", "OrderId must be provided");

/// A card token from the client (a Stripe source such as `tok_visa`): not blank, kept as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardToken(String);

impl TryFrom<Sent<String>> for CardToken {
    type Error = FieldError;

    fn try_from(sent: Sent<String>) -> Result<Self, FieldError> {
        match sent.valid() {
            Some(token) if !token.trim().is_empty() => Ok(Self(token)),
            _ => Err(TOKEN_REQUIRED),
        }
    }
}

impl CardToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The order to pay: an id as a string, surrounding whitespace allowed.
fn order_id(sent: Sent<String>) -> Result<OrderId, FieldError> {
    sent.valid()
        .and_then(|text| text.trim().parse().ok())
        .ok_or(ORDER_ID_REQUIRED)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentInput {
    pub token: CardToken,
    pub order_id: OrderId,
}

impl PaymentInput {
    /// Checks a request's fields, reporting every failing one at once (the token first).
    pub fn check(token: Sent<String>, order_id: Sent<String>) -> Result<Self, Vec<FieldError>> {
        let mut fields = Validation::new();
        let token = fields.check(CardToken::try_from(token));
        let order_id = fields.check(self::order_id(order_id));
        fields.finish(|| {
            Some(Self {
                token: token?,
                order_id: order_id?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The fields of a request body, as the route reads them.
    fn parse(body: &Value) -> Result<PaymentInput, Vec<FieldError>> {
        fn sent(body: &Value, key: &str) -> Sent<String> {
            body.get(key)
                .map(|v| serde_json::from_value(v.clone()).unwrap_or(Sent::Missing))
                .unwrap_or_default()
        }
        PaymentInput::check(sent(body, "token"), sent(body, "orderId"))
    }

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
            assert_eq!(parse(&body), Err(expected), "{name}");
        }
    }

    #[test]
    fn a_good_body_parses() {
        let id = OrderId::new();
        let parsed = parse(&json!({"token": "tok_visa", "orderId": id}));
        assert_eq!(
            parsed.map(|p| (p.token.as_str().to_owned(), p.order_id)),
            Ok(("tok_visa".to_owned(), id))
        );
    }

    #[test]
    fn the_order_id_may_be_padded_and_the_token_is_kept_as_sent() {
        let id = OrderId::new();
        let parsed = parse(&json!({"token": " tok_visa ", "orderId": format!(" {id}\n")}));
        assert_eq!(
            parsed.map(|p| (p.token.as_str().to_owned(), p.order_id)),
            Ok((" tok_visa ".to_owned(), id))
        );
    }
}
