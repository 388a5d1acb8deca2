//! `/v1/connectors`: a merchant's operator credentials for live mode, in each connector's shape
//! (MTN MoMo's, Orange Money's). Secrets go in and never come out: answers show the target
//! environment (Orange: the country), the callback host, the products and their API users (or
//! client ids), and where the operator must call back. Live keys only.

use super::views::Deleted;
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{parse_json, Auth, Body, PathId};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kumbu_core::{ErrorCode, Operator};
use kumbu_engine::ConnectorSummary;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One MTN product's keys, from MTN's partner portal (or the sandbox's provisioning). No
/// `Debug`: it holds secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductKeysBody {
    /// `Ocp-Apim-Subscription-Key` of the product.
    #[schema(min_length = 1, max_length = 128)]
    pub subscription_key: String,
    /// The API user (a UUID).
    #[schema(min_length = 1, max_length = 128)]
    pub api_user: String,
    /// The API key.
    #[schema(min_length = 1, max_length = 256)]
    pub api_key: String,
}

// Read here so that a malformed body is refused in the native envelope, naming the field; then
// handed to the engine as JSON, which the operator's connector checks.
/// MTN MoMo credentials (`PUT /v1/connectors/mtn_ci` or `mtn_cm`). No `Debug`: it holds
/// secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MtnMomoBody {
    /// MTN's `X-Target-Environment`: `mtnivorycoast`, `mtncameroon` (or `sandbox`).
    #[schema(example = "mtnivorycoast")]
    pub target_environment: String,
    /// The callback host registered with MTN (`providerCallbackHost`): the host of the
    /// gateway's public URL.
    pub callback_host: Option<String>,
    /// Collection keys: needed for payments.
    pub collection: Option<ProductKeysBody>,
    /// Disbursement keys: needed for payouts and refunds.
    pub disbursement: Option<ProductKeysBody>,
}

/// Orange Money Web Payment's keys, from Orange's developer portal. No `Debug`: it holds
/// secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebPaymentKeysBody {
    /// The application's client id.
    #[schema(min_length = 1, max_length = 128)]
    pub client_id: String,
    /// The application's client secret.
    #[schema(min_length = 1, max_length = 256)]
    pub client_secret: String,
    /// The merchant key payment pages are made with.
    #[schema(min_length = 1, max_length = 128)]
    pub merchant_key: String,
}

/// Orange Cameroon's prompt API keys (`orange_cm`). No `Debug`: it holds secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CameroonPromptBody {
    /// The consumer key (`POST /token`).
    pub consumer_key: String,
    /// The consumer secret.
    pub consumer_secret: String,
    /// The API user of `X-AUTH-TOKEN`.
    pub api_username: String,
    /// Its password.
    pub api_password: String,
    /// The merchant's channel number, 9 digits without 237.
    #[schema(example = "691234567")]
    pub channel_msisdn: String,
    /// The channel user's PIN (Orange takes it in the clear).
    pub pin: String,
}

/// Orange Money credentials (`PUT /v1/connectors/orange_ci` or `orange_cm`): `web_payment` for
/// `orange_ci` (the payer pays on Orange's page), `cameroon_prompt` for `orange_cm` (a prompt on
/// the payer's phone). No `Debug`: it holds secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrangeMoneyBody {
    /// Web Payment's country segment: `ci`, `cm` (`dev` in Orange's sandbox).
    #[schema(example = "ci")]
    pub country: String,
    /// Web Payment's keys.
    pub web_payment: Option<WebPaymentKeysBody>,
    /// Orange Cameroon's prompt API keys.
    pub cameroon_prompt: Option<CameroonPromptBody>,
}

/// Wave credentials (`PUT /v1/connectors/wave_ci`). No `Debug`: it holds secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WaveBody {
    /// The API key from Wave's business portal (`wave_ci_prod_…`), Checkout API enabled.
    #[schema(example = "wave_ci_prod_…")]
    pub api_key: String,
    /// The signing secret of the webhook registered in Wave's portal at
    /// `<public URL>/callbacks/wave/events`; without it Wave's events are ignored and sessions
    /// are polled.
    pub webhook_secret: Option<String>,
}

