//! The pages, as askama templates over view models (compile-time checked, auto-escaped). Routes
//! build these from API data with the `from_*` functions, so rendering tests start from the same
//! JSON the API sends.

use askama::Template;
use time::OffsetDateTime;

use crate::api::{Listing, Order, Ticket, User};
use crate::present::errors::FormErrors;
use crate::present::money::{form_value, format_price};
use crate::present::next::sign_in_href;
use crate::present::pager::Pager;
use crate::present::sale::SaleState;
use crate::present::status::{OrderState, cancel_note};
use crate::present::when;

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
    /// Newest first.
    pub tickets: Vec<TicketCard>,
    /// What the visitor searched for ("" when browsing).
    pub search: String,
    /// How many tickets match the search.
    pub total: Option<u64>,
    pub pager: Pager,
    pub errors: FormErrors,
}

impl TicketsPage {
    pub fn from_api(chrome: Chrome, listing: &Listing<Ticket>, search: &str) -> Self {
        let tickets = listing
            .items
            .iter()
            .rev()
            .map(|t| TicketCard {
                href: format!("/tickets/{}", t.id),
                title: t.title.clone(),
                price: format_price(&t.price),
            })
            .collect();
        Self {
            chrome,
            tickets,
            search: search.to_owned(),
            total: listing.total,
            pager: Pager::newest_first(
                "/",
                &[("q", search)],
                listing.next.as_deref(),
                listing.previous.as_deref(),
            ),
            errors: FormErrors::default(),
        }
    }

    pub fn with_errors(mut self, errors: FormErrors) -> Self {
        self.errors = errors;
        self
    }

    /// "1 ticket matches", "3 tickets match".
    pub fn total_text(&self) -> String {
        match self.total {
            Some(1) => "1 ticket matches".to_owned(),
            Some(n) => format!("{n} tickets match"),
            None => String::new(),
        }
    }
}

/// One of a seller's tickets, in whatever state.
pub struct ListingRow {
    pub href: String,
    pub title: String,
    pub price: String,
    pub state: SaleState,
    /// When a reserved ticket's hold ends (RFC 3339, for the script) and as UTC text.
    pub held_until: Option<(String, String)>,
    /// Where to edit it, while it is on sale.
    pub edit_href: Option<String>,
}

/// "My listings": the seller's tickets, newest first.
#[derive(Template)]
#[template(path = "selling.html")]
pub struct SellingPage {
    pub chrome: Chrome,
    pub listings: Vec<ListingRow>,
    pub pager: Pager,
}

impl SellingPage {
    pub fn from_api(chrome: Chrome, listing: &Listing<Ticket>) -> Self {
        let listings = listing
            .items
            .iter()
            .rev()
            .map(|t| {
                let state = SaleState::of(t.state.as_deref(), t.order_id.is_some());
                let held_until = t
                    .held_until
                    .as_deref()
                    .filter(|_| state == SaleState::Reserved)
                    .and_then(|text| Some((text.to_owned(), when::utc_text(when::parse(text)?))));
                ListingRow {
                    href: format!("/tickets/{}", t.id),
                    title: t.title.clone(),
                    price: format_price(&t.price),
                    state,
                    held_until,
                    edit_href: state
                        .is_editable()
                        .then(|| format!("/tickets/{}/edit", t.id)),
                }
            })
            .collect();
        Self {
            chrome,
            listings,
            pager: Pager::newest_first(
                "/selling",
                &[],
                listing.next.as_deref(),
                listing.previous.as_deref(),
            ),
        }
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
    /// Newest first.
    pub orders: Vec<OrderRow>,
    pub pager: Pager,
}

impl OrdersPage {
    pub fn from_api(chrome: Chrome, listing: &Listing<Order>, now: OffsetDateTime) -> Self {
        let orders = listing
            .items
            .iter()
            .rev()
            .map(|o| OrderRow {
                href: format!("/orders/{}", o.id),
                title: o.ticket.title.clone(),
                price: format_price(&o.ticket.price),
                state: OrderState::of(
                    &o.status,
                    o.cancel_reason.as_deref(),
                    when::parse(&o.expires_at),
                    now,
                ),
            })
            .collect();
        Self {
            chrome,
            orders,
            pager: Pager::newest_first(
                "/orders",
                &[],
                listing.next.as_deref(),
                listing.previous.as_deref(),
            ),
        }
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
    pub cancel_note: &'static str,
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
            state: OrderState::of(&order.status, order.cancel_reason.as_deref(), expires, now),
            cancel_note: cancel_note(order.cancel_reason.as_deref()),
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
                crate::present::next::encode_component(next)
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
