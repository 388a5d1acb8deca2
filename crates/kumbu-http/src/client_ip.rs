//! The network address a request comes from: the peer's, or what a configured proxy saw
//! (`X-Forwarded-For` believed only from `--trusted-proxy` networks). IPv6 counts by its /64.
//! The checkout page's per-address limit and the sign-in throttles key on it.

use crate::AppState;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed: networks as CIDR (`10.0.0.0/8`,
/// `2001:db8::/32`, or one address). By default only this machine (`127.0.0.0/8`, `::1`): a
/// proxy on a private network is trusted only when the operator names it (`--trusted-proxy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl Default for TrustedProxies {
    fn default() -> Self {
        Self(vec![
            (IpAddr::from([127, 0, 0, 0]), 8),
            (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128),
        ])
    }
}

impl TrustedProxies {
    /// These networks (`CIDR` or an address each), or a message naming the one that is not.
    pub fn parse<S: AsRef<str>>(networks: &[S]) -> Result<Self, String> {
        networks
            .iter()
            .map(|n| {
                let n = n.as_ref().trim();
                let (ip, bits) = n.split_once('/').unwrap_or((n, ""));
                let ip: IpAddr = ip
                    .parse()
                    .map_err(|_| format!("`{n}` is not an address or a network like 10.0.0.0/8"))?;
                let ip = ip.to_canonical();
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits =
                    match bits {
                        "" => max,
                        b => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| {
                            format!("`{n}`: the prefix length must be 0 to {max}")
                        })?,
                    };
                Ok((ip, bits))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// Whether `ip` is in one of the networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|(net, bits)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                prefix(u128::from(u32::from(*n)) << 96, *bits)
                    == prefix(u128::from(u32::from(a)) << 96, *bits)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                prefix(u128::from(*n), *bits) == prefix(u128::from(a), *bits)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => false,
        })
    }
}

/// The first `bits` bits of `v`.
fn prefix(v: u128, bits: u8) -> u128 {
    match bits {
        0 => 0,
        b => v & (u128::MAX << (128 - u32::from(b.min(128)))),
    }
}

/// The network address a request comes from, as the per-address limit counts it: the peer's,
/// or, when the peer is a trusted proxy, the last address that proxy added to `X-Forwarded-For`
/// (the one it saw; earlier ones are the client's word and are ignored). An IPv6 address counts
/// by its /64 (one subscriber's network: its addresses are free to choose). `None` when a proxy
/// gave no address it saw: the per-address limit is then not applied, rather than making every
/// customer behind the proxy share one count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientIp(pub Option<String>);

/// An address as a proxy writes it: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678` or `::1`.
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    e.parse::<IpAddr>()
        .ok()
        .or_else(|| e.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

/// What the limit counts for an address: an IPv4 address, or an IPv6 address's /64.
fn counted(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = std::net::Ipv6Addr::from(prefix(u128::from(v6), 64));
            format!("{net}/64")
        }
    }
}

fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: &[&str],
    trusted: &TrustedProxies,
) -> Option<String> {
    let peer = peer.map(|ip| ip.to_canonical());
    if !peer.is_some_and(|ip| trusted.contains(ip)) {
        return peer.map(counted);
    }
    // The last entry of the last header line is the one the trusted proxy added.
    forwarded_for
        .last()
        .and_then(|line| line.rsplit(',').next())
        .and_then(parse_forwarded)
        .map(counted)
        .or_else(|| {
            // A proxy-less local client (a developer's browser, a test) has no header at all.
            forwarded_for
                .is_empty()
                .then(|| peer.map(counted))
                .flatten()
        })
}

impl axum::extract::FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_ip(
            peer,
            &forwarded,
            &state.trusted_proxies,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses_trust_only_a_configured_proxy() {
        let ip = |s: &str| s.parse().ok();
        let some = |s: &str| Some(s.to_owned());
        let local = TrustedProxies::default();
        let client_ip = |peer, xff: &[&str]| client_ip(peer, xff, &local);
        let lo = ip("127.0.0.1");
        assert_eq!(
            client_ip(lo, &["1.2.3.4, 41.202.207.7"]),
            some("41.202.207.7")
        );
        // A proxy that adds its own header line: its line, not the client's forged one.
        assert_eq!(
            client_ip(lo, &["6.6.6.6", "41.202.207.7"]),
            some("41.202.207.7")
        );
        assert_eq!(client_ip(lo, &["41.202.207.7:5123"]), some("41.202.207.7"));
        // IPv6 counts by /64: the addresses of one network are one count.
        assert_eq!(
            client_ip(lo, &["[2c0f:f4c0:1:2::1]:443"]),
            some("2c0f:f4c0:1:2::/64")
        );
        assert_eq!(
            client_ip(lo, &["2c0f:f4c0:1:2:ffff:1:2:3"]),
            some("2c0f:f4c0:1:2::/64")
        );
        assert_eq!(client_ip(lo, &[]), some("127.0.0.1"));
        assert_eq!(client_ip(lo, &["garbage"]), None);
        // An IPv4 proxy seen by a dual-stack listener.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &["41.202.207.7"]),
            some("41.202.207.7")
        );
        assert_eq!(
            client_ip(ip("196.200.1.9"), &["41.202.207.7"]),
            some("196.200.1.9")
        );
        // A private peer is not a proxy unless it is named (issue 23, item 10).
        assert_eq!(
            client_ip(ip("10.0.0.5"), &["41.202.207.7"]),
            some("10.0.0.5")
        );
        let named = TrustedProxies::parse(&["10.0.0.0/8", "fd00::/8"]).unwrap();
        assert_eq!(
            super::client_ip(ip("10.0.0.5"), &["41.202.207.7"], &named),
            some("41.202.207.7")
        );
        assert_eq!(
            super::client_ip(ip("127.0.0.1"), &["41.202.207.7"], &named),
            some("127.0.0.1"),
            "naming proxies replaces the default"
        );
        assert_eq!(client_ip(None, &[]), None);
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["nonsense"]).is_err());
        assert!(TrustedProxies::parse(&["2001:db8::1"])
            .unwrap()
            .contains(ip("2001:db8::1").unwrap()));
    }
}
