//! No charge is ever orphaned: the payments process dies between the provider's charge and its
//! record, and once it is back the order ends paid with one charge, or cancelled with the charge
//! refunded, never charged and cancelled.

use std::sync::{Arc, OnceLock};

use common::OrderId;
use common::events::OrderCreated;
use common::testing::{EVENTUALLY, eventually};
use payments::FakeProvider;
use payments::provider::{Charge, ChargeError, ChargeRequest, PaymentProvider};
use serde_json::json;
use tokio::sync::Notify;

use crate::helpers::{TestApp, spawn_with_provider, user};

/// Charges through the fake provider's ledger, then never answers: the process dies right after
/// the provider took the money and before anything was recorded.
#[derive(Default)]
struct DiesAfterCharging {
    /// Its own pool: connections opened by the dying process die with it.
    ledger: OnceLock<FakeProvider>,
    charged: Notify,
}

#[async_trait::async_trait]
impl PaymentProvider for DiesAfterCharging {
    async fn charge(&self, request: ChargeRequest) -> Result<Charge, ChargeError> {
        let ledger = self.ledger.get().expect("the ledger is set after spawning");
        ledger.charge(request).await?;
        self.charged.notify_one();
        std::future::pending().await
    }

    async fn refund(&self, _: &str, _: &str) -> anyhow::Result<()> {
        anyhow::bail!("a dead process refunds nothing")
    }
}

/// An order of a buyer, paid with `tok_visa` by a process that dies once the card is charged.
async fn crash_mid_payment() -> (TestApp, OrderCreated, String) {
    let provider = Arc::new(DiesAfterCharging::default());
    let mut app = spawn_with_provider(provider.clone()).await;
    let own_pool = common::db::connect(&app.database_url(), 2)
        .await
        .expect("a pool of the dying process");
    let ledger = FakeProvider::connect(own_pool).await.expect("the ledger");
    let _ = provider.ledger.set(ledger);
    let (buyer, token) = user();
    let order = app.order_of(buyer).await;
    let paying = {
        let (api, token) = (app.api.clone(), token.clone());
        let body = json!({"orderId": order.id, "token": "tok_visa"});
        tokio::spawn(async move { api.post("/api/payments", Some(&token), &body).await })
    };
    tokio::time::timeout(EVENTUALLY, provider.charged.notified())
        .await
        .expect("the provider charged the card");
    app.crash().await;
    // The client never gets an answer (its connection is dropped).
    let _ = paying.await;
    assert_eq!(app.charges().await.len(), 1, "the card was charged");
    assert!(
        app.payments_of(order.id).await.is_empty(),
        "nothing recorded"
    );
    (app, order, token)
}

async fn payments_of(app: &TestApp, order: OrderId) -> Vec<(String, String)> {
    app.payments_of(order)
        .await
        .into_iter()
        .map(|p| (p.status, p.stripe_id))
        .collect()
}

const RESOLVE_AT_ONCE: (&str, &str) = ("PAYMENT_RESOLVE_AFTER_SECONDS", "0");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_made_before_a_crash_is_recorded_after_the_restart() {
    let (mut app, order, _) = crash_mid_payment().await;
    let mut created = app.subscribe("payment.created").await;
    app.restart(&[RESOLVE_AT_ONCE]).await;

    let charge = app.charges().await[0].clone();
    let recorded = eventually("the sweeper to record the payment", EVENTUALLY, || async {
        let recorded = payments_of(&app, order.id).await;
        (!recorded.is_empty()).then_some(recorded)
    })
    .await;
    assert_eq!(recorded, vec![("succeeded".to_owned(), charge.clone())]);
    let event = created.next().await;
    assert_eq!(
        (event["orderId"].clone(), event["stripeId"].clone()),
        (json!(order.id), json!(charge))
    );
    assert_eq!(app.charges().await.len(), 1, "charged once");
    assert!(app.refunds().await.is_empty(), "and kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_of_an_order_cancelled_while_the_process_was_down_is_refunded() {
    let (mut app, order, _) = crash_mid_payment().await;
    // The hold ran out while payments was down: order.cancelled arrives first.
    app.cancel(&order, 1).await.expect("order.cancelled");
    let mut refunded = app.subscribe("payment.refunded").await;
    app.restart(&[RESOLVE_AT_ONCE]).await;

    let charge = app.charges().await[0].clone();
    let recorded = eventually("the sweeper to refund the charge", EVENTUALLY, || async {
        let recorded = payments_of(&app, order.id).await;
        (!recorded.is_empty()).then_some(recorded)
    })
    .await;
    assert_eq!(recorded, vec![("refunded".to_owned(), charge.clone())]);
    assert_eq!(refunded.next().await["stripeId"], json!(charge));
    assert_eq!(app.refunds().await, vec![charge], "the money went back");
    assert_eq!(app.charges().await.len(), 1, "charged once");
    assert_eq!(app.order_row(order.id).await.0, "cancelled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buyer_retrying_after_the_crash_is_answered_without_a_second_charge() {
    let (mut app, order, token) = crash_mid_payment().await;
    app.restart(&[]).await;
    let (status, body) = app.pay(&token, order.id, "tok_visa").await;
    assert_eq!(status, 201, "{body}");
    let charge = app.charges().await;
    assert_eq!(charge.len(), 1, "the retry replayed the first charge");
    assert_eq!(
        payments_of(&app, order.id).await,
        vec![("succeeded".to_owned(), charge[0].clone())]
    );
}
