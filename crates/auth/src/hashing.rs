//! Argon2id password hashing, bounded. Each hash needs about 19 MiB and tens of milliseconds of
//! a core, so an unbounded number at once is a way to exhaust memory from outside (before this
//! bound, 128 concurrent sign-ins took one process to 9.7 GiB, and it kept 8.8 GiB afterwards).
//! Hashing runs on a fixed set of threads of its own, one per core by default, fed by a short
//! queue; a request that finds the queue full is refused at once (503 with `Retry-After`)
//! instead of waiting. Each thread allocates its Argon2 memory once and reuses it for every hash:
//! allocating it per hash let the allocator keep ~230 MB of freed buffers in its per-thread
//! arenas after a burst. So the hashing memory is `workers` × 19 MiB, whatever the load.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

use anyhow::{Context as _, anyhow};
use argon2::password_hash::{Output, ParamsString, Salt, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tokio::sync::oneshot;

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

/// How many hashes run at once, and how many may wait (`PASSWORD_HASHING_WORKERS`,
/// `PASSWORD_HASHING_QUEUE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    pub workers: usize,
    pub queue: usize,
}

impl Default for HashingLimits {
    /// One worker per core; a queue of four per worker (a wait of a few hashes' time).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            workers: cores,
            queue: 4 * cores,
        }
    }
}

/// Every worker is busy and the queue is full: the caller answers 503 and the client retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is saturated")]
pub struct Saturated;

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error(transparent)]
    Saturated(#[from] Saturated),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

enum Job {
    Hash(Password, oneshot::Sender<anyhow::Result<StoredHash>>),
    Verify(Password, StoredHash, oneshot::Sender<anyhow::Result<bool>>),
}

/// Hashes and verifies passwords on its own threads. It keeps a dummy hash so that a sign-in for
/// an unknown email runs a full verification too, in the same queue, and takes as long as a
/// wrong password does.
#[derive(Clone)]
pub struct Hasher {
    jobs: SyncSender<Job>,
    dummy: StoredHash,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher").finish_non_exhaustive()
    }
}

impl Hasher {
    /// Starts the workers and computes the dummy hash (of a random password nobody knows) with
    /// the real parameters. The workers stop when the last `Hasher` clone is dropped.
    pub async fn new(limits: HashingLimits) -> anyhow::Result<Self> {
        let workers = limits.workers.max(1);
        // The channel's buffer is the queue; a job a worker has taken no longer counts.
        let (jobs, queue) = sync_channel(limits.queue);
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&queue))
                .context("starting a password hashing thread")?;
        }
        let mut hasher = Self {
            jobs,
            dummy: StoredHash(String::new()),
        };
        let secret = SaltString::generate(&mut OsRng);
        let password = Password::for_signin(secret.as_str())
            .map_err(|e| anyhow!("dummy password refused: {e:?}"))?;
        hasher.dummy = hasher.hash(password).await.map_err(|e| match e {
            HashingError::Saturated(_) => anyhow!("the hashing queue is full at start"),
            HashingError::Failed(e) => e,
        })?;
        Ok(hasher)
    }

    /// A fresh Argon2id hash of `password` with a random salt.
    pub async fn hash(&self, password: Password) -> Result<StoredHash, HashingError> {
        let (done, result) = oneshot::channel();
        self.submit(Job::Hash(password, done))?;
        Ok(result
            .await
            .context("a password hashing thread stopped")??)
    }

    /// Whether `password` matches `stored`; without a stored hash it verifies against the dummy
    /// and answers `false`, taking the same time.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<StoredHash>,
    ) -> Result<bool, HashingError> {
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy.clone());
        let (done, result) = oneshot::channel();
        self.submit(Job::Verify(password, hash, done))?;
        let matches = result
            .await
            .context("a password hashing thread stopped")??;
        Ok(known && matches)
    }

    fn submit(&self, job: Job) -> Result<(), HashingError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => HashingError::Saturated(Saturated),
            TrySendError::Disconnected(_) => {
                HashingError::Failed(anyhow!("the password hashing threads stopped"))
            }
        })
    }
}

fn work(queue: &Mutex<Receiver<Job>>) {
    let mut memory = vec![Block::default(); Params::DEFAULT.block_count()];
    loop {
        // One worker waits on the queue at a time; the others wait for the lock.
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(Job::Hash(password, done)) => {
                let _ = done.send(hash_blocking(&mut memory, &password));
            }
            Ok(Job::Verify(password, stored, done)) => {
                let _ = done.send(verify_blocking(&mut memory, &password, &stored));
            }
            Err(_) => return,
        }
    }
}

