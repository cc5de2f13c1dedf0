//! Reading settings from the environment (docs/contract.md#configuration). A missing required
//! variable is an error that names it; `main` prints it on one line and exits.

use std::str::FromStr;

use secrecy::SecretString;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required environment variable {0}")]
    Missing(&'static str),
    #[error("environment variable {name} has an invalid value {value:?}: {reason}")]
    Invalid {
        name: &'static str,
        value: String,
        reason: String,
    },
}

/// Where settings come from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment; empty values count as unset.
pub struct Env;

impl Source for Env {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Source for std::collections::HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        std::collections::HashMap::get(self, name).cloned()
    }
}

/// A `Source` over fixed values that records every name asked of it: which variables does a
/// `Settings::from_source` read, with these values? (The deployment drift test asks this of every
/// service.) Like [`Env`], an empty value counts as unset.
#[derive(Debug, Default)]
pub struct Recorder {
    values: std::collections::HashMap<String, String>,
    asked: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Recorder {
    pub fn new<K, V>(values: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            values: values
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            asked: Default::default(),
        }
    }

    /// Every name asked for so far, set or not, in order.
    pub fn asked(&self) -> std::collections::BTreeSet<String> {
        self.asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Source for Recorder {
    fn get(&self, name: &str) -> Option<String> {
        self.asked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(name.to_owned());
        self.values.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

pub fn required(src: &dyn Source, name: &'static str) -> Result<String, ConfigError> {
    src.get(name).ok_or(ConfigError::Missing(name))
}

pub fn secret(src: &dyn Source, name: &'static str) -> Result<SecretString, ConfigError> {
    required(src, name).map(SecretString::from)
}

pub fn or(src: &dyn Source, name: &'static str, default: &str) -> String {
    src.get(name).unwrap_or_else(|| default.to_owned())
}

pub fn parse_or<T>(src: &dyn Source, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    match src.get(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map_err(|e: T::Err| ConfigError::Invalid {
                name,
                reason: e.to_string(),
                value,
            }),
    }
}

pub const DEFAULT_NATS_URL: &str = "nats://127.0.0.1:4222";
pub const DEFAULT_NAMESPACE: &str = "ticketing";
pub const DEFAULT_PORT: u16 = 3000;
/// Pool size per service: five services in one process stay well under Postgres' 100.
pub const DEFAULT_POOL_SIZE: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn missing_and_invalid_values_name_the_variable() {
        let mut env = HashMap::new();
        env.insert("PORT".to_owned(), "eighty".to_owned());
        let missing = required(&env, "JWT_KEY").map_err(|e| e.to_string());
        assert_eq!(
            missing,
            Err("missing required environment variable JWT_KEY".into())
        );
        let invalid = parse_or(&env, "PORT", 3000u16).map_err(|e| e.to_string());
        assert!(invalid.is_err_and(|m| m.contains("PORT") && m.contains("eighty")));
        assert_eq!(parse_or(&env, "OTHER", 7u16).ok(), Some(7));
    }

    #[test]
    fn a_short_or_placeholder_jwt_key_is_refused_without_echoing_it() {
        for (key, why) in [
            ("k", "at least 32 bytes (it has 1)"),
            (
                "0123456789abcdef0123456789abcde",
                "at least 32 bytes (it has 31)",
            ),
            ("change-me-to-a-long-random-secret", "placeholder"),
        ] {
            let env = HashMap::from([("JWT_KEY".to_owned(), key.to_owned())]);
            let error = jwt_keys(&env).map(drop).map_err(|e| e.to_string());
            let message = error.err().unwrap_or_default();
            assert!(
                message.contains("JWT_KEY") && message.contains(why),
                "{message}"
            );
            assert!(!message.contains(key), "the key is not echoed: {message}");
        }
        let good = HashMap::from([(
            "JWT_KEY".to_owned(),
            "0123456789abcdef0123456789abcdef".to_owned(),
        )]);
        assert!(jwt_keys(&good).is_ok(), "32 bytes is enough");
    }

    #[test]
    fn metrics_stay_off_the_public_port() {
        let same = HashMap::from([
            ("PORT".to_owned(), "8080".to_owned()),
            ("METRICS_PORT".to_owned(), "8080".to_owned()),
        ]);
        let error = HostSettings::from_source(&same, crate::telemetry::LogFormat::Json)
            .map(drop)
            .map_err(|e| e.to_string());
        assert!(error.is_err_and(|m| m.contains("METRICS_PORT")));
        let defaults =
            HostSettings::from_source(&HashMap::new(), crate::telemetry::LogFormat::Json)
                .expect("defaults");
        assert_eq!(
            (
                defaults.bind_address.to_string(),
                defaults.port,
                defaults.metrics_port
            ),
            ("0.0.0.0".to_owned(), 3000, 9464)
        );
    }

    #[test]
    fn recorder_answers_like_the_environment_and_remembers_every_name_asked() {
        let recorder = Recorder::new([("PORT", "8080"), ("LOG_FORMAT", "")]);
        let host = HostSettings::from_source(&recorder, crate::telemetry::LogFormat::Json)
            .expect("PORT is valid and the rest has defaults");
        assert_eq!(host.port, 8080, "a set value is answered");
        assert_eq!(
            host.log_format,
            crate::telemetry::LogFormat::Json,
            "an empty value counts as unset, as in Env"
        );
        let missing = required(&recorder, "JWT_KEY").map_err(|e| e.to_string());
        assert!(missing.is_err_and(|m| m.contains("JWT_KEY")));
        let asked: Vec<String> = recorder.asked().into_iter().collect();
        assert_eq!(
            asked,
            [
                "BIND_ADDRESS",
                "HTTP_WORKERS",
                "JWT_KEY",
                "LOG_FORMAT",
                "METRICS_PORT",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "PORT",
                "REQUEST_BODY_TIMEOUT_SECONDS",
                "TRUSTED_PROXIES"
            ],
            "set, empty and missing names alike are recorded, each once"
        );
    }
}

/// A service's own database (`DATABASE_URL`, `DATABASE_POOL_SIZE`).
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: u32,
}

impl DatabaseSettings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Self {
            url: required(src, "DATABASE_URL")?,
            pool_size: parse_or(src, "DATABASE_POOL_SIZE", DEFAULT_POOL_SIZE)?,
        })
    }
}

