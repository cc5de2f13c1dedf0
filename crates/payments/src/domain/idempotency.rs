//! Idempotency keys sent to the payment provider, so a retried request never charges (or
//! refunds) twice: the same order and card token give the same key, a new token a new one.

use common::OrderId;
use sha2::{Digest, Sha256};

use super::CardToken;

fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The key of a charge: hex SHA-256 of `"<orderId>:<token>"`.
pub fn charge_key(order: OrderId, token: &CardToken) -> String {
    hex_sha256(&format!("{order}:{}", token.as_str()))
}

/// The key of the refund of a charge: one refund per charge, however often it is retried.
pub fn refund_key(charge_id: &str) -> String {
    format!("refund-{}", hex_sha256(charge_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::input::Sent;

    fn token(text: &str) -> CardToken {
        CardToken::try_from(Sent::Valid(text.to_owned())).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn same_order_and_token_same_key_otherwise_different() {
        let order = OrderId::new();
        let key = charge_key(order, &token("tok_visa"));
        assert_eq!(key.len(), 64);
        assert!(key.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(key, charge_key(order, &token("tok_visa")));
        assert_ne!(key, charge_key(order, &token("tok_mastercard")));
        assert_ne!(key, charge_key(OrderId::new(), &token("tok_visa")));
        assert_eq!(refund_key("ch_1"), refund_key("ch_1"));
        assert_ne!(refund_key("ch_1"), refund_key("ch_2"));
    }

    #[test]
    fn charge_key_is_sha256_of_order_colon_token() {
        let order: OrderId = "00000000-0000-0000-0000-000000000000"
            .parse()
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(
            charge_key(order, &token("tok_visa")),
            hex_sha256("00000000-0000-0000-0000-000000000000:tok_visa")
        );
        assert_eq!(
            hex_sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
