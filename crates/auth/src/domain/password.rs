//! `Password`: a plain-text password as typed, never trimmed, never printed.

use secrecy::{ExposeSecret, SecretString};

pub const MIN_CHARS: usize = 4;
pub const MAX_CHARS: usize = 20;

pub const WRONG_LENGTH: &str = "Password must be between 4 and 20 characters";
pub const MISSING: &str = "You must supply a password";

/// A password exactly as the client sent it. `Debug` shows no content.
#[derive(Clone)]
pub struct Password(SecretString);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordError {
    /// Sign-up: fewer than 4 or more than 20 characters.
    WrongLength,
    /// Sign-in: empty.
    Missing,
}

impl PasswordError {
    pub fn message(self) -> &'static str {
        match self {
            Self::WrongLength => WRONG_LENGTH,
            Self::Missing => MISSING,
        }
    }
}

impl Password {
    /// A new account's password: 4 to 20 characters (Unicode scalar values), spaces included.
    pub fn for_signup(input: &str) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if (MIN_CHARS..=MAX_CHARS).contains(&chars) {
            Ok(Self(SecretString::from(input)))
        } else {
            Err(PasswordError::WrongLength)
        }
    }

    /// A password offered at sign-in: anything non-empty (it is checked against the hash).
    pub fn for_signin(input: &str) -> Result<Self, PasswordError> {
        if input.is_empty() {
            Err(PasswordError::Missing)
        } else {
            Ok(Self(SecretString::from(input)))
        }
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signup_length_is_counted_in_characters_and_inclusive() {
        let twenty = "a".repeat(20);
        let twenty_one = "a".repeat(21);
        let cases = [
            ("", false, "empty"),
            ("abc", false, "3 characters"),
            ("abcd", true, "4 characters"),
            (twenty.as_str(), true, "20 characters"),
            (twenty_one.as_str(), false, "21 characters"),
            ("ééé", false, "3 characters in 6 bytes"),
            ("éééééééééééééééééééé", true, "20 characters in 40 bytes"),
            ("    ", true, "4 spaces: passwords are not trimmed"),
        ];
        for (input, ok, why) in cases {
            assert_eq!(Password::for_signup(input).is_ok(), ok, "{why}");
            if !ok {
                assert_eq!(
                    Password::for_signup(input).map(|_| ()),
                    Err(PasswordError::WrongLength),
                    "{why}"
                );
            }
        }
    }

    #[test]
    fn passwords_are_kept_verbatim() {
        let password = Password::for_signup("  pa ss  ").unwrap();
        assert_eq!(password.expose(), "  pa ss  ");
    }

    #[test]
    fn signin_only_needs_something() {
        assert_eq!(
            Password::for_signin("").map(|_| ()),
            Err(PasswordError::Missing)
        );
        assert!(Password::for_signin("x").is_ok());
        assert!(Password::for_signin(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn debug_hides_the_password() {
        let password = Password::for_signin("hunter2").unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn messages_are_the_specs() {
        assert_eq!(
            PasswordError::WrongLength.message(),
            "Password must be between 4 and 20 characters"
        );
        assert_eq!(
            PasswordError::Missing.message(),
            "You must supply a password"
        );
    }
}
