//! The HTTP clients deliveries are sent with: no redirects (a 3xx is a failure), a 10 s timeout,
//! and, for live mode, DNS that never yields an internal address (SSRF and DNS rebinding).

use super::policy::DELIVERY_TIMEOUT;
use std::net::IpAddr;
use std::sync::Arc;

/// An HTTP client for deliveries: no redirects (a 3xx is a failure), a 10 s timeout, and, for
/// live mode, DNS that never yields an internal address.
pub(crate) fn client(public_only: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(DELIVERY_TIMEOUT);
    let builder = if public_only {
        builder.dns_resolver(Arc::new(PublicOnlyResolver))
    } else {
        builder
    };
    builder.build().unwrap_or_default()
}

/// Loopback, private, link-local, unspecified or otherwise non-public addresses.
pub(crate) fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) // carrier-grade NAT
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
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
