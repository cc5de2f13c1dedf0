//! The order.created and order.cancelled handlers, called directly, and the race between a
//! payment and a cancellation.

use std::collections::HashSet;
use std::sync::Arc;

use common::bus::Outcome;
use common::testing::expect_status;
use common::{PaymentId, UserId};
use payments::domain::PaymentStatus;
use payments::provider::{Charge, ChargeError, ChargeRequest, PaymentProvider};
use serde_json::json;

use crate::helpers::{order_created, spawn, user};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_created_is_idempotent() {
    let app = spawn().await;
    let order = app.order_of(UserId::new()).await;
    let again = common::bus::apply_one(
        &app.pool,
        &payments::listeners::order_created::Handler,
        order.clone(),
    )
    .await;
    assert_eq!(again.expect("duplicate delivery"), Outcome::Ack);
    assert_eq!(app.order_row(order.id).await, ("created".to_owned(), 0));
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&app.pool)
        .await
        .expect("count");
    assert_eq!(count, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_apply_only_in_version_order() {
    let app = spawn().await;
    let order = order_created(UserId::new(), 1999, time::Duration::minutes(15));
    let not_yet_known = app.cancel(&order, 1).await.expect("handler");
    assert_eq!(
        not_yet_known,
        Outcome::Retry,
        "a cancellation before its order: retried later"
    );
    app.seed(order.clone()).await;

    // (case, event version, expected outcome, replica state afterwards)
    let cases = [
        (
            "future version (gap): retried, nothing changes",
            2,
            Outcome::Retry,
            ("created", 0),
        ),
        (
            "the next version: applied",
            1,
            Outcome::Ack,
            ("cancelled", 1),
        ),
        (
            "a duplicate: acked, harmless",
            1,
            Outcome::Ack,
            ("cancelled", 1),
        ),
        (
            "a past version: acked and dropped",
            0,
            Outcome::Ack,
            ("cancelled", 1),
        ),
    ];
    for (name, version, outcome, (status, stored)) in cases {
        assert_eq!(
            app.cancel(&order, version).await.expect(name),
            outcome,
            "{name}"
        );
        assert_eq!(
            app.order_row(order.id).await,
            (status.to_owned(), stored),
            "{name}"
        );
    }
    assert!(
        app.refunds().await.is_empty(),
        "an unpaid order refunds nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_order_refunds_it_and_publishes_payment_refunded() {
    let app = spawn().await;
    let mut refunded = app.subscribe("payment.refunded").await;
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let body = expect_status(app.pay(&token, order.id, "tok_visa").await, 201, "paying");

    assert_eq!(
        app.cancel(&order, 1).await.expect("cancellation"),
        Outcome::Ack
    );
    let payments = app.payments_of(order.id).await;
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].status, "refunded");
    assert_eq!(app.refunds().await, vec![payments[0].stripe_id.clone()]);
    assert_eq!(app.order_row(order.id).await, ("cancelled".to_owned(), 1));
    assert_eq!(
        refunded.next().await,
        json!({"id": body["id"], "orderId": order.id, "stripeId": payments[0].stripe_id})
    );

    assert_eq!(
        app.cancel(&order, 1).await.expect("redelivery"),
        Outcome::Ack
    );
    assert_eq!(
        app.refunds().await.len(),
        1,
        "a redelivered cancellation refunds nothing more"
    );
}

/// Charges nothing and refuses every refund: the provider is down.
struct RefundsFail;

#[async_trait::async_trait]
impl PaymentProvider for RefundsFail {
    async fn charge(&self, _: ChargeRequest) -> Result<Charge, ChargeError> {
        Err(ChargeError::Unavailable(anyhow::anyhow!("down")))
    }
    async fn refund(&self, _: &str, _: &str) -> anyhow::Result<()> {
        Err(anyhow::anyhow!("provider down"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refund_leaves_everything_as_it_was_so_the_event_is_retried() {
    let app = spawn().await;
    let order = app.order_of(UserId::new()).await;
    let charge = app
        .fake
        .charge(ChargeRequest {
            amount_cents: 1999,
            source: "tok_visa".into(),
            idempotency_key: "k".into(),
        })
        .await
        .expect("charging");
    payments::repo::insert_payment(
        &app.pool,
        PaymentId::new(),
        order.id,
        &charge.id,
        PaymentStatus::Succeeded,
    )
    .await
    .expect("seeding a payment");

    let result = common::bus::apply_one(
        &app.pool,
        &payments::listeners::order_cancelled::Handler {
            provider: Arc::new(RefundsFail),
        },
        crate::helpers::order_cancelled(&order, 1),
    )
    .await;
    assert!(
        result.is_err(),
        "a failed refund is an error, so the message is redelivered"
    );
    assert_eq!(
        app.order_row(order.id).await,
        ("created".to_owned(), 0),
        "the cancellation is not applied"
    );
    assert_eq!(app.payments_of(order.id).await[0].status, "succeeded");
    let refunds_enqueued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE subject = 'payment.refunded'")
            .fetch_one(&app.pool)
            .await
            .expect("outbox");
    assert_eq!(refunds_enqueued, 0);

    // The redelivery with the provider back refunds it.
    assert_eq!(
        app.cancel(&order, 1).await.expect("redelivery"),
        Outcome::Ack
    );
    assert_eq!(app.refunds().await, vec![charge.id]);
    assert_eq!(app.payments_of(order.id).await[0].status, "refunded");
    assert_eq!(app.order_row(order.id).await, ("cancelled".to_owned(), 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_racing_a_cancellation_never_ends_cancelled_with_money_kept() {
    let app = spawn().await;
    let (buyer, token) = user();
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..30u64 {
        let order = app.order_of(buyer).await;
        // Staggered starts spread the interleavings (cancel first, mid-charge, after the
        // payment); the assertions below hold for every one of them, so nothing waits on timing.
        let stagger = std::time::Duration::from_micros((round % 10) * 60);
        let cancel = async {
            tokio::time::sleep(stagger).await;
            app.cancel(&order, 1).await
        };
        let (paid, cancelled) = tokio::join!(app.pay(&token, order.id, "tok_visa"), cancel);
        assert_eq!(
            cancelled.expect("cancellation handler"),
            Outcome::Ack,
            "round {round}"
        );
        let status = paid.0.as_u16();
        assert!(
            status == 201 || status == 400,
            "round {round}: {status} {}",
            paid.1
        );
        *outcomes
            .entry(format!(
                "{status} {}",
                paid.1["errors"][0]["message"].as_str().unwrap_or("paid")
            ))
            .or_default() += 1;

        assert_eq!(
            app.order_row(order.id).await,
            ("cancelled".to_owned(), 1),
            "round {round}"
        );
        let kept: Vec<_> = app
            .payments_of(order.id)
            .await
            .into_iter()
            .filter(|p| p.status == "succeeded")
            .collect();
        assert!(
            kept.is_empty(),
            "round {round}: a cancelled order kept a payment: {kept:?}"
        );
    }
    let charged: HashSet<String> = app.charges().await.into_iter().collect();
    let refunded: HashSet<String> = app.refunds().await.into_iter().collect();
    assert_eq!(
        charged, refunded,
        "every charge of a cancelled order was refunded"
    );
    eprintln!("race outcomes: {outcomes:?}");
}
