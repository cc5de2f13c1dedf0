//! `GET /tickets/{id}`: one ticket, with Purchase (or why not).

use actix_web::{HttpResponse, http::StatusCode, web};
use common::TicketId;

use super::{State, Visitor, page, parse_id};
use crate::error::PageError;
use crate::views::TicketPage;

#[tracing::instrument(skip_all, fields(ticket = %id))]
pub async fn show(
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = parse_id(&id)?;
    let ticket = state
        .api
        .ticket(&visitor.caller, id)
        .await
        .map_err(|f| visitor.fail(f))?;
    Ok(page(
        StatusCode::OK,
        &TicketPage::from_api(visitor.chrome(), &ticket, visitor.user.as_ref()),
    ))
}
