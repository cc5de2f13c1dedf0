//! Every SQL statement of the orders service.

use common::events::{OrderStatus, TicketCreated, TicketUpdated};
use common::{OrderId, Price, TicketId, UserId};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

/// The replica's view of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = OrderTicket)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    #[sqlx(rename = "price_cents")]
    pub price: Price,
    #[serde(skip)]
    pub user_id: UserId,
    pub version: i64,
}

/// An order row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub ticket_id: TicketId,
    pub status: OrderStatus,
    pub expires_at: OffsetDateTime,
    pub version: i64,
}

/// An order with its ticket embedded, as rendered (SPEC §3 order JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Order)]
#[serde(rename_all = "camelCase")]
pub struct OrderView {
    pub id: OrderId,
    pub user_id: UserId,
    pub status: OrderStatus,
    /// When the hold ends (RFC 3339, milliseconds, `Z`).
    #[serde(with = "common::timestamp")]
    #[schema(value_type = String, format = DateTime, example = "2026-11-22T10:15:00.000Z")]
    pub expires_at: OffsetDateTime,
    pub version: i64,
    pub ticket: Ticket,
}

impl OrderView {
    pub fn new(order: Order, ticket: Ticket) -> Self {
        Self {
            id: order.id,
            user_id: order.user_id,
            status: order.status,
            expires_at: order.expires_at,
            version: order.version,
            ticket,
        }
    }
}

#[derive(sqlx::FromRow)]
struct OrderWithTicket {
    #[sqlx(flatten)]
    order: Order,
    ticket_title: String,
    ticket_price_cents: Price,
    ticket_user_id: UserId,
    ticket_version: i64,
}

impl From<OrderWithTicket> for OrderView {
    fn from(row: OrderWithTicket) -> Self {
        let ticket = Ticket {
            id: row.order.ticket_id,
            title: row.ticket_title,
            price: row.ticket_price_cents,
            user_id: row.ticket_user_id,
            version: row.ticket_version,
        };
        OrderView::new(row.order, ticket)
    }
}

const ORDER_COLUMNS: &str = "id, user_id, ticket_id, status, expires_at, version";
const VIEW_SELECT: &str = "SELECT o.id, o.user_id, o.ticket_id, o.status, o.expires_at, o.version,
        t.title AS ticket_title, t.price_cents AS ticket_price_cents,
        t.user_id AS ticket_user_id, t.version AS ticket_version
    FROM orders o JOIN tickets t ON t.id = o.ticket_id";

// ---- the tickets replica ----

/// Inserts a ticket first seen; a redelivery changes nothing.
pub async fn insert_ticket(pool: &PgPool, e: &TicketCreated) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO tickets (id, title, price_cents, user_id, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(e.id)
    .bind(&e.title)
    .bind(e.price)
    .bind(e.user_id)
    .bind(e.version)
    .execute(pool)
    .await
    .map(drop)
}

/// Applies an update only on top of the version just before it; `true` when applied.
pub async fn apply_ticket_update(pool: &PgPool, e: &TicketUpdated) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE tickets SET title = $2, price_cents = $3, user_id = $4, version = $5
         WHERE id = $1 AND version = $5 - 1",
    )
    .bind(e.id)
    .bind(&e.title)
    .bind(e.price)
    .bind(e.user_id)
    .bind(e.version)
    .execute(pool)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn ticket_version(pool: &PgPool, id: TicketId) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
}

/// A ticket as a buyer finds it: the replica row, and whether a live order holds it now.
#[derive(sqlx::FromRow)]
pub struct TicketToOrder {
    #[sqlx(flatten)]
    pub ticket: Ticket,
    pub reserved: bool,
}

/// One round trip for the common refusal (a ticket someone holds): the `EXISTS` walks the
/// partial index `orders_one_active_per_ticket`. Only a hint: the index decides at insert.
/// The subquery names `$1`, not `t.id`: uncorrelated, it runs once as an InitPlan; correlated,
/// the planner may hash the whole orders table for it (seen under load with stale statistics).
pub async fn find_ticket_to_order(
    conn: impl sqlx::PgExecutor<'_>,
    id: TicketId,
) -> Result<Option<TicketToOrder>, sqlx::Error> {
    sqlx::query_as(
        "SELECT t.id, t.title, t.price_cents, t.user_id, t.version,
                EXISTS (SELECT 1 FROM orders o
                        WHERE o.ticket_id = $1 AND o.status <> 'cancelled') AS reserved
         FROM tickets t WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

// ---- orders ----

/// Inserts a new order; the `orders_one_active_per_ticket` index refuses a second live order.
pub async fn insert_order(
    conn: &mut PgConnection,
    user: UserId,
    ticket: TicketId,
    expires_at: OffsetDateTime,
) -> Result<Order, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders (id, user_id, ticket_id, status, expires_at) VALUES ($1, $2, $3, 'created', $4)
         RETURNING {ORDER_COLUMNS}"
    )))
    .bind(OrderId::new())
    .bind(user)
    .bind(ticket)
    .bind(expires_at)
    .fetch_one(conn)
    .await
}

pub async fn view(pool: &PgPool, id: OrderId) -> Result<Option<OrderView>, sqlx::Error> {
    let row: Option<OrderWithTicket> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VIEW_SELECT} WHERE o.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(Into::into))
}

/// A user's orders of every status, oldest first.
pub async fn list_for_user(pool: &PgPool, user: UserId) -> Result<Vec<OrderView>, sqlx::Error> {
    let rows: Vec<OrderWithTicket> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{VIEW_SELECT} WHERE o.user_id = $1 ORDER BY o.created_at, o.id"
    )))
    .bind(user)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Reads an order and locks it until the transaction ends.
pub async fn lock_order(
    conn: &mut PgConnection,
    id: OrderId,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Cancels an order: status → cancelled, version + 1 (announced by order.cancelled).
pub async fn cancel(conn: &mut PgConnection, id: OrderId) -> Result<Order, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET status = 'cancelled', version = version + 1 WHERE id = $1 RETURNING {ORDER_COLUMNS}"
    )))
    .bind(id)
    .fetch_one(conn)
    .await
}

/// Completes a paid order. The version counts announced changes; completion announces none.
pub async fn complete(conn: &mut PgConnection, id: OrderId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE orders SET status = 'complete' WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
}
