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

/// The ledger's tables: one of the service's migrations, also run on any database the provider is
/// given.
const LEDGER: &str = include_str!("../../schema/fake_provider.sql");

#[derive(Debug, Clone)]
pub struct FakeProvider {
    pool: PgPool,
}

/// What the ledger remembers of a key: a charge (`charge_id`) or a decline (`message`).
struct RememberedRow {
    charge_id: Option<String>,
    message: Option<String>,
    amount_cents: i64,
    source: String,
}

/// The first outcome of a key, with the parameters it was first used with.
struct Remembered {
    outcome: Result<Charge, String>,
    amount_cents: i64,
    source: String,
}

impl From<RememberedRow> for Remembered {
    fn from(row: RememberedRow) -> Self {
        Self {
            outcome: match (row.charge_id, row.message) {
                (Some(id), _) => Ok(Charge { id }),
                (None, message) => Err(message.unwrap_or_default()),
            },
            amount_cents: row.amount_cents,
            source: row.source,
        }
    }
}

impl FakeProvider {
    /// The provider whose ledger lives in `pool`'s database (created if missing).
    pub async fn connect(pool: PgPool) -> anyhow::Result<Self> {
        let mut tx = pool.begin().await?;
        sqlx::raw_sql(LEDGER)
            .execute(&mut *tx)
            .await
            .context("creating the fake provider's ledger")?;
        tx.commit().await?;
        Ok(Self { pool })
    }

    /// The ids of every charge made so far, oldest first.
    pub async fn charges(&self) -> anyhow::Result<Vec<String>> {
        Ok(
            sqlx::query_scalar!("SELECT id FROM fake_provider.charges ORDER BY created_at, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The amount of a charge, in cents.
    pub async fn amount_of(&self, charge_id: &str) -> anyhow::Result<Option<i64>> {
        Ok(sqlx::query_scalar!(
            "SELECT amount_cents FROM fake_provider.charges WHERE id = $1",
            charge_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The ids of every charge refunded so far (once each), oldest first.
    pub async fn refunds(&self) -> anyhow::Result<Vec<String>> {
        Ok(sqlx::query_scalar!(
            "SELECT charge_id FROM fake_provider.refunds ORDER BY created_at, charge_id"
        )
        .fetch_all(&self.pool)
        .await?)
    }

    async fn remembered(&self, key: &str) -> Result<Option<Remembered>, sqlx::Error> {
        // Postgres cannot tell the nullability of a UNION's columns.
        sqlx::query_as!(
            RememberedRow,
            r#"SELECT id AS "charge_id?", NULL::text AS "message?", amount_cents AS "amount_cents!",
                      source AS "source!"
                 FROM fake_provider.charges WHERE idempotency_key = $1
               UNION ALL
               SELECT NULL, message, amount_cents, source
                 FROM fake_provider.declines WHERE idempotency_key = $1"#,
            key
        )
        .fetch_optional(&self.pool)
        .await
        .map(|row| row.map(Remembered::from))
    }

    /// The outcome of a new key: a charge for `tok_visa`, a decline (remembered) otherwise.
    async fn first_use(&self, request: &ChargeRequest) -> Result<(), sqlx::Error> {
        let declined = match request.source.as_str() {
            "tok_visa" => None,
            "tok_chargeDeclined" => Some(DECLINED),
            _ => Some(UNKNOWN_TOKEN),
        };
        match declined {
            None => {
                sqlx::query!(
                    "INSERT INTO fake_provider.charges (id, idempotency_key, amount_cents, source)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
                    format!("ch_fake_{}", uuid::Uuid::new_v4().simple()),
                    request.idempotency_key,
                    request.amount_cents,
                    request.source,
                )
                .execute(&self.pool)
                .await
            }
            Some(message) => {
                sqlx::query!(
                "INSERT INTO fake_provider.declines (message, idempotency_key, amount_cents, source)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (idempotency_key) DO NOTHING",
                message,
                request.idempotency_key,
                request.amount_cents,
                request.source,
            )
                .execute(&self.pool)
                .await
            }
        }
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
        let first = match self.remembered(&request.idempotency_key).await {
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
        if first.amount_cents != request.amount_cents || first.source != request.source {
            return Err(ChargeError::Declined(KEY_REUSED.to_owned()));
        }
        first.outcome.map_err(ChargeError::Declined)
    }

    async fn refund(&self, charge_id: &str, idempotency_key: &str) -> anyhow::Result<()> {
        let known = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM fake_provider.charges WHERE id = $1) AS "known!""#,
            charge_id
        )
        .fetch_one(&self.pool)
        .await?;
        anyhow::ensure!(known, "no such charge: {charge_id}");
        sqlx::query!(
            "INSERT INTO fake_provider.refunds (charge_id, idempotency_key) VALUES ($1, $2)
             ON CONFLICT (charge_id) DO NOTHING",
            charge_id,
            idempotency_key,
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
