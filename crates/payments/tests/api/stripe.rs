//! The Stripe client against a local mock of Stripe's API: never the real Stripe.

use common::OrderId;
use common::input::Sent;
use common::testing::{expect_status, free_port};
use payments::domain::CardToken;
use payments::domain::idempotency::charge_key;
use payments::provider::{ChargeError, ChargeRequest, PaymentProvider, StripeProvider};
use serde_json::json;

use crate::helpers::{MockStripe, spawn_with, user};

fn client(base: &str) -> StripeProvider {
    StripeProvider::new(base, "sk_test_123".to_owned().into()).expect("client")
}

fn charge(card: &str, key: &str) -> ChargeRequest {
    ChargeRequest {
        amount_cents: 1999,
        source: card.to_owned(),
        idempotency_key: key.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_is_a_form_post_with_the_key_and_an_idempotency_key() {
    let stripe = MockStripe::start();
    let charged = client(&stripe.url)
        .charge(charge("tok_visa", "key-1"))
        .await;
    assert_eq!(charged.map(|c| c.id).ok().as_deref(), Some("ch_mock_1"));
    let requests = stripe.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/charges")
    );
    assert_eq!(request.authorization.as_deref(), Some("Bearer sk_test_123"));
    assert_eq!(request.idempotency_key.as_deref(), Some("key-1"));
    let form = &request.form;
    assert_eq!(
        form.get("amount").map(String::as_str),
        Some("1999"),
        "amount in integer cents"
    );
    assert_eq!(form.get("currency").map(String::as_str), Some("usd"));
    assert_eq!(form.get("source").map(String::as_str), Some("tok_visa"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_declines_and_failures_are_unavailability() {
    let stripe = MockStripe::start();
    let stripe_client = client(&stripe.url);
    let cases = [
        (
            "card error (402)",
            "tok_chargeDeclined",
            Some("Your card was declined."),
        ),
        (
            "invalid token (400)",
            "tok_invalid",
            Some("No such token: 'tok_invalid'"),
        ),
        ("server error (500)", "tok_boom", None),
    ];
    for (name, card, declined) in cases {
        let result = stripe_client.charge(charge(card, name)).await;
        match (result, declined) {
            (Err(ChargeError::Declined(message)), Some(expected)) => {
                assert_eq!(message, expected, "{name}")
            }
            (Err(ChargeError::Unavailable(_)), None) => {}
            (other, _) => panic!("{name}: unexpected {other:?}"),
        }
    }
    let closed = client(&format!("http://127.0.0.1:{}", free_port()));
    let unreachable = closed.charge(charge("tok_visa", "k")).await;
    assert!(
        matches!(unreachable, Err(ChargeError::Unavailable(_))),
        "closed port: {unreachable:?}"
    );
    assert!(
        closed.refund("ch_1", "r").await.is_err(),
        "closed port refund"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_posts_the_charge_with_an_idempotency_key() {
    let stripe = MockStripe::start();
    let refunded = client(&stripe.url).refund("ch_42", "refund-key").await;
    assert!(refunded.is_ok(), "{refunded:?}");
    let requests = stripe.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(
        (request.method.as_str(), request.path.as_str()),
        ("POST", "/v1/refunds")
    );
    assert_eq!(
        request.form.get("charge").map(String::as_str),
        Some("ch_42")
    );
    assert_eq!(request.authorization.as_deref(), Some("Bearer sk_test_123"));
    assert_eq!(request.idempotency_key.as_deref(), Some("refund-key"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_an_already_refunded_charge_counts_as_refunded() {
    let stripe = MockStripe::start();
    let refunded = client(&stripe.url)
        .refund("ch_refunded", "refund-key")
        .await;
    assert!(refunded.is_ok(), "{refunded:?}");
    assert_eq!(stripe.requests().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_retries_with_the_same_key_and_a_new_card_gets_a_new_key() {
    let stripe = MockStripe::start();
    let app = spawn_with(&[
        ("PAYMENTS_PROVIDER", "stripe"),
        ("STRIPE_KEY", "sk_test_app"),
        ("STRIPE_API_BASE", &stripe.url),
    ])
    .await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;

    for attempt in ["first try", "retry"] {
        let response = app.pay(&token, order.id, "tok_chargeDeclined").await;
        let body = expect_status(response, 402, attempt);
        assert_eq!(
            body,
            json!({"errors": [{"message": "Your card was declined."}]}),
            "{attempt}"
        );
    }
    let body = expect_status(app.pay(&token, order.id, "tok_visa").await, 201, "new card");

    let requests = stripe.requests();
    let keys: Vec<_> = requests
        .iter()
        .map(|r| r.idempotency_key.clone().expect("idempotency key"))
        .collect();
    assert_eq!(keys.len(), 3);
    assert_eq!(
        keys[0], keys[1],
        "a retry of the same order and card reuses the key"
    );
    assert_ne!(keys[1], keys[2], "a new card is a new attempt");
    assert_eq!(keys[2], charge_key(order.id, &card("tok_visa")));
    assert_eq!(keys[0], charge_key(order.id, &card("tok_chargeDeclined")));
    assert_ne!(keys[2], charge_key(OrderId::new(), &card("tok_visa")));
    for request in &requests {
        assert_eq!(request.form.get("amount").map(String::as_str), Some("1999"));
        assert_eq!(request.authorization.as_deref(), Some("Bearer sk_test_app"));
    }
    let payments = app.payments_of(order.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(
        (payments[0].id.to_string(), payments[0].stripe_id.as_str()),
        (body["id"].as_str().expect("id").to_owned(), "ch_mock_3")
    );
}

fn card(token: &str) -> CardToken {
    CardToken::try_from(Sent::Valid(token.to_owned())).expect("card token")
}
