//! `GET /orders`: the visitor's orders, newest first, each with its status and ticket.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{State, Visitor, page};
use crate::api::NEWEST;
use crate::error::PageError;
use crate::views::OrdersPage;

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    cursor: String,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    visitor: Visitor,
    state: web::Data<State>,
    query: web::Query<Query>,
) -> Result<HttpResponse, PageError> {
    visitor.require("/orders")?;
    let cursor = Some(query.cursor.trim()).filter(|c| !c.is_empty());
    let listing = state
        .api
        .orders(&visitor.caller, Some(cursor.unwrap_or(NEWEST)))
        .await
        .map_err(|f| visitor.fail(f))?;
    let now = time::OffsetDateTime::now_utc();
    Ok(page(
        StatusCode::OK,
        &OrdersPage::from_api(visitor.chrome(), &listing, now),
    ))
}
