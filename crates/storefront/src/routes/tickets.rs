//! `GET /`: a page of the tickets on sale, newest first, or those whose titles match a search.

use actix_web::{HttpResponse, http::StatusCode, web};
use serde::Deserialize;

use super::{State, Visitor, page, status_of};
use crate::api::{Failure, Listing, NEWEST, TicketQuery};
use crate::error::PageError;
use crate::present::errors::FormErrors;
use crate::views::TicketsPage;

#[derive(Deserialize)]
pub struct Query {
    #[serde(default)]
    q: String,
    #[serde(default)]
    cursor: String,
}

#[tracing::instrument(skip_all)]
pub async fn list(
    visitor: Visitor,
    state: web::Data<State>,
    query: web::Query<Query>,
) -> Result<HttpResponse, PageError> {
    let search = query.q.trim();
    let cursor = Some(query.cursor.trim()).filter(|c| !c.is_empty());
    let asked = TicketQuery {
        search: Some(search).filter(|s| !s.is_empty()),
        cursor: Some(cursor.unwrap_or(NEWEST)),
        mine: false,
    };
    match state.api.tickets(&visitor.caller, asked).await {
        Ok(listing) => Ok(page(
            StatusCode::OK,
            &TicketsPage::from_api(visitor.chrome(), &listing, search),
        )),
        // A search too long, or a cursor edited by hand: say so above an empty page.
        Err(Failure::Refused { status, messages }) if status == 400 => {
            let view = TicketsPage::from_api(visitor.chrome(), &Listing::empty(), search)
                .with_errors(FormErrors::from_api(&messages, &[]));
            Ok(page(status_of(status), &view))
        }
        Err(failure) => Err(visitor.fail(failure)),
    }
}
