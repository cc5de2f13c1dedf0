//! The orders service's settings (docs/contract.md#configuration).

use common::config::{ConfigError, DatabaseSettings, EventsSettings, Source, jwt_keys, parse_or};
use common::rate_limit::Rate;
use common::session::JwtKeys;

use crate::domain::{HoldRules, holds};

pub const DEFAULT_ORDER_EXPIRATION_SECONDS: u32 = 900;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub events: EventsSettings,
    pub jwt: JwtKeys,
    /// How long an order holds its ticket (`ORDER_EXPIRATION_SECONDS`, default 900).
    pub order_expiration_seconds: u32,
    /// `MAX_HOLDS_PER_BUYER` (default 5, `off` for no cap) and `REORDER_COOLDOWN_SECONDS`
    /// (default 60, 0 for none).
    pub holds: HoldRules,
    /// `RATE_LIMIT_WRITES_PER_USER`; `None` with `RATE_LIMITS=off`.
    pub writes_per_user: Option<Rate>,
}

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
            jwt: jwt_keys(src)?,
            order_expiration_seconds: parse_or(
                src,
                "ORDER_EXPIRATION_SECONDS",
                DEFAULT_ORDER_EXPIRATION_SECONDS,
            )?,
            holds: hold_rules(src)?,
            writes_per_user: common::config::writes_per_user(src)?,
        })
    }
}

fn hold_rules(src: &dyn Source) -> Result<HoldRules, ConfigError> {
    let max_holds = match src.get("MAX_HOLDS_PER_BUYER") {
        Some(v) if v.trim().eq_ignore_ascii_case("off") => None,
        _ => match parse_or(src, "MAX_HOLDS_PER_BUYER", holds::DEFAULT_MAX_HOLDS)? {
            0 => {
                return Err(ConfigError::Invalid {
                    name: "MAX_HOLDS_PER_BUYER",
                    value: "0".into(),
                    reason: "must be at least 1, or `off` for no cap".into(),
                });
            }
            n => Some(n),
        },
    };
    let cooldown: u32 = parse_or(
        src,
        "REORDER_COOLDOWN_SECONDS",
        holds::DEFAULT_REORDER_COOLDOWN_SECONDS,
    )?;
    Ok(HoldRules {
        max_holds,
        reorder_cooldown: time::Duration::seconds(cooldown.into()),
    })
}
