//! The auth service's settings (docs/contract.md#configuration): its database, the session key and
//! lifetime, and whether the session cookie is `Secure`.

use common::config::{
    ConfigError, DatabaseSettings, EventsSettings, Source, jwt_keys, parse_or, rate_limit,
};
use common::rate_limit::Rate;
use common::session::JwtKeys;

use crate::hashing::HashingLimits;

/// `COOKIE_SECURE` unless set: the cookie only travels over HTTPS.
pub const DEFAULT_COOKIE_SECURE: bool = true;

#[derive(Debug, Clone)]
pub struct Settings {
    /// `DATABASE_URL` (required), `DATABASE_POOL_SIZE`.
    pub database: DatabaseSettings,
    /// `NATS_URL`, `EVENTS_NAMESPACE`, `NATS_STREAM_REPLICAS`: sign-outs are published to every
    /// service as session.revoked.
    pub events: EventsSettings,
    /// `JWT_KEY` (required), `JWT_TTL_SECONDS` (default 86400).
    pub jwt: JwtKeys,
    /// `COOKIE_SECURE` (`true` or `false`, default `true`).
    pub cookie_secure: bool,
    /// `PASSWORD_HASHING_WORKERS` (default one per core) and `PASSWORD_HASHING_QUEUE` (default
    /// four per worker): the bound on memory spent hashing passwords.
    pub hashing: HashingLimits,
    /// Sign-in attempts per account and per client address, sign-ups per client address
    /// (`RATE_LIMIT_SIGNIN_PER_ACCOUNT`, `RATE_LIMIT_SIGNIN_PER_ADDRESS`,
    /// `RATE_LIMIT_SIGNUP_PER_ADDRESS`); `None` with `RATE_LIMITS=off`.
    pub limits: AuthLimits,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthLimits {
    pub signin_per_account: Option<Rate>,
    pub signin_per_address: Option<Rate>,
    pub signup_per_address: Option<Rate>,
}

/// Enough for a person who mistypes; far too few for guessing a password.
pub const DEFAULT_SIGNIN_PER_ACCOUNT: &str = "10/minute";
/// An office or a campus behind one address signs in more often than one person.
pub const DEFAULT_SIGNIN_PER_ADDRESS: &str = "30/minute";
pub const DEFAULT_SIGNUP_PER_ADDRESS: &str = "20/hour";

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            database: DatabaseSettings::from_source(src)?,
            events: EventsSettings::from_source(src)?,
            jwt: jwt_keys(src)?,
            cookie_secure: parse_or(src, "COOKIE_SECURE", DEFAULT_COOKIE_SECURE)?,
            hashing: hashing_limits(src)?,
            limits: AuthLimits {
                signin_per_account: rate_limit(
                    src,
                    "RATE_LIMIT_SIGNIN_PER_ACCOUNT",
                    DEFAULT_SIGNIN_PER_ACCOUNT,
                )?,
                signin_per_address: rate_limit(
                    src,
                    "RATE_LIMIT_SIGNIN_PER_ADDRESS",
                    DEFAULT_SIGNIN_PER_ADDRESS,
                )?,
                signup_per_address: rate_limit(
                    src,
                    "RATE_LIMIT_SIGNUP_PER_ADDRESS",
                    DEFAULT_SIGNUP_PER_ADDRESS,
                )?,
            },
        })
    }
}

fn hashing_limits(src: &dyn Source) -> Result<HashingLimits, ConfigError> {
    let defaults = HashingLimits::default();
    let workers: usize = parse_or(src, "PASSWORD_HASHING_WORKERS", defaults.workers)?;
    if workers == 0 {
        return Err(ConfigError::Invalid {
            name: "PASSWORD_HASHING_WORKERS",
            value: "0".into(),
            reason: "at least one worker hashes passwords".into(),
        });
    }
    Ok(HashingLimits {
        workers,
        queue: parse_or(src, "PASSWORD_HASHING_QUEUE", 4 * workers)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn source(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_and_overrides() {
        let base = [
            ("DATABASE_URL", "postgres://x/y"),
            ("JWT_KEY", common::testing::TEST_JWT_KEY),
        ];
        let settings = Settings::from_source(&source(&base)).unwrap();
        assert!(settings.cookie_secure, "COOKIE_SECURE defaults to true");
        assert_eq!(settings.jwt.ttl_seconds(), 86_400);
        assert_eq!(settings.database.url, "postgres://x/y");

        let mut custom = base.to_vec();
        custom.extend([("COOKIE_SECURE", "false"), ("JWT_TTL_SECONDS", "60")]);
        let settings = Settings::from_source(&source(&custom)).unwrap();
        assert!(!settings.cookie_secure);
        assert_eq!(settings.jwt.ttl_seconds(), 60);
    }

    #[test]
    fn missing_or_invalid_variables_are_named() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("JWT_KEY", common::testing::TEST_JWT_KEY)],
                "DATABASE_URL",
            ),
            (&[("DATABASE_URL", "postgres://x/y")], "JWT_KEY"),
            (
                &[
                    ("DATABASE_URL", "postgres://x/y"),
                    ("JWT_KEY", common::testing::TEST_JWT_KEY),
                    ("COOKIE_SECURE", "maybe"),
                ],
                "COOKIE_SECURE",
            ),
            (
                &[
                    ("DATABASE_URL", "postgres://x/y"),
                    ("JWT_KEY", common::testing::TEST_JWT_KEY),
                    ("JWT_TTL_SECONDS", "0"),
                ],
                "JWT_TTL_SECONDS",
            ),
        ];
        for (pairs, name) in cases {
            let error = Settings::from_source(&source(pairs))
                .map(|_| ())
                .unwrap_err();
            assert!(error.to_string().contains(name), "{name}: {error}");
        }
    }
}
