//! The public HTTP API (docs/contract.md#routes), as the storefront calls it: with the visitor's
//! own `session` cookie, never a session of its own. One `reqwest::Client` without a cookie store,
//! so no visitor's session can leak into another's request.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context as _;
use common::{OrderId, TicketId, UserId};
use reqwest::{Method, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::present::errors::ApiMessage;
use crate::present::next::encode_component;

const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    pub id: TicketId,
    pub title: String,
    pub price: Value,
    pub user_id: UserId,
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// `on_sale`, `reserved` or `sold` (absent from an API that predates it).
    #[serde(default)]
    pub state: Option<String>,
    /// When a reserved ticket's hold ends.
    #[serde(default)]
    pub held_until: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OrderTicket {
    pub id: TicketId,
    pub title: String,
    pub price: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: OrderId,
    pub status: String,
    pub expires_at: String,
    pub ticket: OrderTicket,
    /// `buyer`, `expired` or `listing_changed` once cancelled.
    #[serde(default)]
    pub cancel_reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CurrentUserBody {
    current_user: Option<User>,
}

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The API answered with an error status and its messages.
    #[error("the API answered {status}: {messages:?}")]
    Refused {
        status: u16,
        messages: Vec<ApiMessage>,
    },
    /// Unreachable, timed out, or an answer that is not the API's JSON.
    #[error("the API is unavailable: {0:#}")]
    Unavailable(anyhow::Error),
}

impl Failure {
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Refused { status, .. } => Some(*status),
            Self::Unavailable(_) => None,
        }
    }
}

/// A successful answer and the cookies the API set (a new or cleared session).
#[derive(Debug)]
pub struct Answer<T> {
    pub body: T,
    pub set_cookies: Vec<header::HeaderValue>,
    pub headers: header::HeaderMap,
}

/// One page of a list, in the API's order (oldest first), and where its neighbours start.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    /// The cursor of the page after this one (newer items).
    pub next: Option<String>,
    /// The cursor of the page before this one (older items).
    pub previous: Option<String>,
    /// How many match a search, when the API says.
    pub total: Option<u64>,
}

impl<T> Listing<T> {
    pub fn empty() -> Self {
        Self {
            items: Vec::new(),
            next: None,
            previous: None,
            total: None,
        }
    }

    fn of(answer: Answer<Vec<T>>) -> Self {
        let links = answer
            .headers
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ");
        Self {
            next: cursor_of(&links, "next"),
            previous: cursor_of(&links, "prev"),
            total: answer
                .headers
                .get("x-total-count")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
            items: answer.body,
        }
    }
}

/// Which tickets to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct TicketQuery<'a> {
    /// Words the titles must contain.
    pub search: Option<&'a str>,
    /// Where the page starts: a cursor from a previous [`Listing`], or `last`.
    pub cursor: Option<&'a str>,
    /// The caller's own tickets, in every state, instead of those on sale.
    pub mine: bool,
}

/// How many items a page of the storefront shows.
pub const PAGE_SIZE: u32 = 24;
/// The cursor of the newest page: the storefront shows lists newest first.
pub const NEWEST: &str = "last";

/// The `cursor` of the `rel` link of an RFC 8288 `Link` header.
pub fn cursor_of(links: &str, rel: &str) -> Option<String> {
    let wanted = format!("rel=\"{rel}\"");
    links.split(',').find_map(|link| {
        let (target, params) = link.trim().split_once(';')?;
        if !params.split(';').any(|p| p.trim() == wanted) {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let (_, query) = target.split_once('?')?;
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("cursor="))
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
    })
}

/// `?name=value&…` of the present values, percent-encoded.
fn query_string(params: &[(&str, Option<&str>)]) -> String {
    let pairs: Vec<String> = params
        .iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={}", encode_component(v))))
        .collect();
    format!("?{}", pairs.join("&"))
}

/// Who the storefront calls the API for: the visitor's session cookie, forwarded as is, and the
/// visitor's address, forwarded in `X-Forwarded-For` so that the API's per-address limits count
/// each visitor, not the storefront (the API trusts the storefront as a proxy: `TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub session: Option<String>,
    pub address: Option<IpAddr>,
}

