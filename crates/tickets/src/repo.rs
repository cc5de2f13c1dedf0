//! Every SQL statement of the tickets service.

use common::events::TicketUpdated;
use common::{OrderId, Price, TicketId, UserId};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

/// A ticket as stored and as rendered (SPEC §3 ticket JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    #[sqlx(rename = "price_cents")]
    pub price: Price,
    pub user_id: UserId,
    pub version: i64,
    /// The reserving order, or `null` when the ticket is on sale.
    pub order_id: Option<OrderId>,
}

impl Ticket {
    /// The ticket.updated event announcing this state.
    pub fn updated_event(&self) -> TicketUpdated {
        TicketUpdated {
            id: self.id,
            version: self.version,
            title: self.title.clone(),
            price: self.price,
            user_id: self.user_id,
            order_id: self.order_id,
        }
    }
}

const COLUMNS: &str = "id, title, price_cents, user_id, version, order_id";

pub async fn insert(
    conn: &mut PgConnection,
    id: TicketId,
    title: &str,
    price: Price,
    user: UserId,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tickets (id, title, price_cents, user_id) VALUES ($1, $2, $3, $4) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(title)
    .bind(price)
    .bind(user)
    .fetch_one(conn)
    .await
}

/// Tickets on sale (not reserved), oldest first.
pub async fn list_free(pool: &PgPool) -> Result<Vec<Ticket>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE order_id IS NULL ORDER BY created_at, id"
    )))
    .fetch_all(pool)
    .await
}

pub async fn find(pool: &PgPool, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Reads a ticket and locks it until the transaction ends: edits and reservation changes of one
/// ticket are serialised.
pub async fn lock(conn: &mut PgConnection, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM tickets WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn update_listing(
    conn: &mut PgConnection,
    id: TicketId,
    title: &str,
    price: Price,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE tickets SET title = $2, price_cents = $3, version = version + 1 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(title)
    .bind(price)
    .fetch_one(conn)
    .await
}

pub async fn set_holder(
    conn: &mut PgConnection,
    id: TicketId,
    holder: Option<OrderId>,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE tickets SET order_id = $2, version = version + 1 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(holder)
    .fetch_one(conn)
    .await
}

/// Records that an order was created (`active`) unless a newer state of it is already known.
pub async fn record_order_created(
    conn: &mut PgConnection,
    order: OrderId,
    ticket: TicketId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_orders (order_id, ticket_id, version, active) VALUES ($1, $2, $3, true)
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order)
    .bind(ticket)
    .bind(version)
    .execute(conn)
    .await
    .map(drop)
}

/// Records an order's cancellation, also when its creation has not been seen yet.
pub async fn record_order_cancelled(
    conn: &mut PgConnection,
    order: OrderId,
    ticket: TicketId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_orders (order_id, ticket_id, version, active) VALUES ($1, $2, $3, false)
         ON CONFLICT (order_id) DO UPDATE SET active = false, version = EXCLUDED.version
         WHERE ticket_orders.version < EXCLUDED.version",
    )
    .bind(order)
    .bind(ticket)
    .bind(version)
    .execute(conn)
    .await
    .map(drop)
}

pub async fn active_orders(
    conn: &mut PgConnection,
    ticket: TicketId,
) -> Result<Vec<OrderId>, sqlx::Error> {
    sqlx::query_scalar("SELECT order_id FROM ticket_orders WHERE ticket_id = $1 AND active")
        .bind(ticket)
        .fetch_all(conn)
        .await
}
