//! Migration parity: both backends end up with the same tables, columns (type, nullability,
//! primary key), indexes (columns, uniqueness, partial or not) and foreign keys.

use crate::harness::{drop_database, fresh_database, Backend};
use kumbu_engine::{Store, StoreOptions};
use sqlx::{Any, Row};
use std::collections::{BTreeMap, BTreeSet};

/// A column as both backends can state it: table, name, type class, `NOT NULL`, part of the
/// primary key.
type Column = (String, String, &'static str, bool, bool);

/// An index: table, name (`None` for one a UNIQUE constraint made, whose name each backend picks
/// itself), columns in order, unique, partial.
type Index = (String, Option<String>, String, bool, bool);

/// A foreign key column: table, column, referenced table, referenced column.
type ForeignKey = (String, String, String, String);

/// What `migrations_give_the_same_schema` compares.
#[derive(Debug, PartialEq, Eq)]
struct Schema {
    columns: BTreeSet<Column>,
    indexes: BTreeSet<Index>,
    foreign_keys: BTreeSet<ForeignKey>,
}

/// The class of a declared type, the same for both backends' spellings.
fn type_class(declared: &str) -> &'static str {
    match declared.to_ascii_lowercase().as_str() {
        "bigint" | "integer" | "int" | "int8" | "int4" | "smallint" => "integer",
        "text" | "character varying" | "varchar" => "text",
        "bytea" | "blob" => "bytes",
        "boolean" | "bool" => "boolean",
        "double precision" | "real" | "float" => "real",
        other => panic!("a column type the parity test does not know: {other}"),
    }
}

const PG_COLUMNS: &str =
    "SELECT CAST(c.table_name AS TEXT) AS t, CAST(c.column_name AS TEXT) AS c, \
     CAST(c.data_type AS TEXT) AS ty, CAST(c.is_nullable AS TEXT) AS nullable, \
     CAST(EXISTS (SELECT 1 FROM information_schema.table_constraints k \
       JOIN information_schema.key_column_usage u ON u.constraint_name = k.constraint_name \
        AND u.table_name = k.table_name AND u.table_schema = k.table_schema \
       WHERE k.constraint_type = 'PRIMARY KEY' AND k.table_schema = 'public' \
        AND k.table_name = c.table_name AND u.column_name = c.column_name) AS TEXT) AS pk \
     FROM information_schema.columns c \
     WHERE c.table_schema = 'public' AND c.table_name NOT LIKE '\\_sqlx%'";

const SQLITE_COLUMNS: &str = "SELECT m.name AS t, p.name AS c, p.type AS ty, \
     CASE WHEN p.\"notnull\" = 1 THEN 'NO' ELSE 'YES' END AS nullable, \
     CASE WHEN p.pk > 0 THEN 'true' ELSE 'false' END AS pk \
     FROM sqlite_master m JOIN pragma_table_info(m.name) p \
     WHERE m.type = 'table' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND m.name <> 'sqlite_sequence'";

/// Every index but the primary key's; `kind` is `constraint` for one a UNIQUE constraint made.
const PG_INDEXES: &str = "SELECT CAST(t.relname AS TEXT) AS t, CAST(i.relname AS TEXT) AS name, \
     array_to_string(ARRAY(SELECT pg_get_indexdef(ix.indexrelid, k, true) \
       FROM generate_series(1, ix.indnkeyatts) k ORDER BY k), ',') AS cols, \
     CAST(ix.indisunique AS TEXT) AS uniq, CAST(ix.indpred IS NOT NULL AS TEXT) AS partial, \
     CASE WHEN EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid) \
       THEN 'constraint' ELSE 'index' END AS kind \
     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid \
     JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
     WHERE n.nspname = 'public' AND NOT ix.indisprimary AND t.relname NOT LIKE '\\_sqlx%'";

const SQLITE_INDEXES: &str = "SELECT m.name AS t, il.name AS name, \
     (SELECT group_concat(x.name, ',') FROM \
       (SELECT ii.name AS name FROM pragma_index_info(il.name) ii ORDER BY ii.seqno) x) AS cols, \
     CASE WHEN il.\"unique\" = 1 THEN 'true' ELSE 'false' END AS uniq, \
     CASE WHEN il.partial = 1 THEN 'true' ELSE 'false' END AS partial, \
     CASE il.origin WHEN 'u' THEN 'constraint' ELSE 'index' END AS kind \
     FROM sqlite_master m JOIN pragma_index_list(m.name) il \
     WHERE m.type = 'table' AND il.origin <> 'pk' AND m.name NOT LIKE '\\_sqlx%' ESCAPE '\\'";

