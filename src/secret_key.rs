//! Where the server's secret key comes from (see `docs/secrets.md`).
//!
//! The key seals the secrets Kumbu must read back (webhook signing secrets, for one). Every
//! process on one database needs the same key; the engine refuses to start with another.

use anyhow::{bail, Context};
use kumbu_engine::{generate_key, Keyring};
use secrecy::{ExposeSecret, SecretString};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where the keyring is read from.
#[derive(Debug, Clone, Default)]
pub enum SecretKeySource {
    /// Base64 keys, the sealing key first (`KUMBU_SECRET_KEY`).
    Keys(SecretString),
    /// A file of base64 keys, one per line, the sealing key first; created with a fresh key if
    /// missing (`--secret-key-file`).
    File(PathBuf),
    /// SQLite: the file `<database>.key` beside the database, created if missing. In-memory
    /// SQLite: a throwaway key. PostgreSQL: no default, one of the above is required, because
    /// every process on the database must hold the same key.
    #[default]
    Default,
}

/// Reads (or creates) the keyring for a database.
pub fn load_keyring(source: &SecretKeySource, database_url: &str) -> anyhow::Result<Keyring> {
    match source {
        SecretKeySource::Keys(text) => {
            Keyring::parse(text.expose_secret()).context("KUMBU_SECRET_KEY is invalid")
        }
        SecretKeySource::File(path) => read_or_create(path),
        SecretKeySource::Default => match sqlite_file(database_url) {
            Some(SqliteFile::Memory) => Ok(Keyring::ephemeral()),
            Some(SqliteFile::Path(db)) => {
                let mut name = db.into_os_string();
                name.push(".key");
                read_or_create(Path::new(&name))
            }
            None => bail!(
                "PostgreSQL needs a secret key shared by every kumbu process on the database: \
                 set KUMBU_SECRET_KEY to the output of `kumbu secret-key`, or pass \
                 --secret-key-file FILE (created with a fresh key if missing)"
            ),
        },
    }
}

/// What a SQLite URL names.
pub(crate) enum SqliteFile {
    /// An in-memory database.
    Memory,
    /// A file.
    Path(PathBuf),
}

/// The file behind a SQLite URL (`sqlite://kumbu.db`, `sqlite:kumbu.db?mode=rwc`, `kumbu.db`).
pub(crate) fn sqlite_file(url: &str) -> Option<SqliteFile> {
    let url = url.trim();
    let rest = if let Some(r) = url.strip_prefix("sqlite://") {
        r
    } else if let Some(r) = url.strip_prefix("sqlite:") {
        r
    } else if [".db", ".sqlite", ".sqlite3"]
        .iter()
        .any(|ext| url.ends_with(ext))
    {
        url
    } else {
        return None;
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" || query.contains("mode=memory") {
        return Some(SqliteFile::Memory);
    }
    Some(SqliteFile::Path(PathBuf::from(path)))
}

fn read_or_create(path: &Path) -> anyhow::Result<Keyring> {
    let fresh = format!(
        "# Kumbu secret key: it seals the webhook secrets stored in this gateway's database.\n\
         # Keep it with (but apart from) the database's backups: without it they cannot be read.\n\
         {}\n",
        generate_key()
    );
    if !path.exists() {
        // Written in full to a private temporary file, then linked into place: a process
        // starting at the same moment sees either no file or a complete one, and if two race
        // only the first link wins.
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(format!(".tmp{}", std::process::id()));
        let tmp = PathBuf::from(tmp_name);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let written = options
            .open(&tmp)
            .and_then(|mut f| f.write_all(fresh.as_bytes()).and_then(|()| f.sync_all()));
        let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
        let _ = std::fs::remove_file(&tmp);
        match linked {
            Ok(()) => tracing::info!(file = %path.display(), "created a new secret key file"),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot create the secret key file {}", path.display())
                })
            }
        }
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the secret key file {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(file = %path.display(), "the secret key file is readable by other users: chmod 600 it");
            }
        }
    }
    Keyring::parse(&text).with_context(|| format!("invalid secret key file {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_sqlite_file() {
        let p = |u: &str| match sqlite_file(u) {
            Some(SqliteFile::Path(p)) => p.display().to_string(),
            Some(SqliteFile::Memory) => "memory".to_owned(),
            None => "none".to_owned(),
        };
        assert_eq!(p("sqlite://kumbu.db"), "kumbu.db");
        assert_eq!(p("sqlite:///var/lib/k.db?mode=rwc"), "/var/lib/k.db");
        assert_eq!(p("data/k.sqlite"), "data/k.sqlite");
        assert_eq!(p("sqlite::memory:"), "memory");
        assert_eq!(p("sqlite://x.db?mode=memory"), "memory");
        assert_eq!(p("postgres://u:p@h/db"), "none");
    }

    #[test]
    fn creates_then_rereads_a_private_key_file() {
        let dir = std::env::temp_dir().join(format!("kumbu-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("k.db.key");
        let _ = std::fs::remove_file(&path);
        let a = read_or_create(&path).unwrap();
        let b = read_or_create(&path).unwrap();
        assert_eq!(a.key_ids(), b.key_ids());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn postgres_requires_a_key() {
        let e = load_keyring(&SecretKeySource::Default, "postgres://h/db").unwrap_err();
        assert!(e.to_string().contains("KUMBU_SECRET_KEY"), "{e}");
        let k = SecretKeySource::Keys(SecretString::from(generate_key()));
        assert!(load_keyring(&k, "postgres://h/db").is_ok());
    }
}
