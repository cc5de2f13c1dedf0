//! Every SQL statement of the orders service.

use common::events::{OrderStatus, TicketCreated, TicketUpdated};
use common::paging::{Direction, PageRequest};
use common::{OrderId, Price, TicketId, UserId};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::domain::CancelReason;

/// The replica's view of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    #[sqlx(rename = "price_cents")]
    pub price: Price,
    pub user_id: UserId,
    pub version: i64,
}

/// The ticket as an order shows it: as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = OrderTicket)]
pub struct OrderTicket {
    pub id: TicketId,
    /// The title when the order was placed.
    pub title: String,
    /// The price when the order was placed: the amount payments charges.
    pub price: Price,
    /// The replica's version of the ticket the order was based on.
    pub version: i64,
}

/// An order row, with the ticket as it was when the order was placed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Order {
    pub id: OrderId,
    pub user_id: UserId,
    pub ticket_id: TicketId,
    pub status: OrderStatus,
    pub expires_at: OffsetDateTime,
    pub version: i64,
    pub ticket_title: String,
    #[sqlx(rename = "ticket_price_cents")]
    pub ticket_price: Price,
    pub ticket_version: i64,
    /// Its place in the buyer's list (oldest first).
    pub created_at: OffsetDateTime,
    /// `CancelReason::as_str` of a cancelled order.
    pub cancel_reason: Option<String>,
}

/// An order with its ticket embedded, as rendered (docs/contract.md#order-json).
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
    pub ticket: OrderTicket,
    /// Why a cancelled order was cancelled: `buyer` (the buyer cancelled), `expired` (the hold
    /// ran out unpaid) or `listing_changed` (the seller changed the listing before this order
    /// reached it; a payment made meanwhile is refunded); `null` otherwise.
    #[schema(example = json!(null))]
    pub cancel_reason: Option<String>,
}

impl From<Order> for OrderView {
    fn from(order: Order) -> Self {
        Self {
            id: order.id,
            user_id: order.user_id,
            status: order.status,
            expires_at: order.expires_at,
            version: order.version,
            ticket: OrderTicket {
                id: order.ticket_id,
                title: order.ticket_title,
                price: order.ticket_price,
                version: order.ticket_version,
            },
            cancel_reason: order.cancel_reason,
        }
    }
}

const ORDER_COLUMNS: &str = "id, user_id, ticket_id, status, expires_at, version,
    ticket_title, ticket_price_cents, ticket_version, created_at, cancel_reason";

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
pub async fn apply_ticket_update(
    conn: &mut PgConnection,
    e: &TicketUpdated,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query(
        "UPDATE tickets SET title = $2, price_cents = $3, user_id = $4, version = $5
         WHERE id = $1 AND version = $5 - 1",
    )
    .bind(e.id)
    .bind(&e.title)
    .bind(e.price)
    .bind(e.user_id)
    .bind(e.version)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

pub async fn ticket_version(
    conn: &mut PgConnection,
    id: TicketId,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM tickets WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A ticket as a buyer finds it: the replica row, whether a live order holds it now, and when
/// this buyer last released it (cancelled or let expire).
#[derive(sqlx::FromRow)]
pub struct TicketToOrder {
    #[sqlx(flatten)]
    pub ticket: Ticket,
    pub reserved: bool,
    pub released_by_buyer_at: Option<OffsetDateTime>,
}

/// One round trip for the common refusals (a ticket someone holds, a ticket this buyer just
/// released). Only a hint: the partial unique index `orders_one_active_per_ticket` decides at
/// insert. The subqueries name `$1`, not `t.id`: uncorrelated, they run once as InitPlans;
/// correlated, the planner may hash the whole orders table for them (seen under load).
pub async fn find_ticket_to_order(
    conn: impl sqlx::PgExecutor<'_>,
    id: TicketId,
    buyer: UserId,
) -> Result<Option<TicketToOrder>, sqlx::Error> {
    let released: Vec<&str> = CancelReason::ALL
        .into_iter()
        .filter(|r| r.released_by_buyer())
        .map(CancelReason::as_str)
        .collect();
    sqlx::query_as(
        "SELECT t.id, t.title, t.price_cents, t.user_id, t.version,
                EXISTS (SELECT 1 FROM orders o
                        WHERE o.ticket_id = $1 AND o.status <> 'cancelled') AS reserved,
                (SELECT max(o.cancelled_at) FROM orders o
                 WHERE o.user_id = $2 AND o.ticket_id = $1 AND o.status = 'cancelled'
                   AND o.cancel_reason = ANY($3)) AS released_by_buyer_at
         FROM tickets t WHERE t.id = $1",
    )
    .bind(id)
    .bind(buyer)
    .bind(released)
    .fetch_optional(conn)
    .await
}

// ---- orders ----

/// Begins the transaction that places an order. With a cap on holds it first takes the buyer's
/// lock (in the same round trip), so the count of the buyer's unpaid orders that
/// [`insert_order`] checks cannot change under it: concurrent orders of one buyer queue here.
pub async fn begin_placing<'c>(
    conn: &'c mut PgConnection,
    buyer: UserId,
    capped: bool,
) -> Result<sqlx::Transaction<'c, sqlx::Postgres>, sqlx::Error> {
    if !capped {
        return sqlx::Connection::begin(conn).await;
    }
    // A formatted integer, not text from a client: safe to splice.
    let key = buyer_lock_key(buyer);
    sqlx::Connection::begin_with(
        conn,
        sqlx::AssertSqlSafe(format!(
            "BEGIN; SELECT pg_advisory_xact_lock({BUYER_LOCK_CLASS}, {key})"
        )),
    )
    .await
}