impl Caller {
    /// The same visitor without a session (sign-in, sign-up).
    pub fn anonymous(&self) -> Self {
        Self {
            session: None,
            address: self.address,
        }
    }
}

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

#[derive(Serialize)]
struct Credentials<'a> {
    email: &'a str,
    password: &'a str,
}

impl Api {
    pub fn new(base: impl Into<String>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(3))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the API client")?;
        Ok(Self {
            base: base.into(),
            http,
        })
    }

    #[tracing::instrument(skip_all, fields(%method, path = %path))]
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        caller: &Caller,
        body: Option<&Value>,
    ) -> Result<Answer<T>, Failure> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = &caller.session {
            request = request.header(header::COOKIE, format!("session={token}"));
        }
        if let Some(address) = caller.address {
            request = request.header(common::client_address::FORWARDED_FOR, address.to_string());
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .context("calling the API")
            .map_err(Failure::Unavailable)?;
        let status = response.status();
        let headers = response.headers().clone();
        let set_cookies = response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .cloned()
            .collect();
        let bytes = response
            .bytes()
            .await
            .context("reading the API's answer")
            .map_err(Failure::Unavailable)?;
        if status.is_success() {
            let text: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            let body = serde_json::from_slice(text)
                .with_context(|| format!("decoding the API's answer to {path}"))
                .map_err(Failure::Unavailable)?;
            return Ok(Answer {
                body,
                set_cookies,
                headers,
            });
        }
        #[derive(Deserialize)]
        struct Errors {
            errors: Vec<ApiMessage>,
        }
        match serde_json::from_slice::<Errors>(&bytes) {
            Ok(e) => Err(Failure::Refused {
                status: status.as_u16(),
                messages: e.errors,
            }),
            Err(_) => Err(Failure::Unavailable(anyhow::anyhow!(
                "the API answered {status} to {path} without an errors body"
            ))),
        }
    }

    pub async fn current_user(&self, caller: &Caller) -> Result<Option<User>, Failure> {
        if caller.session.is_none() {
            return Ok(None);
        }
        let answer: Answer<CurrentUserBody> = self
            .call(Method::GET, "/api/users/currentuser", caller, None)
            .await?;
        Ok(answer.body.current_user)
    }

    pub async fn sign_up(
        &self,
        caller: &Caller,
        email: &str,
        password: &str,
    ) -> Result<Answer<User>, Failure> {
        let body = json!(Credentials { email, password });
        let path = "/api/users/signup";
        self.call(Method::POST, path, &caller.anonymous(), Some(&body))
            .await
    }

    pub async fn sign_in(
        &self,
        caller: &Caller,
        email: &str,
        password: &str,
    ) -> Result<Answer<User>, Failure> {
        let body = json!(Credentials { email, password });
        let path = "/api/users/signin";
        self.call(Method::POST, path, &caller.anonymous(), Some(&body))
            .await
    }

    pub async fn sign_out(&self, caller: &Caller) -> Result<Answer<Value>, Failure> {
        self.call(Method::POST, "/api/users/signout", caller, Some(&json!({})))
            .await
    }

    /// One page of tickets: on sale (searched or not), or the caller's own.
    pub async fn tickets(
        &self,
        caller: &Caller,
        query: TicketQuery<'_>,
    ) -> Result<Listing<Ticket>, Failure> {
        let limit = PAGE_SIZE.to_string();
        let path = format!(
            "/api/tickets{}",
            query_string(&[
                ("limit", Some(&limit)),
                ("cursor", query.cursor),
                ("q", query.search),
                ("sellerId", query.mine.then_some("me")),
            ])
        );
        let caller = if query.mine {
            caller.clone()
        } else {
            caller.anonymous()
        };
        let answer = self.call(Method::GET, &path, &caller, None).await?;
        Ok(Listing::of(answer))
    }

    pub async fn ticket(&self, caller: &Caller, id: TicketId) -> Result<Ticket, Failure> {
        let path = format!("/api/tickets/{id}");
        let answer = self
            .call(Method::GET, &path, &caller.anonymous(), None)
            .await?;
        Ok(answer.body)
    }

    /// Lists a ticket; `price` goes as the form's text, which the API accepts
    /// (docs/contract.md#money).
    pub async fn create_ticket(
        &self,
        caller: &Caller,
        title: &str,
        price: &str,
    ) -> Result<Ticket, Failure> {
        let body = json!({"title": title, "price": price});
        let answer = self
            .call(Method::POST, "/api/tickets", caller, Some(&body))
            .await?;
        Ok(answer.body)
    }

    pub async fn update_ticket(
        &self,
        caller: &Caller,
        id: TicketId,
        title: &str,
        price: &str,
    ) -> Result<Ticket, Failure> {
        let body = json!({"title": title, "price": price});
        let path = format!("/api/tickets/{id}");
        let answer = self.call(Method::PUT, &path, caller, Some(&body)).await?;
        Ok(answer.body)
    }

    pub async fn create_order(&self, caller: &Caller, ticket: TicketId) -> Result<Order, Failure> {
        let body = json!({"ticketId": ticket});
        let answer = self
            .call(Method::POST, "/api/orders", caller, Some(&body))
            .await?;
        Ok(answer.body)
    }

    /// One page of the caller's orders, starting at `cursor`.
    pub async fn orders(
        &self,
        caller: &Caller,
        cursor: Option<&str>,
    ) -> Result<Listing<Order>, Failure> {
        let limit = PAGE_SIZE.to_string();
        let path = format!(
            "/api/orders{}",
            query_string(&[("limit", Some(&limit)), ("cursor", cursor)])
        );
        let answer = self.call(Method::GET, &path, caller, None).await?;
        Ok(Listing::of(answer))
    }

    /// The buyer cancels their order (an already cancelled one stays cancelled).
    pub async fn cancel_order(&self, caller: &Caller, id: OrderId) -> Result<(), Failure> {
        let path = format!("/api/orders/{id}");
        let _: Answer<Value> = self.call(Method::DELETE, &path, caller, None).await?;
        Ok(())
    }

    pub async fn order(&self, caller: &Caller, id: OrderId) -> Result<Order, Failure> {
        let path = format!("/api/orders/{id}");
        let answer = self.call(Method::GET, &path, caller, None).await?;
        Ok(answer.body)
    }

    pub async fn pay(&self, caller: &Caller, order: OrderId, card: &str) -> Result<(), Failure> {
        let body = json!({"orderId": order, "token": card});
        let _: Answer<Value> = self
            .call(Method::POST, "/api/payments", caller, Some(&body))
            .await?;
        Ok(())
    }
}

