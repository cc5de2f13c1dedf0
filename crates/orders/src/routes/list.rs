//! `GET /api/orders`: one page of the caller's orders.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use common::ApiError;
use common::openapi::ErrorBody;
use common::paging::{Page, PageRequest};
use common::session::CurrentUser;
use serde::Deserialize;

use super::{OrderView, State};
use crate::repo;

/// The query of `GET /api/orders`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// At most this many orders (1-100, default 50).
    limit: Option<String>,
    /// Where to go on from: the `cursor` of a `Link` of the previous answer, or `last` for the
    /// newest page.
    cursor: Option<String>,
}

/// One page of the caller's orders (every status), oldest first.
#[utoipa::path(
    get,
    operation_id = "listOrders",
    path = "/api/orders",
    tag = "orders",
    params(ListQuery),
    responses(
        (status = 200, description = "One page of the caller's orders, oldest first; `Link: <…>; rel=\"next\"` (and `rel=\"prev\"`) while more remain", body = Vec<super::OrderView>),
        (status = 400, description = "A `limit` or `cursor` that is not valid", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 500, description = "Something went wrong", body = ErrorBody)
    ),
    security(("session" = []), ("bearer" = []))
)]
pub async fn list(
    user: CurrentUser,
    state: web::Data<State>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let request = PageRequest::parse(query.limit.as_deref(), query.cursor.as_deref())
        .map_err(ApiError::Validation)?;
    let rows = repo::page_for_user(&state.pool, user.id(), &request).await?;
    let page = Page::of(&request, rows, |o| (o.created_at, o.id.0));
    let mut response = HttpResponse::Ok();
    if let Some(links) = page.link_header(crate::API_PREFIX, &[], request.limit) {
        response.insert_header((header::LINK, links));
    }
    let orders: Vec<OrderView> = page.items.into_iter().map(OrderView::from).collect();
    Ok(response.json(orders))
}
