//! `POST /tickets/{id}/purchase`: orders the ticket (holding it) and goes to the order.

use actix_web::{HttpResponse, web};
use common::TicketId;

use super::{State, Visitor, page, parse_id, shown_on_the_form, status_of};
use crate::api::{Failure, patiently};
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::TicketPage;

#[tracing::instrument(skip_all, fields(ticket = %id))]
pub async fn purchase(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = parse_id(&id)?;
    let here = format!("/tickets/{id}");
    visitor.require(&here)?;
    let ticket = state
        .api
        .ticket(&visitor.caller, id)
        .await
        .map_err(|f| visitor.fail(f))?;
    // A ticket listed a moment ago may not have reached the orders service yet.
    match patiently(|| state.api.create_order(&visitor.caller, id)).await {
        Ok(order) => Ok(see_other(&format!("/orders/{}", order.id))),
        Err(Failure::Refused { status, messages }) if shown_on_the_form(status) => {
            let view = TicketPage::from_api(visitor.chrome(), &ticket, visitor.user.as_ref())
                .with_errors(FormErrors::from_api(&messages, &[]));
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(PageError::from_failure(failure, true, &here)),
    }
}
