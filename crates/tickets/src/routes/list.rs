//! `GET /api/tickets`: one page of the tickets on sale, oldest first; `?q=` searches their titles;
//! `?sellerId=me` lists the caller's own tickets in every state.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::openapi::ErrorBody;
use common::paging::{Page, PageRequest};
use common::session::MaybeUser;
use common::{ApiError, FieldError};
use serde::Deserialize;

use super::TicketView;
use crate::domain::Search;
use crate::repo::{self, Listing};

/// The query of `GET /api/tickets`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many tickets (1-100, default 50).
    limit: Option<String>,
    /// Where to go on from: the `cursor` of a `Link` of the previous answer, or `last` for the
    /// newest page.
    cursor: Option<String>,
    /// Words the title must contain (any case and accents; prefixes match: `conc` finds
    /// "Concert"), at most 200 characters. The answer's `X-Total-Count` says how many match.
    q: Option<String>,
    /// `me`: the caller's own tickets, in every state (signed in only).
    seller_id: Option<String>,
}

pub const SELLER_ME_ONLY: FieldError = FieldError::new("sellerId", "sellerId can only be me");
/// Says how many tickets on sale match a search.
pub const TOTAL_COUNT: &str = "x-total-count";

/// One page of the tickets on sale (not reserved), oldest first; or of the caller's own.
#[utoipa::path(
    get,
    operation_id = "listTickets",
    path = "/api/tickets",
    tag = "tickets",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of tickets, oldest first. While more remain, `Link: <…>; rel=\"next\"` names the next page (and `rel=\"prev\"` the previous one); with `q`, `X-Total-Count` says how many match", body = Vec<TicketView>),
        (status = 400, description = "A `limit`, `cursor`, `q` or `sellerId` that is not valid", body = ErrorBody),
        (status = 401, description = "`sellerId=me` without a session", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security((), ("session" = []), ("bearer" = []))
)]
pub async fn list(
    state: web::Data<super::State>,
    user: MaybeUser,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (request, search, seller) = parse(&query)?;
    let listing = match seller {
        true => Listing::Seller(user.0.ok_or(ApiError::NotAuthorized)?.id),
        false => Listing::OnSale(search.as_ref()),
    };
    let rows = repo::page(&state.pool, listing, &request).await?;
    let page = Page::of(&request, rows, |t| (t.created_at, t.id.0));
    let mut response = HttpResponse::Ok();
    let kept = [
        ("q", query.q.clone().unwrap_or_default()),
        ("sellerId", query.seller_id.clone().unwrap_or_default()),
    ];
    if let Some(links) = page.link_header(crate::API_PREFIX, &kept, request.limit) {
        response.insert_header((header::LINK, links));
    }
    if let Some(search) = &search {
        let total = repo::count_matching(&state.pool, search).await?;
        response.insert_header((TOTAL_COUNT, total.to_string()));
    }
    let tickets: Vec<TicketView> = page.items.into_iter().map(TicketView::from).collect();
    Ok(response.json(tickets))
}

/// The query, every invalid parameter reported at once.
fn parse(query: &ListQuery) -> Result<(PageRequest, Option<Search>, bool), ApiError> {
    let mut errors = Vec::new();
    let request = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())
        .map_err(|e| errors.extend(e))
        .ok();
    let search = Search::parse(query.q.as_deref().unwrap_or_default())
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let seller = match query.seller_id.as_deref().map(str::trim) {
        None | Some("") => false,
        Some("me") => true,
        Some(_) => {
            errors.push(SELLER_ME_ONLY);
            false
        }
    };
    match request {
        Some(request) if errors.is_empty() => Ok((request, search, seller)),
        _ => Err(ApiError::Validation(errors)),
    }
}
