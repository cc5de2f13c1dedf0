//! Every SQL statement of the orders service, checked at compile time against its schema
//! (`sqlx::query!` and friends; the offline data is in `.sqlx/`, written by
//! `scripts/sqlx-prepare.sh`). Rows are private to this file: the service works with
//! `domain::Order` and `domain::Ticket`.

use common::events::{OrderStatus, TicketCreated, TicketUpdated};
use common::paging::{Direction, PageRequest};
use common::{OrderId, Price, TicketId, UserId};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::domain::{CancelReason, Order, Ticket, TicketSnapshot, TicketToOrder};

/// An order row, with the ticket as it was when the order was placed.
struct OrderRow {
    id: OrderId,
    user_id: UserId,
    ticket_id: TicketId,
    status: OrderStatus,
    expires_at: OffsetDateTime,
    version: i64,
    ticket_title: String,
    ticket_price_cents: Price,
    ticket_version: i64,
    created_at: OffsetDateTime,
    cancel_reason: Option<CancelReason>,
}

impl From<OrderRow> for Order {
    fn from(row: OrderRow) -> Self {
        Self {
            id: row.id,
            user_id: row.user_id,
            status: row.status,
            expires_at: row.expires_at,
            version: row.version,
            ticket: TicketSnapshot {
                id: row.ticket_id,
                title: row.ticket_title,
                price: row.ticket_price_cents,
                version: row.ticket_version,
            },
            created_at: row.created_at,
            cancel_reason: row.cancel_reason,
        }
    }
}

/// A replica row, whether a live order holds the ticket, and when the buyer last released it.
struct TicketToOrderRow {
    id: TicketId,
    title: String,
    price_cents: Price,
    user_id: UserId,
    version: i64,
    reserved: bool,
    released_by_buyer_at: Option<OffsetDateTime>,
}

impl From<TicketToOrderRow> for TicketToOrder {
    fn from(row: TicketToOrderRow) -> Self {
        Self {
            ticket: Ticket {
                id: row.id,
                title: row.title,
                price: row.price_cents,
                user_id: row.user_id,
                version: row.version,
            },
            reserved: row.reserved,
            released_by_buyer_at: row.released_by_buyer_at,
        }
    }
}

// ---- the tickets replica ----

/// Inserts a ticket first seen; a redelivery changes nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_ticket(conn: &mut PgConnection, e: &TicketCreated) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO tickets (id, title, price_cents, user_id, version) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO NOTHING",
        e.id as TicketId,
        e.title,
        e.price as Price,
        e.user_id as UserId,
        e.version,
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Applies an update only on top of the version just before it; `true` when applied.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn apply_ticket_update(
    conn: &mut PgConnection,
    e: &TicketUpdated,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE tickets SET title = $2, price_cents = $3, user_id = $4, version = $5
         WHERE id = $1 AND version = $5::bigint - 1",
        e.id as TicketId,
        e.title,
        e.price as Price,
        e.user_id as UserId,
        e.version,
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id))]
pub async fn ticket_version(
    conn: &mut PgConnection,
    id: TicketId,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar!("SELECT version FROM tickets WHERE id = $1", id as TicketId)
        .fetch_optional(conn)
        .await
}

/// One round trip for the common refusals (a ticket someone holds, a ticket this buyer just
/// released). Only a hint: the partial unique index `orders_one_active_per_ticket` decides at
/// insert. The subqueries name `$1`, not `t.id`: uncorrelated, they run once as InitPlans;
/// correlated, the planner may hash the whole orders table for them (seen under load).
#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id, user_id = %buyer))]
pub async fn find_ticket_to_order(
    conn: impl sqlx::PgExecutor<'_>,
    id: TicketId,
    buyer: UserId,
) -> Result<Option<TicketToOrder>, sqlx::Error> {
    let released: Vec<String> = CancelReason::ALL
        .into_iter()
        .filter(|r| r.released_by_buyer())
        .map(|r| r.as_str().to_owned())
        .collect();
    sqlx::query_as!(
        TicketToOrderRow,
        r#"SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
                  t.user_id AS "user_id: UserId", t.version,
                  EXISTS (SELECT 1 FROM orders o
                          WHERE o.ticket_id = $1 AND o.status <> 'cancelled') AS "reserved!",
                  (SELECT max(o.cancelled_at) FROM orders o
                   WHERE o.user_id = $2 AND o.ticket_id = $1 AND o.status = 'cancelled'
                     AND o.cancel_reason = ANY($3)) AS "released_by_buyer_at?"
           FROM tickets t WHERE t.id = $1"#,
        id as TicketId,
        buyer as UserId,
        &released,
    )
    .fetch_optional(conn)
    .await
    .map(|row| row.map(TicketToOrder::from))
}

// ---- orders ----

