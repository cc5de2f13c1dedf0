//! What a buyer submits to place an order, parsed into valid values.

use common::input::{Sent, Validation};
use common::{FieldError, TicketId};

pub const TICKET_ID_REQUIRED: &str = "TicketId must be provided";

/// A request for an order of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrder {
    pub ticket_id: TicketId,
}

impl NewOrder {
    /// Checks a request's fields, reporting every failing one at once. The ticket id is a UUID
    /// string, surrounding blanks aside.
    pub fn check(ticket_id: Sent<String>) -> Result<Self, Vec<FieldError>> {
        let mut fields = Validation::new();
        let ticket_id = fields.check(
            ticket_id
                .valid()
                .and_then(|s| s.trim().parse().ok())
                .ok_or(FieldError::new("ticketId", TICKET_ID_REQUIRED)),
        );
        fields.finish(|| {
            Some(Self {
                ticket_id: ticket_id?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The fields of a request body, as the route reads them.
    fn parse(body: &Value) -> Result<NewOrder, Vec<FieldError>> {
        let ticket_id = body
            .get("ticketId")
            .map(|v| serde_json::from_value(v.clone()).unwrap_or(Sent::Missing))
            .unwrap_or_default();
        NewOrder::check(ticket_id)
    }

    #[test]
    fn a_ticket_id_must_be_a_uuid_string() {
        let id = TicketId::new();
        assert_eq!(
            parse(&json!({"ticketId": id})),
            Ok(NewOrder { ticket_id: id })
        );
        assert_eq!(
            parse(&json!({"ticketId": format!(" {id} ")})),
            Ok(NewOrder { ticket_id: id })
        );
        for body in [
            json!({}),
            json!({"ticketId": ""}),
            json!({"ticketId": "abc"}),
            json!({"ticketId": 12}),
            json!(null),
        ] {
            assert_eq!(
                parse(&body),
                Err(vec![FieldError::new("ticketId", TICKET_ID_REQUIRED)]),
                "{body}"
            );
        }
    }
}