/// The Argon2id output for `password` and `salt` with `params`, computed in `memory` (grown if
/// a stored hash asks for more than the default parameters).
fn compute(
    memory: &mut Vec<Block>,
    password: &Password,
    salt: Salt<'_>,
    params: Params,
    version: Version,
) -> anyhow::Result<Output> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut salt_bytes = [0u8; 64];
    let salt = salt
        .decode_b64(&mut salt_bytes)
        .map_err(|e| anyhow!("unreadable salt: {e}"))?;
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let argon2 = Argon2::new(Algorithm::Argon2id, version, params);
    Output::init_with(output_len, |out| {
        argon2
            .hash_password_into_with_memory(
                password.expose().as_bytes(),
                salt,
                out,
                &mut memory[..blocks],
            )
            .map_err(|_| argon2::password_hash::Error::Password)
    })
    .map_err(|e| anyhow!("hashing a password: {e}"))
}

fn hash_blocking(memory: &mut Vec<Block>, password: &Password) -> anyhow::Result<StoredHash> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::DEFAULT;
    let output = compute(
        memory,
        password,
        salt.as_salt(),
        params.clone(),
        Version::V0x13,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| anyhow!("{e}"))?,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(StoredHash(phc.to_string()))
}

fn verify_blocking(
    memory: &mut Vec<Block>,
    password: &Password,
    stored: &StoredHash,
) -> anyhow::Result<bool> {
    let parsed =
        PasswordHash::new(stored.as_str()).map_err(|e| anyhow!("unreadable stored hash: {e}"))?;
    anyhow::ensure!(
        Algorithm::try_from(parsed.algorithm).ok() == Some(Algorithm::Argon2id),
        "the stored hash is not Argon2id"
    );
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Err(anyhow!("the stored hash has no salt or output"));
    };
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| anyhow!("unreadable hash version: {e}"))?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).map_err(|e| anyhow!("unreadable hash params: {e}"))?;
    let params = Params::new(
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        Some(expected.len()),
    )
    .map_err(|e| anyhow!("unusable hash params: {e}"))?;
    let actual = compute(memory, password, salt, params, version)?;
    // `Output`'s equality is constant-time.
    Ok(actual == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::for_signin(text).unwrap()
    }

    async fn hasher() -> Hasher {
        Hasher::new(HashingLimits::default()).await.unwrap()
    }

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify() {
        let hasher = hasher().await;
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
        let hasher = hasher().await;
        assert!(!hasher.verify(password("anything"), None).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_workers_and_the_queue_it_refuses_at_once() {
        let hasher = Hasher::new(HashingLimits {
            workers: 1,
            queue: 2,
        })
        .await
        .unwrap();
        let attempts = (0..12).map(|_| {
            let hasher = hasher.clone();
            tokio::spawn(async move { hasher.verify(password("x"), None).await })
        });
        let results = futures_join(attempts).await;
        let refused = results
            .iter()
            .filter(|r| matches!(r, Err(HashingError::Saturated(_))))
            .count();
        let served = results.iter().filter(|r| matches!(r, Ok(false))).count();
        assert_eq!(refused + served, 12);
        assert!(
            refused >= 8,
            "at most one running and two queued: {refused} refused"
        );
        assert!(served >= 1);
    }

    async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::new();
        for handle in handles.collect::<Vec<_>>() {
            out.push(handle.await.unwrap());
        }
        out
    }

    #[test]
    fn hashes_made_by_the_argon2_crate_itself_still_verify() {
        use argon2::PasswordHasher as _;
        let mut memory = Vec::new();
        let salt = SaltString::generate(&mut OsRng);
        let made = Argon2::default()
            .hash_password(b"s3cret", &salt)
            .unwrap()
            .to_string();
        let stored = StoredHash::from_stored(made);
        assert!(verify_blocking(&mut memory, &password("s3cret"), &stored).unwrap());
        assert!(!verify_blocking(&mut memory, &password("s3cret!"), &stored).unwrap());
        let ours = hash_blocking(&mut memory, &password("s3cret")).unwrap();
        use argon2::PasswordVerifier as _;
        let parsed = PasswordHash::new(ours.as_str()).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"s3cret", &parsed)
                .is_ok(),
            "and the other way"
        );
    }

    #[test]
    fn debug_hides_the_hash() {
        let stored = StoredHash::from_stored("$argon2id$secret".into());
        assert!(!format!("{stored:?}").contains("secret"));
    }
}
