//! `/dashboard/collections`: bank payments and the bills they pay (Mozambique's SIMO/ERV).
//! The **exceptions queue** (what reconciliation could not match, each with its two
//! decisions), the **collection requests** (bills), the **reconciliation report** by day, and
//! uploading a **MEPS file** (what `kumbu reconcile` does, from the browser, for this
//! business's own entity only).
//!
//! `exceptions.rs` the queue, one exception and its decision; `requests.rs` the bills;
//! `report.rs` a day's report; `upload.rs` the bank file.

mod exceptions;
mod report;
mod requests;
mod upload;

pub(super) use exceptions::{decide, exception, queue};
pub(super) use report::report;
pub(super) use requests::requests;
pub(super) use upload::{upload, upload_form, MAX_FILE_BYTES};

use super::layout::tabs;
use super::messages::M;
use kumbu_core::Locale;
use maud::Markup;

/// The section's own pages, as tabs.
fn collection_tabs(locale: Locale, here: &str) -> Markup {
    tabs(
        locale,
        &[
            ("/dashboard/collections", M::ExceptionsQueue),
            ("/dashboard/collections/requests", M::CollectionRequests),
            ("/dashboard/collections/report", M::Reconciliation),
            ("/dashboard/collections/upload", M::BankFile),
        ],
        here,
    )
}
