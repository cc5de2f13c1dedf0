//! Signed-out sessions (contract: "signing out revokes that session in every service within a
//! second"). A session token carries its session id; signing out publishes session.revoked
//! through auth's outbox; every process of every service reads every session.revoked from the
//! stream (an ordered consumer of its own, not a shared durable one: each replica must know) and
//! refuses those sessions until their tokens would have expired anyway.
//!
//! The trade-off against short-lived tokens refreshed by auth: a token stays a bearer token that
//! any service checks on its own (no call to auth per request, the original clients unchanged),
//! at the price of a small in-memory set per process and of NATS being needed to learn of a
//! sign-out. A process that starts while NATS is down accepts a signed-out token until it
//! connects and catches up from the stream.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull::OrderedConfig};
use futures::StreamExt;
use time::OffsetDateTime;
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::events::{Event, SessionRevoked};
use crate::ids::SessionId;

/// The sessions signed out and not yet expired, shared by every request of a service.
#[derive(Debug, Clone, Default)]
pub struct Revocations(Arc<RwLock<HashMap<SessionId, OffsetDateTime>>>);

impl Revocations {
    pub fn revoke(&self, session: SessionId, expires_at: OffsetDateTime) {
        let mut revoked = self.0.write().unwrap_or_else(|e| e.into_inner());
        revoked.insert(session, expires_at);
        // Expired tokens are refused anyway: forget them, so the set holds live sessions only.
        if revoked.len().is_multiple_of(1024) {
            let now = OffsetDateTime::now_utc();
            revoked.retain(|_, expires| *expires > now);
        }
    }

    pub fn is_revoked(&self, session: SessionId) -> bool {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(&session)
    }

    pub fn len(&self) -> usize {
        self.0.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies every session.revoked of the last `lookback` (the tokens' lifetime), then each
    /// new one as it is published, until `cancel`; reconnects after any failure.
    pub async fn follow(self, bus: Bus, lookback: Duration, cancel: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        while !cancel.is_cancelled() {
            match self.consume(&bus, lookback, &cancel).await {
                Ok(()) => backoff = Duration::from_millis(100),
                Err(e) => tracing::warn!(
                    error = format!("{e:#}"),
                    "following session revocations: interrupted, resuming"
                ),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }

    async fn consume(
        &self,
        bus: &Bus,
        lookback: Duration,
        cancel: &CancellationToken,
    ) -> anyhow::Result<()> {
        let stream = bus.ensure_stream().await?;
        // Re-reading from the start of the window after a reconnection is harmless: applying a
        // revocation twice changes nothing.
        let since = OffsetDateTime::now_utc() - lookback;
        let consumer = stream
            .create_consumer(OrderedConfig {
                filter_subject: bus.namespace().subject(SessionRevoked::SUBJECT),
                deliver_policy: DeliverPolicy::ByStartTime { start_time: since },
                ..Default::default()
            })
            .await
            .map_err(|e| anyhow::anyhow!("creating the revocations consumer: {e}"))?;
        let mut messages = consumer
            .messages()
            .await
            .map_err(|e| anyhow::anyhow!("reading revocations: {e}"))?;
        loop {
            let message = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                message = messages.next() => message,
            };
            let Some(message) = message else {
                anyhow::bail!("the revocations consumer ended");
            };
            let message = message.map_err(|e| anyhow::anyhow!("reading revocations: {e}"))?;
            match serde_json::from_slice::<SessionRevoked>(&message.payload) {
                Ok(revoked) => self.revoke(revoked.id, revoked.expires_at),
                Err(e) => tracing::error!(error = %e, "undecodable session.revoked ignored"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revoked_session_is_remembered_and_others_are_not_affected() {
        let revocations = Revocations::default();
        let (gone, kept) = (SessionId::new(), SessionId::new());
        revocations.revoke(gone, OffsetDateTime::now_utc() + time::Duration::hours(1));
        assert!(revocations.is_revoked(gone));
        assert!(!revocations.is_revoked(kept));
        assert_eq!(revocations.len(), 1);
    }
}
