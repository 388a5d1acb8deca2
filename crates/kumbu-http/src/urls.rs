//! Absolute URLs Kumbu hands out: where a checkout session's page is.
//!
//! Faces answer with absolute URLs (`url`, `paymentUrl`), so the HTTP layer must know the
//! address customers reach it at: `serve --public-url`, by default the listening address.

use std::sync::Arc;

/// The public base URL of this gateway, without a trailing slash.
#[derive(Debug, Clone)]
pub struct PublicUrl(Arc<str>);

impl PublicUrl {
    /// A base such as `https://pay.example.com` (a trailing `/` is dropped).
    pub fn new(base: &str) -> Self {
        Self(Arc::from(base.trim_end_matches('/')))
    }

    /// The base itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The page of the checkout session whose token is `token`.
    pub fn checkout_page(&self, token: &str) -> String {
        format!("{}/pay/{token}", self.0)
    }

    /// The hand-over to an operator's page of the payment whose token is `token`.
    pub fn handover(&self, token: &str) -> String {
        format!("{}/pay/go/{token}", self.0)
    }

    /// The one-time link where a person invited to the dashboard sets their password.
    pub fn welcome(&self, token: &str) -> String {
        format!("{}/dashboard/welcome/{token}", self.0)
    }

    /// Whether pages are served over HTTPS (cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.0.starts_with("https://")
    }
}

impl Default for PublicUrl {
    fn default() -> Self {
        Self::new("http://127.0.0.1:8080")
    }
}
