//! Throttling (contract: 429 with `Retry-After`). A limit is a number of requests per period,
//! allowed in a burst and replenished evenly (GCRA, by the `governor` crate), kept per key: an
//! account, a client address, a user. Limits live in each process's memory: with N replicas
//! behind a load balancer a client gets up to N times the limit, which still stops a brute force
//! or a spam run; `RATE_LIMITS=off` turns every limit off (load tests, contract test runs).

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{ResponseError as _, web};
use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::ids::UserId;
use crate::session::JwtKeys;

/// A limit as configured: `<count>/<second|minute|hour>`, e.g. `10/minute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

impl std::str::FromStr for Rate {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let wrong = || format!("{text:?} is not <count>/<second|minute|hour>, e.g. 10/minute");
        let (count, unit) = text.trim().split_once('/').ok_or_else(wrong)?;
        let count: NonZeroU32 = count.trim().parse().map_err(|_| wrong())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "m" | "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3600),
            _ => return Err(wrong()),
        };
        Ok(Self { count, per })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "second",
            60 => "minute",
            _ => "hour",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// A limit per key; a disabled one lets everything through.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Option<Arc<DefaultKeyedRateLimiter<K>>>,
}

impl<K: Hash + Eq + Clone> Clone for Limiter<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Limiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

impl<K: Hash + Eq + Clone + Send + Sync + 'static> Limiter<K> {
    /// `rate` per key; `None` (limits off) allows everything.
    pub fn new(rate: Option<Rate>) -> Self {
        let inner = rate.and_then(|rate| {
            let period = rate.per / rate.count.get();
            Quota::with_period(period)
                .map(|quota| Arc::new(governor::RateLimiter::keyed(quota.allow_burst(rate.count))))
        });
        Self { inner }
    }

    /// Counts one request of `key`: refused with 429 and the seconds to wait once over the limit.
    pub fn check(&self, key: &K) -> Result<(), ApiError> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets keys that are back to a full burst, every minute until `cancel`, so the memory
    /// held is that of recently active keys only.
    pub async fn forget_idle_keys(self, cancel: CancellationToken) {
        let Some(limiter) = self.inner else { return };
        loop {
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(Duration::from_secs(60)) => {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
            }
        }
    }
}

/// The writes (any method but GET, HEAD and OPTIONS) of a signed-in user, counted by
/// [`writes_per_user`] for every route of a scope.
pub type WritesPerUser = Limiter<UserId>;

/// Middleware (`scope.wrap(from_fn(...))`): a signed-in user's writes beyond the limit are
/// refused with 429 before the handler runs. Requests without a session pass (their handler
/// answers 401), and so do reads.
pub async fn writes_per_user(
    limiter: WritesPerUser,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let reading = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let user = if reading {
        None
    } else {
        req.app_data::<web::Data<JwtKeys>>()
            .and_then(|keys| keys.from_request(req.request()))
            .map(|claims| claims.id)
    };
    if let Some(user) = user
        && let Err(refused) = limiter.check(&user)
    {
        let response = refused.error_response().map_into_right_body();
        return Ok(req.into_response(response));
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_and_print() {
        let rate: Rate = "10/minute".parse().unwrap_or_else(|_| unreachable!());
        assert_eq!((rate.count.get(), rate.per), (10, Duration::from_secs(60)));
        assert_eq!(rate.to_string(), "10/minute");
        assert_eq!(
            "3 / s".parse::<Rate>().map(|r| r.to_string()),
            Ok("3/second".into())
        );
        for bad in ["", "10", "0/minute", "ten/minute", "10/week", "-1/hour"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_burst_is_allowed_then_refused_with_the_wait() {
        let limiter = Limiter::new(Some(Rate {
            count: NonZeroU32::MIN.saturating_add(2),
            per: Duration::from_secs(60),
        }));
        for _ in 0..3 {
            assert!(limiter.check(&"a").is_ok());
        }
        match limiter.check(&"a") {
            Err(ApiError::TooManyRequests { retry_after }) => {
                assert!((1..=20).contains(&retry_after), "{retry_after}")
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(
            limiter.check(&"b").is_ok(),
            "another key has its own budget"
        );
        let off: Limiter<&str> = Limiter::new(None);
        for _ in 0..1000 {
            assert!(off.check(&"a").is_ok());
        }
    }
}
