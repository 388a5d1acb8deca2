//! How a merchant's pages look: its name, a brand colour and a logo.
//!
//! The logo is stored as a `data:` URI, so the page loads nothing from elsewhere (its CSP
//! allows images from itself and `data:` only), and kept small: the whole page must stay light
//! on a cheap data plan.

use crate::error::EngineError;
use crate::Engine;
use base64::Engine as _;
use kumbu_core::{ErrorCode, Rejection};
use kumbu_store::Branding;

/// Largest logo accepted, in bytes.
pub const MAX_LOGO_BYTES: usize = 24 * 1024;

/// A change of branding; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct SetBranding {
    /// The name customers see.
    pub name: Option<String>,
    /// `#rrggbb`, or `""` to go back to Kumbu's colour.
    pub color: Option<String>,
    /// The logo's bytes and its file name (for its type), or empty bytes to remove it.
    pub logo: Option<(Vec<u8>, String)>,
}

fn refuse(message: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::new(ErrorCode::ParameterInvalid, message))
}

/// The image type of a logo file, from its name.
fn logo_type(file: &str) -> Option<&'static str> {
    let ext = file.rsplit('.').next()?.to_ascii_lowercase();
    match ext.as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        "svg" => Some("image/svg+xml"),
        _ => None,
    }
}

impl Engine {
    /// How a merchant's pages look now.
    pub async fn branding(&self, merchant_id: &str) -> Result<Branding, EngineError> {
        self.store()
            .branding(merchant_id)
            .await?
            .ok_or_else(|| refuse(format!("no merchant {merchant_id}")))
    }

    /// Changes a merchant's branding and returns it as it now is.
    pub async fn set_branding(
        &self,
        merchant_id: &str,
        change: SetBranding,
    ) -> Result<Branding, EngineError> {
        self.set_branding_as(merchant_id, change, None).await
    }

    /// [`Engine::set_branding`] by a person of the merchant: with their audit line, in the
    /// change's transaction.
    pub async fn set_branding_for(
        &self,
        auth: &crate::AuthContext,
        change: SetBranding,
    ) -> Result<Branding, EngineError> {
        self.set_branding_as(&auth.merchant_id, change, Some(auth))
            .await
    }

    async fn set_branding_as(
        &self,
        merchant_id: &str,
        change: SetBranding,
        caller: Option<&crate::AuthContext>,
    ) -> Result<Branding, EngineError> {
        let mut b = self
            .store()
            .branding(merchant_id)
            .await?
            .ok_or_else(|| refuse(format!("no merchant {merchant_id}")))?;
        if let Some(name) = change.name {
            let name = name.trim().to_owned();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                return Err(refuse(
                    "the name must be 1 to 100 characters, without control characters",
                ));
            }
            b.name = name;
        }
        if let Some(c) = change.color {
            b.brand_color = if c.is_empty() {
                None
            } else if c.len() == 7
                && c.starts_with('#')
                && c[1..].bytes().all(|x| x.is_ascii_hexdigit())
            {
                Some(c.to_ascii_lowercase())
            } else {
                return Err(refuse("the colour must be #rrggbb, e.g. #0a7f3c"));
            };
        }
        if let Some((bytes, file)) = change.logo {
            b.logo = if bytes.is_empty() {
                None
            } else {
                let mime = logo_type(&file)
                    .ok_or_else(|| refuse("the logo must be a .png, .jpg, .webp or .svg file"))?;
                if bytes.len() > MAX_LOGO_BYTES {
                    return Err(refuse(format!(
                        "the logo is {} bytes; at most {MAX_LOGO_BYTES} keep the page light on a phone",
                        bytes.len()
                    )));
                }
                Some(format!(
                    "data:{mime};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                ))
            };
        }
        let mut tx = self.begin().await?;
        tx.set_branding(merchant_id, &b).await?;
        if let Some(a) = caller {
            self.audit_as(&mut tx, a).await?;
        }
        self.commit(tx).await?;
        Ok(b)
    }
}
