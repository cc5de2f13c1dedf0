//! Every page rendered from known API data (the JSON of docs/contract.md#routes): escaping, money,
//! statuses, the pay form, and the API's messages beside their fields.

use askama::Template;
use serde_json::{Value, json};
use storefront::api::{Listing, Order, Ticket, User};
use storefront::present::errors::{ApiMessage, FormErrors};
use storefront::views::{
    AuthPage, Chrome, MessagePage, OrderPage, OrdersPage, SellingPage, TicketFormPage, TicketPage,
    TicketsPage,
};
use time::macros::datetime;

const SELLER: &str = "0195b7d2-58f5-7000-8000-00000000000a";
const BUYER: &str = "0195b7d2-58f5-7000-8000-00000000000b";
const XSS: &str = "<script>alert(1)</script>";

fn ticket(title: &str, price: Value, order_id: Value) -> Ticket {
    serde_json::from_value(json!({
        "id": "0195b7d2-58f5-7000-8000-000000000001", "title": title, "price": price,
        "userId": SELLER, "version": 0, "orderId": order_id
    }))
    .expect("ticket JSON")
}

fn order(status: &str, expires_at: &str) -> Order {
    serde_json::from_value(json!({
        "id": "0195b7d2-58f5-7000-8000-000000000002", "userId": BUYER, "status": status,
        "expiresAt": expires_at, "version": 0,
        "ticket": {"id": "0195b7d2-58f5-7000-8000-000000000001", "title": XSS, "price": 20, "version": 1}
    }))
    .expect("order JSON")
}

/// One page of `items` (oldest first, as the API sends them) between the given cursors.
fn listing<T>(items: Vec<T>, newer: Option<&str>, older: Option<&str>) -> Listing<T> {
    Listing {
        items,
        next: newer.map(str::to_owned),
        previous: older.map(str::to_owned),
        total: None,
    }
}

fn user(id: &str) -> User {
    serde_json::from_value(json!({"id": id, "email": "buyer@example.com"})).expect("user JSON")
}

fn messages(value: Value) -> Vec<ApiMessage> {
    serde_json::from_value(value).expect("errors JSON")
}

fn render(page: &impl Template) -> String {
    page.render().expect("rendering")
}

/// Asserts each `(needle, why)` is in `html`.
fn contains_all(html: &str, expected: &[(&str, &str)]) {
    for (needle, why) in expected {
        assert!(
            html.contains(needle),
            "{why}: {needle:?} missing from\n{html}"
        );
    }
}

fn contains_none(html: &str, unexpected: &[(&str, &str)]) {
    for (needle, why) in unexpected {
        assert!(
            !html.contains(needle),
            "{why}: {needle:?} present in\n{html}"
        );
    }
}

#[test]
fn the_ticket_list_escapes_titles_and_shows_money_with_currency() {
    let tickets = [
        ticket(XSS, json!(20), Value::Null),
        ticket("Concert & \"friends\"", json!(1234.5), Value::Null),
    ];
    let page = listing(tickets.to_vec(), None, None);
    let html = render(&TicketsPage::from_api(Chrome::new(None, "/"), &page, ""));
    contains_all(
        &html,
        &[
            (
                "&#60;script&#62;alert(1)&#60;/script&#62;",
                "the title is text",
            ),
            (
                "Concert &#38; &#34;friends&#34;",
                "quotes and ampersands are escaped",
            ),
            ("$20.00 USD", "two decimals and the currency"),
            ("$1,234.50 USD", "grouping"),
            (
                "/tickets/0195b7d2-58f5-7000-8000-000000000001",
                "each links to its page",
            ),
            ("/auth/signin?next=/", "signed out: a way to sign in"),
        ],
    );
    contains_none(&html, &[(XSS, "never raw"), ("<style", "no inline style")]);
    let empty = render(&TicketsPage::from_api(
        Chrome::new(None, "/"),
        &listing(vec![], None, None),
        "",
    ));
    contains_all(
        &empty,
        &[("No tickets are on sale right now.", "an empty list says so")],
    );
}

