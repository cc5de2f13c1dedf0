//! `GET /orders/{id}`: an order's status, the time left on its hold, and the pay form.

use actix_web::{HttpResponse, http::StatusCode, web};
use common::OrderId;
use serde::Deserialize;

use super::{State, Visitor, page, parse_id};
use crate::error::PageError;
use crate::present::status::OrderState;
use crate::views::OrderPage;

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    paid: Option<String>,
    #[serde(default)]
    cancelled: Option<String>,
}

#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn show(
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
    query: web::Query<Query>,
) -> Result<HttpResponse, PageError> {
    let id: OrderId = parse_id(&id)?;
    visitor.require(&format!("/orders/{id}"))?;
    let order = state
        .api
        .order(&visitor.caller, id)
        .await
        .map_err(|f| visitor.fail(f))?;
    let view = OrderPage::from_api(visitor.chrome(), &order, time::OffsetDateTime::now_utc());
    let notice = if query.paid.is_some() && view.state != OrderState::Complete {
        Some("Payment received. Your order will show as complete in a moment; refresh to see it.")
    } else if query.cancelled.is_some() && view.state == OrderState::Cancelled {
        Some("Your order is cancelled and the ticket is back on sale.")
    } else {
        None
    };
    let notice = notice.map(str::to_owned);
    Ok(page(StatusCode::OK, &view.with_notice(notice)))
}
