//! Every SQL statement of the tickets service.

use common::events::TicketUpdated;
use common::paging::{Direction, PageRequest};
use common::{OrderId, Price, TicketId, UserId};
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use crate::domain::Search;

/// A ticket as stored, with what is known of the order holding it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    #[sqlx(rename = "price_cents")]
    pub price: Price,
    pub user_id: UserId,
    pub version: i64,
    /// The reserving order, or `null` when the ticket is on sale.
    pub order_id: Option<OrderId>,
    /// Its place in listings (oldest first).
    pub created_at: OffsetDateTime,
    /// When the holding order's hold ends, if known.
    pub hold_expires_at: Option<OffsetDateTime>,
    /// Whether the holding order was paid.
    pub hold_paid: Option<bool>,
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

/// The ticket's own columns, and (through `h`, its holding order) the hold's end and payment.
const COLUMNS: &str = "t.id, t.title, t.price_cents, t.user_id, t.version, t.order_id,
    t.created_at, h.expires_at AS hold_expires_at, h.paid AS hold_paid";
/// For statements that return only the ticket's row: nothing known of a hold.
const RETURNING: &str = "RETURNING id, title, price_cents, user_id, version, order_id, created_at,
    NULL::timestamptz AS hold_expires_at, NULL::boolean AS hold_paid";
const WITH_HOLD: &str = "tickets t LEFT JOIN ticket_orders h ON h.order_id = t.order_id";
/// What a page reads of each row (not its title words).
const PAGE_COLUMNS: &str = "id, title, price_cents, user_id, version, order_id, created_at";

pub async fn insert(
    conn: &mut PgConnection,
    id: TicketId,
    title: &str,
    price: Price,
    user: UserId,
) -> Result<Ticket, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO tickets (id, title, price_cents, user_id) VALUES ($1, $2, $3, $4) {RETURNING}"
    )))
    .bind(id)
    .bind(title)
    .bind(price)
    .bind(user)
    .fetch_one(conn)
    .await
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
pub async fn page(
    pool: &PgPool,
    listing: Listing<'_>,
    request: &PageRequest,
) -> Result<Vec<Ticket>, sqlx::Error> {
    let direction = request.cursor.map_or(Direction::After, |c| c.direction);
    let (created_at, id) = request
        .cursor
        .map_or((None, None), |c| (Some(c.created_at), Some(c.id)));
    let (search, seller) = match listing {
        Listing::OnSale(search) => (search.map(Search::as_tsquery), None),
        Listing::Seller(seller) => (None, Some(seller)),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(page_statement(listing, direction)))
        .bind(created_at)
        .bind(id)
        .bind(request.fetch())
        .bind(search)
        .bind(seller)
        .fetch_all(pool)
        .await
}

/// The statement [`page`] runs: one per listing, each able to use its index (the free tickets
/// by age, the title words, a seller's tickets by age). Parameters: `$1`, `$2` the cursor's
/// time and id (or NULL), `$3` how many rows, `$4` the search, `$5` the seller.
pub fn page_statement(listing: Listing<'_>, direction: Direction) -> String {
    let (after, order) = match direction {
        Direction::Before => ("<", "DESC"),
        Direction::After => (">", "ASC"),
    };
    let (source, filter) = match listing {
        Listing::OnSale(None) => ("tickets".to_owned(), "order_id IS NULL"),
        // The planner cannot estimate how many titles a prefix matches and may walk the age
        // index filtering every row (100,000 for a rare word): the matches on sale are read
        // from the words index first, in one scan (OFFSET 0 keeps it apart), then ordered.
        Listing::OnSale(Some(_)) => (
            format!(
                "(SELECT {PAGE_COLUMNS} FROM tickets
                  WHERE order_id IS NULL AND title_words @@ to_tsquery('simple',
                        public.unaccent('public.unaccent'::regdictionary, $4))
                  OFFSET 0) matches"
            ),
            "true",
        ),
        Listing::Seller(_) => ("tickets".to_owned(), "user_id = $5"),
    };
    // The page is chosen first; only its rows are joined to their holds.
    format!(
        "SELECT {COLUMNS} FROM (
             SELECT {PAGE_COLUMNS} FROM {source}
             WHERE {filter} AND ($1::timestamptz IS NULL OR (created_at, id) {after} ($1, $2))
             ORDER BY created_at {order}, id {order}
             LIMIT $3) t
         LEFT JOIN ticket_orders h ON h.order_id = t.order_id
         ORDER BY t.created_at {order}, t.id {order}"
    )
}

/// How many tickets on sale match `search`.
pub async fn count_matching(pool: &PgPool, search: &Search) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM tickets t
         WHERE t.order_id IS NULL AND t.title_words @@ to_tsquery('simple',
               public.unaccent('public.unaccent'::regdictionary, $1))",
    )
    .bind(search.as_tsquery())
    .fetch_one(pool)
    .await
}

pub async fn find(pool: &PgPool, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {WITH_HOLD} WHERE t.id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Reads a ticket and locks it until the transaction ends: edits and reservation changes of one
/// ticket are serialised.
pub async fn lock(conn: &mut PgConnection, id: TicketId) -> Result<Option<Ticket>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {WITH_HOLD} WHERE t.id = $1 FOR UPDATE OF t"
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
        "UPDATE tickets SET title = $2, price_cents = $3, version = version + 1 WHERE id = $1 {RETURNING}"
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
        "UPDATE tickets SET order_id = $2, version = version + 1 WHERE id = $1 {RETURNING}"
    )))
    .bind(id)
    .bind(holder)
    .fetch_one(conn)
    .await
}

/// Records that an order was created (`active`, holding until `expires_at`) unless a newer state
/// of it is already known; a cancellation recorded first keeps the order inactive but learns its
/// hold's end.
pub async fn record_order_created(
    conn: &mut PgConnection,
    order: OrderId,
    ticket: TicketId,
    version: i64,
    expires_at: OffsetDateTime,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO ticket_orders (order_id, ticket_id, version, active, expires_at)
         VALUES ($1, $2, $3, true, $4)
         ON CONFLICT (order_id) DO UPDATE SET expires_at = EXCLUDED.expires_at",
    )
    .bind(order)
    .bind(ticket)
    .bind(version)
    .bind(expires_at)
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

/// Records that an order was paid; `false` when the order is not known here yet.
pub async fn record_order_paid(pool: &PgPool, order: OrderId) -> Result<bool, sqlx::Error> {
    let result = sqlx::query("UPDATE ticket_orders SET paid = true WHERE order_id = $1")
        .bind(order)
        .execute(pool)
        .await?;
    Ok(result.rows_affected() == 1)
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
