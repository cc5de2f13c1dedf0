//! `GET /api/tickets/:id`: one ticket, reserved or not.

use actix_web::{HttpResponse, web};
use common::openapi::ErrorBody;
use common::{ApiError, TicketId};

use crate::repo;

/// One ticket, reserved or not.
#[utoipa::path(
    get,
    operation_id = "showTicket",
    path = "/api/tickets/{id}",
    tag = "tickets",
    params(("id" = common::TicketId, Path, description = "The ticket's id")),
    responses(
        (status = 200, description = "The ticket", body = super::TicketView),
        (status = 404, description = "No such ticket, or a malformed id", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    )
)]
pub async fn show(
    state: web::Data<super::State>,
    id: web::Path<TicketId>,
) -> Result<HttpResponse, ApiError> {
    let ticket = repo::find(&state.pool, id.into_inner())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(super::TicketView::from(ticket)))
}
