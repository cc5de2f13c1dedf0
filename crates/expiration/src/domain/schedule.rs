//! When the sweeper looks for due expirations next.

use std::time::Duration;

use time::OffsetDateTime;

/// The longest the sweeper sleeps. An expiration scheduled by another replica (which cannot wake
/// this process) is therefore noticed within this time, well inside the one second of
/// docs/contract.md#lifecycle-and-invariants.
pub const MAX_SLEEP: Duration = Duration::from_millis(250);

/// The shortest pause after a sweep that fired nothing: due rows it could not claim are held by
/// another replica, which is about to fire them, so there is no point in spinning on them.
pub const MIN_SLEEP: Duration = Duration::from_millis(10);

/// What the sweeper decides its pause from, read in one statement so that both are by the
/// database's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextDue {
    /// The earliest pending expiration, if any.
    pub next_due: Option<OffsetDateTime>,
    pub now: OffsetDateTime,
}

/// How long to sleep, seen at `now`, when the earliest pending expiration is `next_due`: until
/// it is due (rounded up to the millisecond, so the wake-up is never early), at most
/// [`MAX_SLEEP`]; zero when it is already due.
pub fn sleep_before(now: OffsetDateTime, next_due: Option<OffsetDateTime>) -> Duration {
    let Some(due) = next_due else {
        return MAX_SLEEP;
    };
    let micros = (due - now).whole_microseconds();
    if micros <= 0 {
        return Duration::ZERO;
    }
    let millis = (micros + 999) / 1000;
    let max = MAX_SLEEP.as_millis() as i128;
    Duration::from_millis(millis.min(max) as u64)
}

/// When the sweeper will look next if it sleeps `sleep` from `now`.
pub fn wake_at(now: OffsetDateTime, sleep: Duration) -> OffsetDateTime {
    now + sleep
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-22 10:00:00 UTC);

    #[test]
    fn sleeps_until_the_next_due_time_capped() {
        let ms = time::Duration::milliseconds;
        let cases = [
            (None, MAX_SLEEP, "nothing pending: the cap"),
            (Some(NOW - ms(5)), Duration::ZERO, "overdue: at once"),
            (Some(NOW), Duration::ZERO, "due now: at once"),
            (
                Some(NOW + ms(40)),
                Duration::from_millis(40),
                "soon: exactly then",
            ),
            (
                Some(NOW + time::Duration::microseconds(40_001)),
                Duration::from_millis(41),
                "rounded up, never early",
            ),
            (Some(NOW + ms(250)), MAX_SLEEP, "at the cap"),
            (
                Some(NOW + time::Duration::hours(1)),
                MAX_SLEEP,
                "far away: the cap",
            ),
        ];
        for (next_due, expected, case) in cases {
            assert_eq!(sleep_before(NOW, next_due), expected, "{case}");
        }
    }

    #[test]
    fn wake_time_is_now_plus_sleep() {
        assert_eq!(
            wake_at(NOW, Duration::from_millis(250)),
            datetime!(2026-11-22 10:00:00.25 UTC)
        );
    }
}
