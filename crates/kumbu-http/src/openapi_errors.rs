//! The error answers every operation of a document can give besides its own: added to each
//! operation from what the shared extractors and middleware do (authentication, path ids, bodies,
//! query strings, idempotency keys), so no document lists them by hand and none forgets one.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the shared error answers, with the face's error envelope (`envelope`, a schema name), to
/// every operation of `doc` that does not document that status already.
pub(crate) fn add_error_responses(doc: &mut OpenApi, envelope: &str) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_id = path.contains('{');
        for (method, op) in operations(item) {
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let has_body = op.request_body.is_some();
            let query = |name: Option<&str>| {
                op.parameters.as_ref().is_some_and(|ps| {
                    ps.iter().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                            && name.is_none_or(|n| p.name == n)
                    })
                })
            };
            let has_query = query(None);
            // A list's cursor names an object: one this key cannot see is not found.
            let has_cursor = query(Some("starting_after"));
            let mut add = |status: &str, why: &str| {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| {
                        RefOr::T(
                            ResponseBuilder::new()
                                .description(why)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name(envelope)))
                                        .build(),
                                )
                                .build(),
                        )
                    });
            };
            if secured {
                add(
                    "401",
                    "The API key is missing, malformed, unknown or revoked.",
                );
            }
            if has_id || has_cursor {
                add(
                    "404",
                    "No such object for this key's merchant and mode (or an id of the wrong shape).",
                );
            }
            if has_body || has_query || method == "post" {
                add(
                    "400",
                    "A parameter or the body is invalid; `error.param` names it.",
                );
            }
            if has_body {
                add("413", "The body is larger than the API accepts.");
                add(
                    "415",
                    "The body is not JSON (`Content-Type: application/json`).",
                );
            }
            if method == "post" || method == "delete" {
                add(
                    "409",
                    "The object's state forbids this, or a request with the same Idempotency-Key is still in progress.",
                );
            }
        }
    }
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    let mut ops = Vec::new();
    if let Some(op) = item.get.as_mut() {
        ops.push(("get", op));
    }
    if let Some(op) = item.post.as_mut() {
        ops.push(("post", op));
    }
    if let Some(op) = item.put.as_mut() {
        ops.push(("put", op));
    }
    if let Some(op) = item.delete.as_mut() {
        ops.push(("delete", op));
    }
    if let Some(op) = item.patch.as_mut() {
        ops.push(("patch", op));
    }
    ops
}
