//! The auth service's values: a valid email and a password as the rules of
//! docs/contract.md#auth-routes accept them. No actix, no sqlx: these are plain types with their
//! unit tests.

pub mod email;
pub mod password;

pub use email::Email;
pub use password::Password;
