//! `POST /api/tickets`: list a ticket for sale.

use actix_web::{HttpResponse, web};
use common::bus::enqueue;
use common::events::TicketCreated;
use common::input::Body;
use common::openapi::ErrorBody;
use common::session::CurrentUser;
use common::{ApiError, TicketId};

use crate::domain::{TicketInput, ticket_input::PRICE_ON_CREATE};
use crate::repo;

/// List a ticket for sale; emits ticket.created.
#[utoipa::path(
    post,
    operation_id = "createTicket",
    path = "/api/tickets",
    tag = "tickets",
    request_body = super::TicketRequest,
    responses(
        (status = 201, description = "The new ticket, version 0", body = super::TicketView),
        (status = 400, description = "Validation failure, or a body that is not valid JSON", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 429, description = "Too many changes by this user: try again after `Retry-After` seconds", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %user.id()))]
pub async fn create(
    user: CurrentUser,
    state: web::Data<super::State>,
    Body(body): Body<super::TicketRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = TicketInput::check(body.title, body.price, PRICE_ON_CREATE)
        .map_err(ApiError::Validation)?;
    let mut tx = state.pool.begin().await?;
    let ticket = repo::insert(
        &mut tx,
        TicketId::new(),
        input.title.as_str(),
        input.price,
        user.id(),
    )
    .await?;
    enqueue(
        &mut tx,
        &TicketCreated {
            id: ticket.id,
            version: ticket.version,
            title: ticket.title.clone(),
            price: ticket.price,
            user_id: ticket.user_id,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(ticket = %ticket.id, "ticket listed");
    Ok(HttpResponse::Created().json(super::TicketView::from(ticket)))
}
