//! Every SQL statement of the auth service.

use common::UserId;
use sqlx::PgPool;

use crate::domain::Email;
use crate::hashing::StoredHash;

/// The unique constraint that decides "Email in use".
pub const EMAIL_TAKEN: &str = "users_email_key";

/// A user as sign-in needs it.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
}

impl UserRow {
    pub fn hash(self) -> StoredHash {
        StoredHash::from_stored(self.password_hash)
    }
}

impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Inserts a user; a taken email fails on [`EMAIL_TAKEN`].
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %id))]
pub async fn insert_user(
    pool: &PgPool,
    id: UserId,
    email: &Email,
    hash: &StoredHash,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(email.as_str())
        .bind(hash.as_str())
        .execute(pool)
        .await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_email(pool: &PgPool, email: &Email) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as::<_, UserRow>("SELECT id, email, password_hash FROM users WHERE email = $1")
        .bind(email.as_str())
        .fetch_optional(pool)
        .await
}
