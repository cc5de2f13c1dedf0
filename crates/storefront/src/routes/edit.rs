//! `GET|POST /tickets/{id}/edit`: the seller changes their ticket's title or price.

use actix_web::{HttpResponse, http::StatusCode, web};
use common::TicketId;

use super::sell::TicketForm;
use super::{State, Visitor, page, parse_id, shown_on_the_form, status_of};
use crate::api::Failure;
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::TicketFormPage;

#[tracing::instrument(skip_all, fields(ticket = %id))]
pub async fn form(
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = parse_id(&id)?;
    let user = visitor.require(&format!("/tickets/{id}/edit"))?;
    let ticket = state
        .api
        .ticket(&visitor.caller, id)
        .await
        .map_err(|f| visitor.fail(f))?;
    if ticket.user_id != user.id {
        return Err(PageError::NotYours);
    }
    Ok(page(
        StatusCode::OK,
        &TicketFormPage::edit(visitor.chrome(), &ticket),
    ))
}

#[tracing::instrument(skip_all, fields(ticket = %id))]
pub async fn submit(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    id: web::Path<String>,
    form: web::Form<TicketForm>,
) -> Result<HttpResponse, PageError> {
    let id: TicketId = parse_id(&id)?;
    let here = format!("/tickets/{id}/edit");
    visitor.require(&here)?;
    let price = form.price.trim().trim_start_matches('$');
    match state
        .api
        .update_ticket(&visitor.caller, id, &form.title, price)
        .await
    {
        Ok(ticket) => Ok(see_other(&format!("/tickets/{}", ticket.id))),
        Err(Failure::Refused { status, messages }) if shown_on_the_form(status) => {
            let ticket = state
                .api
                .ticket(&visitor.caller, id)
                .await
                .map_err(|f| visitor.fail(f))?;
            let errors = FormErrors::from_api(&messages, &["title", "price"]);
            let view = TicketFormPage::edit(visitor.chrome(), &ticket).retry(
                &form.title,
                &form.price,
                errors,
            );
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(PageError::from_failure(failure, true, &here)),
    }
}
