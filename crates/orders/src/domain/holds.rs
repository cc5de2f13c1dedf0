//! How many tickets one buyer may hold, and how soon a released ticket may be ordered again
//! (contract: orders, "no buyer hoards a sale").

use time::{Duration, OffsetDateTime};

/// `MAX_HOLDS_PER_BUYER` unless set.
pub const DEFAULT_MAX_HOLDS: u32 = 5;
/// `REORDER_COOLDOWN_SECONDS` unless set.
pub const DEFAULT_REORDER_COOLDOWN_SECONDS: u32 = 60;

/// The limits on one buyer's holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldRules {
    /// At most this many unpaid orders at once; `None` for no cap (the original app).
    pub max_holds: Option<u32>,
    /// After cancelling an order or letting it expire, the buyer waits this long before ordering
    /// the same ticket again; zero for no wait (the original app).
    pub reorder_cooldown: Duration,
}

impl Default for HoldRules {
    fn default() -> Self {
        Self {
            max_holds: Some(DEFAULT_MAX_HOLDS),
            reorder_cooldown: Duration::seconds(DEFAULT_REORDER_COOLDOWN_SECONDS.into()),
        }
    }
}

/// The refusal when a buyer already holds `max` unpaid orders.
pub fn too_many_holds(max: u32) -> String {
    let orders = if max == 1 { "order" } else { "orders" };
    format!(
        "You already hold {max} unpaid {orders}: pay for or cancel one before ordering another ticket"
    )
}

impl HoldRules {
    /// Whether a buyer who last released this ticket at `released` must still wait at `now`; the
    /// refusal names the whole seconds left (rounded up, so it never says 0).
    pub fn cooldown_refusal(
        &self,
        released: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Option<String> {
        let left = released? + self.reorder_cooldown - now;
        if !left.is_positive() {
            return None;
        }
        let seconds = (left.whole_milliseconds() + 999) / 1000;
        let unit = if seconds == 1 { "second" } else { "seconds" };
        Some(format!(
            "You released this ticket a moment ago: you can order it again in {seconds} {unit}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cooldown_counts_from_the_release() {
        let rules = HoldRules::default();
        let now = OffsetDateTime::now_utc();
        assert_eq!(rules.cooldown_refusal(None, now), None, "never released");
        assert_eq!(
            rules.cooldown_refusal(Some(now - Duration::seconds(61)), now),
            None,
            "the cooldown is over"
        );
        assert_eq!(
            rules.cooldown_refusal(Some(now - Duration::milliseconds(59_500)), now),
            Some(
                "You released this ticket a moment ago: you can order it again in 1 second".into()
            )
        );
        assert_eq!(
            rules.cooldown_refusal(Some(now - Duration::seconds(15)), now),
            Some(
                "You released this ticket a moment ago: you can order it again in 45 seconds"
                    .into()
            )
        );
        let none = HoldRules {
            max_holds: None,
            reorder_cooldown: Duration::ZERO,
        };
        assert_eq!(none.cooldown_refusal(Some(now), now), None, "no cooldown");
    }

    #[test]
    fn the_cap_message_names_the_cap() {
        assert_eq!(
            too_many_holds(5),
            "You already hold 5 unpaid orders: pay for or cancel one before ordering another ticket"
        );
        assert!(too_many_holds(1).contains("1 unpaid order:"));
    }
}
