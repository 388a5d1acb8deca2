//! The native API's document, served at `/openapi.json`.

use crate::error::{ErrorDetail, ErrorEnvelope};
use crate::native::checkout::*;
use crate::native::collections::*;
use crate::native::connectors::*;
use crate::native::payouts::*;
use crate::native::views::*;
use crate::native::views::{CollectionRequestView, DecisionView, ErvView, IngestView, RecordView};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kumbu native API",
        description = "Payments over African mobile money, one engine. Amounts are integers in the currency's minor unit."
    ),
    components(schemas(
        CreatePaymentBody,
        PayerBody,
        PayerView,
        CustomerBody,
        PaymentView,
        HistoryView,
        NextActionView,
        PaymentList,
        OperatorList,
        OperatorView,
        PhoneFormat,
        FeeView,
        BalanceView,
        BalanceLine,
        PromptList,
        PromptView,
        ErrorEnvelope,
        ErrorDetail,
        EventView,
        EventData,
        EventDataObject,
        EventList,
        CreateEndpointBody,
        UpdateEndpointBody,
        EndpointHealthView,
        EndpointView,
        EndpointList,
        Deleted,
        AttemptView,
        AttemptList,
        ResendView,
        ReferenceBody,
        ReferenceView,
        ReferenceList,
        PayReferenceBody,
        BankReferenceView,
        CreateRefundBody,
        RefundView,
        RefundList,
        CreateSessionBody,
        ItemBody,
        SessionCustomerBody,
        SessionAttemptView,
        CheckoutSessionView,
        CheckoutSessionList,
        PredictionView,
        CreateCollectionRequestBody,
        CollectionRequestView,
        CollectionRequestList,
        ErvView,
        CreatePaymentRecordBody,
        UpdatePaymentRecordBody,
        RecordView,
        IngestBody,
        IngestView,
        IngestList,
        DecisionView,
        ResolveBody,
        ReportView,
        ReportLineView,
        LedgerEffectView,
        ConnectorBody,
        MtnMomoBody,
        OrangeMoneyBody,
        WebPaymentKeysBody,
        CameroonPromptBody,
        WaveBody,
        ProductKeysBody,
        ConnectorView,
        ConnectorList,
        CreatePayoutBody,
        PayeeBody,
        PayoutView,
        PayeeView,
        PayoutList
    ))
)]
struct ApiDoc;

/// The document: the parts no handler owns, the operations the router collected, the auth
/// scheme, the push rails, the vocabularies and the error answers every operation shares.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::native::api().split_for_parts().1);
    super::add_scheme(
        &mut doc,
        "bearer",
        super::Auth::Bearer("sk_test_… or sk_live_…"),
    );
    super::rails::narrow_to_rails(&mut doc, "CreatePaymentBody", "payer");
    super::rails::narrow_to_rails(&mut doc, "CreatePayoutBody", "payee");
    super::vocab::register(&mut doc);
    super::errors::add_error_responses(&mut doc, &super::errors::NATIVE);
    doc
}

/// The document as JSON text.
pub fn openapi_json() -> String {
    let mut doc = super::value(&document());
    super::rules::apply(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
}

/// Serves the document (built once per process).
pub async fn serve() -> axum::response::Response {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(openapi_json);
    super::respond(axum::body::Bytes::from_static(DOCUMENT.as_bytes()))
}