/// M-Pesa Mozambique credentials (`PUT /v1/connectors/mpesa_mz`), from Vodacom's developer
/// portal. No `Debug`: it holds secrets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MpesaMzBody {
    /// The API key.
    #[schema(min_length = 1, max_length = 256)]
    pub api_key: String,
    /// The portal's public key, base64 (`MIICIjANBgkq…`) or PEM: every call's Bearer is the API
    /// key encrypted under it.
    pub public_key: String,
    /// The merchant's short code (`input_ServiceProviderCode`), 5 or 6 digits.
    #[schema(example = "171717")]
    pub service_provider_code: String,
    /// The initiator refunds (reversals) are made by; with `security_credential`, needed for
    /// refunds.
    pub initiator_identifier: Option<String>,
    /// The initiator's security credential.
    pub security_credential: Option<String>,
}

/// ProxyPay credentials (`PUT /v1/connectors/proxypay`, the same as `multicaixa`): live
/// Multicaixa references are then issued at ProxyPay and its payments recorded. No `Debug`: it
/// holds a secret.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProxyPayBody {
    /// The merchant's ProxyPay API key (`Authorization: Token …`), which ProxyPay also signs its
    /// webhooks with.
    #[schema(min_length = 1, max_length = 256)]
    pub api_key: String,
}

/// An operator's credentials: each connector's own shape.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConnectorBody {
    /// For `mtn_ci`, `mtn_cm`.
    MtnMomo(MtnMomoBody),
    /// For `orange_ci`, `orange_cm`.
    OrangeMoney(OrangeMoneyBody),
    /// For `wave_ci`.
    Wave(WaveBody),
    /// For `mpesa_mz`.
    MpesaMz(MpesaMzBody),
    /// For `proxypay` (Multicaixa references).
    ProxyPay(ProxyPayBody),
}

impl ConnectorBody {
    /// Reads `bytes` as the shape of `op`'s connector (an operator without one is read as
    /// MTN's, and refused by the engine), naming the field at fault.
    fn read(op: Operator, bytes: &[u8]) -> Result<serde_json::Value, NativeError> {
        // Strings and options only: they always serialise.
        Ok(match op {
            Operator::OrangeCi | Operator::OrangeCm => {
                serde_json::to_value(parse_json::<OrangeMoneyBody>(bytes)?)
            }
            Operator::WaveCi => serde_json::to_value(parse_json::<WaveBody>(bytes)?),
            Operator::MpesaMz => serde_json::to_value(parse_json::<MpesaMzBody>(bytes)?),
            Operator::Multicaixa => serde_json::to_value(parse_json::<ProxyPayBody>(bytes)?),
            Operator::MtnCi
            | Operator::MtnCm
            | Operator::Cvmovel
            | Operator::UnitelTmais
            | Operator::Emola
            | Operator::MoovCi
            | Operator::Mock
            | Operator::External => serde_json::to_value(parse_json::<MtnMomoBody>(bytes)?),
        }
        .unwrap_or_default())
    }
}

impl std::fmt::Debug for ProductKeysBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductKeysBody")
            .field("api_user", &self.api_user)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for MtnMomoBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MtnMomoBody")
            .field("target_environment", &self.target_environment)
            .field("callback_host", &self.callback_host)
            .finish_non_exhaustive()
    }
}

/// What is shown of a merchant's credentials for an operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorView {
    /// Always `connector`.
    pub object: &'static str,
    /// The operator (`mtn_ci`, `mtn_cm`).
    pub operator: String,
    /// The operator's name for the market.
    pub target_environment: String,
    /// The registered callback host.
    pub callback_host: Option<String>,
    /// Products configured: `collection`, `disbursement`.
    pub products: Vec<String>,
    /// The API users (not secret).
    pub api_users: Vec<String>,
    /// Where the operator calls back: `<public URL>/callbacks/mtn-momo/{reference}`.
    pub callback_url: Option<String>,
    /// Unix seconds.
    pub created: Option<i64>,
    /// Unix seconds.
    pub updated: Option<i64>,
}

/// A list of connectors.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    /// Always `list`.
    pub object: &'static str,
    /// The connectors.
    pub data: Vec<ConnectorView>,
    /// Always `false`.
    pub has_more: bool,
}

fn view(state: &AppState, s: &ConnectorSummary, merchant: &str) -> ConnectorView {
    ConnectorView {
        object: "connector",
        operator: s.operator.code().to_owned(),
        target_environment: s.target_environment.clone(),
        callback_host: s.callback_host.clone(),
        products: s.products.clone(),
        api_users: s.api_users.clone(),
        callback_url: state.engine.connector_callback_url(s.operator, merchant),
        created: s.created_at.map(|t| t.unix_seconds()),
        updated: s.updated_at.map(|t| t.unix_seconds()),
    }
}

