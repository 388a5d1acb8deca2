//! The error answers every operation of a document can give besides its own: added to each
//! operation from what the shared extractors and middleware do (authentication, path ids, bodies, rate limits, the database,
//! query strings, idempotency keys), so no document lists them by hand and none forgets one.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};

/// What a face's shared error answers look like.
pub(crate) struct ErrorAnswers {
    /// The schema (a component name) of a 400's body.
    pub invalid: &'static str,
    /// The schema of every other error's body.
    pub other: &'static str,
    /// Bodies are read as JSON by a shared extractor: 413 when too large, 415 when not JSON.
    pub json_bodies: bool,
    /// A rate limit applies to every authenticated operation: 429 with `Retry-After`.
    pub rate_limited: bool,
    /// Statuses the face's own extractor can give to every authenticated operation.
    pub extra: &'static [(&'static str, &'static str)],
}

/// The native API's: one envelope, JSON bodies, a limit per key.
pub(crate) const NATIVE: ErrorAnswers = ErrorAnswers {
    invalid: "ErrorEnvelope",
    other: "ErrorEnvelope",
    json_bodies: true,
    rate_limited: true,
    extra: &[],
};

/// Adds the shared error answers, in the face's error envelopes, to every operation of `doc`
/// that does not document that status already.
pub(crate) fn add_error_responses(doc: &mut OpenApi, answers: &ErrorAnswers) {
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
                let envelope = if status == "400" {
                    answers.invalid
                } else {
                    answers.other
                };
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
            if secured && answers.rate_limited {
                add(
                    "429",
                    "Too many requests for this key: retry after `Retry-After` seconds.",
                );
            }
            if secured {
                for (status, why) in answers.extra {
                    add(status, why);
                }
            }
            if has_body && answers.json_bodies {
                add("413", "The body is larger than the API accepts.");
                add(
                    "415",
                    "The body is not JSON (`Content-Type: application/json`).",
                );
            }
            if method != "get" {
                add(
                    "409",
                    "The object's state forbids this, or a request with the same Idempotency-Key is still in progress.",
                );
            }
            add(
                "503",
                "The database is unreachable for now: retry later (with the same Idempotency-Key).",
            );
        }
    }
}

/// Every operation of a path, with its method in lower case.
pub(crate) fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
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
