//! Every SQL statement of the tickets service, checked at compile time against its schema
//! (`sqlx::query!` and friends; the offline data is in `.sqlx/`, see `sqlx.toml`). Rows are
//! private to this file: the service works with `domain::Ticket`.

use common::paging::{Direction, PageRequest};
use common::{OrderId, Price, TicketId, UserId};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::domain::{Search, Ticket};

/// A ticket row, with what is known of the order holding it.
struct TicketRow {
    id: TicketId,
    title: String,
    price_cents: Price,
    user_id: UserId,
    version: i64,
    order_id: Option<OrderId>,
    created_at: OffsetDateTime,
    hold_expires_at: Option<OffsetDateTime>,
    hold_paid: Option<bool>,
}

impl From<TicketRow> for Ticket {
    fn from(row: TicketRow) -> Self {
        Self {
            id: row.id,
            title: row.title,
            price: row.price_cents,
            user_id: row.user_id,
            version: row.version,
            order_id: row.order_id,
            created_at: row.created_at,
            hold_expires_at: row.hold_expires_at,
            hold_paid: row.hold_paid.unwrap_or(false),
        }
    }
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id, user_id = %user))]
pub async fn insert(
    conn: &mut PgConnection,
    id: TicketId,
    title: &str,
    price: Price,
    user: UserId,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        r#"INSERT INTO tickets (id, title, price_cents, user_id) VALUES ($1, $2, $3, $4)
           RETURNING id AS "id: TicketId", title, price_cents AS "price_cents: Price",
                     user_id AS "user_id: UserId", version, order_id AS "order_id: OrderId",
                     created_at, NULL::timestamptz AS "hold_expires_at?",
                     NULL::boolean AS "hold_paid?""#,
        id as TicketId,
        title,
        price as Price,
        user as UserId,
    )
    .fetch_one(conn)
    .await
    .map(Ticket::from)
}

/// Which tickets a listing shows.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// On sale (not reserved), matching `search` if given.
    OnSale(Option<&'a Search>),
    /// One seller's, in every state.
    Seller(UserId),
}

/// One page of a listing, oldest first, read in the cursor's direction (up to `limit + 1` rows:
/// see `common::paging::Page::of`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    pool: &PgPool,
    listing: Listing<'_>,
    request: &PageRequest,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let direction = request.cursor.map_or(Direction::After, |c| c.direction);
    let at = request.cursor.map(|c| c.created_at);
    let id = request.cursor.map(|c| c.id);
    let limit = request.fetch();
    // One statement per listing and direction, each able to use its index (queries/*.sql).
    let rows = match (listing, direction) {
        (Listing::OnSale(None), Direction::After) => {
            sqlx::query_file_as!(TicketRow, "queries/page_on_sale_after.sql", at, id, limit)
                .fetch_all(pool)
                .await
        }
        (Listing::OnSale(None), Direction::Before) => {
            sqlx::query_file_as!(TicketRow, "queries/page_on_sale_before.sql", at, id, limit)
                .fetch_all(pool)
                .await
        }
        (Listing::OnSale(Some(search)), Direction::After) => {
            let words = search.as_tsquery();
            sqlx::query_file_as!(
                TicketRow,
                "queries/page_search_after.sql",
                at,
                id,
                limit,
                words
            )
            .fetch_all(pool)
            .await
        }
        (Listing::OnSale(Some(search)), Direction::Before) => {
            let words = search.as_tsquery();
            sqlx::query_file_as!(
                TicketRow,
                "queries/page_search_before.sql",
                at,
                id,
                limit,
                words
            )
            .fetch_all(pool)
            .await
        }
        (Listing::Seller(seller), Direction::After) => {
            sqlx::query_file_as!(
                TicketRow,
                "queries/page_seller_after.sql",
                at,
                id,
                limit,
                seller as UserId
            )
            .fetch_all(pool)
            .await
        }
        (Listing::Seller(seller), Direction::Before) => {
            sqlx::query_file_as!(
                TicketRow,
                "queries/page_seller_before.sql",
                at,
                id,
                limit,
                seller as UserId
            )
            .fetch_all(pool)
            .await
        }
    }?;
    Ok(rows.into_iter().map(Ticket::from).collect())
}

