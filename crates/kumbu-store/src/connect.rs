//! Opening the database: pools, pragmas and migrations.

use crate::dialect::Dialect;
use crate::error::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Executor;
use std::sync::Once;
use std::time::Duration;

/// Tuning for [`Store::connect`].
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Maximum connections in the pool (PostgreSQL) or the read pool (SQLite).
    pub max_connections: u32,
    /// How long to wait for a free connection before answering "unavailable".
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// Handle to the database. Cheap to clone; all clones share the pools.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) dialect: Dialect,
    /// Pool for write transactions (a single connection on SQLite).
    pub(crate) write: AnyPool,
    /// Pool for reads (the same pool on PostgreSQL).
    pub(crate) read: AnyPool,
}

static DRIVERS: Once = Once::new();

/// Normalises what people type: a bare file path or `sqlite://file` becomes a SQLite URL that
/// creates the file when missing.
fn normalise_url(url: &str) -> Result<(Dialect, String), StoreError> {
    let url = url.trim();
    if let Some(d) = Dialect::from_url(url) {
        if d == Dialect::Sqlite && !url.contains("mode=") && !url.contains(":memory:") {
            let sep = if url.contains('?') { '&' } else { '?' };
            return Ok((d, format!("{url}{sep}mode=rwc")));
        }
        return Ok((d, url.to_owned()));
    }
    if url.ends_with(".db") || url.ends_with(".sqlite") || url.ends_with(".sqlite3") {
        return Ok((Dialect::Sqlite, format!("sqlite://{url}?mode=rwc")));
    }
    Err(StoreError::Config(format!(
        "unsupported database URL {url:?}: use postgres://user:pass@host/db or sqlite://path/to/file.db"
    )))
}

impl Store {
    /// Connects (creating a SQLite file if needed). Does not migrate: see [`Store::migrate`].
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        DRIVERS.call_once(sqlx::any::install_default_drivers);
        let (dialect, url) = normalise_url(url)?;
        match dialect {
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect(&url)
                    .await?;
                Ok(Self {
                    dialect,
                    write: pool.clone(),
                    read: pool,
                })
            }
            Dialect::Sqlite => {
                let pragmas = |pool: AnyPoolOptions| {
                    pool.after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                                 PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                };
                let write = pragmas(AnyPoolOptions::new())
                    .max_connections(1)
                    .acquire_timeout(opts.acquire_timeout)
                    .connect(&url)
                    .await?;
                let read = pragmas(AnyPoolOptions::new())
                    .max_connections(opts.max_connections.clamp(1, 8))
                    .acquire_timeout(opts.acquire_timeout)
                    .connect(&url)
                    .await?;
                Ok(Self {
                    dialect,
                    write,
                    read,
                })
            }
        }
    }

    /// Applies pending migrations from `migrations/{postgres,sqlite}` (embedded at build time).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.dialect {
            Dialect::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.write)
                    .await?
            }
            Dialect::Sqlite => {
                // Rebuilding a table (SQLite's way to change a constraint) needs foreign keys
                // off, which SQLite only allows outside a transaction: switch them off on the one
                // write connection, migrate, check every reference, switch them back on.
                let mut conn = self.write.acquire().await?;
                let migrator = sqlx::migrate!("./migrations/sqlite");
                // No migrations table yet (a new database) reads as none applied.
                let before = sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations")
                    .fetch_one(&mut *conn)
                    .await
                    .unwrap_or(0);
                if before >= i64::try_from(migrator.migrations.len()).unwrap_or(i64::MAX) {
                    // Up to date: the migrator still checks that applied files are unchanged.
                    migrator.run(&mut *conn).await?;
                    return Ok(());
                }
                conn.execute("PRAGMA foreign_keys = OFF").await?;
                let migrated = migrator.run(&mut *conn).await;
                let broken = sqlx::query("PRAGMA foreign_key_check")
                    .fetch_all(&mut *conn)
                    .await;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                migrated?;
                let broken = broken?;
                if !broken.is_empty() {
                    return Err(StoreError::Corrupt(format!(
                        "{} rows break a foreign key after migrating",
                        broken.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// (connections open, connections idle) across the pools, for `/metrics`.
    ///
    /// sqlx's idle count is a racy counter that can briefly read as a wrapped-around huge value
    /// while a connection is being handed out, so each pool's count is capped at its size.
    pub fn pool_usage(&self) -> (u32, usize) {
        let usage = |p: &AnyPool| (p.size(), p.num_idle().min(p.size() as usize));
        match self.dialect {
            Dialect::Postgres => usage(&self.read),
            Dialect::Sqlite => {
                let (r, ri) = usage(&self.read);
                let (w, wi) = usage(&self.write);
                (r.saturating_add(w), ri.saturating_add(wi))
            }
        }
    }

    /// Closes every connection (on shutdown).
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_normalised() {
        assert_eq!(
            normalise_url("kumbu.db").unwrap().1,
            "sqlite://kumbu.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://x.db").unwrap().1,
            "sqlite://x.db?mode=rwc"
        );
        assert_eq!(
            normalise_url("sqlite://x.db?mode=ro").unwrap().1,
            "sqlite://x.db?mode=ro"
        );
        assert_eq!(
            normalise_url("postgres://a@b/c").unwrap().0,
            Dialect::Postgres
        );
        assert!(normalise_url("mysql://x").is_err());
    }
}

#[cfg(test)]
mod parity {
    /// Both backends have the same migrations, by number and name.
    #[test]
    fn migration_files_match() {
        let names = |dir: &str| {
            let mut v: Vec<String> =
                std::fs::read_dir(format!("{}/migrations/{dir}", env!("CARGO_MANIFEST_DIR")))
                    .expect("migrations dir")
                    .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                    .collect();
            v.sort();
            v
        };
        assert_eq!(names("postgres"), names("sqlite"));
        assert!(!names("postgres").is_empty());
    }
}
