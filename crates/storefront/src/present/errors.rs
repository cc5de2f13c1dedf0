//! The API's `{"errors": [...]}` split for a form: messages beside their field, the rest on top.

use serde::Deserialize;

/// One entry of the API's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiMessage {
    pub message: String,
    #[serde(default)]
    pub field: Option<String>,
}

/// Errors to show on a form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    /// Messages about the whole request ("Invalid credentials", "Ticket is already reserved").
    pub general: Vec<String>,
    fields: Vec<(String, String)>,
}

impl FormErrors {
    /// Splits `messages`; a message for a field the form does not have is shown on top.
    pub fn from_api(messages: &[ApiMessage], form_fields: &[&str]) -> Self {
        let mut errors = Self::default();
        for m in messages {
            match &m.field {
                Some(f) if form_fields.contains(&f.as_str()) => {
                    errors.fields.push((f.clone(), m.message.clone()))
                }
                _ => errors.general.push(m.message.clone()),
            }
        }
        errors
    }

    pub fn general(message: impl Into<String>) -> Self {
        Self {
            general: vec![message.into()],
            fields: Vec::new(),
        }
    }

    /// The messages about `field`, joined for display (empty when none).
    pub fn field(&self, field: &str) -> String {
        self.fields
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.general.is_empty() && self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_messages_go_beside_their_field_and_the_rest_on_top() {
        let messages: Vec<ApiMessage> = serde_json::from_value(serde_json::json!([
            {"message": "Email must be valid", "field": "email"},
            {"message": "Password must be between 4 and 20 characters", "field": "password"},
            {"message": "Unknown field", "field": "nickname"},
            {"message": "Email in use"}
        ]))
        .expect("errors array");
        let errors = FormErrors::from_api(&messages, &["email", "password"]);
        assert_eq!(errors.field("email"), "Email must be valid");
        assert!(errors.has("password"));
        assert!(!errors.has("title"));
        assert_eq!(errors.field("title"), "");
        assert_eq!(errors.general, ["Unknown field", "Email in use"]);
        assert!(FormErrors::default().is_empty());
    }
}
