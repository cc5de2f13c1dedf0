//! The service's rules, free of the database and the web: when the sweeper wakes next.

pub mod schedule;
