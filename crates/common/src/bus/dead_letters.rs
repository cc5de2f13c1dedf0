//! No event is silently given up (contract: "delivery rules"). A message a listener cannot decode,
//! or whose handler still fails at its last delivery, is stored in its service's `dead_letters`
//! table before it is terminated. Once the cause is fixed, an operator replays it: it is published
//! again on its subject, addressed to the one service that gave up on it (other consumers of the
//! subject acknowledge and skip it), and handled like any delivery.

use std::collections::BTreeMap;

use async_nats::HeaderMap;
use async_nats::jetstream::message::PublishMessage;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Bus;

/// The header naming the only service a replayed event is for.
pub const REPLAY_FOR: &str = "Ticketing-Replay-For";
/// NATS's message id header, which the stream deduplicates on.
const MESSAGE_ID: &str = "Nats-Msg-Id";

/// A service's store of given-up events.
#[derive(Debug, Clone)]
pub struct DeadLetters {
    pool: PgPool,
}

/// An event as it was given up.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadLetter {
    pub id: Uuid,
    /// The service whose listener gave up on it.
    pub service: String,
    /// The event's subject below the namespace (`order.created`).
    pub subject: String,
    /// Its `Nats-Msg-Id`, the id it was written with.
    pub event_id: Option<String>,
    pub payload: Vec<u8>,
    /// Its NATS headers, name to values.
    pub headers: sqlx::types::Json<BTreeMap<String, Vec<String>>>,
    pub reason: String,
    pub deliveries: i64,
    pub failed_at: OffsetDateTime,
    pub replayed_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "id, service, subject, event_id, payload, headers, reason, deliveries, \
                       failed_at, replayed_at";

impl DeadLetters {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The service's database, where the listener runner applies events too.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Keeps a given-up message; its id is time-ordered.
    pub async fn store(
        &self,
        service: &str,
        subject: &str,
        message: &async_nats::Message,
        reason: &str,
        deliveries: i64,
    ) -> Result<Uuid, sqlx::Error> {
        let id = Uuid::now_v7();
        let headers: BTreeMap<String, Vec<String>> = message
            .headers
            .iter()
            .flat_map(HeaderMap::iter)
            .map(|(name, values)| {
                let name: &str = name.as_ref();
                let values = values.iter().map(|v| v.as_str().to_owned()).collect();
                (name.to_owned(), values)
            })
            .collect();
        let event_id = headers.get(MESSAGE_ID).and_then(|v| v.first()).cloned();
        sqlx::query(
            "INSERT INTO dead_letters (id, service, subject, event_id, payload, headers, reason, deliveries)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(service)
        .bind(subject)
        .bind(event_id)
        .bind(message.payload.as_ref())
        .bind(sqlx::types::Json(headers))
        .bind(reason)
        .bind(deliveries)
        .execute(&self.pool)
        .await?;
        Ok(id)
    }

    /// How many are waiting for a replay.
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT count(*) FROM dead_letters WHERE replayed_at IS NULL")
            .fetch_one(&self.pool)
            .await
    }

    /// Every stored event, oldest first; with `pending_only`, those not replayed yet.
    pub async fn list(&self, pending_only: bool) -> Result<Vec<DeadLetter>, sqlx::Error> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dead_letters
             WHERE replayed_at IS NULL OR NOT $1 ORDER BY failed_at, id"
        )))
        .bind(pending_only)
        .fetch_all(&self.pool)
        .await
    }

    pub async fn find(&self, id: Uuid) -> Result<Option<DeadLetter>, sqlx::Error> {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM dead_letters WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
    }

    /// Publishes `letter` again for its service, then records that it was replayed. A replay of
    /// the same letter within the stream's duplicate window is dropped by the stream.
    pub async fn replay(&self, bus: &Bus, letter: &DeadLetter) -> anyhow::Result<()> {
        let mut message = PublishMessage::build()
            .payload(letter.payload.clone().into())
            .message_id(format!("replay-{}", letter.id));
        for (name, values) in letter.headers.iter() {
            if name == MESSAGE_ID || name == REPLAY_FOR {
                continue;
            }
            for value in values {
                message = message.header(name.as_str(), value.as_str());
            }
        }
        message = message.header(REPLAY_FOR, letter.service.as_str());
        bus.ensure_stream().await?;
        bus.jetstream()
            .send_publish(bus.namespace().subject(&letter.subject), message)
            .await
            .map_err(|e| anyhow::anyhow!("publishing dead letter {}: {e}", letter.id))?
            .await
            .map_err(|e| anyhow::anyhow!("awaiting the stream's ack of {}: {e}", letter.id))?;
        sqlx::query("UPDATE dead_letters SET replayed_at = now() WHERE id = $1")
            .bind(letter.id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