#[test]
fn the_ticket_page_offers_what_the_visitor_may_do() {
    let free = ticket(XSS, json!(19.99), Value::Null);
    let held = ticket(
        "Opera",
        json!(5),
        json!("0195b7d2-58f5-7000-8000-000000000009"),
    );
    let buyer = user(BUYER);
    let seller = user(SELLER);
    let cases: [(&Ticket, Option<&User>, &str, &str); 5] = [
        (
            &free,
            Some(&buyer),
            "action=\"/tickets/0195b7d2-58f5-7000-8000-000000000001/purchase\"",
            "a buyer may purchase",
        ),
        (
            &free,
            None,
            "href=\"/auth/signin?next=/tickets/0195b7d2-58f5-7000-8000-000000000001\"",
            "signed out: Purchase leads to sign-in and back",
        ),
        (
            &free,
            Some(&seller),
            "/tickets/0195b7d2-58f5-7000-8000-000000000001/edit",
            "the seller may edit",
        ),
        (
            &held,
            Some(&buyer),
            "Already reserved",
            "a held ticket is explained",
        ),
        (
            &held,
            Some(&seller),
            "cannot be edited until the hold ends",
            "the seller learns why it is locked",
        ),
    ];
    for (ticket, viewer, expected, case) in cases {
        let html = render(&TicketPage::from_api(
            Chrome::new(viewer, "/"),
            ticket,
            viewer,
        ));
        assert!(html.contains(expected), "{case}:\n{html}");
        if viewer.is_some_and(|v| v.id.to_string() == SELLER) || ticket.order_id.is_some() {
            assert!(!html.contains("/purchase\""), "{case}: no Purchase");
        }
    }
    let html = render(&TicketPage::from_api(
        Chrome::new(Some(&buyer), "/"),
        &free,
        Some(&buyer),
    ));
    contains_all(
        &html,
        &[
            ("&#60;script&#62;alert(1)&#60;/script&#62;", "escaped title"),
            ("$19.99 USD", "price"),
            ("buyer@example.com", "who is signed in"),
            ("action=\"/auth/signout\"", "sign out is a POST form"),
        ],
    );
    contains_none(&html, &[(XSS, "never raw")]);
    let refused = TicketPage::from_api(Chrome::new(Some(&buyer), "/"), &free, Some(&buyer))
        .with_errors(FormErrors::from_api(
            &messages(json!([{"message": "Ticket is already reserved"}])),
            &[],
        ));
    contains_all(
        &render(&refused),
        &[
            ("role=\"alert\"", "an alert"),
            ("Ticket is already reserved", "the API's message"),
        ],
    );
}

#[test]
fn the_sell_and_edit_forms_show_each_message_beside_its_field() {
    let errors = FormErrors::from_api(
        &messages(json!([
            {"message": "Title is required", "field": "title"},
            {"message": "Price must be greater than 0", "field": "price"}
        ])),
        &["title", "price"],
    );
    let html = render(&TicketFormPage::sell(Chrome::default()).retry(XSS, "-1", errors));
    contains_all(
        &html,
        &[
            ("<label for=\"title\">Title</label>", "labelled title"),
            ("<label for=\"price\">Price (USD)</label>", "labelled price"),
            (
                "id=\"title-error\">Title is required",
                "title message beside title",
            ),
            (
                "id=\"price-error\">Price must be greater than 0",
                "price message beside price",
            ),
            (
                "aria-describedby=\"price-error\"",
                "the message is tied to its input",
            ),
            (
                "value=\"&#60;script&#62;alert(1)&#60;/script&#62;\"",
                "what was typed comes back, escaped",
            ),
            ("value=\"-1\"", "the price typed comes back"),
        ],
    );
    let reserved = ticket(
        "Opera",
        json!(5),
        json!("0195b7d2-58f5-7000-8000-000000000009"),
    );
    let refused = FormErrors::from_api(
        &messages(json!([{"message": "Cannot edit a reserved ticket"}])),
        &["title", "price"],
    );
    let html =
        render(&TicketFormPage::edit(Chrome::default(), &reserved).retry("Opera", "5.00", refused));
    contains_all(
        &html,
        &[
            ("Cannot edit a reserved ticket", "the API's refusal"),
            (
                "A buyer is holding this ticket",
                "the clear message when reserved",
            ),
            ("value=\"5.00\"", "the current price, two decimals"),
            (
                "action=\"/tickets/0195b7d2-58f5-7000-8000-000000000001/edit\"",
                "posts to the edit route",
            ),
        ],
    );
}

