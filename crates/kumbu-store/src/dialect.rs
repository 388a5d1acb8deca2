//! The two SQL dialects Kumbu runs on, and the few fragments where they differ.

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: production; several processes may share it.
    Postgres,
    /// SQLite: embedded default; one process, one writer.
    Sqlite,
}

impl Dialect {
    /// Detects the dialect from a connection URL.
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else {
            None
        }
    }

    /// Row-lock suffix for a `SELECT` that the transaction will update. SQLite needs none: its
    /// single writer connection already serialises write transactions.
    pub const fn for_update(self) -> &'static str {
        match self {
            Dialect::Postgres => " FOR UPDATE",
            Dialect::Sqlite => "",
        }
    }

    /// Suffix for claiming work rows: concurrent workers on PostgreSQL skip each other's rows.
    pub const fn for_update_skip_locked(self) -> &'static str {
        match self {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        }
    }

    /// The `n`th (1-based) placeholder of a generated statement whose placeholders each appear
    /// once, in order. SQLite gets anonymous `?`: sqlx resolves a named `$n` through SQLite's
    /// linear name list, which makes a statement with thousands of parameters quadratic.
    pub fn param(self, n: usize) -> String {
        match self {
            Dialect::Postgres => format!("${n}"),
            Dialect::Sqlite => "?".to_owned(),
        }
    }

    /// Name for logs and `/readyz`.
    pub const fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        }
    }
}
