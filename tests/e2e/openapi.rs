//! The generated OpenAPI document and docs/errors.md stay true to the code.

use crate::both;
use crate::harness::TestApp;
use serde_json::Value;
use std::collections::BTreeSet;

/// The document served at `path`.
pub(crate) async fn document(app: &TestApp, path: &str) -> Value {
    let r = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    assert_eq!(r.headers()["content-type"], "application/json", "{path}");
    r.json().await.unwrap()
}

async fn openapi_matches_the_api(app: TestApp) -> Option<TestApp> {
    let doc = document(&app, "/openapi.json").await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    links_resolve("native", &doc);
    let routes = [
        ("/v1/payments", "post"),
        ("/v1/payments", "get"),
        ("/v1/payments/{id}", "get"),
        ("/v1/payments/{id}/cancel", "post"),
        ("/v1/operators", "get"),
        ("/v1/balance", "get"),
        ("/v1/balance_transactions", "get"),
        ("/v1/balance_transactions/{id}", "get"),
        ("/v1/statements/{month}", "get"),
        ("/v1/exports/balance_transactions", "get"),
        ("/v1/exports/payments", "get"),
        ("/v1/sandbox/prompts", "get"),
        ("/v1/sandbox/prompts/{id}/confirm", "post"),
        ("/v1/sandbox/prompts/{id}/decline", "post"),
        ("/v1/events", "get"),
        ("/v1/events/{id}", "get"),
        ("/v1/events/{id}/ack", "post"),
        ("/v1/events/{id}/deliveries", "get"),
        ("/v1/events/{id}/resend", "post"),
        ("/v1/webhook_endpoints", "post"),
        ("/v1/webhook_endpoints", "get"),
        ("/v1/webhook_endpoints/{id}", "get"),
        ("/v1/webhook_endpoints/{id}", "post"),
        ("/v1/webhook_endpoints/{id}", "delete"),
        ("/v1/webhook_endpoints/{id}/rotate_secret", "post"),
        ("/v1/webhook_endpoints/{id}/test", "post"),
        ("/v1/webhook_endpoints/{id}/enable", "post"),
        ("/v1/webhook_endpoints/{id}/disable", "post"),
        ("/v1/references", "post"),
        ("/v1/references", "get"),
        ("/v1/references/{id}", "get"),
        ("/v1/references/{id}", "put"),
        ("/v1/references/{id}", "delete"),
        ("/v1/sandbox/references/{id}/pay", "post"),
        ("/v1/refunds", "post"),
        ("/v1/refunds", "get"),
        ("/v1/refunds/{id}", "get"),
        ("/v1/checkout/sessions", "post"),
        ("/v1/checkout/sessions", "get"),
        ("/v1/checkout/sessions/{id}", "get"),
        ("/v1/checkout/sessions/{id}/expire", "post"),
        ("/v1/operators/predict", "get"),
        ("/v1/collection_requests", "post"),
        ("/v1/collection_requests", "get"),
        ("/v1/collection_requests/{id}", "get"),
        ("/v1/collection_requests/{id}/cancel", "post"),
        ("/v1/payment_records", "post"),
        ("/v1/payment_records/{id}", "post"),
        ("/v1/payment_records/{id}", "delete"),
        ("/v1/ingested_payments", "post"),
        ("/v1/ingested_payments", "get"),
        ("/v1/ingested_payments/{id}", "get"),
        ("/v1/ingested_payments/{id}/resolve", "post"),
        ("/v1/reconciliation_report", "get"),
        ("/v1/payouts", "post"),
        ("/v1/payouts", "get"),
        ("/v1/payouts/{id}", "get"),
        ("/v1/connectors", "get"),
        ("/v1/connectors/{operator}", "get"),
        ("/v1/connectors/{operator}", "put"),
        ("/v1/connectors/{operator}", "delete"),
    ];
    for (path, method) in routes {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} undocumented"
        );
        // And the route really exists: a 405 or the router's own `route_not_found` would say it
        // does not; a 404 for the unknown id (`resource_missing`) says it does.
        let url = app.url(
            &path
                .replace("{id}", "pay_x")
                .replace("{operator}", "mtn_ci"),
        );
        let r = app
            .client
            .request(method.to_uppercase().parse().unwrap(), url)
            .bearer_auth(crate::harness::KEY)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_ne!(status, 405, "{method} {path}: {body}");
        assert_ne!(
            body["error"]["code"], "route_not_found",
            "{method} {path}: {status} {body}"
        );
        assert_ne!(
            body["error"]["code"], "method_not_allowed",
            "{method} {path}: {status} {body}"
        );
        if status == 404 {
            assert_eq!(
                body["error"]["code"], "resource_missing",
                "{method} {path}: a 404 other than the id's"
            );
        }
    }
    // The shared answers every operation can give are documented, in the error envelope.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let codes = op["responses"].as_object().unwrap();
            let has = |c: &str| codes.contains_key(c);
            let name = format!("{} {path}", method.to_uppercase());
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401"), "{name}: 401 undocumented");
            }
            if path.contains('{') {
                assert!(has("404"), "{name}: 404 undocumented");
            }
            if op.get("requestBody").is_some() {
                for c in ["400", "413", "415"] {
                    assert!(has(c), "{name}: {c} undocumented");
                }
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if params.iter().any(|p| p["name"] == "starting_after") {
                assert!(has("404"), "{name}: an unknown cursor's 404 undocumented");
            }
            if method == "post" {
                assert!(has("409"), "{name}: 409 undocumented");
            }
            for (code, r) in codes {
                if code.starts_with('4') {
                    assert_eq!(
                        r["content"]["application/json"]["schema"]["$ref"],
                        "#/components/schemas/ErrorEnvelope",
                        "{name} {code}: the native error envelope"
                    );
                }
            }
        }
    }
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(
        documented,
        routes.len(),
        "every documented operation is listed here"
    );
    // The payment schema has exactly the fields a real payment has.
    let p = app.create(1000, "+2250700000789").await;
    let real: BTreeSet<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    let schema: BTreeSet<&str> = doc["components"]["schemas"]["PaymentView"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(real, schema);
    Some(app)
}

