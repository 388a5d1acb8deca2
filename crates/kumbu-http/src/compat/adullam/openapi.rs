//! Adullam's document, served at `/compat/adullam/openapi.json`: the operations come from the
//! handlers' `#[utoipa::path]` through the face's
//! [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter); here are the parts no handler owns,
//! and the face's vocabularies, built from its own tables and the validators' constants.

use super::bodies::{CreatePaymentBody, CreateTransferBody, RefundBody, WebhookBody, REASONS};
use super::error::{AdErrorCode, AdErrorDetail, AdErrorEnvelope, OauthErrorBody, OauthErrorCode};
use super::views::{
    self, AdPayment, AdPaymentList, AdPaymentSearch, AdRefund, AdTransfer, AdTransferList,
    AdWebhook, AdWebhookList, ClientToken, PasswordToken,
};
use crate::openapi::errors::ErrorAnswers;
use crate::openapi::vocab::distinct;
use crate::openapi::vocab::{free_text, matching, one_of};
use crate::openapi::{finish, Auth};
use kumbu_core::{
    Catalogue, Country, Currency, FailureCode, IdPrefix, Operator, PaymentStatus, PayoutStatus,
    RefundStatus,
};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::OpenApi;
use utoipa::{OpenApi as _, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Kumbu: Adullam API v1",
        version = "1",
        description = "Mobile money in Côte d'Ivoire (XOF), as Adullam's API speaks it: access tokens for credentials Kumbu issues (`kumbu credentials create`), payments with a required UUID Idempotency-Key, lists and search, refunds, transfers (payouts from your balance) and webhooks. Exchange the credentials at `/v1/auth/token` or `/v1/oauth/token`, then send `Authorization: Bearer <access_token>`. Limits per partner: 100 requests a minute and 1,000 an hour by default (`--adullam-rate-limit`, `--adullam-hourly-rate-limit`). See docs/compat/adullam.md."
    ),
    components(schemas(
        AdPayment,
        AdPaymentList,
        AdPaymentSearch,
        AdRefund,
        AdTransfer,
        AdTransferList,
        AdWebhook,
        AdWebhookList,
        PasswordToken,
        ClientToken,
        AdErrorEnvelope,
        AdErrorDetail,
        OauthErrorBody,
        CreatePaymentBody,
        RefundBody,
        CreateTransferBody,
        WebhookBody,
        PasswordTokenBody,
        ClientCredentialsBody,
        AdErrorCode,
        OauthErrorCode,
        AdStatus,
        AdStatusFilter,
        AdChannel,
        AdChannelShown,
        AdFailureReason,
        AdRefundStatus,
        AdTransferStatus,
        TransferDescription,
        TransferReference,
        TransferId,
        AdEvent,
        AdWebhookStatus,
        TokenType,
        GrantType,
        AdAmount,
        AdCurrency,
        CiPhone,
        QueryPhone,
        Description,
        RefundAmount,
        RefundReason,
        WebhookDescription,
        UuidKey,
        PaymentId,
        AdLimit
    ))
)]
struct Doc;

/// The document's parts no handler owns (the router adds the operations).
pub(super) fn base() -> OpenApi {
    Doc::openapi()
}

/// The token operations: no access token, and errors in OAuth 2.0's shape.
const TOKEN_PATHS: [&str; 2] = ["/v1/auth/token", "/v1/oauth/token"];

