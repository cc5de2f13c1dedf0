//! The auth service's values: a valid email and a password as the rules of
//! docs/contract.md#auth-routes accept them, the sign-up and sign-in they make up, and a stored
//! user. No actix, no sqlx: these are plain types with their unit tests.

pub mod credentials;
pub mod email;
pub mod password;
pub mod user;

pub use credentials::{SignIn, SignUp};
pub use email::Email;
pub use password::Password;
pub use user::User;
