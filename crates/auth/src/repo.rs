//! Every SQL statement of the auth service, checked at compile time against its schema
//! (`sqlx::query!` and friends; the offline data is in `.sqlx/`). Rows are private to this file:
//! the service works with `domain::User`.

use common::UserId;
use sqlx::PgPool;

use crate::domain::{Email, User};
use crate::hashing::StoredHash;

/// The unique constraint that decides "Email in use".
pub const EMAIL_TAKEN: &str = "users_email_key";

struct UserRow {
    id: UserId,
    email: String,
    password_hash: String,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email: Email::from_stored(row.email),
            password_hash: StoredHash::from_stored(row.password_hash),
        }
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
    sqlx::query!(
        "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)",
        id as UserId,
        email.as_str(),
        hash.as_str(),
    )
    .execute(pool)
    .await
    .map(drop)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_by_email(pool: &PgPool, email: &Email) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        UserRow,
        r#"SELECT id AS "id: UserId", email, password_hash FROM users WHERE email = $1"#,
        email.as_str()
    )
    .fetch_optional(pool)
    .await
    .map(|row| row.map(User::from))
}