/// Finishes the document the router collected.
pub(super) fn finished(mut doc: OpenApi) -> OpenApi {
    // The token operations answer only what their handlers document (no shared 409, 413, 415
    // in the other envelope: they read their own bodies, and create nothing a key could lock).
    let own: Vec<(String, Vec<String>)> = TOKEN_PATHS
        .iter()
        .filter_map(|p| doc.paths.paths.get(*p).map(|item| (p, item)))
        .filter_map(|(p, item)| {
            let op = item.post.as_ref()?;
            Some((
                (*p).to_owned(),
                op.responses.responses.keys().cloned().collect(),
            ))
        })
        .collect();
    finish(
        &mut doc,
        "/compat/adullam",
        "bearer",
        Auth::Bearer(
            "An access token (`at_…`) from `POST /v1/auth/token` or `POST /v1/oauth/token`: `Authorization: Bearer <access_token>`. It lives 3,600 s; revoking its credential revokes it.",
        ),
        &TOKEN_PATHS,
        &ErrorAnswers {
            invalid: "AdErrorEnvelope",
            other: "AdErrorEnvelope",
            json_bodies: true,
            rate_limited: true,
            extra: &[],
        },
    );
    for (path, codes) in own {
        if let Some(op) = doc
            .paths
            .paths
            .get_mut(&path)
            .and_then(|item| item.post.as_mut())
        {
            op.responses
                .responses
                .retain(|code, _| codes.contains(code));
        }
    }
    doc
}

/// The operators behind Adullam's channels.
fn channel_operators() -> impl Iterator<Item = Operator> {
    views::CHANNELS.into_iter().map(|(_, o)| o)
}