both!(openapi_matches_the_api);

#[test]
fn errors_doc_lists_every_code_with_its_status() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md"))
        .expect("docs/errors.md");
    for code in kumbu_core::ErrorCode::ALL {
        let row = format!("| `{}` | {} |", code.code(), code.http_status());
        assert!(doc.contains(&row), "docs/errors.md lacks the row {row}");
    }
}

/// Every face's document, and how to call the face: (face, Authorization scheme word).
const FACES: &[(&str, &str)] = &[
    ("proxypay", "Token"),
    ("plexospay", "Bearer"),
    ("adullam", "Bearer"),
    ("simiz", "Bearer"),
    ("kulpay", "Bearer"),
];

/// What a face's caller sends after the scheme word: the API key (Simiz prints Kumbu's key
/// sk_test_X as smz_test_sk_X), or, for a face whose callers exchange credentials for an
/// access token first, a token got for the sandbox merchant.
async fn credential(app: &TestApp, face: &str) -> String {
    let key = crate::harness::KEY;
    match face {
        "adullam" => crate::adullam::token(app).await.2,
        "simiz" => format!("smz_test_sk_{}", key.trim_start_matches("sk_test_")),
        _ => key.to_owned(),
    }
}

/// Every link of `doc`'s responses names an operation of `doc` by `operationId` (what clients
/// and schemathesis's stateful phase follow), each of its parameters is one of that
/// operation's, and each field of its request body one of that operation's body's.
fn links_resolve(face: &str, doc: &Value) {
    let operations: Vec<&Value> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .collect();
    // A schema, its `$ref` followed.
    let resolve = |v: &Value| -> Value {
        v["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
            .map_or_else(
                || v.clone(),
                |name| doc["components"]["schemas"][name].clone(),
            )
    };
    for op in &operations {
        for (status, response) in op["responses"].as_object().into_iter().flatten() {
            for (name, link) in response["links"].as_object().into_iter().flatten() {
                let at = format!("{face}: {} link {name} of {status}", op["operationId"]);
                let target = operations
                    .iter()
                    .find(|t| {
                        t["operationId"].is_string() && t["operationId"] == link["operationId"]
                    })
                    .unwrap_or_else(|| panic!("{at} names no operation: {link}"));
                for param in link["parameters"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|p| p.0)
                {
                    let known = target["parameters"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|p| p["name"] == param.as_str());
                    assert!(
                        known,
                        "{at}: {param} is no parameter of {}",
                        link["operationId"]
                    );
                }
                let body = resolve(&target["requestBody"]["content"]["application/json"]["schema"]);
                // The body's own fields, or (for one made of alternatives) any one's.
                let fields: Vec<Value> = std::iter::once(body.clone())
                    .chain(
                        ["allOf", "oneOf", "anyOf"]
                            .iter()
                            .flat_map(|k| body[*k].as_array().cloned().unwrap_or_default())
                            .map(|s| resolve(&s)),
                    )
                    .map(|s| s["properties"].clone())
                    .collect();
                for field in link["requestBody"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|f| f.0)
                {
                    assert!(
                        fields.iter().any(|p| p.get(field).is_some()),
                        "{at}: {field} is no field of {}'s body",
                        link["operationId"]
                    );
                }
            }
        }
    }
}

/// Each face's document is OpenAPI 3.1, says where the face is mounted, and its operations
/// are the face's routes: each documented operation is routed (not the face's 404/405), and
/// on a documented path every undocumented method is refused with 405. (The router is built
/// from the same annotations, `utoipa_axum::OpenApiRouter`, so no route escapes the document.)
async fn face_documents_match_their_routes(app: TestApp) -> Option<TestApp> {
    for (face, scheme) in FACES {
        let doc = document(&app, &format!("/compat/{face}/openapi.json")).await;
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{face}"
        );
        assert_eq!(
            doc["servers"][0]["url"],
            format!("/compat/{face}"),
            "{face}"
        );
        let text = doc.to_string();
        for r in text.split("\"#/components/schemas/").skip(1) {
            let name = &r[..r.find('"').unwrap()];
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{face}: #/components/schemas/{name} does not resolve"
            );
        }
        links_resolve(face, &doc);
        let key = format!("{scheme} {}", credential(&app, face).await);
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            let url = app.url(&format!("/compat/{face}{}", path.replace(['{', '}'], "")));
            for method in ["get", "post", "put", "delete", "patch"] {
                let documented = item.get(method).is_some();
                let r = app
                    .client
                    .request(method.to_uppercase().parse().unwrap(), &url)
                    .header("Authorization", &key)
                    .header("Content-Type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let name = format!("{face}: {} {path}", method.to_uppercase());
                if documented {
                    operations += 1;
                    assert_ne!(status, 405, "{name} is documented but not routed");
                    let op = &item[method];
                    let codes = op["responses"].as_object().unwrap();
                    assert!(
                        codes.contains_key(&status.to_string()),
                        "{name} answered {status}, undocumented ({:?})",
                        codes.keys().collect::<Vec<_>>()
                    );
                    if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                        assert!(codes.contains_key("401"), "{name}: 401 undocumented");
                    }
                } else {
                    assert_eq!(status, 405, "{name} is routed but not documented");
                }
            }
        }
        assert!(operations > 0, "{face}: no operations");
    }
    Some(app)
}

both!(face_documents_match_their_routes);
