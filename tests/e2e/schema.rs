//! Migration parity: both backends end up with the same tables and columns.

use crate::harness::{drop_database, fresh_database, Backend};
use kumbu_engine::{Store, StoreOptions};
use sqlx::{Any, Row};
use std::collections::BTreeSet;

async fn columns(backend: Backend) -> Option<BTreeSet<(String, String)>> {
    let (url, db) = fresh_database(backend, "migrations_give_the_same_schema").await?;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let sql = match backend {
        Backend::Postgres => {
            "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'"
        }
        Backend::Sqlite => {
            "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND m.name <> 'sqlite_sequence'"
        }
    };
    let rows = sqlx::query::<Any>(sql).fetch_all(&pool).await.unwrap();
    let set = rows
        .iter()
        .map(|r| (r.get::<String, _>("t"), r.get::<String, _>("c")))
        .collect();
    pool.close().await;
    store.close().await;
    drop_database(db).await;
    Some(set)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_give_the_same_schema() {
    let sqlite = columns(Backend::Sqlite).await.expect("sqlite always runs");
    assert!(sqlite.contains(&("payments".to_owned(), "next_action_at".to_owned())));
    let Some(pg) = columns(Backend::Postgres).await else {
        return;
    };
    assert_eq!(sqlite, pg, "tables and columns differ between backends");
}

/// A database created before refunds (migrations 1–4, with a payment, its history and ledger
/// entries) upgrades in place: SQLite rebuilds the payments table without losing or orphaning a
/// row, and the payment reads back with nothing refunded.
async fn upgrade_keeps_payments(backend: Backend) {
    let Some((url, db)) = fresh_database(backend, "upgrade_keeps_payments").await else {
        return;
    };
    sqlx::any::install_default_drivers();
    let mut migrator = match backend {
        Backend::Sqlite => sqlx::migrate!("crates/kumbu-store/migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("crates/kumbu-store/migrations/postgres"),
    };
    migrator.migrations = migrator.migrations[..4].to_vec().into();
    let create = match backend {
        Backend::Sqlite => format!("{url}?mode=rwc"),
        Backend::Postgres => url.clone(),
    };
    let pool = sqlx::AnyPool::connect(&create).await.unwrap();
    migrator.run(&pool).await.unwrap();
    for sql in [
        "INSERT INTO merchants (id, name, created_at) VALUES ('mer_up', 'Up', 0)",
        "INSERT INTO payments (id, merchant_id, mode, status, amount, fee, currency, operator, \
         payer_phone, metadata, created_at, updated_at, expires_at) VALUES ('pay_up', 'mer_up', \
         'test', 'settled', 1000, 5, 'XOF', 'orange_ci', '+2250700000789', '{}', 0, 0, 0)",
        "INSERT INTO payment_history (payment_id, from_status, to_status, reason, at) \
         VALUES ('pay_up', NULL, 'created', 'created', 0)",
        "INSERT INTO ledger_entries (journal_id, journal_kind, payment_id, merchant_id, mode, \
         currency, account, amount, created_at) VALUES ('jrn_up', 'payment.debited', 'pay_up', \
         'mer_up', 'test', 'XOF', 'operator_clearing', 1000, 0)",
    ] {
        sqlx::query::<Any>(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.expect("upgrade to the latest schema");
    let p = store
        .payment("mer_up", kumbu_core::Mode::Test, "pay_up")
        .await
        .unwrap()
        .expect("the payment survived");
    assert_eq!((p.amount, p.amount_refunded, p.history.len()), (1000, 0, 1));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let n: i64 = sqlx::query_scalar::<Any, i64>(
        "SELECT COUNT(*) FROM ledger_entries WHERE payment_id = 'pay_up'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(n, 1);
    // The new statuses are accepted now.
    sqlx::query::<Any>("UPDATE payments SET status = 'partially_refunded' WHERE id = 'pay_up'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    store.close().await;
    drop_database(db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_payments_sqlite() {
    upgrade_keeps_payments(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_keeps_payments_postgres() {
    upgrade_keeps_payments(Backend::Postgres).await;
}
