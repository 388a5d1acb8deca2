//! Which database a command opens, and the secret key that opens its sealed secrets: the
//! options every command that touches the database takes, and the engine a one-off command runs.

use crate::{open_existing_store, SecretKeySource};
use anyhow::Context;
use clap::Args;
use kumbu_engine::{Engine, EngineConfig};
use secrecy::SecretString;
use std::path::PathBuf;
use std::sync::Arc;

/// The database when none is named: a SQLite file in the working directory.
const DEFAULT_DB: &str = "sqlite://kumbu.db";

/// `serve`'s public URL when neither `--public-url` nor `--listen` is given.
pub(super) const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// `--database-url` and `--secret-key-file`.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Database: sqlite://path.db or postgres://user:pass@host/db. Only `serve` and `migrate`
    /// create a missing SQLite file; every other command refuses, naming where it looked.
    #[arg(long, env = "KUMBU_DATABASE_URL", default_value = DEFAULT_DB, hide_env_values = true)]
    pub(crate) database_url: String,
    /// File of the secret key that seals stored secrets such as webhook signing secrets (created
    /// with a fresh key if missing). The key may instead be given in KUMBU_SECRET_KEY (base64;
    /// `kumbu secret-key` prints a new one). Default with SQLite: `<database file>.key`.
    /// PostgreSQL requires one of the two, the same for every process on the database.
    #[arg(long, env = "KUMBU_SECRET_KEY_FILE")]
    secret_key_file: Option<PathBuf>,
}

impl DbArgs {
    /// Where the secret key comes from: KUMBU_SECRET_KEY, then --secret-key-file, then the default.
    pub(crate) fn secret_key(&self) -> SecretKeySource {
        match (std::env::var("KUMBU_SECRET_KEY"), &self.secret_key_file) {
            (Ok(k), _) if !k.trim().is_empty() => SecretKeySource::Keys(SecretString::from(k)),
            (_, Some(path)) => SecretKeySource::File(path.clone()),
            (_, None) => SecretKeySource::Default,
        }
    }
}

/// An engine for a one-off command over the database `db` names.
pub(crate) async fn engine_with(db: &DbArgs, config: EngineConfig) -> anyhow::Result<Engine> {
    let store = open_existing_store(&db.database_url, 2).await?;
    let keyring = crate::load_keyring(&db.secret_key(), &db.database_url)?;
    // A one-off command delivers no webhooks; were it to, bodies would name `serve`'s default
    // address.
    let faces = kumbu_http::webhook_faces(&kumbu_http::PublicUrl::new(DEFAULT_PUBLIC_URL));
    let engine = Engine::new(
        store,
        Arc::new(kumbu_core::SystemClock),
        config,
        keyring,
        faces,
    );
    engine
        .prepare_secrets()
        .await
        .context("the secret key does not fit this database")?;
    Ok(engine)
}
