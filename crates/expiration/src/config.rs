//! The expiration service's settings (docs/contract.md#configuration): its database and the event
//! bus, nothing else.

use common::config::{ConfigError, DatabaseSettings, EventsSettings, Source};

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub events: EventsSettings,
}

impl Settings {
    /// Reads `DATABASE_URL` (required), `DATABASE_POOL_SIZE`, `NATS_URL`, `EVENTS_NAMESPACE`.
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn database_url_is_required_and_the_rest_has_defaults() {
        let empty: HashMap<String, String> = HashMap::new();
        let missing = Settings::from_source(&empty).map_err(|e| e.to_string());
        assert!(missing.is_err_and(|m| m.contains("DATABASE_URL")));

        let env = HashMap::from([("DATABASE_URL".to_owned(), "postgres://db/x".to_owned())]);
        let settings = Settings::from_source(&env).unwrap();
        assert_eq!(settings.database.url, "postgres://db/x");
        assert_eq!(settings.events.namespace.as_str(), "ticketing");
        assert_eq!(settings.events.nats_url, "nats://127.0.0.1:4222");
    }
}
