//! `GET /`: the tickets on sale.

use actix_web::{HttpResponse, http::StatusCode, web};

use super::{State, Visitor, page};
use crate::error::PageError;
use crate::views::TicketsPage;

#[tracing::instrument(skip_all)]
pub async fn list(visitor: Visitor, state: web::Data<State>) -> Result<HttpResponse, PageError> {
    let tickets = state
        .api
        .tickets(&visitor.caller)
        .await
        .map_err(|f| visitor.fail(f))?;
    Ok(page(
        StatusCode::OK,
        &TicketsPage::from_api(visitor.chrome(), &tickets),
    ))
}
