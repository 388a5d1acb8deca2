//! Where a webhook may go: the shape of its URL (an http(s) URL with a real host) and, unless
//! the endpoint's mode may reach internal addresses, that its host resolves to public ones only.
//! Checked at registration and again before every delivery.

use crate::delivery::client::is_internal;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{ErrorCode, Field, Mode};
use std::net::IpAddr;

/// The longest endpoint URL accepted, in bytes.
pub const MAX_URL_LEN: usize = 2048;

/// The host part of an http(s) URL, checked for shape.
fn url_host(url: &str) -> Result<(String, u16), EngineError> {
    let bad = || {
        EngineError::field(
            ErrorCode::ParameterInvalid,
            Field::Url,
            "url must be an absolute http:// or https:// URL, at most 2048 characters",
        )
    };
    if url.len() > MAX_URL_LEN || url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(bad());
    }
    let (rest, default_port) = if let Some(r) = url.strip_prefix("https://") {
        (r, 443)
    } else if let Some(r) = url.strip_prefix("http://") {
        (r, 80)
    } else {
        return Err(bad());
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') || authority.is_empty() {
        return Err(bad());
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h.to_owned(), p),
            Err(_) if authority.starts_with('[') && authority.ends_with(']') => {
                (authority.to_owned(), default_port)
            }
            Err(_) => return Err(bad()),
        },
        Some(_) | None => (authority.to_owned(), default_port),
    };
    if host.is_empty() {
        return Err(bad());
    }
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host.parse::<IpAddr>().is_err() && !is_host_name(&host) {
        return Err(EngineError::field(ErrorCode::ParameterInvalid,
            Field::Url,
            format!("`{host}` is not a host name or an address: give your endpoint's real host, e.g. https://shop.example/kumbu"),
        ));
    }
    Ok((host, port))
}

/// Whether `host` is shaped like a DNS name: dot-separated labels of 1 to 63 letters, digits,
/// `-` or `_` (letters of any script: an internationalised name), none starting or ending with
/// `-`. A placeholder such as `…` or `<host>` is not.
fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.split('.').all(|label| {
            let n = label.chars().count();
            (1..=63).contains(&n)
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

impl Engine {
    /// Refuses URLs that resolve to internal addresses, unless endpoints of `mode` may have them
    /// ([`crate::InternalWebhooks`]: test mode on a gateway reachable from this machine alone, or
    /// both modes with `--allow-internal-webhooks`).
    pub(crate) async fn check_destination(&self, mode: Mode, url: &str) -> Result<(), EngineError> {
        let (host, port) = url_host(url)?;
        if self.config().internal_webhooks.allow(mode) {
            return Ok(());
        }
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(|it| it.map(|a| a.ip()).collect())
                .map_err(|_| {
                    EngineError::field(
                        ErrorCode::ParameterInvalid,
                        Field::Url,
                        format!("the host {host} does not resolve"),
                    )
                })?,
        };
        if addrs.is_empty() || addrs.iter().any(|ip| is_internal(*ip)) {
            return Err(EngineError::field(ErrorCode::ParameterInvalid,
                Field::Url,
                match mode {
                    Mode::Live => format!("{host} resolves to an internal address; live webhooks must go to a public host"),
                    Mode::Test => format!("{host} resolves to an internal address; on a gateway reachable from other machines, test webhooks must go to a public host too (the operator may allow internal ones: --allow-internal-webhooks)"),
                },
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_addresses() {
        assert_eq!(
            url_host("https://example.com/hook").unwrap(),
            ("example.com".to_owned(), 443)
        );
        assert_eq!(
            url_host("http://127.0.0.1:9000/x?y").unwrap(),
            ("127.0.0.1".to_owned(), 9000)
        );
        assert_eq!(
            url_host("http://[::1]:8080/").unwrap(),
            ("::1".to_owned(), 8080)
        );
        for bad in [
            "ftp://x",
            "https://",
            "https://user@host/",
            "http://h:99999/",
            "https://a b/",
            "example.com",
        ] {
            assert!(url_host(bad).is_err(), "{bad}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.0.1",
            "169.254.169.254",
            "::1",
            "fd00::1",
            "0.0.0.0",
            "100.64.0.1",
            "64:ff9b::a00:5",
            "64:ff9b:1::a00:5",
            "2002:a00:5::1",
            "::a00:5",
            "::ffff:10.0.0.5",
            "198.18.0.1",
            "198.19.255.255",
            "192.0.0.8",
            "240.0.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "ff02::1",
            "fec0::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "41.223.1.1",
            "2001:4860:4860::8888",
            "198.20.0.1",
            "192.0.1.1",
            "2a00:1450:4001::1",
        ] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
