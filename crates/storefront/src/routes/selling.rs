//! `GET /selling`: "My listings", the seller's tickets in every state, newest first.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{State, Visitor, page};
use crate::api::{NEWEST, TicketQuery};
use crate::error::PageError;
use crate::views::SellingPage;

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
    visitor.require("/selling")?;
    let cursor = Some(query.cursor.trim()).filter(|c| !c.is_empty());
    let asked = TicketQuery {
        search: None,
        cursor: Some(cursor.unwrap_or(NEWEST)),
        mine: true,
    };
    let listing = state
        .api
        .tickets(&visitor.caller, asked)
        .await
        .map_err(|f| visitor.fail(f))?;
    Ok(page(
        StatusCode::OK,
        &SellingPage::from_api(visitor.chrome(), &listing),
    ))
}
