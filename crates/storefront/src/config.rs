//! The storefront's settings: where the public API is, and (optionally) the origin its pages are
//! served from, for the cross-site form check.

use common::config::{ConfigError, Source, required};

#[derive(Debug, Clone)]
pub struct Settings {
    /// `API_BASE_URL` (required): the public API, e.g. `http://127.0.0.1:3000`.
    pub api_base_url: String,
    /// `WEB_PUBLIC_ORIGIN` (optional), e.g. `https://tickets.example.com`: when set, a form post
    /// must come from exactly this origin; when unset, from the request's own `Host`.
    pub public_origin: Option<String>,
}

impl Settings {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let api_base_url = required(src, "API_BASE_URL")?;
        let api_base_url = parse_http_url("API_BASE_URL", &api_base_url)?;
        let public_origin = src
            .get("WEB_PUBLIC_ORIGIN")
            .map(|o| parse_http_url("WEB_PUBLIC_ORIGIN", &o))
            .transpose()?;
        Ok(Self {
            api_base_url,
            public_origin,
        })
    }
}

/// An `http(s)://host[:port]` URL without a trailing slash.
fn parse_http_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    let ok = match trimmed.split_once("://") {
        Some((scheme, rest)) => (scheme == "http" || scheme == "https") && !rest.is_empty(),
        None => false,
    };
    if ok {
        Ok(trimmed.to_owned())
    } else {
        Err(ConfigError::Invalid {
            name,
            value: value.to_owned(),
            reason: "expected an http:// or https:// URL".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn api_base_url_is_required_and_must_be_http() {
        let missing = Settings::from_source(&env(&[])).map_err(|e| e.to_string());
        assert!(missing.is_err_and(|e| e.contains("API_BASE_URL")));
        let bad = Settings::from_source(&env(&[("API_BASE_URL", "localhost:3000")]));
        assert!(bad.is_err(), "no scheme");
        let ok = Settings::from_source(&env(&[
            ("API_BASE_URL", "http://127.0.0.1:3000/"),
            ("WEB_PUBLIC_ORIGIN", "https://shop.example.com"),
        ]))
        .expect("valid");
        assert_eq!(
            ok.api_base_url, "http://127.0.0.1:3000",
            "trailing slash dropped"
        );
        assert_eq!(
            ok.public_origin.as_deref(),
            Some("https://shop.example.com")
        );
    }
}
