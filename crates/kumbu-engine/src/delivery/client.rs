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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn live_dns_never_yields_internal_addresses() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let refused = PublicOnlyResolver.resolve(name).await;
        assert!(
            refused.is_err(),
            "localhost must not resolve for live deliveries"
        );
        // A real listener on loopback: the test-mode client reaches it, the live client never
        // connects (its resolver refuses the name), so the refusal is the resolver's doing.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                    .await;
            }
        });
        let url = format!("http://localhost:{port}/hook");
        let reached = client(false)
            .post(&url)
            .send()
            .await
            .expect("the test-mode client reaches a loopback listener");
        assert_eq!(reached.status(), 204);
        let err = client(true).post(&url).send().await.unwrap_err();
        let chain = std::iter::successors(Some(&err as &dyn std::error::Error), |e| e.source())
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(": ");
        assert!(
            chain.contains("resolves only to internal addresses"),
            "refused by the resolver: {chain}"
        );
        assert_eq!(
            accepted.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "only the test-mode client connected"
        );
    }
}
