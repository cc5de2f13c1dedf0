//! `POST /api/tickets`: list a ticket for sale.

use actix_web::{HttpResponse, web};
use common::bus::enqueue;
use common::events::TicketCreated;
use common::session::CurrentUser;
use common::{ApiError, TicketId};
use serde_json::Value;
use sqlx::PgPool;

use crate::domain::{TicketInput, ticket_input::PRICE_ON_CREATE};
use crate::repo;

#[tracing::instrument(skip_all, fields(user = %user.id()))]
pub async fn create(
    user: CurrentUser,
    pool: web::Data<PgPool>,
    body: web::Json<Value>,
) -> Result<HttpResponse, ApiError> {
    let input = TicketInput::parse(&body, PRICE_ON_CREATE).map_err(ApiError::Validation)?;
    let mut tx = pool.begin().await?;
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
    Ok(HttpResponse::Created().json(ticket))
}