#[test]
fn the_order_page_shows_status_hold_and_pay_form() {
    let now = datetime!(2026-11-22 10:00 UTC);
    let pending = render(&OrderPage::from_api(
        Chrome::default(),
        &order("created", "2026-11-22T10:14:30.000Z"),
        now,
    ));
    contains_all(
        &pending,
        &[
            ("Awaiting payment", "status"),
            (
                "data-countdown=\"2026-11-22T10:14:30.000Z\"",
                "the script's deadline",
            ),
            (">14:30</strong>", "server-rendered time left"),
            (
                "22 Nov 2026, 10:14:30 UTC",
                "hold end in UTC without the script",
            ),
            (
                "value=\"tok_visa\" checked",
                "the good test card is preselected",
            ),
            (
                "value=\"tok_chargeDeclined\"",
                "the declining test card is offered",
            ),
            ("Pay $20.00 USD", "the amount on the button"),
            (
                "&#60;script&#62;alert(1)&#60;/script&#62;",
                "the ticket's title, escaped",
            ),
        ],
    );
    contains_none(&pending, &[(XSS, "never raw")]);

    let cases = [
        (
            "complete",
            "2026-11-22T09:59:00.000Z",
            "Paid. The ticket is yours.",
            "complete",
        ),
        (
            "cancelled",
            "2026-11-22T09:59:00.000Z",
            "This order has expired",
            "expired",
        ),
        (
            "created",
            "2026-11-22T09:59:00.000Z",
            "This order has expired",
            "ran out, not yet cancelled",
        ),
        (
            "cancelled",
            "2026-11-22T10:10:00.000Z",
            "This order was cancelled",
            "cancelled",
        ),
    ];
    for (status, expires, expected, case) in cases {
        let html = render(&OrderPage::from_api(
            Chrome::default(),
            &order(status, expires),
            now,
        ));
        assert!(html.contains(expected), "{case}:\n{html}");
        assert!(!html.contains("/pay\""), "{case}: no pay form");
    }

    let declined = OrderPage::from_api(
        Chrome::default(),
        &order("created", "2026-11-22T10:14:30.000Z"),
        now,
    )
    .with_errors(
        "tok_chargeDeclined",
        FormErrors::from_api(
            &messages(json!([{"message": "Your card was declined."}])),
            &["token"],
        ),
    );
    let html = render(&declined);
    contains_all(
        &html,
        &[
            ("Your card was declined.", "the decline message"),
            (
                "value=\"tok_chargeDeclined\" checked",
                "the card tried stays selected",
            ),
            (
                "action=\"/orders/0195b7d2-58f5-7000-8000-000000000002/pay\"",
                "still payable",
            ),
        ],
    );
}

