//! Reading settings from the environment (SPEC §6). A missing required variable is an error that
//! names it; `main` prints it on one line and exits.

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
                "HTTP_WORKERS",
                "JWT_KEY",
                "LOG_FORMAT",
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "PORT"
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

/// Where events travel (`NATS_URL`, `EVENTS_NAMESPACE`).
#[derive(Debug, Clone)]
pub struct EventsSettings {
    pub nats_url: String,
    pub namespace: crate::bus::Namespace,
}

impl EventsSettings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let namespace = or(src, "EVENTS_NAMESPACE", DEFAULT_NAMESPACE);
        Ok(Self {
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

/// The session key (`JWT_KEY`, required) and token lifetime (`JWT_TTL_SECONDS`).
pub fn jwt_keys(src: &dyn Source) -> Result<crate::session::JwtKeys, ConfigError> {
    let key = secret(src, "JWT_KEY")?;
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

/// What the process itself needs: its port, log format and HTTP worker threads.
#[derive(Debug, Clone)]
pub struct HostSettings {
    pub port: u16,
    pub log_format: crate::telemetry::LogFormat,
    pub http_workers: usize,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: where spans are exported (OTLP/HTTP); unset, nowhere.
    pub otlp_endpoint: Option<String>,
}

impl HostSettings {
    pub fn from_source(
        src: &dyn Source,
        default_log: crate::telemetry::LogFormat,
    ) -> Result<Self, ConfigError> {
        let default_workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        Ok(Self {
            port: parse_or(src, "PORT", DEFAULT_PORT)?,
            log_format: parse_or(src, "LOG_FORMAT", default_log)?,
            http_workers: parse_or(src, "HTTP_WORKERS", default_workers)?,
            otlp_endpoint: src.get("OTEL_EXPORTER_OTLP_ENDPOINT"),
        })
    }
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
