//! `/v1/operators` and `/v1/balance`.

use super::views::{BalanceLine, BalanceView, OperatorList, OperatorView};
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::Auth;
use crate::AppState;
use axum::extract::State;
use axum::Json;

/// The rail catalogue: countries, currencies, limits, phone formats and fees.
#[utoipa::path(get, path = "/v1/operators", tag = "catalogue",
    responses((status = 200, body = OperatorList)))]
pub async fn list_operators(State(state): State<AppState>) -> Json<OperatorList> {
    Json(OperatorList {
        object: "list",
        data: state
            .engine
            .catalogue()
            .all()
            .iter()
            .map(OperatorView::from)
            .collect(),
        has_more: false,
    })
}

/// Pending and available money per currency, read from the ledger.
#[utoipa::path(get, path = "/v1/balance", tag = "catalogue",
    responses((status = 200, body = BalanceView), (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_balance(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> Result<Json<BalanceView>, NativeError> {
    let lines = state.engine.balance(&auth).await?;
    Ok(Json(BalanceView {
        object: "balance",
        livemode: auth.mode.is_live(),
        balances: lines.iter().map(BalanceLine::from).collect(),
    }))
}
