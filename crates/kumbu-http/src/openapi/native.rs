//! The native API's document, served at `/openapi.json`.

use crate::native::checkout::*;
use crate::native::collection_views::*;
use crate::native::collections::*;
use crate::native::connectors::*;
use crate::native::payouts::*;
use crate::native::views::*;
use crate::native::*;
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Kumbu native API", description = "Payments over African mobile money, one engine. Amounts are integers in the currency's minor unit."),
    paths(create_payment, list_payments, get_payment, cancel_payment, list_operators, get_balance,
          list_prompts, confirm_prompt, decline_prompt, list_events, get_event, ack_event,
          create_endpoint, list_endpoints, get_endpoint, update_endpoint, delete_endpoint, rotate_secret, enable_endpoint, disable_endpoint, event_deliveries, resend_event,
          create_reference, put_reference, get_reference, delete_reference, list_references, pay_reference,
          create_refund, get_refund, list_refunds,
          create_session, get_session, list_sessions, expire_session, predict_operators,
          create_collection_request, get_collection_request, cancel_collection_request, list_collection_requests,
          create_payment_record, update_payment_record, delete_payment_record,
          ingest_payment, get_ingested_payment, list_ingested_payments, resolve_exception, reconciliation_report,
          put_connector, list_connectors, get_connector, delete_connector,
          create_payout, get_payout, list_payouts),
    components(schemas(CreatePaymentBody, PayerBody, PayerView, CustomerBody, PaymentView, HistoryView, PaymentList,
                        OperatorList, OperatorView, PhoneFormat, FeeView, BalanceView, BalanceLine,
                        PromptList, PromptView, ErrorEnvelope, ErrorDetail, EventView, EventData, EventDataObject, EventList,
                        CreateEndpointBody, UpdateEndpointBody, EndpointHealthView, EndpointView, EndpointList, Deleted, AttemptView, AttemptList, ResendView,
                        ReferenceBody, ReferenceView, ReferenceList, PayReferenceBody, BankReferenceView,
                        CreateRefundBody, RefundView, RefundList,
                        CreateSessionBody, ItemBody, SessionCustomerBody, SessionAttemptView, CheckoutSessionView,
                        CheckoutSessionList, PredictionView,
                        CreateCollectionRequestBody, CollectionRequestView, CollectionRequestList, ErvView,
                        CreatePaymentRecordBody, UpdatePaymentRecordBody, RecordView,
                        IngestBody, IngestView, IngestList, DecisionView, ResolveBody,
                        ReportView, ReportLineView, LedgerEffectView,
                        ConnectorBody, ProductKeysBody, ConnectorView, ConnectorList,
                        CreatePayoutBody, PayeeBody, PayoutView, PayeeView, PayoutList)),
    modifiers(&BearerAuth, &NativeErrors)
)]
struct ApiDoc;

/// The error answers every native operation shares (401, 404, 400, 409, 413, 415), in the
/// native error envelope.
struct NativeErrors;

impl Modify for NativeErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        super::rails::narrow_to_rails(openapi, "CreatePaymentBody", "payer");
        super::rails::narrow_to_rails(openapi, "CreatePayoutBody", "payee");
        super::vocab::register(openapi);
        super::errors::add_error_responses(openapi, &super::errors::NATIVE);
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        super::add_scheme(
            openapi,
            "bearer",
            super::Auth::Bearer("sk_test_… or sk_live_…"),
        );
    }
}

/// The document as JSON text.
pub fn openapi_json() -> String {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    super::rules::apply(&mut doc);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned())
}

/// Serves the document (built once per process).
pub async fn serve() -> axum::response::Response {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(openapi_json);
    super::respond(&DOCUMENT)
}
