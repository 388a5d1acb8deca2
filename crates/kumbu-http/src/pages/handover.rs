//! The hand-over to an operator's own page, `/pay/go/{token}` (Orange Money Web Payment): the
//! URL a live payment of such an operator carries (the native API's `next_action.redirect_url`,
//! Adullam's `redirect_url`, the checkout page's button). It redirects to the operator's page
//! once the connector has made it; until then it is a small page that refreshes itself (no
//! script needed). The operator brings the payer back to `/pay/go/{token}/back`, which shows how
//! the payment stands, or, for an attempt of a checkout session, goes back to its page. The
//! engine decides where; this file only translates.

use super::layout::document;
use super::messages::{tf, Msg};
use super::{html_response, locale_for, PageError};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use kumbu_core::{Catalogue, Locale, Payment, PaymentStatus};
use kumbu_engine::Handover;
use maud::html;

/// Seconds between the waiting page's refreshes.
const REFRESH_SECS: u32 = 2;

/// `GET /pay/go/{token}`: on to the operator's page (or wait for it).
pub async fn go(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    hand_over(&state, &token, false, query.as_deref(), &headers).await
}

/// `GET /pay/go/{token}/back`: the payer is back from the operator's page.
pub async fn back(
    State(state): State<AppState>,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    hand_over(&state, &token, true, query.as_deref(), &headers).await
}

async fn hand_over(
    state: &AppState,
    token: &str,
    returning: bool,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let chosen = super::layout::chosen_lang(query);
    let locale = locale_for(chosen, None, headers);
    let where_to = state
        .engine
        .handover(token, returning)
        .await
        .map_err(|e| PageError::from_engine(e, locale))?
        .ok_or(PageError::NotFound(locale))?;
    Ok(match where_to {
        // 303: the payer's browser fetches the operator's page with a GET, whatever came before.
        Handover::Operator(url) => Redirect::to(&url).into_response(),
        Handover::Checkout(session) => Redirect::to(&format!("/pay/{session}")).into_response(),
        Handover::Wait(p) => {
            let path = if returning {
                format!("/pay/go/{token}/back")
            } else {
                format!("/pay/go/{token}")
            };
            let path = match chosen {
                Some(l) => format!("{path}?lang={}", l.as_str()),
                None => path,
            };
            waiting(locale, &p, returning, &path)
        }
    })
}

/// The page shown while the operator's page is made, while the outcome is asked, or once the
/// payment has ended.
fn waiting(locale: Locale, p: &Payment, returning: bool, path: &str) -> Response {
    let catalogue = Catalogue::default();
    let operator = catalogue.get(p.operator).name;
    let amount = super::format::amount(locale, p.currency, p.amount);
    let args = [("operator", operator), ("amount", amount.as_str())];
    let (title, help, refresh) = match p.status {
        PaymentStatus::Debited
        | PaymentStatus::Settled
        | PaymentStatus::PartiallyRefunded
        | PaymentStatus::Refunded => (Msg::HandoverPaid, Msg::HandoverPaidHelp, false),
        PaymentStatus::Failed | PaymentStatus::Expired | PaymentStatus::Cancelled => {
            (Msg::Failed, Msg::HandoverFailedHelp, false)
        }
        PaymentStatus::Created | PaymentStatus::OperatorPending | PaymentStatus::UserConfirming => {
            if returning {
                (Msg::Checking, Msg::CheckingHelp, true)
            } else {
                (Msg::Preparing, Msg::PreparingHelp, true)
            }
        }
    };
    let nonce = kumbu_core::ids::random_token(22);
    let head = html! {
        @if refresh { meta http-equiv="refresh" content=(REFRESH_SECS); }
    };
    let body = html! {
        body {
            main {
                div id="handover" role="status" aria-live="polite" data-status=(p.status.as_str()) {
                    h1 { (tf(locale, title, &args)) }
                    p { (tf(locale, help, &args)) }
                }
                @if refresh && !returning {
                    p { a class="button primary" href=(path) { (tf(locale, Msg::GoToOperator, &args)) } }
                }
            }
        }
    };
    let markup = document(locale, &tf(locale, title, &args), head, body);
    html_response(StatusCode::OK, markup.into_string(), &nonce)
}