/// Where events travel (`NATS_URL`, `EVENTS_NAMESPACE`, `NATS_STREAM_REPLICAS`).
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub nats_url: String,
    pub namespace: crate::bus::Namespace,
    /// How many servers keep the stream: 1 on a single server, 3 on a three-node cluster.
    pub stream_replicas: usize,
}

impl EventsSettings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let namespace = or(src, "EVENTS_NAMESPACE", DEFAULT_NAMESPACE);
        let stream_replicas = parse_or(src, "NATS_STREAM_REPLICAS", 1usize)?;
        if !(1..=5).contains(&stream_replicas) {
            return Err(ConfigError::Invalid {
                name: "NATS_STREAM_REPLICAS",
                value: stream_replicas.to_string(),
                reason: "JetStream keeps a stream on 1 to 5 servers".into(),
            });
        }
        Ok(Self {
            stream_replicas,
            nats_url: or(src, "NATS_URL", DEFAULT_NATS_URL),
            namespace: crate::bus::Namespace::parse(&namespace).map_err(|e| {
                ConfigError::Invalid {
                    name: "EVENTS_NAMESPACE",
                    value: namespace,
                    reason: e.to_string(),
                }
            })?,
        })
    }
}

/// The shortest `JWT_KEY` accepted: an HS256 key shorter than its 32-byte output can be guessed
/// from one token.
pub const MIN_JWT_KEY_BYTES: usize = 32;
/// Placeholders documentation once suggested; a deployment that kept one fails at start.
const PLACEHOLDER_JWT_KEYS: &[&str] = &["change-me-to-a-long-random-secret"];

/// The session key (`JWT_KEY`, required, at least 32 bytes) and token lifetime (`JWT_TTL_SECONDS`).
pub fn jwt_keys(src: &dyn Source) -> Result<crate::session::JwtKeys, ConfigError> {
    let key = secret(src, "JWT_KEY")?;
    let text = secrecy::ExposeSecret::expose_secret(&key);
    let refusal = if text.len() < MIN_JWT_KEY_BYTES {
        Some(format!(
            "must be at least {MIN_JWT_KEY_BYTES} bytes (it has {}); e.g. `openssl rand -base64 48`",
            text.len()
        ))
    } else if PLACEHOLDER_JWT_KEYS.contains(&text) {
        Some("is the documentation's placeholder; set a long random secret".to_owned())
    } else {
        None
    };
    if let Some(reason) = refusal {
        // The value is a secret: never echoed.
        return Err(ConfigError::Invalid {
            name: "JWT_KEY",
            value: "[redacted]".to_owned(),
            reason,
        });
    }
    let ttl = parse_or(src, "JWT_TTL_SECONDS", crate::session::DEFAULT_TTL_SECONDS)?;
    if ttl <= 0 {
        return Err(ConfigError::Invalid {
            name: "JWT_TTL_SECONDS",
            value: ttl.to_string(),
            reason: "must be positive".into(),
        });
    }
    Ok(crate::session::JwtKeys::new(&key, ttl))
}

/// Whether throttling is on (`RATE_LIMITS`: `on`, the default, or `off`).
pub fn rate_limits_on(src: &dyn Source) -> Result<bool, ConfigError> {
    let value = or(src, "RATE_LIMITS", "on");
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        _ => Err(ConfigError::Invalid {
            name: "RATE_LIMITS",
            value,
            reason: "must be `on` or `off`".into(),
        }),
    }
}

