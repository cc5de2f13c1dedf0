//! The body of `POST /api/orders`.

use common::{FieldError, TicketId};
use serde_json::Value;

pub const TICKET_ID_REQUIRED: &str = "TicketId must be provided";

pub fn parse_ticket_id(body: &Value) -> Result<TicketId, Vec<FieldError>> {
    body.get("ticketId")
        .and_then(Value::as_str)
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| vec![FieldError::new("ticketId", TICKET_ID_REQUIRED)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_ticket_id_must_be_a_uuid_string() {
        let id = TicketId::new();
        assert_eq!(parse_ticket_id(&json!({"ticketId": id})), Ok(id));
        for body in [
            json!({}),
            json!({"ticketId": ""}),
            json!({"ticketId": "abc"}),
            json!({"ticketId": 12}),
            json!(null),
        ] {
            assert_eq!(
                parse_ticket_id(&body),
                Err(vec![FieldError::new("ticketId", TICKET_ID_REQUIRED)]),
                "{body}"
            );
        }
    }
}
