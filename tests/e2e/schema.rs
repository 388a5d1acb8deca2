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
