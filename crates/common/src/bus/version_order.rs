//! How a replica applies versioned events (docs/contract.md#delivery-rules, rule 4): strictly in
//! version order, whatever order they arrive in. The owner bumps an entity's version by one per
//! change, so an event applies only on top of the version just before it; one already applied
//! (or older) is acknowledged and dropped, one from the future waits for the gap to fill.

use super::Outcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionOrder {
    /// The version right after the stored one: apply it.
    Next,
    /// Stored already, or older: acknowledge and drop it.
    Applied,
    /// A version beyond the next (or an entity not known yet): redeliver it later.
    Gap,
}

impl VersionOrder {
    /// Where an event of version `incoming` stands against the replica's `stored` version
    /// (`None`: the replica does not have the entity yet).
    pub fn of(stored: Option<i64>, incoming: i64) -> Self {
        match stored {
            Some(stored) if incoming <= stored => Self::Applied,
            Some(stored) if incoming == stored + 1 => Self::Next,
            _ => Self::Gap,
        }
    }

    /// What becomes of an event that was not applied: dropped if it is from the past, else
    /// redelivered (a `Next` that did not apply raced another delivery: look again).
    pub fn unapplied(self) -> Outcome {
        match self {
            Self::Applied => Outcome::Ack,
            Self::Next | Self::Gap => Outcome::Retry,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_next_version_applies() {
        assert_eq!(VersionOrder::of(Some(3), 4), VersionOrder::Next);
        assert_eq!(VersionOrder::of(Some(3), 3), VersionOrder::Applied);
        assert_eq!(VersionOrder::of(Some(3), 1), VersionOrder::Applied);
        assert_eq!(VersionOrder::of(Some(3), 5), VersionOrder::Gap);
        assert_eq!(VersionOrder::of(None, 1), VersionOrder::Gap);
        assert_eq!(VersionOrder::Applied.unapplied(), Outcome::Ack);
        assert_eq!(VersionOrder::Gap.unapplied(), Outcome::Retry);
    }
}
