//! The HTTP clients deliveries are sent with: no redirects (a 3xx is a failure), a 10 s timeout,
//! and, for live mode, DNS that never yields an internal address (SSRF and DNS rebinding).

use super::policy::DELIVERY_TIMEOUT;
use std::net::IpAddr;
use std::sync::Arc;

/// An HTTP client for deliveries: no redirects (a 3xx is a failure), a 10 s timeout, no proxy
/// from the environment (`HTTP(S)_PROXY` would connect to the proxy, not to the address the
/// resolver checked), and, for live mode, DNS that never yields an internal address.
pub(crate) fn client(public_only: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(DELIVERY_TIMEOUT);
    let builder = if public_only {
        builder.dns_resolver(Arc::new(PublicOnlyResolver))
    } else {
        builder
    };
    builder.build().unwrap_or_default()
}

/// Addresses a live webhook may not reach: loopback, private, link-local, unspecified,
/// carrier-grade NAT, benchmarking (`198.18.0.0/15`), IETF protocol (`192.0.0.0/24`),
/// documentation, multicast and reserved (`240.0.0.0/4`) IPv4; and in IPv6 the same through any
/// prefix that carries an IPv4 address (IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`,
/// NAT64 `64:ff9b::/96` and `64:ff9b:1::/48`, 6to4 `2002::/16`, Teredo `2001::/32`: refused
/// whole, as no public webhook receiver is reached through them), unique-local, link-local,
/// site-local, multicast and documentation addresses.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0 // "this network"
                || a == 100 && (64..128).contains(&b) // carrier-grade NAT
                || a == 198 && (b == 18 || b == 19) // benchmarking
                || a == 192 && b == 0 && c == 0 // IETF protocol assignments
                || a >= 240 // reserved
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local
                || (s[0] & 0xffc0) == 0xfe80 // link-local
                || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
                || s[..6] == [0; 6] // IPv4-compatible ::a.b.c.d
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64, well-known and local-use
                || s[0] == 0x2002 // 6to4
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
        }
    }
}

/// DNS for live deliveries: resolves, then drops internal addresses, so a host that resolved to
/// a public address when the endpoint was created cannot be re-pointed at the gateway's own
/// network later (DNS rebinding). A name with only internal addresses fails to resolve.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_internal(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!("{host} resolves only to internal addresses").into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}