#[test]
fn my_orders_lists_each_with_status_and_ticket() {
    let now = datetime!(2026-11-22 10:00 UTC);
    let orders = [
        order("complete", "2026-11-22T09:50:00.000Z"),
        order("created", "2026-11-22T10:10:00.000Z"),
    ];
    let page = listing(orders.to_vec(), None, None);
    let html = render(&OrdersPage::from_api(Chrome::default(), &page, now));
    contains_all(
        &html,
        &[
            ("badge complete\">Complete", "a paid order"),
            ("badge pending\">Awaiting payment", "a held order"),
            (
                "&#60;script&#62;alert(1)&#60;/script&#62;",
                "the ticket title, escaped",
            ),
            (
                "href=\"/orders/0195b7d2-58f5-7000-8000-000000000002\"",
                "links to the order",
            ),
        ],
    );
    let empty = render(&OrdersPage::from_api(
        Chrome::default(),
        &listing(vec![], None, None),
        now,
    ));
    contains_all(
        &empty,
        &[("You have no orders yet.", "an empty list says so")],
    );
}

#[test]
fn the_auth_forms_show_messages_beside_their_fields_and_keep_the_way_back() {
    let errors = FormErrors::from_api(
        &messages(json!([
            {"message": "Email must be valid", "field": "email"},
            {"message": "Password must be between 4 and 20 characters", "field": "password"}
        ])),
        &["email", "password"],
    );
    let html = render(&AuthPage::sign_up(Chrome::default(), "/tickets/x").retry("\"><b>", errors));
    contains_all(
        &html,
        &[
            (
                "id=\"email-error\">Email must be valid",
                "email message beside email",
            ),
            (
                "id=\"password-error\">Password must be between 4 and 20 characters",
                "password message beside password",
            ),
            (
                "name=\"next\" value=\"/tickets/x\"",
                "the way back travels with the form",
            ),
            (
                "value=\"&#34;&#62;&#60;b&#62;\"",
                "the typed email is escaped",
            ),
            (
                "autocomplete=\"new-password\"",
                "password managers know it is new",
            ),
        ],
    );
    let html = render(&AuthPage::sign_in(Chrome::default(), "/").retry(
        "a@b.co",
        FormErrors::from_api(
            &messages(json!([{"message": "Invalid credentials"}])),
            &["email", "password"],
        ),
    ));
    contains_all(
        &html,
        &[
            ("role=\"alert\"", "a general alert"),
            ("Invalid credentials", "the API's message"),
        ],
    );
}

#[test]
fn message_pages_escape_too() {
    let page = MessagePage {
        chrome: Chrome::default(),
        heading: XSS.into(),
        message: XSS.into(),
    };
    let html = render(&page);
    contains_none(&html, &[(XSS, "never raw")]);
}

#[test]
fn the_home_page_searches_counts_and_pages_newest_first() {
    let older = ticket("Older show", json!(5), Value::Null);
    let mut newer = ticket("Newer show", json!(6), Value::Null);
    newer.id = "0195b7d2-58f5-7000-8000-000000000009".parse().expect("id");
    let mut page = listing(vec![older, newer], Some("bmV3ZXI"), Some("b2xkZXI"));
    page.total = Some(57);
    let html = render(&TicketsPage::from_api(
        Chrome::default(),
        &page,
        "rock & roll",
    ));
    contains_all(
        &html,
        &[
            ("role=\"search\"", "a search form"),
            ("name=\"q\"", "its box"),
            (
                "value=\"rock &#38; roll\"",
                "keeps what was searched, escaped",
            ),
            ("57 tickets match", "the count of matches"),
            (
                "href=\"/?q=rock%20%26%20roll&#38;cursor=b2xkZXI\"",
                "Next goes to older tickets, keeping the search",
            ),
            (
                "href=\"/?q=rock%20%26%20roll&#38;cursor=bmV3ZXI\"",
                "Previous goes back to newer ones",
            ),
            ("Next →", "labelled Next"),
            ("← Previous", "labelled Previous"),
        ],
    );
    let newer_at = html.find("Newer show").expect("newer shown");
    let older_at = html.find("Older show").expect("older shown");
    assert!(newer_at < older_at, "newest first");

    let nothing = render(&TicketsPage::from_api(
        Chrome::default(),
        &Listing {
            total: Some(0),
            ..listing(vec![], None, None)
        },
        "zzz",
    ));
    contains_all(
        &nothing,
        &[
            ("0 tickets match", "the count, even when none"),
            ("No tickets on sale match “zzz”.", "says nothing matched"),
        ],
    );
    contains_none(&nothing, &[("rel=\"next\"", "no pager on a lone page")]);
}

