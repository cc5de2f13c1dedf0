//! The service's rules, free of the database and the web: when the sweeper wakes next, and what
//! a claimed expiration announces.

pub mod due;
pub mod schedule;

pub use due::Due;
pub use schedule::NextDue;