/// One limit (`<count>/<second|minute|hour>`), or `None` when `RATE_LIMITS=off`.
pub fn rate_limit(
    src: &dyn Source,
    name: &'static str,
    default: &str,
) -> Result<Option<crate::rate_limit::Rate>, ConfigError> {
    if !rate_limits_on(src)? {
        return Ok(None);
    }
    let value = or(src, name, default);
    value
        .parse()
        .map(Some)
        .map_err(|reason| ConfigError::Invalid {
            name,
            value,
            reason,
        })
}

/// A listing, an order, a payment a second for two minutes is far more than a person does, and
/// far less than a script listing thousands of tickets.
pub const DEFAULT_WRITES_PER_USER: &str = "120/minute";

/// `RATE_LIMIT_WRITES_PER_USER`: the state changes one signed-in user may make, per service.
pub fn writes_per_user(src: &dyn Source) -> Result<Option<crate::rate_limit::Rate>, ConfigError> {
    rate_limit(src, "RATE_LIMIT_WRITES_PER_USER", DEFAULT_WRITES_PER_USER)
}

/// `METRICS_PORT` unless set: the internal port `/metrics` is served on.
pub const DEFAULT_METRICS_PORT: u16 = 9464;

/// What the process itself needs: where it listens, its log format and HTTP worker threads.
#[derive(Debug, Clone)]
pub struct HostSettings {
    /// `BIND_ADDRESS`: the interface both ports listen on (default every interface, for
    /// containers; the launcher with its development key: loopback only).
    pub bind_address: std::net::IpAddr,
    pub port: u16,
    /// `METRICS_PORT`: `/metrics`, kept off the public port.
    pub metrics_port: u16,
    pub log_format: crate::telemetry::LogFormat,
    pub http_workers: usize,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: where spans are exported (OTLP/HTTP); unset, nowhere.
    pub otlp_endpoint: Option<String>,
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client (default loopback only).
    pub trusted_proxies: crate::client_address::TrustedProxies,
    /// `REQUEST_BODY_TIMEOUT_SECONDS`: how long a request's body may take to arrive.
    pub body_timeout: std::time::Duration,
}

impl HostSettings {
    pub fn from_source(
        src: &dyn Source,
        default_log: crate::telemetry::LogFormat,
    ) -> Result<Self, ConfigError> {
        let default_workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let port = parse_or(src, "PORT", DEFAULT_PORT)?;
        let metrics_port = parse_or(src, "METRICS_PORT", DEFAULT_METRICS_PORT)?;
        if metrics_port == port && port != 0 {
            return Err(ConfigError::Invalid {
                name: "METRICS_PORT",
                value: metrics_port.to_string(),
                reason: "must differ from PORT: metrics are not served on the public port".into(),
            });
        }
        Ok(Self {
            bind_address: parse_or(src, "BIND_ADDRESS", std::net::IpAddr::from([0, 0, 0, 0]))?,
            port,
            metrics_port,
            log_format: parse_or(src, "LOG_FORMAT", default_log)?,
            http_workers: parse_or(src, "HTTP_WORKERS", default_workers)?,
            otlp_endpoint: src.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
            trusted_proxies: trusted_proxies(src)?,
            body_timeout: std::time::Duration::from_secs(parse_or(
                src,
                "REQUEST_BODY_TIMEOUT_SECONDS",
                crate::edge::DEFAULT_BODY_TIMEOUT.as_secs(),
            )?),
        })
    }
}

fn trusted_proxies(src: &dyn Source) -> Result<crate::client_address::TrustedProxies, ConfigError> {
    let value = or(
        src,
        "TRUSTED_PROXIES",
        crate::client_address::DEFAULT_TRUSTED_PROXIES,
    );
    crate::client_address::TrustedProxies::parse(&value).map_err(|reason| ConfigError::Invalid {
        name: "TRUSTED_PROXIES",
        value,
        reason,
    })
}

/// Settings from `base` with some variables replaced (the launcher's per-service overrides).
pub struct Overlay<'a> {
    pub base: &'a dyn Source,
    pub overrides: std::collections::HashMap<String, String>,
}

impl<'a> Overlay<'a> {
    pub fn new(base: &'a dyn Source) -> Self {
        Self {
            base,
            overrides: Default::default(),
        }
    }

    pub fn set(mut self, name: &str, value: impl Into<String>) -> Self {
        self.overrides.insert(name.to_owned(), value.into());
        self
    }

    /// Sets `name` only where `base` leaves it unset.
    pub fn default(mut self, name: &str, value: impl Into<String>) -> Self {
        if self.base.get(name).is_none() {
            self.overrides.insert(name.to_owned(), value.into());
        }
        self
    }
}

impl Source for Overlay<'_> {
    fn get(&self, name: &str) -> Option<String> {
        self.overrides
            .get(name)
            .cloned()
            .or_else(|| self.base.get(name))
    }
}
