//! Opaque page tokens for faces that page with them (Kulpay's `page_token`, after Google's
//! AIP-158): the last item of a page, sealed under the caller, the listing and its filters.
//! A token cannot be read, forged, or reused with other filters or by another merchant: it
//! then fails to open, and the caller is told to start again without one.

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::{ErrorCode, Field};

fn context(auth: &AuthContext, listing: &str, filters: &str) -> String {
    format!(
        "page_token:{}:{}:{listing}:{filters}",
        auth.merchant_id,
        auth.mode.as_str()
    )
}

impl Engine {
    /// A token for the page after `after` in `listing` under `filters` (any canonical text).
    pub fn page_token(
        &self,
        auth: &AuthContext,
        listing: &str,
        filters: &str,
        after: &str,
    ) -> String {
        self.seal(&context(auth, listing, filters), after)
    }

    /// The item a token continues after; refused unless it was made for this caller, listing
    /// and filters.
    pub fn open_page_token(
        &self,
        auth: &AuthContext,
        listing: &str,
        filters: &str,
        token: &str,
    ) -> Result<String, EngineError> {
        let refused = || {
            EngineError::field(
                ErrorCode::ParameterInvalid,
                Field::PageToken,
                "page_token was not issued for this list with these filters; send the same filters as the first page, or start again without a page_token",
            )
        };
        if !has_token_shape(token) {
            return Err(refused());
        }
        self.inner
            .keyring
            .open(&context(auth, listing, filters), token)
            .map_err(|_| refused())
    }
}

fn has_token_shape(token: &str) -> bool {
    crate::vault::Keyring::is_sealed(token) && token.len() < 1024
}
