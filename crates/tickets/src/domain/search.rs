//! `?q=`: what a buyer types to find a ticket, as a full-text query over title words. Each word
//! matches words it begins ("conc" finds "concert"), all must match, and case and accents do not
//! count (the database folds both sides). Anything but letters and digits separates words, so no
//! query syntax can be injected.

use common::FieldError;

pub const MAX_CHARS: usize = 200;
const MAX_WORDS: usize = 8;
pub const SEARCH_TOO_LONG: FieldError =
    FieldError::new("q", "Search must be at most 200 characters");

/// A search with at least one word, as a `to_tsquery` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search(String);

impl Search {
    /// `None` for a blank search (it lists everything).
    pub fn parse(text: &str) -> Result<Option<Self>, FieldError> {
        if text.chars().count() > MAX_CHARS {
            return Err(SEARCH_TOO_LONG);
        }
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(MAX_WORDS)
            .map(|w| format!("{}:*", w.to_lowercase()))
            .collect();
        Ok((!words.is_empty()).then(|| Self(words.join(" & "))))
    }

    pub fn as_tsquery(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_become_prefixes_that_must_all_match() {
        let cases = [
            ("concert", Some("concert:*")),
            ("  Rock  Café ", Some("rock:* & café:*")),
            ("a|b & !c:*", Some("a:* & b:* & c:*")),
            ("   ", None),
            ("!!!", None),
        ];
        for (text, expected) in cases {
            assert_eq!(
                Search::parse(text).map(|s| s.map(|s| s.as_tsquery().to_owned())),
                Ok(expected.map(str::to_owned)),
                "{text:?}"
            );
        }
        assert_eq!(Search::parse(&"x".repeat(201)), Err(SEARCH_TOO_LONG));
    }
}
