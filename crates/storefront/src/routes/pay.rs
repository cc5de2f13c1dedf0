//! `POST /orders/{id}/pay`: pays for an order with a card token.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use common::OrderId;
use serde::Deserialize;

use super::{State, Visitor, page, parse_id, status_of};
use crate::api::{Failure, patiently};
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::OrderPage;

/// How long to wait for the order to show `complete` before redirecting anyway.
const CONFIRMATION_WAIT: Duration = Duration::from_secs(3);

#[derive(Deserialize)]
pub struct PayForm {
    #[serde(default)]
    token: String,
}

#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn pay(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
    form: web::Form<PayForm>,
) -> Result<HttpResponse, PageError> {
    let id: OrderId = parse_id(&id)?;
    let here = format!("/orders/{id}");
    visitor.require(&here)?;
    let api = &state.api;
    let session = &visitor.caller;
    let order = api.order(session, id).await.map_err(|f| visitor.fail(f))?;
    // An order placed a moment ago may not have reached the payments service yet.
    match patiently(|| api.pay(session, id, &form.token)).await {
        Ok(()) => {
            let deadline = tokio::time::Instant::now() + CONFIRMATION_WAIT;
            loop {
                match api.order(session, id).await {
                    Ok(o) if o.status == "complete" => return Ok(see_other(&here)),
                    _ if tokio::time::Instant::now() >= deadline => {
                        return Ok(see_other(&format!("{here}?paid=1")));
                    }
                    _ => tokio::time::sleep(Duration::from_millis(100)).await,
                }
            }
        }
        Err(Failure::Refused { status, messages }) if matches!(status, 400 | 402 | 429 | 502) => {
            let order = api.order(session, id).await.unwrap_or(order);
            let errors = FormErrors::from_api(&messages, &["token"]);
            let view =
                OrderPage::from_api(visitor.chrome(), &order, time::OffsetDateTime::now_utc())
                    .with_errors(&form.token, errors);
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(PageError::from_failure(failure, true, &here)),
    }
}
