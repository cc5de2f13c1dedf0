//! `POST /api/orders`: reserve a ticket for the hold window.

use actix_web::{HttpResponse, web};
use common::bus::enqueue;
use common::error::on_constraint;
use common::input::Body;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, timestamp};

use super::{OrderRequest, OrderView, State};
use crate::domain::{NewOrder, holds};
use crate::repo;

pub const ALREADY_RESERVED: &str = "Ticket is already reserved";
pub const OWN_TICKET: &str = "Cannot order your own ticket";

/// Reserve a ticket for the hold window; emits order.created.
#[utoipa::path(
    post,
    operation_id = "createOrder",
    path = "/api/orders",
    tag = "orders",
    request_body = super::OrderRequest,
    responses(
        (status = 201, description = "The new order: status created, version 0", body = super::OrderView),
        (status = 400, description = "Validation failure, \"Ticket is already reserved\", \"Cannot order your own ticket\", a buyer already holding `MAX_HOLDS_PER_BUYER` unpaid orders (\"You already hold 5 unpaid orders: …\"), a re-order within `REORDER_COOLDOWN_SECONDS` of cancelling the ticket or letting it expire (\"You released this ticket a moment ago: …\"), or a body that is not valid JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Orders knows no such ticket", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many changes by this user: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %user.id()))]
pub async fn create(
    user: CurrentUser,
    state: web::Data<State>,
    Body(body): Body<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = NewOrder::check(body.ticket_id).map_err(ApiError::Validation)?;
    // One connection for the read and the transaction: the pool is the queue under load.
    let mut conn = state.pool.acquire().await?;
    let found = repo::find_ticket_to_order(&mut *conn, input.ticket_id, user.id())
        .await?
        .ok_or(ApiError::NotFound)?;
    let ticket = found.ticket;
    if ticket.user_id == user.id() {
        return Err(ApiError::bad_request(OWN_TICKET));
    }
    // Most refusals in a rush end here, without a transaction or a dead row.
    if found.reserved {
        return Err(ApiError::bad_request(ALREADY_RESERVED));
    }
    let now = time::OffsetDateTime::now_utc();
    if let Some(refusal) = state
        .holds
        .cooldown_refusal(found.released_by_buyer_at, now)
    {
        return Err(ApiError::BadRequest(refusal));
    }
    let expires_at = timestamp::truncate_to_millis(now + state.hold);
    let max_holds = state.holds.max_holds;
    let mut tx = repo::begin_placing(&mut conn, user.id(), max_holds.is_some()).await?;
    // The read above is only a hint: the partial unique index decides between concurrent buyers.
    let order = repo::insert_order(&mut tx, user.id(), &ticket, expires_at, max_holds)
        .await
        .map_err(|e| {
            on_constraint(
                e,
                "orders_one_active_per_ticket",
                ApiError::bad_request(ALREADY_RESERVED),
            )
        })?;
    let Some(order) = order else {
        let max = max_holds.unwrap_or_default();
        return Err(ApiError::BadRequest(holds::too_many_holds(max)));
    };
    enqueue(&mut tx, &order.created_event()).await?;
    tx.commit().await?;
    tracing::info!(order = %order.id, ticket = %ticket.id, "ticket reserved");
    Ok(HttpResponse::Created().json(OrderView::from(order)))
}
