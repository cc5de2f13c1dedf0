//! The pages, as askama templates over view models (compile-time checked, auto-escaped). Routes
//! build these from API data with the `from_*` functions, so rendering tests start from the same
//! JSON the API sends.

use askama::Template;
use time::OffsetDateTime;

use crate::api::{Order, Ticket, User};
use crate::domain::errors::FormErrors;
use crate::domain::money::{form_value, format_price};
use crate::domain::next::sign_in_href;
use crate::domain::status::OrderState;
use crate::domain::when;

/// What every page shows around its content: who is signed in, and where "Sign in" returns to.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user: Option<String>,
    pub sign_in_href: String,
}

impl Chrome {
    pub fn new(user: Option<&User>, here: &str) -> Self {
        Self {
            user: user.map(|u| u.email.clone()),
            sign_in_href: sign_in_href(here),
        }
    }
}

pub struct TicketCard {
    pub href: String,
    pub title: String,
    pub price: String,
}

#[derive(Template)]
#[template(path = "tickets.html")]
pub struct TicketsPage {
    pub chrome: Chrome,
    pub tickets: Vec<TicketCard>,
}

impl TicketsPage {
    pub fn from_api(chrome: Chrome, tickets: &[Ticket]) -> Self {
        let tickets = tickets
            .iter()
            .map(|t| TicketCard {
                href: format!("/tickets/{}", t.id),
                title: t.title.clone(),
                price: format_price(&t.price),
            })
            .collect();
        Self { chrome, tickets }
    }
}

/// What the visitor may do on a ticket's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketAction {
    /// Signed in, someone else's ticket, on sale.
    Purchase,
    /// Signed out: Purchase leads to sign-in and back.
    SignInToPurchase,
    /// The visitor's own ticket: edit it, never buy it.
    Own,
    /// Someone holds it.
    Reserved,
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    pub chrome: Chrome,
    pub id: String,
    pub title: String,
    pub price: String,
    pub action: TicketAction,
    pub reserved: bool,
    pub errors: FormErrors,
}

impl TicketPage {
    pub fn from_api(chrome: Chrome, ticket: &Ticket, viewer: Option<&User>) -> Self {
        let reserved = ticket.order_id.is_some();
        let action = match viewer {
            Some(user) if user.id == ticket.user_id => TicketAction::Own,
            _ if reserved => TicketAction::Reserved,
            Some(_) => TicketAction::Purchase,
            None => TicketAction::SignInToPurchase,
        };
        Self {
            chrome,
            id: ticket.id.to_string(),
            title: ticket.title.clone(),
            price: format_price(&ticket.price),
            action,
            reserved,
            errors: FormErrors::default(),
        }
    }

    pub fn with_errors(mut self, errors: FormErrors) -> Self {
        self.errors = errors;
        self
    }
}

/// Selling a new ticket, or editing one's own.
#[derive(Template)]
#[template(path = "ticket_form.html")]
pub struct TicketFormPage {
    pub chrome: Chrome,
    pub heading: String,
    pub action: String,
    pub submit: String,
    pub cancel_href: String,
    pub title: String,
    pub price: String,
    pub reserved: bool,
    pub errors: FormErrors,
}

impl TicketFormPage {
    pub fn sell(chrome: Chrome) -> Self {
        Self {
            chrome,
            heading: "Sell a ticket".into(),
            action: "/tickets/new".into(),
            submit: "List ticket".into(),
            cancel_href: "/".into(),
            title: String::new(),
            price: String::new(),
            reserved: false,
            errors: FormErrors::default(),
        }
    }

    pub fn edit(chrome: Chrome, ticket: &Ticket) -> Self {
        Self {
            chrome,
            heading: "Edit your ticket".into(),
            action: format!("/tickets/{}/edit", ticket.id),
            submit: "Save changes".into(),
            cancel_href: format!("/tickets/{}", ticket.id),
            title: ticket.title.clone(),
            price: form_value(&ticket.price),
            reserved: ticket.order_id.is_some(),
            errors: FormErrors::default(),
        }
    }

    /// The form again with what the visitor typed and the API's messages.
    pub fn retry(mut self, title: &str, price: &str, errors: FormErrors) -> Self {
        self.title = title.to_owned();
        self.price = price.to_owned();
        self.errors = errors;
        self
    }
}

pub struct OrderRow {
    pub href: String,
    pub title: String,
    pub price: String,
    pub state: OrderState,
}

