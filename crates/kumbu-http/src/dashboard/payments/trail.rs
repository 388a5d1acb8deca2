//! What a payment left behind, on its page: the ledger postings it (and its refunds) made,
//! debits and credits side by side, and the events it published, each a link to its
//! deliveries (where developers send it again).

use super::super::messages::{t, M};
use crate::pages::format::{amount, receipt_time};
use kumbu_core::Locale;
use kumbu_engine::{Event, PaymentPosting};
use maud::{html, Markup};

/// The postings, oldest first.
pub(super) fn ledger(locale: Locale, postings: &[PaymentPosting]) -> Markup {
    html! {
        @if !postings.is_empty() {
            section aria-labelledby="ledger" {
                h2 id="ledger" { (t(locale, M::Ledger)) }
                div.wide role="region" tabindex="0" aria-label=(t(locale, M::WideTable)) { table {
                    thead { tr {
                        th scope="col" { (t(locale, M::Account)) }
                        th.num scope="col" { (t(locale, M::Debit)) }
                        th.num scope="col" { (t(locale, M::Credit)) }
                        th scope="col" { (t(locale, M::When)) }
                    } }
                    tbody {
                        @for p in postings {
                            tr {
                                th scope="row" {
                                    code { (p.account.as_str()) } br;
                                    small { (p.kind.as_str()) @if let Some(r) = &p.refund_id { " · " (r) } }
                                }
                                td.num { @if p.amount > 0 { (amount(locale, p.currency, p.amount)) } }
                                td.num { @if p.amount < 0 { (amount(locale, p.currency, -p.amount)) } }
                                td { (receipt_time(p.at)) }
                            }
                        }
                    }
                } }
            }
        }
    }
}

/// The events, newest first.
pub(super) fn events(locale: Locale, events: &[Event]) -> Markup {
    html! {
        @if !events.is_empty() {
            section aria-labelledby="events" {
                h2 id="events" { (t(locale, M::Events)) }
                ul.failures {
                    @for e in events {
                        li {
                            a href={ "/dashboard/developers/events/" (e.id) } { (e.event_type) }
                            " · " (receipt_time(e.created_at))
                        }
                    }
                }
            }
        }
    }
}
