//! `GET /orders`: the visitor's orders, newest first, each with its status and ticket.

use actix_web::{HttpResponse, http::StatusCode, web};

use super::{State, Visitor, page};
use crate::error::PageError;
use crate::views::OrdersPage;

#[tracing::instrument(skip_all)]
pub async fn list(visitor: Visitor, state: web::Data<State>) -> Result<HttpResponse, PageError> {
    visitor.require("/orders")?;
    let orders = state
        .api
        .orders(&visitor.caller)
        .await
        .map_err(|f| visitor.fail(f))?;
    let now = time::OffsetDateTime::now_utc();
    Ok(page(
        StatusCode::OK,
        &OrdersPage::from_api(visitor.chrome(), &orders, now),
    ))
}
