//! A stand-in for Stripe with its test tokens: `tok_visa` succeeds, `tok_chargeDeclined` is
//! declined, anything else is an unknown card. Like Stripe it is one ledger however many
//! replicas charge through it, and it survives their restarts: its charges, declines and refunds
//! live in Postgres (schema `fake_provider` of the database it is given), so a retried key
//! returns the original outcome and a charge made by another replica, or before a restart, can
//! be refunded. Tests read the ledger to check that no money was kept by mistake.

use anyhow::Context as _;
use sqlx::PgPool;

use super::{Charge, ChargeError, ChargeRequest, PaymentProvider};

pub const DECLINED: &str = "Your card was declined.";
pub const UNKNOWN_TOKEN: &str = "Unknown test card token";
/// Stripe's answer when an idempotency key is reused with other parameters.
pub const KEY_REUSED: &str = "Keys for idempotent requests can only be used with the same parameters they were first used with.";

/// Creates the ledger's tables once per database, whichever replica comes first.
const SCHEMA: &str = "
    SELECT pg_advisory_xact_lock(7364);
    CREATE SCHEMA IF NOT EXISTS fake_provider;
    CREATE TABLE IF NOT EXISTS fake_provider.charges (
        id              TEXT        PRIMARY KEY,
        idempotency_key TEXT        NOT NULL UNIQUE,
        amount_cents    BIGINT      NOT NULL,
        source          TEXT        NOT NULL,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE IF NOT EXISTS fake_provider.declines (
        idempotency_key TEXT   PRIMARY KEY,
        amount_cents    BIGINT NOT NULL,
        source          TEXT   NOT NULL,
        message         TEXT   NOT NULL
    );
    CREATE TABLE IF NOT EXISTS fake_provider.refunds (
        charge_id       TEXT        PRIMARY KEY REFERENCES fake_provider.charges (id),
        idempotency_key TEXT        NOT NULL,
        created_at      TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
    );";

#[derive(Debug, Clone)]
pub struct FakeProvider {
    pool: PgPool,
}

/// What the ledger remembers of a key.
#[derive(sqlx::FromRow)]
struct Remembered {
    charge_id: Option<String>,
    message: Option<String>,
    amount_cents: i64,
    source: String,
}

impl FakeProvider {
    /// The provider whose ledger lives in `pool`'s database (created if missing).
    pub async fn connect(pool: PgPool) -> anyhow::Result<Self> {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(SCHEMA)
            .execute(&mut *tx)
            .await
            .context("creating the fake provider's ledger")?;
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// The ids of every charge made so far, oldest first.
    pub async fn charges(&self) -> anyhow::Result<Vec<String>> {
        Ok(
            sqlx::query_scalar("SELECT id FROM fake_provider.charges ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The amount of a charge, in cents.
    pub async fn amount_of(&self, charge_id: &str) -> anyhow::Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT amount_cents FROM fake_provider.charges WHERE id = $1")
                .bind(charge_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// The ids of every charge refunded so far (once each), oldest first.
    pub async fn refunds(&self) -> anyhow::Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT charge_id FROM fake_provider.refunds ORDER BY created_at, charge_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn remembered(&self, key: &str) -> Result<Option<Remembered>, sqlx::Error> {
        sqlx::query_as(
            "SELECT id AS charge_id, NULL AS message, amount_cents, source
               FROM fake_provider.charges WHERE idempotency_key = $1
             UNION ALL
             SELECT NULL, message, amount_cents, source
               FROM fake_provider.declines WHERE idempotency_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await
    }

    /// The outcome of a new key: a charge for `tok_visa`, a decline (remembered) otherwise.
    async fn first_use(&self, request: &ChargeRequest) -> Result<(), sqlx::Error> {
        let declined = match request.source.as_str() {
            "tok_visa" => None,
            "tok_chargeDeclined" => Some(DECLINED),
            _ => Some(UNKNOWN_TOKEN),
        };
        let statement = match declined {
            None => sqlx::query(
                "INSERT INTO fake_provider.charges (id, idempotency_key, amount_cents, source)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(format!("ch_fake_{}", uuid::Uuid::new_v4().simple())),
            Some(message) => sqlx::query(
                "INSERT INTO fake_provider.declines (message, idempotency_key, amount_cents, source)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(message),
        };
        statement
            .bind(&request.idempotency_key)
            .bind(request.amount_cents)
            .bind(&request.source)
            .execute(&self.pool)
            .await
            .map(drop)
    }
}

fn unavailable(e: sqlx::Error) -> ChargeError {
    ChargeError::Unavailable(anyhow::Error::new(e).context("the fake provider's ledger"))
}

#[async_trait::async_trait]
impl PaymentProvider for FakeProvider {
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError> {
        // Two requests with a new key may race: the ledger's unique key decides, and both read
        // back the one outcome it kept.
        let outcome = match self.remembered(&request.idempotency_key).await {
            Ok(Some(known)) => known,
            Ok(None) => {
                self.first_use(&request).await.map_err(unavailable)?;
                self.remembered(&request.idempotency_key)
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| {
                        ChargeError::Unavailable(anyhow::anyhow!("the ledger lost a charge"))
                    })?
            }
            Err(e) => return Err(unavailable(e)),
        };
        if outcome.amount_cents != request.amount_cents || outcome.source != request.source {
            return Err(ChargeError::Declined(KEY_REUSED.to_owned()));
        }
        match (outcome.charge_id, outcome.message) {
            (Some(id), _) => Ok(Charge { id }),
            (None, message) => Err(ChargeError::Declined(message.unwrap_or_default())),
        }
    }

    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> anyhow::Result<()> {
        let known: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM fake_provider.charges WHERE id = $1)")
                .bind(charge_id)
                .fetch_one(&self.pool)
                .await?;
        anyhow::ensure!(known, "no such charge: {charge_id}");
        sqlx::query(
            "INSERT INTO fake_provider.refunds (charge_id, idempotency_key) VALUES ($1, $2)
             ON CONFLICT (charge_id) DO NOTHING",
        )
        .bind(charge_id)
        .bind(idempotency_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