fn operator(code: &str) -> Result<Operator, NativeError> {
    // ProxyPay is the gateway of Multicaixa references: its credentials are Multicaixa's.
    if code == "proxypay" {
        return Ok(Operator::Multicaixa);
    }
    Operator::parse(code).ok_or_else(|| {
        NativeError::new(
            ErrorCode::OperatorUnknown,
            format!("unknown operator `{code}`; GET /v1/operators lists them"),
            Some("operator"),
        )
    })
}

/// Set (or replace) the merchant's credentials for an operator; answers 201 when new.
#[utoipa::path(put, path = "/v1/connectors/{operator}", tag = "connectors",
    params(("operator" = crate::openapi::vocab::Operator, Path, description = "An operator with a connector: mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci, mpesa_mz, or proxypay (Multicaixa references; also `multicaixa`)")),
    request_body = ConnectorBody,
    responses((status = 200, body = ConnectorView), (status = 201, body = ConnectorView),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn put_connector(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(code): PathId,
    Body(bytes): Body,
) -> Result<(StatusCode, Json<ConnectorView>), NativeError> {
    let op = operator(&code)?;
    // Who asks before what they send: a test key is refused whatever its body.
    state.engine.connectors_allowed(&auth)?;
    let settings = ConnectorBody::read(op, &bytes)?;
    let (summary, created) = state.engine.set_connector(&auth, op, settings).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view(&state, &summary, &auth.merchant_id))))
}

/// The merchant's connectors.
#[utoipa::path(get, path = "/v1/connectors", tag = "connectors",
    responses((status = 200, body = ConnectorList), (status = 401, body = ErrorEnvelope),
        (status = 403, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_connectors(
    State(state): State<AppState>,
    Auth(auth): Auth,
) -> Result<Json<ConnectorList>, NativeError> {
    let list = state.engine.connectors(&auth, None).await?;
    Ok(Json(ConnectorList {
        object: "list",
        data: list
            .iter()
            .map(|s| view(&state, s, &auth.merchant_id))
            .collect(),
        has_more: false,
    }))
}

/// One connector.
#[utoipa::path(get, path = "/v1/connectors/{operator}", tag = "connectors",
    params(("operator" = crate::openapi::vocab::Operator, Path, description = "An operator with a connector: mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci, mpesa_mz, or proxypay (Multicaixa references; also `multicaixa`)")),
    responses((status = 200, body = ConnectorView), (status = 403, body = ErrorEnvelope, description = "Test keys have no connectors (live_mode_only)"),
        (status = 400, body = ErrorEnvelope, description = "Not an operator code (operator_unknown)"),
        (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_connector(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(code): PathId,
) -> Result<Json<ConnectorView>, NativeError> {
    let op = operator(&code)?;
    let found = state.engine.connectors(&auth, Some(op)).await?;
    match found.first() {
        Some(s) => Ok(Json(view(&state, s, &auth.merchant_id))),
        None => Err(NativeError::new(
            ErrorCode::ResourceMissing,
            format!("no connector for {} is set", op.code()),
            Some("operator"),
        )),
    }
}

/// Remove the merchant's credentials for an operator: its live payments are refused from then.
#[utoipa::path(delete, path = "/v1/connectors/{operator}", tag = "connectors",
    params(("operator" = crate::openapi::vocab::Operator, Path, description = "An operator with a connector: mtn_ci, mtn_cm, orange_ci, orange_cm, wave_ci, mpesa_mz, or proxypay (Multicaixa references; also `multicaixa`)")),
    responses((status = 200, body = Deleted), (status = 403, body = ErrorEnvelope, description = "Test keys have no connectors (live_mode_only)"),
        (status = 400, body = ErrorEnvelope, description = "Not an operator code (operator_unknown)"),
        (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn delete_connector(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(code): PathId,
) -> Result<Json<Deleted>, NativeError> {
    let op = operator(&code)?;
    state.engine.remove_connector(&auth, op).await?;
    Ok(Json(Deleted {
        id: op.code().to_owned(),
        object: "connector",
        deleted: true,
    }))
}
