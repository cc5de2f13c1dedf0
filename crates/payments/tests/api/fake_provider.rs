//! The fake provider behaves like Stripe across replicas and restarts: one ledger, idempotent by
//! key, and a charge made by one replica can be refunded by another.

use payments::FakeProvider;
use payments::PaymentProvider as _;
use payments::provider::fake::{DECLINED, KEY_REUSED, UNKNOWN_TOKEN};
use payments::provider::{ChargeError, ChargeRequest};

use crate::helpers::spawn;

fn request(source: &str, key: &str, amount_cents: i64) -> ChargeRequest {
    ChargeRequest {
        amount_cents,
        source: source.to_owned(),
        idempotency_key: key.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_one_ledger() {
    let app = spawn().await;
    let one = FakeProvider::connect(app.pool.clone())
        .await
        .expect("replica one");
    let two = FakeProvider::connect(app.pool.clone())
        .await
        .expect("replica two");

    let first = one
        .charge(request("tok_visa", "k1", 1999))
        .await
        .expect("charge");
    let again = two
        .charge(request("tok_visa", "k1", 1999))
        .await
        .expect("replayed");
    assert_eq!(
        first, again,
        "a retried key returns the original charge, on any replica"
    );
    assert_eq!(app.charges().await, vec![first.id.clone()], "charged once");
    assert_eq!(app.amount_of(&first.id).await, Some(1999));

    let reused = two.charge(request("tok_visa", "k1", 500)).await;
    assert!(
        matches!(&reused, Err(ChargeError::Declined(m)) if m == KEY_REUSED),
        "{reused:?}"
    );

    two.refund(&first.id, "r1")
        .await
        .expect("refund by the other replica");
    one.refund(&first.id, "r1")
        .await
        .expect("a repeated refund");
    assert_eq!(app.refunds().await, vec![first.id], "refunded once");
    assert!(
        one.refund("ch_unknown", "r2").await.is_err(),
        "no such charge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_are_remembered_by_key_like_charges() {
    let app = spawn().await;
    let fake = FakeProvider::connect(app.pool.clone())
        .await
        .expect("provider");
    for _ in 0..2 {
        let declined = fake.charge(request("tok_chargeDeclined", "d1", 100)).await;
        assert!(matches!(&declined, Err(ChargeError::Declined(m)) if m == DECLINED));
    }
    let unknown = fake.charge(request("tok_nope", "d2", 100)).await;
    assert!(matches!(&unknown, Err(ChargeError::Declined(m)) if m == UNKNOWN_TOKEN));
    assert!(app.charges().await.is_empty());
}