crate::openapi::doc_types! {
    /// A payment's status.
    AdStatus => one_of(
        "`pending` (sent to the operator), `processing` (the payer has the prompt, or the money is settling), `completed` (settled), `failed`, `expired`, `cancelled`",
        distinct(PaymentStatus::ALL.into_iter().map(|s| views::status(s).to_owned())),
    );
    /// A status a list may be filtered by.
    AdStatusFilter => one_of("A payment status", views::STATUS_FILTERS);
    /// A channel a payment may be made through.
    AdChannel => one_of("Adullam's channel", views::CHANNELS.map(|(c, _)| c));
    /// The channel a payment was made through (another face's payment shows its Kumbu operator).
    AdChannelShown => one_of(
        "Adullam's channel, or the Kumbu operator of a payment made through another API",
        distinct(Operator::ALL.into_iter().map(views::channel)),
    );
    /// Why a payment or a refund failed.
    AdFailureReason => one_of(
        "Why it failed",
        distinct(FailureCode::ALL.into_iter().map(|c| views::failure_reason(c).to_owned())),
    );
    /// A refund's status.
    AdRefundStatus => one_of(
        "The refund's status",
        distinct(RefundStatus::ALL.into_iter().map(|s| views::refund_status(s).to_owned())),
    );
    /// A transfer's status.
    AdTransferStatus => one_of(
        "`pending` (accepted, its money reserved), `processing` (sent to the operator), `completed`, `failed` (its money and fee are back in your balance)",
        distinct(PayoutStatus::ALL.into_iter().map(|s| views::transfer_status(s).to_owned())),
    );
    /// What a transfer's recipient sees.
    TransferDescription => free_text(super::bodies::MAX_TRANSFER_DESCRIPTION)
        .min_length(Some(1))
        .description(Some("What the recipient's wallet shows"))
        .build()
        .into();
    /// Your own id for a transfer.
    TransferReference => free_text(super::bodies::MAX_TRANSFER_REFERENCE)
        .min_length(Some(1))
        .description(Some("Your own id for it, unique among your transfers"))
        .build()
        .into();
    /// A transfer's id.
    TransferId => matching(
        "A transfer's id",
        format!("^{}[A-Za-z0-9]+$", views::TRANSFER_PREFIX),
    );
    /// A webhook event.
    AdEvent => one_of(
        "`payment.failed` covers failed, expired and cancelled payments; `payment.refunded` is sent when a refund succeeds; `transfer.*` follow your transfers",
        views::EVENTS.map(|(e, _)| e),
    );
    /// A webhook's status.
    AdWebhookStatus => one_of("Whether events are sent", views::WEBHOOK_STATUSES);
    /// How a token is sent.
    TokenType => one_of("`Authorization: Bearer <access_token>`", [views::TOKEN_TYPE]);
    /// The OAuth 2.0 grant the token endpoint serves.
    GrantType => one_of("The only grant served", ["client_credentials"]);
    /// A payment's amount.
    AdAmount => {
        let ops = channel_operators().map(|o| Catalogue::default().get(o).clone());
        let (lo, hi) = ops.fold((super::MIN_AMOUNT, i64::MAX), |(lo, hi), i| {
            (lo.max(i.min_amount), hi.min(i.max_amount))
        });
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some("Whole XOF"))
            .minimum(Some(lo))
            .maximum(Some(hi))
            .build()
            .into()
    };
    /// A payment's currency.
    AdCurrency => one_of("Adullam collects XOF", [Currency::Xof.code()]);
    /// The payer's number: an Ivorian one.
    CiPhone => {
        let c = Country::CoteDIvoire;
        let lengths = c
            .national_lengths()
            .iter()
            .map(|n| format!("[0-9]{{{n}}}"))
            .collect::<Vec<_>>()
            .join("|");
        matching(
            "An Ivorian number in E.164 form (`+225` and 10 digits, or the older 8)",
            format!("^\\+{}({lengths})$", c.dial_code()),
        )
    };
    /// A phone in a query: E.164, the `+` may be omitted.
    QueryPhone => matching(
        "E.164 (the `+` may be omitted)",
        format!(
            "^\\+?[1-9][0-9]{{{},{}}}$",
            kumbu_core::phone::DIGITS.0 - 1,
            kumbu_core::phone::DIGITS.1 - 1
        ),
    );
    /// A payment's or a refund's description.
    Description => free_text(super::MAX_DESCRIPTION).description(Some("Shown to you, not the payer"))
        .build()
        .into();
    /// A webhook's description.
    WebhookDescription => free_text(500).description(Some("For you")).build().into();
    /// A refund's amount: no more than a payment can be.
    RefundAmount => {
        let hi = Operator::ALL
            .into_iter()
            .map(|o| Catalogue::default().get(o).max_amount)
            .max()
            .unwrap_or(i64::MAX);
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .description(Some("Whole XOF, at most what is left to refund of the payment"))
            .minimum(Some(1))
            .maximum(Some(hi))
            .build()
            .into()
    };
    /// Why a refund is made.
    RefundReason => one_of("Why", REASONS);
    /// The Idempotency-Key the payment operations require.
    UuidKey => ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .description(Some("A UUID"))
        .build()
        .into();
    /// A payment's id.
    PaymentId => matching(
        "A payment's id",
        format!("^{}[A-Za-z0-9]+$", IdPrefix::Payment.as_str()),
    );
    /// A page's size.
    AdLimit => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(format!(
            "How many, 1 to {} (default {})",
            super::LIMITS.1,
            super::LIMITS.0
        )))
        .minimum(Some(1))
        .maximum(Some(super::LIMITS.1))
        .build()
        .into();
}

/// `POST /v1/auth/token`'s body (JSON or a form).
#[expect(
    dead_code,
    reason = "only its schema is used: the document describes the body, which the token handlers read themselves"
)]
#[derive(ToSchema)]
pub(super) struct PasswordTokenBody {
    /// The phone the credential was issued with.
    #[schema(value_type = crate::openapi::vocab::Phone)]
    phone: String,
    /// The credential's client secret (`cs_…`).
    password: String,
}

/// `POST /v1/oauth/token`'s body (a form, as OAuth clients send it, or JSON).
#[expect(
    dead_code,
    reason = "only its schema is used: the document describes the body, which the token handlers read themselves"
)]
#[derive(ToSchema)]
pub(super) struct ClientCredentialsBody {
    #[schema(value_type = GrantType)]
    grant_type: String,
    /// `cli_…` (or in HTTP Basic credentials).
    client_id: String,
    /// `cs_…` (or in HTTP Basic credentials).
    client_secret: String,
}
