//! `POST /orders/{id}/cancel`: the buyer lets the ticket go before paying.

use actix_web::{HttpResponse, web};
use common::OrderId;

use super::{State, Visitor, page, parse_id, shown_on_the_form, status_of};
use crate::api::Failure;
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::OrderPage;

#[tracing::instrument(skip_all, fields(order = %id))]
pub async fn cancel(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: OrderId = parse_id(&id)?;
    let here = format!("/orders/{id}");
    visitor.require(&here)?;
    match state.api.cancel_order(&visitor.caller, id).await {
        Ok(()) => Ok(see_other(&format!("{here}?cancelled=1"))),
        // Paid meanwhile (in another tab): the order page says why it stays.
        Err(Failure::Refused { status, messages }) if shown_on_the_form(status) => {
            let order = state
                .api
                .order(&visitor.caller, id)
                .await
                .map_err(|f| visitor.fail(f))?;
            let view =
                OrderPage::from_api(visitor.chrome(), &order, time::OffsetDateTime::now_utc())
                    .with_errors("", FormErrors::from_api(&messages, &[]));
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(PageError::from_failure(failure, true, &here)),
    }
}
