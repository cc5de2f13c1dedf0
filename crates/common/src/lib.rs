//! What every ticketing service shares: the HTTP error type, sessions, typed ids and money, the
//! event contracts and the event bus, database plumbing, telemetry, health and the server.

pub mod admin;
pub mod bus;
pub mod client_address;
pub mod config;
pub mod db;
#[cfg(feature = "dev-servers")]
pub mod dev_servers;
pub mod edge;
pub mod error;
pub mod events;
pub mod health;
pub mod ids;
pub mod input;
pub mod metrics;
pub mod money;
pub mod observe;
pub mod openapi;
pub mod paging;
pub mod rate_limit;
pub mod revocation;
pub mod server;
pub mod session;
pub mod telemetry;
pub mod timestamp;
pub mod trace_context;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{ApiError, FieldError};
pub use ids::{EventId, OrderId, PaymentId, SessionId, TicketId, UserId};
pub use money::Price;