/// The statement [`page`] runs for a listing and direction (for the plan checks of the tests).
pub fn page_statement(listing: Listing<'_>, direction: Direction) -> &'static str {
    match (listing, direction) {
        (Listing::OnSale(None), Direction::After) => {
            include_str!("../queries/page_on_sale_after.sql")
        }
        (Listing::OnSale(None), Direction::Before) => {
            include_str!("../queries/page_on_sale_before.sql")
        }
        (Listing::OnSale(Some(_)), Direction::After) => {
            include_str!("../queries/page_search_after.sql")
        }
        (Listing::OnSale(Some(_)), Direction::Before) => {
            include_str!("../queries/page_search_before.sql")
        }
        (Listing::Seller(_), Direction::After) => include_str!("../queries/page_seller_after.sql"),
        (Listing::Seller(_), Direction::Before) => {
            include_str!("../queries/page_seller_before.sql")
        }
    }
}

/// How many tickets on sale match `search`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn count_matching(pool: &PgPool, search: &Search) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM tickets
           WHERE order_id IS NULL AND title_words @@ to_tsquery('simple',
                 public.unaccent('public.unaccent'::regdictionary, $1))"#,
        search.as_tsquery()
    )
    .fetch_one(pool)
    .await
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id))]
pub async fn find(pool: &PgPool, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        r#"SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
                  t.user_id AS "user_id: UserId", t.version, t.order_id AS "order_id: OrderId",
                  t.created_at, h.expires_at AS "hold_expires_at?", h.paid AS "hold_paid?"
           FROM tickets t LEFT JOIN ticket_orders h ON h.order_id = t.order_id
           WHERE t.id = $1"#,
        id as TicketId
    )
    .fetch_optional(pool)
    .await
    .map(|row| row.map(Ticket::from))
}

/// Reads a ticket and locks it until the transaction ends: edits and reservation changes of one
/// ticket are serialised.
#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id))]
pub async fn lock(conn: &mut PgConnection, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        r#"SELECT t.id AS "id: TicketId", t.title, t.price_cents AS "price_cents: Price",
                  t.user_id AS "user_id: UserId", t.version, t.order_id AS "order_id: OrderId",
                  t.created_at, h.expires_at AS "hold_expires_at?", h.paid AS "hold_paid?"
           FROM tickets t LEFT JOIN ticket_orders h ON h.order_id = t.order_id
           WHERE t.id = $1
           FOR UPDATE OF t"#,
        id as TicketId
    )
    .fetch_optional(conn)
    .await
    .map(|row| row.map(Ticket::from))
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id))]
pub async fn update_listing(
    conn: &mut PgConnection,
    id: TicketId,
    title: &str,
    price: Price,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        r#"UPDATE tickets SET title = $2, price_cents = $3, version = version + 1 WHERE id = $1
           RETURNING id AS "id: TicketId", title, price_cents AS "price_cents: Price",
                     user_id AS "user_id: UserId", version, order_id AS "order_id: OrderId",
                     created_at, NULL::timestamptz AS "hold_expires_at?",
                     NULL::boolean AS "hold_paid?""#,
        id as TicketId,
        title,
        price as Price,
    )
    .fetch_one(conn)
    .await
    .map(Ticket::from)
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %id))]
pub async fn set_holder(
    conn: &mut PgConnection,
    id: TicketId,
    holder: Option<OrderId>,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        r#"UPDATE tickets SET order_id = $2, version = version + 1 WHERE id = $1
           RETURNING id AS "id: TicketId", title, price_cents AS "price_cents: Price",
                     user_id AS "user_id: UserId", version, order_id AS "order_id: OrderId",
                     created_at, NULL::timestamptz AS "hold_expires_at?",
                     NULL::boolean AS "hold_paid?""#,
        id as TicketId,
        holder as Option<OrderId>,
    )
    .fetch_one(conn)
    .await
    .map(Ticket::from)
}

/// Records that an order was created (`active`, holding until `expires_at`) unless a newer state
/// of it is already known; a cancellation recorded first keeps the order inactive but learns its
/// hold's end.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order, ticket_id = %ticket))]
pub async fn record_order_created(
    conn: &mut PgConnection,
    order: OrderId,
    ticket: TicketId,
    version: i64,
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO ticket_orders (order_id, ticket_id, version, active, expires_at)
         VALUES ($1, $2, $3, true, $4)
         ON CONFLICT (order_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
        order as OrderId,
        ticket as TicketId,
        version,
        expires_at,
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Records an order's cancellation, also when its creation has not been seen yet.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order, ticket_id = %ticket))]
pub async fn record_order_cancelled(
    conn: &mut PgConnection,
    order: OrderId,
    ticket: TicketId,
    version: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO ticket_orders (order_id, ticket_id, version, active) VALUES ($1, $2, $3, false)
         ON CONFLICT (order_id) DO UPDATE SET active = false, version = EXCLUDED.version
         WHERE ticket_orders.version < EXCLUDED.version",
        order as OrderId,
        ticket as TicketId,
        version,
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Records that an order was paid; `false` when the order is not known here yet.
#[tracing::instrument(level = "debug", skip_all, fields(order_id = %order))]
pub async fn record_order_paid(
    conn: &mut PgConnection,
    order: OrderId,
) -> Result<bool, sqlx::Error> {
    let result = sqlx::query!(
        "UPDATE ticket_orders SET paid = true WHERE order_id = $1",
        order as OrderId
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

#[tracing::instrument(level = "debug", skip_all, fields(ticket_id = %ticket))]
pub async fn active_orders(
    conn: &mut PgConnection,
    ticket: TicketId,
) -> Result<Vec<OrderId>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT order_id AS "order_id: OrderId" FROM ticket_orders
           WHERE ticket_id = $1 AND active"#,
        ticket as TicketId
    )
    .fetch_all(conn)
    .await
}
