//! What a client submits to sign up or sign in, checked into valid values. The two word their
//! rules differently (docs/contract.md#auth-routes): a new account's address must be ASCII and
//! its password 4 to 20 characters; sign-in finds any stored address and wants any password.

use common::FieldError;
use common::input::{Sent, Validation};

use super::{Email, Password};

/// A valid sign-up: the new account's address and password.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: Email,
    pub password: Password,
}

/// A valid sign-in attempt: an address to look up and the password to verify.
#[derive(Debug, Clone)]
pub struct SignIn {
    pub email: Email,
    pub password: Password,
}

impl SignUp {
    /// Checks both fields, reporting every failing one at once (email first).
    pub fn check(email: Sent<String>, password: Sent<String>) -> Result<Self, Vec<FieldError>> {
        let mut fields = Validation::new();
        let email = fields.check(
            Email::parse_new(&text(email)).map_err(|e| FieldError::new("email", e.message())),
        );
        let password = fields.check(
            Password::for_signup(&text(password))
                .map_err(|e| FieldError::new("password", e.message())),
        );
        fields.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

impl SignIn {
    /// Checks both fields, reporting every failing one at once (email first).
    pub fn check(email: Sent<String>, password: Sent<String>) -> Result<Self, Vec<FieldError>> {
        let mut fields = Validation::new();
        let email = fields
            .check(Email::parse(&text(email)).map_err(|e| FieldError::new("email", e.message())));
        let password = fields.check(
            Password::for_signin(&text(password))
                .map_err(|e| FieldError::new("password", e.message())),
        );
        fields.finish(|| {
            Some(Self {
                email: email?,
                password: password?,
            })
        })
    }
}

/// A missing field, or one that is not a string, reads as empty: it then fails its rule with the
/// field's own message rather than as a malformed body.
fn text(sent: Sent<String>) -> String {
    sent.valid().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{email, password};
    use serde_json::json;

    fn sent(value: serde_json::Value) -> Sent<String> {
        serde_json::from_value(value).unwrap_or(Sent::Missing)
    }

    fn failures(result: Result<impl Sized, Vec<FieldError>>) -> Vec<(&'static str, &'static str)> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| (e.field, e.message))
            .collect()
    }

    #[test]
    fn sign_up_reports_every_failing_field_in_order() {
        let cases = [
            (
                json!(null),
                json!(null),
                vec![
                    ("email", email::INVALID),
                    ("password", password::WRONG_LENGTH),
                ],
            ),
            (
                json!(42),
                json!("password"),
                vec![("email", email::INVALID)],
            ),
            (
                json!("a@b.co"),
                json!(12345),
                vec![("password", password::WRONG_LENGTH)],
            ),
            (
                json!("tеst@example.com"),
                json!("abc"),
                vec![
                    ("email", email::NOT_ASCII),
                    ("password", password::WRONG_LENGTH),
                ],
            ),
            (json!("a@b.co"), json!("abcd"), vec![]),
        ];
        for (email, password, expected) in cases {
            assert_eq!(
                failures(SignUp::check(sent(email.clone()), sent(password))),
                expected,
                "{email}"
            );
        }
    }

    #[test]
    fn sign_in_reports_every_failing_field_in_order() {
        let cases = [
            (
                json!(null),
                json!(null),
                vec![("email", email::INVALID), ("password", password::MISSING)],
            ),
            (json!("nope"), json!("x"), vec![("email", email::INVALID)]),
            (
                json!("a@b.co"),
                json!(""),
                vec![("password", password::MISSING)],
            ),
            (json!("tеst@example.com"), json!("x"), vec![]),
        ];
        for (email, password, expected) in cases {
            assert_eq!(
                failures(SignIn::check(sent(email.clone()), sent(password))),
                expected,
                "{email}"
            );
        }
    }

    #[test]
    fn valid_fields_are_normalised_and_kept() {
        let signed = SignUp::check(sent(json!(" A@B.co ")), sent(json!(" pass "))).ok();
        assert_eq!(signed.as_ref().map(|s| s.email.as_str()), Some("a@b.co"));
        assert_eq!(signed.as_ref().map(|s| s.password.expose()), Some(" pass "));
    }
}
