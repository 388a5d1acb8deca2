//! A form body as the pages read it: `application/x-www-form-urlencoded`, at most 4 KiB (the
//! checkout's and the dashboard's forms are small; a logo upload has its own reader).

use super::PageError;
use axum::body::Bytes;

/// Most bytes a form body may have.
const MAX_FORM: usize = 4096;

/// A form body's fields, in order.
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Reads a body; one too large is a bad form.
    pub(crate) fn parse(body: &Bytes) -> Result<Self, PageError> {
        if body.len() > MAX_FORM {
            return Err(PageError::BadForm);
        }
        Ok(Self(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    /// The first value of field `k`.
    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    }
}