/// Begins the transaction that places an order. With a cap on holds it first takes the buyer's
/// lock, so the count of the buyer's unpaid orders that [`insert_order`] checks cannot change
/// under it: concurrent orders of one buyer queue here. The lock is its own statement, before
/// the insert: a statement sees the rows committed when it began, so the count must start after
/// the lock is held.
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %buyer))]
pub async fn begin_placing<'c>(
    conn: &'c mut PgConnection,
    buyer: UserId,
    capped: bool,
) -> Result<sqlx::Transaction<'c, sqlx::Postgres>, sqlx::Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    if capped {
        sqlx::query!(
            "SELECT pg_advisory_xact_lock($1, $2)",
            BUYER_LOCK_CLASS,
            buyer_lock_key(buyer),
        )
        .execute(&mut *tx)
        .await?;
    }
    Ok(tx)
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
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user))]
pub async fn insert_order(
    conn: &mut PgConnection,
    user: UserId,
    ticket: &Ticket,
    expires_at: OffsetDateTime,
    max_holds: Option<u32>,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"INSERT INTO orders (id, user_id, ticket_id, status, expires_at,
                               ticket_title, ticket_price_cents, ticket_version)
           SELECT $1, $2, $3, 'created', $4, $5, $6, $7
           WHERE $8::bigint IS NULL
              OR (SELECT count(*) FROM orders
                  WHERE user_id = $2 AND status IN ('created', 'awaiting:payment')) < $8
           RETURNING id AS "id: OrderId", user_id AS "user_id: UserId",
                     ticket_id AS "ticket_id: TicketId", status AS "status: OrderStatus",
                     expires_at, version, ticket_title,
                     ticket_price_cents AS "ticket_price_cents: Price", ticket_version,
                     created_at, cancel_reason AS "cancel_reason: CancelReason""#,
        OrderId::new() as OrderId,
        user as UserId,
        ticket.id as TicketId,
        expires_at,
        ticket.title,
        ticket.price as Price,
        ticket.version,
        max_holds.map(i64::from),
    )
    .fetch_optional(conn)
    .await
    .map(|row| row.map(Order::from))
}

#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn find(pool: &PgPool, id: OrderId) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", user_id AS "user_id: UserId",
                  ticket_id AS "ticket_id: TicketId", status AS "status: OrderStatus",
                  expires_at, version, ticket_title,
                  ticket_price_cents AS "ticket_price_cents: Price", ticket_version,
                  created_at, cancel_reason AS "cancel_reason: CancelReason"
           FROM orders WHERE id = $1"#,
        id as OrderId
    )
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Order::from))
}

/// One page of a user's orders of every status, oldest first, read in the cursor's direction
/// (up to `limit + 1` rows: see `common::paging::Page::of`).
#[tracing::instrument(level = "debug", skip_all, fields(user_id = %user))]
pub async fn page_for_user(
    pool: &PgPool,
    user: UserId,
    request: &PageRequest,
) -> Result<Vec<Order>, sqlx::Error> {
    let direction = request.cursor.map_or(Direction::After, |c| c.direction);
    let at = request.cursor.map(|c| c.created_at);
    let id = request.cursor.map(|c| c.id);
    let limit = request.fetch();
    // One statement per direction, each walking the orders-by-user index its way (queries/*.sql).
    let rows = match direction {
        Direction::After => {
            sqlx::query_file_as!(
                OrderRow,
                "queries/page_for_user_after.sql",
                user as UserId,
                at,
                id,
                limit
            )
            .fetch_all(pool)
            .await
        }
        Direction::Before => {
            sqlx::query_file_as!(
                OrderRow,
                "queries/page_for_user_before.sql",
                user as UserId,
                at,
                id,
                limit
            )
            .fetch_all(pool)
            .await
        }
    }?;
    Ok(rows.into_iter().map(Order::from).collect())
}

/// Reads an order and locks it until the transaction ends.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn lock_order(
    conn: &mut PgConnection,
    id: OrderId,
) -> Result<Option<Order>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", user_id AS "user_id: UserId",
                  ticket_id AS "ticket_id: TicketId", status AS "status: OrderStatus",
                  expires_at, version, ticket_title,
                  ticket_price_cents AS "ticket_price_cents: Price", ticket_version,
                  created_at, cancel_reason AS "cancel_reason: CancelReason"
           FROM orders WHERE id = $1 FOR UPDATE"#,
        id as OrderId
    )
    .fetch_optional(conn)
    .await
    .map(|row| row.map(Order::from))
}

/// The live orders of a ticket placed on an older listing than `edit`, which differs from what
/// they show: the edit reached tickets before they did. Locked until the transaction ends.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn lock_orders_superseded_by(
    conn: &mut PgConnection,
    edit: &TicketUpdated,
) -> Result<Vec<Order>, sqlx::Error> {
    let rows = sqlx::query_as!(
        OrderRow,
        r#"SELECT id AS "id: OrderId", user_id AS "user_id: UserId",
                  ticket_id AS "ticket_id: TicketId", status AS "status: OrderStatus",
                  expires_at, version, ticket_title,
                  ticket_price_cents AS "ticket_price_cents: Price", ticket_version,
                  created_at, cancel_reason AS "cancel_reason: CancelReason"
           FROM orders
           WHERE ticket_id = $1 AND status <> 'cancelled' AND ticket_version < $2
             AND (ticket_title <> $3 OR ticket_price_cents <> $4)
           FOR UPDATE"#,
        edit.id as TicketId,
        edit.version,
        edit.title,
        edit.price as Price,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Order::from).collect())
}

/// Cancels an order: status → cancelled, version + 1 (announced by order.cancelled).
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn cancel(
    conn: &mut PgConnection,
    id: OrderId,
    reason: CancelReason,
) -> Result<Order, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        r#"UPDATE orders SET status = 'cancelled', version = version + 1,
                             cancelled_at = now(), cancel_reason = $2
           WHERE id = $1
           RETURNING id AS "id: OrderId", user_id AS "user_id: UserId",
                     ticket_id AS "ticket_id: TicketId", status AS "status: OrderStatus",
                     expires_at, version, ticket_title,
                     ticket_price_cents AS "ticket_price_cents: Price", ticket_version,
                     created_at, cancel_reason AS "cancel_reason: CancelReason""#,
        id as OrderId,
        reason as CancelReason,
    )
    .fetch_one(conn)
    .await
    .map(Order::from)
}

/// Completes a paid order. The version counts announced changes; completion announces none.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %id))]
pub async fn complete(conn: &mut PgConnection, id: OrderId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE orders SET status = 'complete' WHERE id = $1",
        id as OrderId
    )
    .execute(conn)
    .await
    .map(drop)
}
