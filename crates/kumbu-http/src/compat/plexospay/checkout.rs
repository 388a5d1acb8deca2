//! PlexosPay checkout sessions (`/v1/checkout/sessions`): a Kumbu checkout session in
//! PlexosPay's words. `completionUrl` is where the customer goes after paying (`returnUrl` when
//! absent); `returnUrl` is where a customer who gives up goes back to.

use super::bodies::CreateSessionBody;
use super::error::{PxError, PxErrorBody};
use super::views::PxCheckoutSession;
use super::views::PxList;
use super::{invalid, list_query, openapi, Body, Caller, Idempotent, ListParams};
use crate::compat::common::Paging;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CheckoutStatus, ErrorCode};
use kumbu_engine::CreateCheckoutSession;

/// The statuses a `?status=` filter names: every status `session_status` shows by that name.
fn statuses_named(name: &str) -> Option<&'static [CheckoutStatus]> {
    match name {
        "OPEN" => Some(&[CheckoutStatus::Open]),
        "COMPLETED" => Some(&[CheckoutStatus::Completed]),
        "EXPIRED" => Some(&[CheckoutStatus::Expired, CheckoutStatus::Cancelled]),
        _ => None,
    }
}

/// Create a checkout session: a payment page to send the customer to.
#[utoipa::path(post, path = "/v1/checkout/sessions", tag = "checkout",
    params(Idempotent),
    request_body = openapi::SessionRequest,
    responses((status = 200, description = "The session, `OPEN`", body = PxCheckoutSession,
        links(
            ("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/id")))),
            ("ExpireSession" = (operation_id = "expire_session", parameters(("id" = "$response.body#/id"))))))))]
pub(super) async fn create_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateSessionBody>,
) -> Result<Response, PxError> {
    let cmd = CreateCheckoutSession::try_from(body)?;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &PxCheckoutSession::of(s, &base))
        })
        .await?;
    Ok(respond(outcome))
}

/// A checkout session.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", tag = "checkout",
    params(("id" = String, Path, description = "`cs_…`")),
    responses((status = 200, description = "The session", body = PxCheckoutSession)))]
pub(super) async fn get_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxCheckoutSession>, PxError> {
    let s = state.engine.checkout_session(&auth, &id).await?;
    Ok(Json(PxCheckoutSession::of(&s, &state.public_url)))
}

/// Checkout sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", tag = "checkout",
    params(ListParams,
        ("status" = Option<openapi::PxSessionStatus>, Query, description = "Only sessions in this status")),
    responses((status = 200, description = "A page of sessions", body = PxList<PxCheckoutSession>,
        links(("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/data/0/id"))))))))]
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxCheckoutSession>>, PxError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = list_query(query.as_deref())?;
    let mut statuses: &[CheckoutStatus] = &[];
    for (k, v) in rest {
        match (k.as_str(), statuses_named(&v)) {
            ("status", Some(named)) => statuses = named,
            ("status", None) => return Err(invalid("status must be OPEN, COMPLETED or EXPIRED")),
            _ => return Err(invalid(format!("`{k}` is not a known parameter"))),
        }
    }
    let (list, has_more) = state
        .engine
        .list_checkout_sessions(&auth, statuses, starting_after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: list
            .iter()
            .map(|s| PxCheckoutSession::of(s, &state.public_url))
            .collect(),
        has_more,
    }))
}

/// Expire an open checkout session: its page no longer takes payment.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", tag = "checkout",
    params(("id" = String, Path, description = "`cs_…`"), Idempotent),
    responses(
        (status = 200, description = "The session, `EXPIRED` (expiring an expired one answers it as it is)", body = PxCheckoutSession,
            links(("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/id")))))),
        (status = 409, description = "The session is completed, or the customer is approving a payment on it", body = PxErrorBody)))]
pub(super) async fn expire_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<crate::extract::NoParams>,
) -> Result<Response, PxError> {
    let base = state.public_url.clone();
    // A session the customer cancelled is EXPIRED in PlexosPay's words: expiring it again is
    // answered as expiring an expired one is.
    let current = state.engine.checkout_session(&auth, &id).await?;
    if current.status == CheckoutStatus::Cancelled {
        return Ok(respond(kumbu_engine::Outcome {
            response: record(200, &PxCheckoutSession::of(&current, &base)),
            replayed: false,
        }));
    }
    match state
        .engine
        .expire_checkout_session(&auth, &id, idem.as_ref(), |s| {
            record(200, &PxCheckoutSession::of(s, &base))
        })
        .await
    {
        Ok(outcome) => Ok(respond(outcome)),
        // Cancelled by the customer meanwhile: expired, in PlexosPay's words.
        Err(e) if e.code() == ErrorCode::CheckoutSessionNotOpen => {
            let now = state.engine.checkout_session(&auth, &id).await?;
            if now.status == CheckoutStatus::Cancelled {
                Ok(respond(kumbu_engine::Outcome {
                    response: record(200, &PxCheckoutSession::of(&now, &base)),
                    replayed: false,
                }))
            } else {
                Err(e.into())
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::views::session_status;
    use super::*;

    /// A session listed under the name it shows is found by filtering on that name, and only
    /// the sessions showing a name are found by it; `OPEN` is exactly the sessions still open.
    #[test]
    fn the_status_filter_finds_what_each_name_shows() {
        for s in CheckoutStatus::ALL {
            let name = session_status(s);
            let found = statuses_named(name).unwrap_or_else(|| panic!("{name} is not filterable"));
            assert!(found.contains(&s), "?status={name} misses {s:?}");
            for other in found {
                assert_eq!(
                    session_status(*other),
                    name,
                    "?status={name} finds {other:?}"
                );
            }
            assert_eq!(name == "OPEN", !s.is_terminal(), "{s:?} shows {name}");
        }
        assert_eq!(
            statuses_named("open"),
            None,
            "names are PlexosPay's, upper case"
        );
    }
}
