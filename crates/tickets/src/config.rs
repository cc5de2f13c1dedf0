//! The tickets service's settings (docs/contract.md#configuration).

use common::config::{
    ConfigError, DatabaseSettings, EventsSettings, Source, jwt_keys, writes_per_user,
};
use common::rate_limit::Rate;
use common::session::JwtKeys;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub events: EventsSettings,
    pub jwt: JwtKeys,
    /// `RATE_LIMIT_WRITES_PER_USER`; `None` with `RATE_LIMITS=off`.
    pub writes_per_user: Option<Rate>,
}

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
            jwt: jwt_keys(src)?,
            writes_per_user: writes_per_user(src)?,
        })
    }
}
