//! A user as sign-in needs it: who they are and the hash their password must match.

use common::UserId;

use super::Email;
use crate::hashing::StoredHash;

#[derive(Clone)]
pub struct User {
    pub id: UserId,
    pub email: Email,
    pub password_hash: StoredHash,
}

/// Only the id: the address is personal data, and logs should not carry it.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
