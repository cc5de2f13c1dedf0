//! The public HTTP API (SPEC §3), as the storefront calls it: with the visitor's own `session`
//! cookie, never a session of its own. One `reqwest::Client` without a cookie store, so no
//! visitor's session can leak into another's request.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::Context as _;
use common::{OrderId, TicketId, UserId};
use reqwest::{Method, header};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::domain::errors::ApiMessage;

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

    #[tracing::instrument(skip_all, fields(%method, path))]
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
            return Ok(Answer { body, set_cookies });
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

    pub async fn tickets(&self, caller: &Caller) -> Result<Vec<Ticket>, Failure> {
        let answer = self
            .call(Method::GET, "/api/tickets", &caller.anonymous(), None)
            .await?;
        Ok(answer.body)
    }

    pub async fn ticket(&self, caller: &Caller, id: TicketId) -> Result<Ticket, Failure> {
        let path = format!("/api/tickets/{id}");
        let answer = self
            .call(Method::GET, &path, &caller.anonymous(), None)
            .await?;
        Ok(answer.body)
    }

    /// Lists a ticket; `price` goes as the form's text, which the API accepts (SPEC §2).
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

    pub async fn orders(&self, caller: &Caller) -> Result<Vec<Order>, Failure> {
        let answer = self.call(Method::GET, "/api/orders", caller, None).await?;
        Ok(answer.body)
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