const PG_FOREIGN_KEYS: &str =
    "SELECT CAST(c.conrelid::regclass AS TEXT) AS t, CAST(a.attname AS TEXT) AS c, \
     CAST(c.confrelid::regclass AS TEXT) AS rt, CAST(ra.attname AS TEXT) AS rc \
     FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, rcol) \
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col \
     JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.rcol \
     WHERE c.contype = 'f'";

/// `rc` is empty where the key names no column (it is the referenced table's primary key).
const SQLITE_FOREIGN_KEYS: &str = "SELECT m.name AS t, f.\"from\" AS c, f.\"table\" AS rt, \
     COALESCE(f.\"to\", '') AS rc \
     FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f WHERE m.type = 'table'";

async fn schema(backend: Backend) -> Option<Schema> {
    let (url, db) = fresh_database(backend, "migrations_give_the_same_schema").await?;
    let store = Store::connect(&url, &StoreOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let (columns, indexes, foreign_keys) = match backend {
        Backend::Postgres => (PG_COLUMNS, PG_INDEXES, PG_FOREIGN_KEYS),
        Backend::Sqlite => (SQLITE_COLUMNS, SQLITE_INDEXES, SQLITE_FOREIGN_KEYS),
    };
    let text = |r: &sqlx::any::AnyRow, c: &str| r.get::<String, _>(c);
    let rows = async |sql: &str| sqlx::query::<Any>(sql).fetch_all(&pool).await.unwrap();
    let columns: BTreeSet<Column> = rows(columns)
        .await
        .iter()
        .map(|r| {
            let pk = text(r, "pk") == "true";
            (
                text(r, "t"),
                text(r, "c"),
                type_class(&text(r, "ty")),
                // SQLite lets a non-integer primary key hold NULL unless the column says NOT
                // NULL; PostgreSQL never does. A key is compared as what it is on PostgreSQL.
                text(r, "nullable") == "NO" || pk,
                pk,
            )
        })
        .collect();
    let indexes = rows(indexes)
        .await
        .iter()
        .map(|r| {
            let by_constraint = text(r, "kind") == "constraint";
            (
                text(r, "t"),
                (!by_constraint).then(|| text(r, "name")),
                text(r, "cols"),
                text(r, "uniq") == "true",
                text(r, "partial") == "true",
            )
        })
        .collect();
    let primary_key: BTreeMap<&str, &str> = columns
        .iter()
        .filter(|c| c.4)
        .map(|c| (c.0.as_str(), c.1.as_str()))
        .collect();
    let foreign_keys = rows(foreign_keys)
        .await
        .iter()
        .map(|r| {
            let (table, referenced) = (text(r, "t"), text(r, "rt"));
            let column = match text(r, "rc") {
                c if c.is_empty() => primary_key[referenced.as_str()].to_owned(),
                c => c,
            };
            (table, text(r, "c"), referenced, column)
        })
        .collect();
    pool.close().await;
    store.close().await;
    drop_database(db).await;
    Some(Schema {
        columns,
        indexes,
        foreign_keys,
    })
}

/// Lists what one side has and the other lacks, so a failure says what differs.
fn differences<T: Ord + std::fmt::Debug>(
    what: &str,
    sqlite: &BTreeSet<T>,
    pg: &BTreeSet<T>,
) -> String {
    let only = |a: &BTreeSet<T>, b: &BTreeSet<T>| {
        a.difference(b)
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
    };
    format!(
        "{what} only on SQLite: {:#?}\n{what} only on PostgreSQL: {:#?}\n",
        only(sqlite, pg),
        only(pg, sqlite)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_give_the_same_schema() {
    let sqlite = schema(Backend::Sqlite).await.expect("sqlite always runs");
    // The queries see what they must: a known column, index and key on SQLite.
    assert!(sqlite.columns.contains(&(
        "payments".to_owned(),
        "next_action_at".to_owned(),
        "integer",
        false,
        false
    )));
    assert!(sqlite.indexes.contains(&(
        "refunds".to_owned(),
        Some("refunds_one_in_flight".to_owned()),
        "payment_id".to_owned(),
        true,
        true
    )));
    assert!(sqlite.foreign_keys.contains(&(
        "refunds".to_owned(),
        "payment_id".to_owned(),
        "payments".to_owned(),
        "id".to_owned()
    )));
    let Some(pg) = schema(Backend::Postgres).await else {
        return;
    };
    assert!(
        sqlite == pg,
        "the backends' schemas differ:\n{}{}{}",
        differences("columns", &sqlite.columns, &pg.columns),
        differences("indexes", &sqlite.indexes, &pg.indexes),
        differences("foreign keys", &sqlite.foreign_keys, &pg.foreign_keys)
    );
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
