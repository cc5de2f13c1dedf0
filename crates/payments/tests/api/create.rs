//! `POST /api/payments`, rule by rule in the SPEC's order.

use common::testing::{assert_errors, expect_status, free_port, token_for};
use common::{OrderId, UserId};
use serde_json::json;

use std::sync::{Arc, Mutex};

use payments::provider::{Charge, ChargeError, ChargeRequest, PaymentProvider};

use crate::helpers::{spawn, spawn_with, spawn_with_provider, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_valid_session_it_is_401_before_the_body_is_looked_at() {
    let app = spawn().await;
    let forged = "eyJhbGciOiJub25lIn0.eyJpZCI6IngifQ.";
    let cases = [
        ("no session, empty body", None, json!({})),
        (
            "no session, good body",
            None,
            json!({"token": "tok_visa", "orderId": OrderId::new()}),
        ),
        ("forged token, bad body", Some(forged), json!({"token": ""})),
    ];
    for (name, token, body) in cases {
        let response = app.api.post("/api/payments", token, &body).await;
        assert_errors(
            &expect_status(response, 401, name),
            &[("Not authorized", None)],
            name,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failing_field_is_reported_at_once() {
    let app = spawn().await;
    let (_, token) = user();
    let order = OrderId::new();
    let token_required = ("Token is required", Some("token"));
    let order_required = ("OrderId must be provided", Some("orderId"));
    let cases = [
        (
            "empty body",
            json!({}),
            vec![token_required, order_required],
        ),
        (
            "blank token and malformed order id",
            json!({"token": " ", "orderId": "abc"}),
            vec![token_required, order_required],
        ),
        (
            "token of the wrong type",
            json!({"token": 42, "orderId": order}),
            vec![token_required],
        ),
        (
            "missing token",
            json!({"orderId": order}),
            vec![token_required],
        ),
        (
            "missing order id",
            json!({"token": "tok_visa"}),
            vec![order_required],
        ),
        (
            "malformed order id",
            json!({"token": "tok_visa", "orderId": "not-a-uuid"}),
            vec![order_required],
        ),
        (
            "order id of the wrong type",
            json!({"token": "tok_visa", "orderId": 12}),
            vec![order_required],
        ),
    ];
    for (name, body, expected) in cases {
        let response = app.api.post("/api/payments", Some(&token), &body).await;
        assert_errors(&expect_status(response, 400, name), &expected, name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_the_service_does_not_know_is_404() {
    let app = spawn().await;
    let (_, token) = user();
    let unknown = uuid::Uuid::now_v7();
    let cases = [
        ("unknown order id", unknown.hyphenated().to_string()),
        (
            "unknown order id in upper case",
            unknown.hyphenated().to_string().to_uppercase(),
        ),
        (
            "unknown order id without hyphens",
            unknown.simple().to_string(),
        ),
    ];
    for (name, order_id) in cases {
        let response = app
            .api
            .post(
                "/api/payments",
                Some(&token),
                &json!({"token": "tok_visa", "orderId": order_id}),
            )
            .await;
        assert_errors(
            &expect_status(response, 404, name),
            &[("Not Found", None)],
            name,
        );
    }
    assert!(app.charges().await.is_empty(), "nothing was charged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_buyer_can_pay_an_order() {
    let app = spawn().await;
    let order = app.order_of(UserId::new()).await;
    let (_, stranger) = user();
    let response = app.pay(&stranger, order.id, "tok_visa").await;
    assert_errors(
        &expect_status(response, 401, "someone else's order"),
        &[("Not authorized", None)],
        "owner",
    );
    assert!(app.charges().await.is_empty(), "nothing was charged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_paid_and_expired_orders_are_refused_without_charging() {
    let app = spawn().await;
    let (buyer, token) = user();

    let cancelled = app.order_of(buyer).await;
    assert!(app.cancel(&cancelled, 1).await.is_ok());

    let paid = app.order_of(buyer).await;
    expect_status(
        app.pay(&token, paid.id, "tok_visa").await,
        201,
        "first payment",
    );
    let charges_before = app.charges().await.len();

    let expired = app
        .seed(crate::helpers::order_created(
            buyer,
            1999,
            time::Duration::seconds(-1),
        ))
        .await;

    let cases = [
        (
            "cancelled order",
            cancelled.id,
            "tok_visa",
            "Cannot pay for a cancelled order",
        ),
        (
            "paying again with the same card",
            paid.id,
            "tok_visa",
            "Order has already been paid",
        ),
        (
            "paying again with another card",
            paid.id,
            "tok_chargeDeclined",
            "Order has already been paid",
        ),
        ("expired order", expired.id, "tok_visa", "Order has expired"),
    ];
    for (name, order, card, message) in cases {
        let response = app.pay(&token, order, card).await;
        assert_errors(
            &expect_status(response, 400, name),
            &[(message, None)],
            name,
        );
    }
    assert_eq!(
        app.charges().await.len(),
        charges_before,
        "refusals charge nothing"
    );
    assert!(app.payments_of(cancelled.id).await.is_empty());
    assert!(app.payments_of(expired.id).await.is_empty());
    assert_eq!(
        app.payments_of(paid.id).await.len(),
        1,
        "one payment for the paid order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_is_402_and_records_nothing_then_a_good_card_pays() {
    let app = spawn().await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;

    let cases = [
        (
            "declined card",
            "tok_chargeDeclined",
            "Your card was declined.",
        ),
        (
            "unknown test card",
            "tok_whatever",
            "Unknown test card token",
        ),
    ];
    for (name, card, message) in cases {
        let response = app.pay(&token, order.id, card).await;
        assert_errors(
            &expect_status(response, 402, name),
            &[(message, None)],
            name,
        );
        assert!(
            app.payments_of(order.id).await.is_empty(),
            "{name}: nothing recorded"
        );
    }

    let body = expect_status(
        app.pay(&token, order.id, "tok_visa").await,
        201,
        "good card",
    );
    let id = body["id"].as_str().expect("payment id");
    let payments = app.payments_of(order.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].id.to_string(), id);
    assert_eq!(payments[0].status, "succeeded");
    assert_eq!(app.charges().await, vec![payments[0].stripe_id.clone()]);
    assert_eq!(
        app.amount_of(&payments[0].stripe_id).await,
        Some(1999),
        "charged in integer cents"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_provider_is_502_and_records_nothing() {
    let closed = format!("http://127.0.0.1:{}", free_port());
    let app = spawn_with(&[
        ("PAYMENTS_PROVIDER", "stripe"),
        ("STRIPE_KEY", "sk_test_x"),
        ("STRIPE_API_BASE", &closed),
    ])
    .await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let response = app.pay(&token, order.id, "tok_visa").await;
    assert_errors(
        &expect_status(response, 502, "provider down"),
        &[("Payment provider unavailable", None)],
        "502",
    );
    assert!(app.payments_of(order.id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_publishes_payment_created() {
    let app = spawn().await;
    let mut events = app.subscribe("payment.created").await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let body = expect_status(app.pay(&token, order.id, "tok_visa").await, 201, "paying");
    let stripe_id = app.payments_of(order.id).await[0].stripe_id.clone();
    assert_eq!(
        events.next().await,
        json!({"id": body["id"], "orderId": order.id, "stripeId": stripe_id})
    );
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "201 body is just {{\"id\"}}: {body}"
    );
    // A session cookie works as well as a bearer token; checked on a second order.
    let second = app.order_of(buyer).await;
    let response = app
        .api
        .http
        .post(format!("{}/api/payments", app.api.base))
        .header("Cookie", format!("session={}", token_for(buyer)))
        .json(&json!({"token": "tok_visa", "orderId": second.id}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_with_one_card_charge_once_and_pay_once() {
    let app = spawn().await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let attempts = (0..8).map(|_| app.pay(&token, order.id, "tok_visa"));
    let responses = futures::future::join_all(attempts).await;
    let created = responses.iter().filter(|(s, _)| s.as_u16() == 201).count();
    assert_eq!(created, 1, "exactly one payment wins: {responses:?}");
    for (status, body) in responses.iter().filter(|(s, _)| s.as_u16() != 201) {
        assert_eq!(status.as_u16(), 400, "{body}");
        assert_errors(
            body,
            &[("Order has already been paid", None)],
            "a losing payment",
        );
    }
    assert_eq!(
        app.charges().await.len(),
        1,
        "one idempotency key, one charge"
    );
    assert!(
        app.refunds().await.is_empty(),
        "the kept charge is not refunded"
    );
    assert_eq!(app.payments_of(order.id).await.len(), 1);
}

/// Accepts every card: a new charge per idempotency key; records refunds.
#[derive(Default)]
struct AnyCard {
    charges: Mutex<Vec<String>>,
    refunds: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl PaymentProvider for AnyCard {
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError> {
        let id = format!("ch_any_{}", &request.idempotency_key[..16]);
        let mut charges = self.charges.lock().unwrap();
        if !charges.contains(&id) {
            charges.push(id.clone());
        }
        Ok(Charge { id })
    }
    async fn refund(&self, charge_id: &str, _: &str) -> anyhow::Result<()> {
        self.refunds.lock().unwrap().push(charge_id.to_owned());
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_with_different_cards_keep_one_charge_and_refund_the_rest() {
    let provider = Arc::new(AnyCard::default());
    let app = spawn_with_provider(provider.clone()).await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let cards: Vec<String> = (0..8).map(|i| format!("tok_card_{i}")).collect();
    let responses =
        futures::future::join_all(cards.iter().map(|card| app.pay(&token, order.id, card))).await;
    assert_eq!(
        responses.iter().filter(|(s, _)| s.as_u16() == 201).count(),
        1,
        "{responses:?}"
    );
    let kept: Vec<_> = app
        .payments_of(order.id)
        .await
        .into_iter()
        .filter(|p| p.status == "succeeded")
        .collect();
    assert_eq!(kept.len(), 1);
    let mut charged = provider.charges.lock().unwrap().clone();
    charged.retain(|c| *c != kept[0].stripe_id);
    let mut refunded = provider.refunds.lock().unwrap().clone();
    charged.sort();
    refunded.sort();
    assert_eq!(
        refunded, charged,
        "every charge but the kept one is refunded"
    );
}
