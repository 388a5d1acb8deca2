//! Secrets at rest: webhook signing secrets (and responses that showed one) are sealed in the
//! database, a process with the wrong server key refuses to start, and a key rotation reseals
//! everything without a delivery going unsigned.

use crate::harness::{drop_database, fresh_database, test_config, Backend, Opts, TestApp};
use crate::receiver::Receiver;
use kumbu::{Application, SecretKeySource};
use kumbu_core::{ManualClock, Timestamp};
use kumbu_engine::{generate_key, signature, Keyring};
use reqwest::Method;
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::{Any, Row};
use std::sync::Arc;

pub(crate) async fn raw(url: &str, sql: &str) -> Vec<String> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let rows = sqlx::query::<Any>(sql).fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect()
}

async fn exec(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::query::<Any>(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

fn keys(text: &str) -> Opts {
    Opts {
        secret_key: Some(SecretKeySource::Keys(SecretString::from(text.to_owned()))),
        ..Opts::default()
    }
}

/// Creates a payment and delivers its first event; asserts that it verifies with `secret`.
async fn delivery_verifies(app: &TestApp, rx: &Receiver, secret: &str) {
    app.create(1000, "+2250700000789").await;
    assert!(app.engine.run_dispatch_until_idle().await.unwrap() >= 1);
    let got = rx.take();
    assert!(!got.is_empty());
    for r in got {
        assert!(
            signature::verify(
                &r.signature,
                secret,
                r.body.as_bytes(),
                app.clock.now_unix(),
                300
            ),
            "signed with the endpoint's secret: {}",
            r.signature
        );
    }
}

async fn sealed_at_rest(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "secrets_sealed_at_rest").await else {
        return;
    };
    let app = TestApp::start(url.clone(), Some(db), &Opts::default()).await;
    let rx = Receiver::start().await;
    let body = json!({"url": rx.url, "events": ["*"]}).to_string();
    let idem = [("Idempotency-Key", "endpoint-1")];
    let (s, _, we) = app
        .send(Method::POST, "/v1/webhook_endpoints", Some(&body), &idem)
        .await;
    assert_eq!(s, 200, "{we}");
    let secret = we["secret"].as_str().unwrap().to_owned();
    let (_, _, again) = app
        .send(Method::POST, "/v1/webhook_endpoints", Some(&body), &idem)
        .await;
    assert_eq!(again["secret"], secret, "a replay shows the same secret");
    let id = we["id"].as_str().unwrap().to_owned();
    let (s, _, rotated) = app
        .send(
            Method::POST,
            &format!("/v1/webhook_endpoints/{id}/rotate_secret"),
            None,
            &[("Idempotency-Key", "rotate-1")],
        )
        .await;
    assert_eq!(s, 200, "{rotated}");
    let new_secret = rotated["secret"].as_str().unwrap().to_owned();

    let stored = raw(
        &url,
        "SELECT secret FROM webhook_endpoints UNION ALL SELECT previous_secret FROM webhook_endpoints \
         UNION ALL SELECT response_body FROM idempotency_keys",
    )
    .await;
    assert_eq!(stored.len(), 4);
    for v in &stored {
        assert!(v.starts_with("kv1."), "sealed: {v}");
        assert!(
            !v.contains(&secret) && !v.contains(&new_secret) && !v.contains("whsec_"),
            "no secret in clear: {v}"
        );
    }
    // Both secrets sign during the overlap, each opened from its sealed column.
    delivery_verifies(&app, &rx, &secret).await;
    app.create(1000, "+2250700000789").await;
    let sent = app.engine.run_dispatch_until_idle().await.unwrap();
    let got = rx.take();
    assert!(sent >= 1, "the new payment's event was delivered");
    assert_eq!(got.len(), sent, "every delivery arrived");
    for r in got {
        assert_eq!(r.signature.matches("v1=").count(), 2, "{}", r.signature);
        assert!(signature::verify(
            &r.signature,
            &new_secret,
            r.body.as_bytes(),
            app.clock.now_unix(),
            300
        ));
    }
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_sealed_at_rest_sqlite() {
    sealed_at_rest(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_sealed_at_rest_postgres() {
    sealed_at_rest(Backend::Postgres).await;
}

async fn build_error(url: &str, opts: &Opts) -> String {
    let clock = ManualClock::starting_at(Timestamp::from_micros(1_790_000_000_000_000));
    match Application::build_with_clock(test_config(url, opts), Arc::new(clock)).await {
        Ok(_) => panic!("started with a key that does not fit the database"),
        Err(e) => format!("{e:#}"),
    }
}

async fn key_rotation(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "secret_key_rotation").await else {
        return;
    };
    let (old, new) = (generate_key(), generate_key());
    let new_id = Keyring::parse(&new).unwrap().current_key_id().to_owned();
    let old_id = Keyring::parse(&old).unwrap().current_key_id().to_owned();
    let rx = Receiver::start().await;

    let app = TestApp::start(url.clone(), Some(db), &keys(&old)).await;
    let (_, we) = app
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": rx.url, "events": ["*"]}),
        )
        .await;
    let secret = we["secret"].as_str().unwrap().to_owned();
    let db = app.stop().await;

    // Another key alone: refused, naming both keys, and nothing is changed.
    let e = build_error(&url, &keys(&new)).await;
    assert!(
        e.contains(&format!("sealed with secret key {old_id}")) && e.contains(&new_id),
        "{e}"
    );
    // A malformed key is refused before the database is touched.
    let e = build_error(&url, &keys("not-a-key")).await;
    assert!(e.contains("KUMBU_SECRET_KEY is invalid"), "{e}");

    // The new key first, the old one second: everything is resealed under the new key.
    let app = TestApp::start(url.clone(), db, &keys(&format!("{new},{old}"))).await;
    let stored = raw(
        &url,
        "SELECT secret FROM webhook_endpoints UNION ALL SELECT value FROM settings WHERE value LIKE 'kv1.%'",
    )
    .await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|v| v.starts_with(&format!("kv1.{new_id}."))),
        "{stored:?}"
    );
    delivery_verifies(&app, &rx, &secret).await;
    let db = app.stop().await;

    // The old key dropped: still works.
    let app = TestApp::start(url.clone(), db, &keys(&new)).await;
    delivery_verifies(&app, &rx, &secret).await;
    let db = app.stop().await;

    // A secret left in plain text by an older version is sealed at start-up.
    exec(&url, "UPDATE webhook_endpoints SET secret = 'whsec_plain'").await;
    let app = TestApp::start(url.clone(), db, &keys(&new)).await;
    let stored = raw(&url, "SELECT secret FROM webhook_endpoints").await;
    assert!(
        stored[0].starts_with(&format!("kv1.{new_id}.")),
        "{stored:?}"
    );
    delivery_verifies(&app, &rx, "whsec_plain").await;
    if let Some(db) = app.stop().await {
        drop_database(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_key_rotation_sqlite() {
    key_rotation(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_key_rotation_postgres() {
    key_rotation(Backend::Postgres).await;
}

/// Responses that show no secret stay readable in the idempotency table (nothing to hide).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ordinary_replays_are_not_sealed() {
    let Some(app) = TestApp::spawn(Backend::Sqlite, "ordinary_replays_are_not_sealed").await else {
        return;
    };
    let body = json!({"amount": 1000, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}).to_string();
    let (s, _, p) = app
        .send(
            Method::POST,
            "/v1/payments",
            Some(&body),
            &[("Idempotency-Key", "p-1")],
        )
        .await;
    assert_eq!(s, 200, "{p}");
    let stored = raw(
        &app.database_url,
        "SELECT response_body FROM idempotency_keys",
    )
    .await;
    let v: Value = serde_json::from_str(&stored[0]).unwrap();
    assert_eq!(v["id"], p["id"]);
    app.finish().await;
}
