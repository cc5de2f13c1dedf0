//! The payments service's settings (docs/contract.md#configuration): its database, the event bus,
//! the session key and the payment provider.

use common::config::{ConfigError, DatabaseSettings, EventsSettings, Source, jwt_keys, or};
use common::session::JwtKeys;
use secrecy::SecretString;

pub const DEFAULT_STRIPE_API_BASE: &str = "https://api.stripe.com";

/// Which payment provider charges cards (`PAYMENTS_PROVIDER`).
#[derive(Debug, Clone)]
pub enum ProviderSettings {
    /// Stripe's HTTP API at `api_base` (`STRIPE_API_BASE`) with `key` (`STRIPE_KEY`).
    Stripe { key: SecretString, api_base: String },
    /// The in-process test provider: `tok_visa` succeeds, `tok_chargeDeclined` is declined.
    Fake,
}

impl ProviderSettings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let name = or(src, "PAYMENTS_PROVIDER", "stripe");
        match name.trim() {
            "stripe" => Ok(Self::Stripe {
                key: common::config::secret(src, "STRIPE_KEY")?,
                api_base: or(src, "STRIPE_API_BASE", DEFAULT_STRIPE_API_BASE),
            }),
            "fake" => Ok(Self::Fake),
            _ => Err(ConfigError::Invalid {
                name: "PAYMENTS_PROVIDER",
                value: name,
                reason: "must be `stripe` or `fake`".into(),
            }),
        }
    }
}

/// `PAYMENT_RESOLVE_AFTER_SECONDS` unless set: well beyond a provider call's own timeout.
pub const DEFAULT_RESOLVE_AFTER_SECONDS: u64 = 30;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub events: EventsSettings,
    pub jwt: JwtKeys,
    pub provider: ProviderSettings,
    /// How long a charge attempt may stay unresolved before the sweeper repeats its call
    /// (`PAYMENT_RESOLVE_AFTER_SECONDS`).
    pub resolve_after: std::time::Duration,
    /// `RATE_LIMIT_WRITES_PER_USER`; `None` with `RATE_LIMITS=off`.
    pub writes_per_user: Option<common::rate_limit::Rate>,
}

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
            jwt: jwt_keys(src)?,
            provider: ProviderSettings::from_source(src)?,
            resolve_after: std::time::Duration::from_secs(common::config::parse_or(
                src,
                "PAYMENT_RESOLVE_AFTER_SECONDS",
                DEFAULT_RESOLVE_AFTER_SECONDS,
            )?),
            writes_per_user: common::config::writes_per_user(src)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    const BASE: [(&str, &str); 2] = [
        ("DATABASE_URL", "postgres://x/y"),
        ("JWT_KEY", common::testing::TEST_JWT_KEY),
    ];

    #[test]
    fn stripe_is_the_default_and_needs_a_key() {
        let missing = Settings::from_source(&env(&BASE)).map_err(|e| e.to_string());
        assert_eq!(
            missing.err(),
            Some("missing required environment variable STRIPE_KEY".to_owned())
        );
        let mut pairs = BASE.to_vec();
        pairs.push(("STRIPE_KEY", "sk_test_1"));
        match Settings::from_source(&env(&pairs)).map(|s| s.provider) {
            Ok(ProviderSettings::Stripe { key, api_base }) => {
                assert_eq!(key.expose_secret(), "sk_test_1");
                assert_eq!(api_base, DEFAULT_STRIPE_API_BASE);
            }
            other => panic!("expected stripe, got {other:?}"),
        }
    }

    #[test]
    fn fake_needs_no_key_and_unknown_providers_are_refused() {
        let mut pairs = BASE.to_vec();
        pairs.push(("PAYMENTS_PROVIDER", "fake"));
        assert!(matches!(
            Settings::from_source(&env(&pairs)).map(|s| s.provider),
            Ok(ProviderSettings::Fake)
        ));
        let mut pairs = BASE.to_vec();
        pairs.push(("PAYMENTS_PROVIDER", "paypal"));
        let error = Settings::from_source(&env(&pairs)).map_err(|e| e.to_string());
        assert!(error.is_err_and(|m| m.contains("PAYMENTS_PROVIDER") && m.contains("paypal")));
    }
}