#[derive(Template)]
#[template(path = "orders.html")]
pub struct OrdersPage {
    pub chrome: Chrome,
    pub orders: Vec<OrderRow>,
}

impl OrdersPage {
    pub fn from_api(chrome: Chrome, orders: &[Order], now: OffsetDateTime) -> Self {
        let orders = orders
            .iter()
            .rev()
            .map(|o| OrderRow {
                href: format!("/orders/{}", o.id),
                title: o.ticket.title.clone(),
                price: format_price(&o.ticket.price),
                state: OrderState::of(&o.status, when::parse(&o.expires_at), now),
            })
            .collect();
        Self { chrome, orders }
    }
}

/// A test card the pay form offers (the fake provider's tokens; Stripe test mode knows them too).
pub struct Card {
    pub token: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
}

pub const TEST_CARDS: &[Card] = &[
    Card {
        token: "tok_visa",
        label: "Visa ending 4242",
        hint: "Test card: the payment succeeds",
    },
    Card {
        token: "tok_chargeDeclined",
        label: "Visa ending 0002",
        hint: "Test card: the bank declines it",
    },
];

#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    pub chrome: Chrome,
    pub id: String,
    pub ticket_href: String,
    pub title: String,
    pub price: String,
    pub state: OrderState,
    pub expires_at: String,
    pub expires_text: String,
    pub time_left: String,
    pub cards: &'static [Card],
    pub card: String,
    pub notice: Option<String>,
    pub errors: FormErrors,
}

impl OrderPage {
    pub fn from_api(chrome: Chrome, order: &Order, now: OffsetDateTime) -> Self {
        let expires = when::parse(&order.expires_at);
        Self {
            chrome,
            id: order.id.to_string(),
            ticket_href: format!("/tickets/{}", order.ticket.id),
            title: order.ticket.title.clone(),
            price: format_price(&order.ticket.price),
            state: OrderState::of(&order.status, expires, now),
            expires_at: order.expires_at.clone(),
            expires_text: expires.map(when::utc_text).unwrap_or_default(),
            time_left: expires.map(|t| when::time_left(now, t)).unwrap_or_default(),
            cards: TEST_CARDS,
            card: TEST_CARDS[0].token.to_owned(),
            notice: None,
            errors: FormErrors::default(),
        }
    }

    pub fn with_errors(mut self, card: &str, errors: FormErrors) -> Self {
        self.card = card.to_owned();
        self.errors = errors;
        self
    }

    pub fn with_notice(mut self, notice: Option<String>) -> Self {
        self.notice = notice;
        self
    }
}

/// Sign in or sign up.
#[derive(Template)]
#[template(path = "auth.html")]
pub struct AuthPage {
    pub chrome: Chrome,
    pub heading: &'static str,
    pub action: &'static str,
    pub submit: &'static str,
    pub password_hint: &'static str,
    pub password_autocomplete: &'static str,
    pub other_label: &'static str,
    pub other_href: String,
    pub email: String,
    pub next: String,
    pub errors: FormErrors,
}

impl AuthPage {
    pub fn sign_in(chrome: Chrome, next: &str) -> Self {
        Self {
            chrome,
            heading: "Sign in",
            action: "/auth/signin",
            submit: "Sign in",
            password_hint: "",
            password_autocomplete: "current-password",
            other_label: "New here? Create an account",
            other_href: format!(
                "/auth/signup?next={}",
                crate::domain::next::encode_component(next)
            ),
            email: String::new(),
            next: next.to_owned(),
            errors: FormErrors::default(),
        }
    }

    pub fn sign_up(chrome: Chrome, next: &str) -> Self {
        Self {
            heading: "Create an account",
            action: "/auth/signup",
            submit: "Sign up",
            password_hint: "4 to 20 characters",
            password_autocomplete: "new-password",
            other_label: "Already have an account? Sign in",
            other_href: sign_in_href(next),
            ..Self::sign_in(chrome, next)
        }
    }

    pub fn retry(mut self, email: &str, errors: FormErrors) -> Self {
        self.email = email.to_owned();
        self.errors = errors;
        self
    }
}

/// 404, "not yours", "cross-site post refused", "the marketplace is unavailable".
#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
}

/// Renders a page; a template error (which compile-time checking makes unlikely) is logged and
/// answered with a plain message.
pub fn render(page: &impl Template) -> String {
    page.render().unwrap_or_else(|e| {
        tracing::error!(error = %e, "rendering a page failed");
        "<!doctype html><title>Ticketing</title><p>Something went wrong.</p>".to_owned()
    })
}
