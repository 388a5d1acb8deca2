//! `/v1/sandbox/prompts`: the sandbox phone, for `…009` numbers (test mode only).

use super::payments::render_payment;
use super::views::{PaymentView, PromptList, PromptView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, NoParams, PathId};
use crate::query::{query_pairs, query_phone};
use crate::reply::respond;
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::ErrorCode;
use kumbu_engine::Answer;

/// Prompts waiting on a sandbox phone.
#[utoipa::path(get, path = "/v1/sandbox/prompts", tag = "sandbox",
    params(("phone" = crate::openapi::vocab::PhoneFilter, Query, description = "The payer's phone")),
    responses((status = 200, body = PromptList), (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_prompts(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<PromptList>, NativeError> {
    let pairs = query_pairs(query.as_deref())?;
    let mut phone = None;
    for (k, v) in pairs {
        match k.as_str() {
            "phone" => phone = Some(query_phone(&v)?),
            other => {
                return Err(NativeError::new(
                    ErrorCode::ParameterUnknown,
                    format!("`{other}` is not a known parameter"),
                    Some(other),
                ))
            }
        }
    }
    let phone = phone.ok_or_else(|| {
        NativeError::new(
            ErrorCode::ParameterMissing,
            "`phone` is required.",
            Some("phone"),
        )
    })?;
    let prompts = state.engine.prompts(&auth, &phone).await?;
    Ok(Json(PromptList {
        object: "list",
        data: prompts.iter().map(PromptView::from).collect(),
        has_more: false,
    }))
}

async fn answer(
    state: AppState,
    auth: kumbu_engine::AuthContext,
    id: String,
    answer: Answer,
    idem: Option<kumbu_engine::IdempotencyRequest>,
) -> Result<Response, NativeError> {
    let outcome = state
        .engine
        .answer_prompt(&auth, &id, answer, idem.as_ref(), render_payment)
        .await?;
    Ok(respond(outcome))
}

/// The payer enters their PIN: the payment is debited.
#[utoipa::path(post, path = "/v1/sandbox/prompts/{id}/confirm", tag = "sandbox",
    params(("id" = String, Path, description = "prm_…")),
    responses((status = 200, body = PaymentView), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn confirm_prompt(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    answer(state, auth, id, Answer::Confirm, idem).await
}

/// The payer refuses: the payment fails PAYMENT_DECLINED.
#[utoipa::path(post, path = "/v1/sandbox/prompts/{id}/decline", tag = "sandbox",
    params(("id" = String, Path, description = "prm_…")),
    responses((status = 200, body = PaymentView), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn decline_prompt(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
    Command(idem, _): Command<NoParams>,
) -> Result<Response, NativeError> {
    answer(state, auth, id, Answer::Decline, idem).await
}
