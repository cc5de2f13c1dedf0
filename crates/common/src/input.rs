//! Request bodies as types: each route's request struct is at once what serde reads and the
//! OpenAPI schema, and converts into the service's domain type with `TryFrom`, reporting every
//! failing field at once (docs/contract.md#errors).
//!
//! A field is read leniently ([`Sent`]): a value of the wrong JSON type is not a rejected body
//! but a failing field, with that field's own message, as the contract wants.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::{ApiError, FieldError};

/// One field of a request body, as the client sent it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Sent<T> {
    /// Absent, or `null`.
    #[default]
    Missing,
    /// A value of the expected type.
    Valid(T),
    /// Something else: the field fails its rule.
    Invalid(Value),
}

impl<T> Sent<T> {
    /// The value, if it has the expected type.
    pub fn valid(self) -> Option<T> {
        match self {
            Self::Valid(value) => Some(value),
            Self::Missing | Self::Invalid(_) => None,
        }
    }

    pub fn as_valid(&self) -> Option<&T> {
        match self {
            Self::Valid(value) => Some(value),
            Self::Missing | Self::Invalid(_) => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Sent<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if value.is_null() {
            return Ok(Self::Missing);
        }
        Ok(match T::deserialize(&value) {
            Ok(valid) => Self::Valid(valid),
            Err(_) => Self::Invalid(value),
        })
    }
}

/// Collects the failing fields of one request while its fields are checked one by one.
#[derive(Debug, Default)]
pub struct Validation {
    errors: Vec<FieldError>,
}

impl Validation {
    pub fn new() -> Self {
        Self::default()
    }

    /// The field's value, or `None` with its error noted.
    pub fn check<T>(&mut self, field: Result<T, FieldError>) -> Option<T> {
        field.map_err(|e| self.errors.push(e)).ok()
    }

    /// Every noted error, or what `build` makes of the checked fields (all of them passed, so
    /// `build` finds them all `Some`).
    pub fn finish<T>(self, build: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if !self.errors.is_empty() {
            return Err(self.errors);
        }
        build().ok_or_else(Vec::new)
    }
}

/// A request body read as `T` (a struct of [`Sent`] fields): any JSON object is accepted (the
/// fields are then checked by `T`'s conversion); anything that is not an object reads as `{}`,
/// so every required field is reported missing. Malformed JSON, a wrong content type or an
/// oversized body are refused as the JSON config says (`error::json_config`).
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let value = json.await?.into_inner();
            let object = match value {
                Value::Object(_) => value,
                _ => Value::Object(serde_json::Map::new()),
            };
            serde_json::from_value(object)
                .map(Body)
                .map_err(|e| ApiError::InvalidJson(e.to_string()).into())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Request {
        #[serde(default)]
        name: Sent<String>,
        #[serde(default)]
        count: Sent<u32>,
    }

    #[test]
    fn fields_are_read_as_sent_whatever_their_type() {
        let request: Request = serde_json::from_value(json!({"name": "x", "count": "many"}))
            .unwrap_or_else(|e| {
                panic!("{e}");
            });
        assert_eq!(request.name, Sent::Valid("x".to_owned()));
        assert_eq!(request.count, Sent::Invalid(json!("many")));
        let empty: Request =
            serde_json::from_value(json!({"name": null})).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((empty.name, empty.count), (Sent::Missing, Sent::Missing));
    }

    #[test]
    fn every_failing_field_is_reported_at_once() {
        const NAME: FieldError = FieldError::new("name", "Name is required");
        const COUNT: FieldError = FieldError::new("count", "Count must be a number");
        let check = |name: Sent<String>, count: Sent<u32>| {
            let mut v = Validation::new();
            let name = v.check(name.valid().ok_or(NAME));
            let count = v.check(count.valid().ok_or(COUNT));
            v.finish(|| Some((name?, count?)))
        };
        assert_eq!(
            check(Sent::Missing, Sent::Invalid(json!("x"))),
            Err(vec![NAME, COUNT])
        );
        assert_eq!(
            check(Sent::Valid("a".into()), Sent::Missing),
            Err(vec![COUNT])
        );
        assert_eq!(
            check(Sent::Valid("a".into()), Sent::Valid(2)),
            Ok(("a".to_owned(), 2))
        );
    }
}
