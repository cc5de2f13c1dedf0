//! `Email`: an address as stored — normalised, trimmed, lower-cased and plausibly deliverable.
//! Look-alikes must not make distinct accounts: compatibility forms (full-width letters, the
//! ideographic space) are folded by NFKC into the plain ones, and a new account's address must
//! then be ASCII, which leaves no room for Cyrillic or Greek letters that look Latin, or for
//! zero-width characters. An address already stored is still found at sign-in.

/// The longest address accepted (RFC 5321's path limit minus the angle brackets).
pub const MAX_LEN: usize = 254;

pub const INVALID: &str = "Email must be valid";
pub const NOT_ASCII: &str =
    "Email must be written with ASCII letters, digits and punctuation (IDN domains as xn--)";

/// A normalised (NFKC), trimmed, lower-cased email address with one `@`, a non-empty local part,
/// a dotted domain and no whitespace, at most 254 bytes long.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvalidEmail {
    /// Not an address.
    Invalid,
    /// A new account's address with other than ASCII characters in it.
    NotAscii,
}

impl InvalidEmail {
    pub fn message(self) -> &'static str {
        match self {
            Self::Invalid => INVALID,
            Self::NotAscii => NOT_ASCII,
        }
    }
}

impl std::fmt::Display for InvalidEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for InvalidEmail {}

impl Email {
    /// The address of a new account: as [`Email::parse`], and ASCII only.
    pub fn parse_new(input: &str) -> Result<Self, InvalidEmail> {
        let email = Self::parse(input)?;
        if email.0.is_ascii() {
            Ok(email)
        } else {
            Err(InvalidEmail::NotAscii)
        }
    }

    /// Normalises (NFKC), trims and lower-cases `input`, then checks it is a plausible address.
    pub fn parse(input: &str) -> Result<Self, InvalidEmail> {
        use unicode_normalization::UnicodeNormalization as _;
        let email = input.nfkc().collect::<String>().trim().to_lowercase();
        if email.is_empty()
            || email.len() > MAX_LEN
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(InvalidEmail::Invalid);
        }
        let (local, domain) = email.split_once('@').ok_or(InvalidEmail::Invalid)?;
        let domain_ok = domain.contains('.') && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || domain.contains('@') || !domain_ok {
            return Err(InvalidEmail::Invalid);
        }
        Ok(Self(email))
    }

    /// An address read back from the users table, which holds only addresses [`Email::parse_new`]
    /// accepted: it is not checked again.
    pub fn from_stored(email: String) -> Self {
        Self(email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn valid_addresses_are_trimmed_and_lower_cased() {
        let cases = [
            ("test@example.com", "test@example.com"),
            ("  Test@Example.COM \n", "test@example.com"),
            ("a@b.co", "a@b.co"),
            (
                "first.last+tag@mail.example.org",
                "first.last+tag@mail.example.org",
            ),
            ("Ünïcode@Exämple.de", "ünïcode@exämple.de"),
        ];
        for (input, stored) in cases {
            assert_eq!(
                Email::parse(input).map(Email::into_inner),
                Ok(stored.to_owned()),
                "{input:?}"
            );
        }
    }

    #[test]
    fn invalid_addresses_are_refused() {
        let too_long = format!("{}@example.com", "a".repeat(MAX_LEN));
        let cases = [
            ("", "empty"),
            ("   ", "blank"),
            ("plainaddress", "no @"),
            ("@example.com", "empty local part"),
            ("test@", "empty domain"),
            ("test@localhost", "domain without a dot"),
            ("test@.example.com", "domain starting with a dot"),
            ("test@example.com.", "domain ending with a dot"),
            ("test@example..com", "empty domain label"),
            ("a@b@example.com", "two @"),
            ("te st@example.com", "space in the local part"),
            ("test@exa mple.com", "space in the domain"),
            ("test\t@example.com", "tab inside"),
            ("te\u{0}st@example.com", "control character"),
            (too_long.as_str(), "over 254 characters"),
        ];
        for (input, why) in cases {
            assert_eq!(
                Email::parse(input),
                Err(InvalidEmail::Invalid),
                "{why}: {input:?}"
            );
        }
    }

    #[test]
    fn look_alikes_fold_or_are_refused_for_new_accounts() {
        let folded = [
            ("ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ", "full-width letters"),
            ("\u{3000}test@example.com", "an ideographic space"),
            ("TEST@EXAMPLE.COM", "capitals"),
        ];
        for (input, why) in folded {
            assert_eq!(
                Email::parse_new(input).map(Email::into_inner),
                Ok("test@example.com".to_owned()),
                "{why}"
            );
        }
        let refused = [
            ("tеst@example.com", "a Cyrillic е"),
            ("test@exаmple.com", "a Cyrillic а in the domain"),
            ("te\u{200B}st@example.com", "a zero-width space"),
            ("ünïcode@exämple.de", "accented letters"),
        ];
        for (input, why) in refused {
            assert_eq!(
                Email::parse_new(input),
                Err(InvalidEmail::NotAscii),
                "{why}"
            );
            assert!(Email::parse(input).is_ok(), "{why}: still found at sign-in");
        }
    }

    #[test]
    fn the_limit_is_inclusive() {
        let local = "a".repeat(MAX_LEN - "@example.com".len());
        let at_limit = format!("{local}@example.com");
        assert_eq!(at_limit.len(), MAX_LEN);
        assert!(Email::parse(&at_limit).is_ok());
    }

    proptest! {
        #[test]
        fn parsed_addresses_are_normal_and_stable(input in "\\PC{0,40}@?\\PC{0,40}") {
            if let Ok(email) = Email::parse(&input) {
                let text = email.as_str();
                prop_assert_eq!(text, text.trim());
                prop_assert_eq!(text.to_lowercase(), text);
                prop_assert_eq!(text.matches('@').count(), 1);
                prop_assert!(text.len() <= MAX_LEN);
                prop_assert_eq!(Email::parse(text), Ok(email.clone()));
            }
        }

        #[test]
        fn simple_addresses_parse(local in "[a-z0-9._+-]{1,20}", domain in "[a-z0-9-]{1,20}", tld in "[a-z]{2,6}") {
            let input = format!(" {local}@{domain}.{tld} ");
            prop_assert_eq!(
                Email::parse(&input).map(Email::into_inner),
                Ok(format!("{local}@{domain}.{tld}"))
            );
        }
    }
}
