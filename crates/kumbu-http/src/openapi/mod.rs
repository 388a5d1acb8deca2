//! OpenAPI 3.1 documents, one per face, generated from the handlers' and wire types'
//! annotations (never written by hand): the native API's at `/openapi.json`, each compatibility
//! face's at `/compat/<face>/openapi.json`. The shared pieces every document uses live here:
//! the error answers the extractors and middleware give ([`errors`]), the constrained
//! vocabularies (currencies, phones, ids, keys) built from the code's own constants
//! ([`vocab`]), the auth schemes, and serving.

/// Declares documentation-only types whose schemas are the expressions given (a vocabulary,
/// a face's own words): `Name => schema_expression;`, each with its doc comment.
macro_rules! doc_types {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {
        $(
            $(#[$doc])*
            pub(crate) struct $name;
            impl utoipa::PartialSchema for $name {
                fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                    $schema
                }
            }
            impl utoipa::ToSchema for $name {}
        )*
    };
}
pub(crate) use doc_types;

pub(crate) mod errors;
mod native;
pub(crate) mod rails;
mod rules;
pub(crate) mod vocab;

pub use native::openapi_json;
pub(crate) use native::serve;

use crate::AppState;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{OpenApi, Server};

/// How a face's callers authenticate: the scheme's name in `components.securitySchemes`.
pub(crate) enum Auth {
    /// `Authorization: Bearer <key>`, described by the text.
    Bearer(&'static str),
    /// A key in a header other than `Bearer` (`Authorization: Token <key>`), described.
    Header(&'static str, &'static str),
}

/// Finishes a face's document: its server (the mount point), its auth scheme named `name`
/// (required by every operation that declares no security of its own, unless `open` lists
/// the operation's path, or `path#method`), the shared vocabularies and error answers.
pub(crate) fn finish(
    doc: &mut OpenApi,
    mount: &str,
    name: &str,
    auth: Auth,
    open: &[&str],
    answers: &errors::ErrorAnswers,
) {
    doc.servers = Some(vec![Server::new(mount)]);
    add_scheme(doc, name, auth);
    for (path, item) in doc.paths.paths.iter_mut() {
        for (method, op) in errors::operations(item) {
            if open.contains(&path.as_str()) || open.contains(&format!("{path}#{method}").as_str())
            {
                continue;
            }
            op.security
                .get_or_insert_with(|| vec![SecurityRequirement::new(name, Vec::<String>::new())]);
        }
    }
    vocab::register(doc);
    errors::add_error_responses(doc, answers);
}

/// Declares the auth scheme `name` in `doc`'s components.
pub(crate) fn add_scheme(doc: &mut OpenApi, name: &str, auth: Auth) {
    let scheme = match auth {
        Auth::Bearer(description) => SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description))
                .build(),
        ),
        Auth::Header(header, description) => SecurityScheme::ApiKey(ApiKey::Header(
            ApiKeyValue::with_description(header, description),
        )),
    };
    doc.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(name, scheme);
}

/// A document as the JSON a client downloads.
pub(crate) fn json(doc: &OpenApi) -> String {
    serde_json::to_string_pretty(&value(doc)).unwrap_or_else(|_| "{}".to_owned())
}

/// A document as JSON. utoipa 5 writes a link's `operationId` as `operation_id` (its `Link`
/// has no camelCase renaming), which no client reads: renamed here.
pub(crate) fn value(doc: &OpenApi) -> Value {
    let mut v = serde_json::to_value(doc).unwrap_or_default();
    let links = v
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .into_iter()
        .flat_map(|paths| paths.values_mut())
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses").and_then(Value::as_object_mut))
        .flat_map(|responses| responses.values_mut())
        .filter_map(|r| r.get_mut("links").and_then(Value::as_object_mut))
        .flat_map(|links| links.values_mut())
        .filter_map(Value::as_object_mut);
    for link in links {
        for (written, named) in [
            ("operation_id", "operationId"),
            ("operation_ref", "operationRef"),
            ("request_body", "requestBody"),
        ] {
            if let Some(x) = link.remove(written) {
                link.insert(named.to_owned(), x);
            }
        }
    }
    v
}

/// Serves a document's JSON text.
pub(crate) fn respond(text: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], text).into_response()
}

/// A face's router with its document at `/openapi.json` (relative to where it is mounted),
/// rendered once.
pub(crate) fn served(router: Router<AppState>, doc: &OpenApi) -> Router<AppState> {
    let text = Bytes::from(json(doc));
    router.route(
        "/openapi.json",
        axum::routing::get(move || {
            let text = text.clone();
            async move { respond(text) }
        }),
    )
}
