//! Typed ids: a `TicketId` cannot be passed where an `OrderId` is expected.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sqlx::Type,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7), so ids sort roughly by creation.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                crate::openapi::uuid_schema()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl schemars::JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({"type": "string", "format": "uuid"})
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }
    )*};
}

id_type!(
    /// A user, as issued by auth and carried in the session.
    UserId,
    /// A ticket, owned by the tickets service and replicated into orders.
    TicketId,
    /// An order, owned by the orders service and replicated into payments.
    OrderId,
    /// A payment, owned by the payments service.
    PaymentId,
    /// One event: its outbox row and its `Nats-Msg-Id`.
    EventId,
    /// One session (one sign-in or sign-up): what signing out revokes.
    SessionId,
);

impl EventId {
    /// How long ago the event was created: its id is a UUIDv7, whose first 48 bits are the
    /// creation time in milliseconds. `None` for ids that carry no time or lie in the future.
    pub fn age(&self) -> Option<std::time::Duration> {
        let (seconds, nanos) = self.0.get_timestamp()?.to_unix();
        let created = std::time::UNIX_EPOCH + std::time::Duration::new(seconds, nanos);
        std::time::SystemTime::now().duration_since(created).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hyphenated_and_parse_back() {
        let id = TicketId::new();
        let text = id.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(text, text.to_lowercase());
        assert_eq!(text.parse::<TicketId>().ok(), Some(id));
        assert_eq!(serde_json::to_string(&id).ok(), Some(format!("\"{text}\"")));
    }

    #[test]
    fn an_event_id_knows_its_age() {
        let id = EventId::new();
        let age = id.age().expect("a v7 id has a time");
        assert!(age < std::time::Duration::from_secs(1), "{age:?}");
        assert_eq!(EventId(uuid::Uuid::new_v4()).age(), None);
    }

    #[test]
    fn garbage_is_not_an_id() {
        assert!("not-a-uuid".parse::<OrderId>().is_err());
    }
}
