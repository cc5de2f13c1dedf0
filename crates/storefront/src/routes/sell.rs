//! `GET|POST /tickets/new`: list a ticket for sale.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{State, Visitor, page, shown_on_the_form, status_of};
use crate::api::Failure;
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::respond::see_other;
use crate::security::SameOrigin;
use crate::views::TicketFormPage;

const HERE: &str = "/tickets/new";

#[derive(Deserialize)]
pub struct TicketForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub price: String,
}

#[tracing::instrument(skip_all)]
pub async fn form(visitor: Visitor) -> Result<HttpResponse, PageError> {
    visitor.require(HERE)?;
    Ok(page(
        StatusCode::OK,
        &TicketFormPage::sell(visitor.chrome()),
    ))
}

#[tracing::instrument(skip_all)]
pub async fn submit(
    _: SameOrigin,
    visitor: Visitor,
    state: web::Data<State>,
    form: web::Form<TicketForm>,
) -> Result<HttpResponse, PageError> {
    visitor.require(HERE)?;
    let price = form.price.trim().trim_start_matches('$');
    match state
        .api
        .create_ticket(&visitor.caller, &form.title, price)
        .await
    {
        Ok(ticket) => Ok(see_other(&format!("/tickets/{}", ticket.id))),
        Err(Failure::Refused { status, messages }) if shown_on_the_form(status) => {
            let errors = FormErrors::from_api(&messages, &["title", "price"]);
            let view =
                TicketFormPage::sell(visitor.chrome()).retry(&form.title, &form.price, errors);
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(PageError::from_failure(failure, true, HERE)),
    }
}