/// How long a page waits for a replica to learn what another service just did (a ticket listed a
/// moment ago, an order placed a moment ago): events take a few milliseconds to travel.
pub const REPLICA_WAIT: Duration = Duration::from_secs(5);

/// Calls `call` again while it answers 404, for up to [`REPLICA_WAIT`].
pub async fn patiently<T, F, Fut>(mut call: F) -> Result<T, Failure>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Failure>>,
{
    let deadline = tokio::time::Instant::now() + REPLICA_WAIT;
    loop {
        match call().await {
            Err(f) if f.status() == Some(404) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_come_from_the_link_header() {
        let links = "</api/tickets?q=caf%C3%A9&limit=24&cursor=YToxOjI>; rel=\"next\", \
                     </api/tickets?limit=24&cursor=Yjox>; rel=\"prev\"";
        assert_eq!(cursor_of(links, "next").as_deref(), Some("YToxOjI"));
        assert_eq!(cursor_of(links, "prev").as_deref(), Some("Yjox"));
        assert_eq!(cursor_of("", "next"), None);
        assert_eq!(
            cursor_of("<https://x/?cursor=>; rel=\"next\"", "next"),
            None
        );
        assert_eq!(cursor_of("</a?cursor=z>; rel=\"nextish\"", "next"), None);
    }

    #[test]
    fn queries_carry_only_present_values_encoded() {
        assert_eq!(
            query_string(&[
                ("limit", Some("24")),
                ("cursor", None),
                ("q", Some("rock & roll"))
            ]),
            "?limit=24&q=rock%20%26%20roll"
        );
    }
}
