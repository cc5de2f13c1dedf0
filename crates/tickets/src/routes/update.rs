//! `PUT /api/tickets/:id`: the owner edits a ticket that is not reserved.

use actix_web::{HttpResponse, web};
use common::bus::enqueue;
use common::input::Body;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, TicketId};

use crate::domain::{TicketInput, ticket_input::PRICE_ON_UPDATE};
use crate::repo;

pub const RESERVED: &str = "Cannot edit a reserved ticket";

/// The owner edits a ticket that is not reserved; emits ticket.updated.
#[utoipa::path(
    put,
    operation_id = "updateTicket",
    path = "/api/tickets/{id}",
    tag = "tickets",
    params(("id" = common::TicketId, Path, description = "The ticket's id")),
    request_body = super::TicketRequest,
    responses(
        (status = 200, description = "The edited ticket, version + 1", body = super::TicketView),
        (status = 400, description = "Validation failure, or \"Cannot edit a reserved ticket\", or a body that is not valid JSON", body = ErrorBody),
        (status = 401, description = "Not signed in, or not the owner", body = ErrorBody),
        (status = 404, description = "No such ticket, or a malformed id", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many changes by this user: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %user.id(), ticket = %id))]
pub async fn update(
    user: CurrentUser,
    state: web::Data<super::State>,
    id: web::Path<TicketId>,
    Body(body): Body<super::TicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = TicketInput::check(body.title, body.price, PRICE_ON_UPDATE)
        .map_err(ApiError::Validation)?;
    let mut tx = state.pool.begin().await?;
    let ticket = repo::lock(&mut tx, *id).await?.ok_or(ApiError::NotFound)?;
    // Ownership first, so a stranger learns nothing about the reservation (SPEC fix).
    if ticket.user_id != user.id() {
        return Err(ApiError::NotAuthorized);
    }
    if ticket.order_id.is_some() {
        return Err(ApiError::bad_request(RESERVED));
    }
    let ticket =
        repo::update_listing(&mut tx, ticket.id, input.title.as_str(), input.price).await?;
    enqueue(&mut tx, &ticket.updated_event()).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(super::TicketView::from(ticket)))
}