/// The advisory lock class of "one buyer placing an order" (the two-key form, so it cannot
/// collide with single-key advisory locks such as the migrator's).
const BUYER_LOCK_CLASS: i32 = 0x6f72_6473; // "ords"

fn buyer_lock_key(buyer: UserId) -> i32 {
    // The low bits of the id (random in both UUIDv4 and v7); a collision only makes two buyers
    // queue behind each other for a moment.
    buyer.0.as_u64_pair().1 as i32
}

/// Inserts a new order holding a snapshot of the ticket. The `orders_one_active_per_ticket`
/// index refuses a second live order of the ticket; with `max_holds` the insert is skipped (and
/// `None` returned) when the buyer already holds that many unpaid orders.
pub async fn insert_order(
    conn: &mut PgConnection,
    user: UserId,
    ticket: &Ticket,
    expires_at: OffsetDateTime,
    max_holds: Option<u32>,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders (id, user_id, ticket_id, status, expires_at,
                             ticket_title, ticket_price_cents, ticket_version)
         SELECT $1, $2, $3, 'created', $4, $5, $6, $7
         WHERE $8::bigint IS NULL
            OR (SELECT count(*) FROM orders
                WHERE user_id = $2 AND status IN ('created', 'awaiting:payment')) < $8
         RETURNING {ORDER_COLUMNS}"
    )))
    .bind(OrderId::new())
    .bind(user)
    .bind(ticket.id)
    .bind(expires_at)
    .bind(&ticket.title)
    .bind(ticket.price)
    .bind(ticket.version)
    .bind(max_holds.map(i64::from))
    .fetch_optional(conn)
    .await
}

pub async fn find(pool: &PgPool, id: OrderId) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// One page of a user's orders of every status, oldest first, read in the cursor's direction
/// (up to `limit + 1` rows: see `common::paging::Page::of`).
pub async fn page_for_user(
    pool: &PgPool,
    user: UserId,
    request: &PageRequest,
) -> Result<Vec<Order>, sqlx::Error> {
    let (after, order) = match request.cursor.map(|c| c.direction) {
        Some(Direction::Before) => ("<", "DESC"),
        _ => (">", "ASC"),
    };
    let (created_at, id) = request
        .cursor
        .map_or((None, None), |c| (Some(c.created_at), Some(c.id)));
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders
         WHERE user_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) {after} ($2, $3))
         ORDER BY created_at {order}, id {order}
         LIMIT $4"
    )))
    .bind(user)
    .bind(created_at)
    .bind(id)
    .bind(request.fetch())
    .fetch_all(pool)
    .await
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

/// The live orders of a ticket placed on an older listing than `edit`, which differs from what
/// they show: the edit reached tickets before they did. Locked until the transaction ends.
pub async fn lock_orders_superseded_by(
    conn: &mut PgConnection,
    edit: &TicketUpdated,
) -> Result<Vec<Order>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders
         WHERE ticket_id = $1 AND status <> 'cancelled' AND ticket_version < $2
           AND (ticket_title <> $3 OR ticket_price_cents <> $4)
         FOR UPDATE"
    )))
    .bind(edit.id)
    .bind(edit.version)
    .bind(&edit.title)
    .bind(edit.price)
    .fetch_all(conn)
    .await
}

/// Cancels an order: status → cancelled, version + 1 (announced by order.cancelled).
pub async fn cancel(
    conn: &mut PgConnection,
    id: OrderId,
    reason: CancelReason,
) -> Result<Order, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET status = 'cancelled', version = version + 1,
                           cancelled_at = now(), cancel_reason = $2
         WHERE id = $1 RETURNING {ORDER_COLUMNS}"
    )))
    .bind(id)
    .bind(reason)
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
