//! Argon2id password hashing, run on the blocking pool so it never stalls the async workers.

use anyhow::{Context as _, anyhow};
use argon2::password_hash::{SaltString, rand_core::OsRng};
use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};

use crate::domain::Password;

/// A stored Argon2id hash in PHC format (`$argon2id$v=19$...`). `Debug` shows no content.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredHash(String);

impl StoredHash {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for StoredHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoredHash([REDACTED])")
    }
}

/// Hashes and verifies passwords. It keeps a dummy hash so that a sign-in for an unknown email
/// runs a full verification too and takes as long as a wrong password does.
#[derive(Clone, Debug)]
pub struct Hasher {
    dummy: StoredHash,
}

impl Hasher {
    /// Computes the dummy hash (of a random password nobody knows) with the real parameters.
    pub async fn new() -> anyhow::Result<Self> {
        let secret = SaltString::generate(&mut OsRng);
        let password = Password::for_signin(secret.as_str())
            .map_err(|e| anyhow!("dummy password refused: {e:?}"))?;
        Ok(Self {
            dummy: hash(password).await?,
        })
    }

    /// A fresh Argon2id hash of `password` with a random salt.
    pub async fn hash(&self, password: Password) -> anyhow::Result<StoredHash> {
        hash(password).await
    }

    /// Whether `password` matches `stored`; without a stored hash it verifies against the dummy
    /// and answers `false`, taking the same time.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<StoredHash>,
    ) -> anyhow::Result<bool> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let matches = tokio::task::spawn_blocking(move || verify_blocking(&password, &hash))
            .await
            .context("password verification task failed")??;
        Ok(known && matches)
    }
}

async fn hash(password: Password) -> anyhow::Result<StoredHash> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .context("password hashing task failed")?
}

fn hash_blocking(password: &Password) -> anyhow::Result<StoredHash> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = Argon2::default()
        .hash_password(password.expose().as_bytes(), &salt)
        .map_err(|e| anyhow!("hashing a password: {e}"))?;
    Ok(StoredHash(hash.to_string()))
}

fn verify_blocking(password: &Password, stored: &StoredHash) -> anyhow::Result<bool> {
    let parsed =
        PasswordHash::new(stored.as_str()).map_err(|e| anyhow!("unreadable stored hash: {e}"))?;
    Ok(Argon2::default()
        .verify_password(password.expose().as_bytes(), &parsed)
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::for_signin(text).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify() {
        let hasher = Hasher::new().await.unwrap();
        let first = hasher.hash(password("pass word ")).await.unwrap();
        let second = hasher.hash(password("pass word ")).await.unwrap();
        assert!(
            first.as_str().starts_with("$argon2id$"),
            "{}",
            first.as_str()
        );
        assert_ne!(first, second, "every hash has its own salt");
        let cases = [
            ("pass word ", true, "the same password"),
            ("pass word", false, "trimmed: passwords are never trimmed"),
            ("Pass word ", false, "another case"),
            ("wrong", false, "another password"),
        ];
        for (offered, expected, why) in cases {
            let ok = hasher
                .verify(password(offered), Some(first.clone()))
                .await
                .unwrap();
            assert_eq!(ok, expected, "{why}");
        }
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches() {
        let hasher = Hasher::new().await.unwrap();
        assert!(!hasher.verify(password("anything"), None).await.unwrap());
    }

    #[test]
    fn debug_hides_the_hash() {
        let stored = StoredHash::from_stored("$argon2id$secret".into());
        assert!(!format!("{stored:?}").contains("secret"));
    }
}