#[test]
fn my_listings_show_each_state_with_its_price_and_edit_only_on_sale() {
    let listed = |id: &str, title: &str, state: &str, held: Value| -> Ticket {
        serde_json::from_value(json!({
            "id": id, "title": title, "price": 20, "userId": SELLER, "version": 0,
            "orderId": if state == "on_sale" { Value::Null } else { json!(BUYER) },
            "state": state, "heldUntil": held
        }))
        .expect("ticket JSON")
    };
    let tickets = vec![
        listed(
            "0195b7d2-58f5-7000-8000-000000000011",
            "Sold one",
            "sold",
            Value::Null,
        ),
        listed(
            "0195b7d2-58f5-7000-8000-000000000012",
            "Held one",
            "reserved",
            json!("2026-11-22T10:15:00.000Z"),
        ),
        listed(
            "0195b7d2-58f5-7000-8000-000000000013",
            XSS,
            "on_sale",
            Value::Null,
        ),
    ];
    let html = render(&SellingPage::from_api(
        Chrome::default(),
        &listing(tickets, None, Some("b2xkZXI")),
    ));
    contains_all(
        &html,
        &[
            ("badge complete\">Sold", "sold"),
            ("badge pending\">Reserved", "reserved"),
            ("badge on-sale\">On sale", "on sale"),
            (
                "Held until <time datetime=\"2026-11-22T10:15:00.000Z\"",
                "the hold's end",
            ),
            ("22 Nov 2026, 10:15:00 UTC", "in words"),
            ("$20.00 USD", "the price"),
            ("&#60;script&#62;", "titles escaped"),
            (
                "href=\"/tickets/0195b7d2-58f5-7000-8000-000000000013/edit\"",
                "the ticket on sale can be edited",
            ),
            ("href=\"/selling?cursor=b2xkZXI\"", "Next: older listings"),
        ],
    );
    contains_none(
        &html,
        &[
            ("000000000011/edit", "a sold ticket cannot be edited"),
            ("000000000012/edit", "nor a reserved one"),
            (XSS, "never raw"),
        ],
    );
    let first = html.find("Sold one").expect("shown");
    assert!(
        html.find("&#60;script").expect("shown") < first,
        "newest first"
    );
}

#[test]
fn an_order_awaiting_payment_can_be_cancelled_and_says_why_it_was() {
    let now = datetime!(2026-11-22 10:00 UTC);
    let held = order("created", "2026-11-22T10:10:00.000Z");
    let html = render(&OrderPage::from_api(Chrome::default(), &held, now));
    contains_all(
        &html,
        &[(
            "action=\"/orders/0195b7d2-58f5-7000-8000-000000000002/cancel\"",
            "a cancel form",
        )],
    );
    let with_reason = |reason: &str| {
        let mut o = order("cancelled", "2026-11-22T10:10:00.000Z");
        o.cancel_reason = Some(reason.to_owned());
        render(&OrderPage::from_api(Chrome::default(), &o, now))
    };
    let cases = [
        ("buyer", "You cancelled this order. Nothing was charged."),
        ("listing_changed", "Any payment has been refunded."),
        ("expired", "This order has expired"),
    ];
    for (reason, says) in cases {
        let html = with_reason(reason);
        contains_all(&html, &[(says, reason)]);
        contains_none(&html, &[("/cancel\"", "no cancel once cancelled")]);
    }
    let paid = render(&OrderPage::from_api(
        Chrome::default(),
        &order("complete", "2026-11-22T10:10:00.000Z"),
        now,
    ));
    contains_none(&paid, &[("/cancel\"", "a paid order cannot be cancelled")]);
}
