//! Who the client is. The peer of the connection, unless the peer is a proxy this deployment
//! trusts (`TRUSTED_PROXIES`): then the address that proxy forwarded in `X-Forwarded-For`. A
//! client that sends the header itself, straight to a service, is not believed: otherwise anyone
//! could choose the address their rate limits and log lines are counted under.

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::{Payload, ServiceRequest};
use actix_web::{FromRequest, HttpRequest, web};
use ipnet::IpNet;

use crate::error::ApiError;

/// The header proxies append the address they received a request from to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// `TRUSTED_PROXIES` unless set: a proxy on the same host (the storefront in local mode, a
/// sidecar).
pub const DEFAULT_TRUSTED_PROXIES: &str = "127.0.0.0/8, ::1/128";

impl Default for TrustedProxies {
    fn default() -> Self {
        Self::parse(DEFAULT_TRUSTED_PROXIES).unwrap_or_else(|_| Self::none())
    }
}

impl TrustedProxies {
    /// No proxy is trusted: every client is its connection's peer.
    pub fn none() -> Self {
        Self(Vec::new())
    }

    /// A comma-separated list of addresses and CIDR blocks (`10.0.0.0/8, 192.168.1.7`);
    /// `none` or an empty list trusts nobody.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            return Ok(Self::none());
        }
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{part:?} is not an address or a CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client of a request from `peer` carrying `forwarded_for`: walking the header from the
    /// right (the nearest hop), every trusted proxy is skipped; the first other address is the
    /// client. An untrusted peer is the client, whatever it sent.
    pub fn client_of(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for
            .unwrap_or_default()
            .rsplit(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
        {
            let Ok(address) = hop.parse::<IpAddr>().map(canonical) else {
                // Garbage in the chain: nothing to its left can be believed.
                break;
            };
            client = address;
            if !self.trusts(address) {
                break;
            }
        }
        client
    }

    /// The client of an actix request (with the process's trusted proxies in its app data).
    pub fn client_of_request(req: &HttpRequest) -> IpAddr {
        let trusted = req.app_data::<web::Data<TrustedProxies>>();
        let peer = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let forwarded = req
            .headers()
            .get(FORWARDED_FOR)
            .and_then(|v| v.to_str().ok());
        match trusted {
            Some(trusted) => trusted.client_of(peer, forwarded),
            None => canonical(peer),
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:1.2.3.4`) is that IPv4 address.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address, as [`TrustedProxies::client_of`] decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl FromRequest for ClientAddress {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(TrustedProxies::client_of_request(req))))
    }
}

/// The root span of every request, with the client address decided as above (tracing-actix-web's
/// default takes it from headers any client can set).
pub struct ClientAddressSpans;

impl tracing_actix_web::RootSpanBuilder for ClientAddressSpans {
    fn on_request_start(request: &ServiceRequest) -> tracing::Span {
        let span = tracing_actix_web::root_span!(request);
        let client = TrustedProxies::client_of_request(request.request());
        span.record("http.client_ip", tracing::field::display(client));
        span
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let trusted = TrustedProxies::parse("10.0.0.0/8").unwrap_or_else(|_| unreachable!());
        assert_eq!(
            trusted.client_of(ip("203.0.113.9"), Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::none().client_of(ip("127.0.0.1"), Some("1.2.3.4")),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted =
            TrustedProxies::parse("10.0.0.0/8, 192.168.1.7").unwrap_or_else(|_| unreachable!());
        let cases = [
            (
                "10.1.1.1",
                Some("198.51.100.4"),
                "198.51.100.4",
                "one proxy",
            ),
            (
                "10.1.1.1",
                Some("6.6.6.6, 198.51.100.4, 192.168.1.7"),
                "198.51.100.4",
                "a forged left part is ignored",
            ),
            ("10.1.1.1", None, "10.1.1.1", "no header: the proxy itself"),
            (
                "10.1.1.1",
                Some("10.2.2.2"),
                "10.2.2.2",
                "only proxies: the farthest",
            ),
            (
                "10.1.1.1",
                Some("junk, 198.51.100.4"),
                "198.51.100.4",
                "garbage left of the client",
            ),
            (
                "10.1.1.1",
                Some("198.51.100.4, junk"),
                "10.1.1.1",
                "garbage at the right stops the walk",
            ),
            (
                "::ffff:10.1.1.1",
                Some("198.51.100.4"),
                "198.51.100.4",
                "mapped IPv4 peer",
            ),
        ];
        for (peer, header, client, why) in cases {
            assert_eq!(trusted.client_of(ip(peer), header), ip(client), "{why}");
        }
    }

    #[test]
    fn by_default_only_loopback_is_trusted() {
        let trusted = TrustedProxies::default();
        assert!(trusted.trusts(ip("127.0.0.1")) && trusted.trusts(ip("::1")));
        assert!(trusted.trusts(ip("127.3.4.5")));
        assert!(!trusted.trusts(ip("10.0.0.1")));
        assert!(TrustedProxies::parse("nonsense").is_err());
        assert_eq!(TrustedProxies::parse("none"), Ok(TrustedProxies::none()));
    }
}
