//! Each service's own database: PostgreSQL in production (`<name_prefix>_<service>` on
//! the configured server, `xingfu_<service>` by default, created if missing), a SQLite file as the embedded default. Both
//! sit behind sqlx's `Any` driver, so a service writes its SQL once against a portable
//! schema (TEXT ids, BIGINT fen and epoch-microsecond times, SMALLINT flags).

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context as _;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Any, AnyPool, ConnectOptions, Connection, Executor, SqlSafeStr, Transaction};

use crate::name::ServiceName;
use crate::settings::Settings;

/// Which server a database lives on; the few statements that differ look here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL.
    Postgres,
    /// SQLite (the embedded default).
    Sqlite,
}

/// A service's connection pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
}

/// One embedded migration: its name (`0100_known_projects`: the version, then the
/// description) and the SQL for each backend. Written with [`crate::migrations!`].
#[derive(Debug, Clone, Copy)]
pub struct MigrationSource {
    /// The file's stem: an ascending version (platform tables 1–99, services 100 and up),
    /// `_`, and a short description.
    pub name: &'static str,
    /// The PostgreSQL script.
    pub postgres: &'static str,
    /// The SQLite script.
    pub sqlite: &'static str,
}

impl MigrationSource {
    /// The version its name starts with.
    pub fn version(&self) -> anyhow::Result<i64> {
        let digits = self.name.split('_').next().unwrap_or_default();
        digits
            .parse()
            .with_context(|| format!("migration {:?} must start with its version", self.name))
    }

    /// The description its name ends with, as sqlx records it.
    pub fn description(&self) -> String {
        self.name
            .split_once('_')
            .map_or(self.name, |(_, rest)| rest)
            .replace('_', " ")
    }
}

/// The migrations of a crate's `migrations/` folder, oldest first: `"0100_name"` reads
/// `migrations/0100_name.sql` for both backends; `"0101_name" (dialects)` reads
/// `0101_name.postgres.sql` and `0101_name.sqlite.sql`, where the dialects differ.
#[macro_export]
macro_rules! migrations {
    ($($name:literal $(($dialects:ident))?),* $(,)?) => {
        &[$($crate::__migration!($name $(, $dialects)?)),*]
    };
}

/// One entry of [`migrations!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __migration {
    ($name:literal) => {
        $crate::db::MigrationSource {
            name: $name,
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $name,
                ".sql"
            )),
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $name,
                ".sql"
            )),
        }
    };
    ($name:literal, dialects) => {
        $crate::db::MigrationSource {
            name: $name,
            postgres: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $name,
                ".postgres.sql"
            )),
            sqlite: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/migrations/",
                $name,
                ".sqlite.sql"
            )),
        }
    };
}

/// A stored value the code does not know (an enum's name, say): the database was changed
/// behind the service's back.
pub fn corrupt(table: &str, column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in {table}").into())
}

/// The platform's own tables (outbox, inbox), migrated into every service's database
/// before the service's migrations.
pub const PLATFORM_MIGRATIONS: &[MigrationSource] =
    crate::migrations!["0001_outbox_inbox"(dialects), "0002_acting"];

impl Database {
    /// Opens an existing database of `service`, creating nothing: an error when it is missing
    /// (for tools that only read, such as `xingfu funds verify`).
    pub async fn open_existing(settings: &Settings, service: ServiceName) -> anyhow::Result<Self> {
        install_default_drivers();
        let own = settings.service(service).database.url.as_ref();
        let url = match (own, settings.database.url.as_ref()) {
            (Some(url), _) => url.expose().to_owned(),
            (None, Some(server)) => {
                let mut url =
                    url::Url::parse(server.expose()).context("the PostgreSQL URL is not a URL")?;
                url.set_path(&format!(
                    "/{}_{}",
                    settings.database.name_prefix,
                    service.as_str()
                ));
                url.to_string()
            }
            (None, None) => {
                let path = settings.data_dir.join(format!("{}.db", service.as_str()));
                anyhow::ensure!(
                    path.exists(),
                    "there is no {service} database at {}",
                    path.display()
                );
                format!("sqlite://{}?mode=ro", path.display())
            }
        };
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let pool = AnyPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
            .connect(&url)
            .await
            .with_context(|| format!("opening the {service} database (it must exist)"))?;
        Ok(Self { pool, backend })
    }

    /// Opens (creating it when missing) the database of `service` as `settings` say.
    pub async fn open(settings: &Settings, service: ServiceName) -> anyhow::Result<Self> {
        install_default_drivers();
        let own = settings.service(service).database.url.as_ref();
        match (own, settings.database.url.as_ref()) {
            (Some(url), _) => Self::open_postgres(url.expose(), None, settings).await,
            (None, Some(server)) => {
                let name = format!("{}_{}", settings.database.name_prefix, service.as_str());
                Self::open_postgres(server.expose(), Some(&name), settings).await
            }
            (None, None) => {
                let path = settings.data_dir.join(format!("{}.db", service.as_str()));
                Self::open_sqlite(&path, settings).await
            }
        }
        .with_context(|| format!("opening the {service} database"))
    }

    async fn open_postgres(
        url: &str,
        database: Option<&str>,
        settings: &Settings,
    ) -> anyhow::Result<Self> {
        // The configured URL is kept as given (its options, application name, TLS
        // settings); only the database name in its path may change.
        let mut url = url::Url::parse(url).context("the PostgreSQL URL is not a URL")?;
        if let Some(database) = database {
            url.set_path(&format!("/{database}"));
        }
        let name = url.path().trim_start_matches('/').to_owned();
        if name.is_empty() {
            anyhow::bail!("the PostgreSQL URL names no database");
        }
        let options = || {
            AnyPoolOptions::new()
                .max_connections(settings.database.max_connections)
                .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
        };
        let pool = match options().connect(url.as_str()).await {
            Err(err) if is_missing_database(&err, &name) => {
                create_postgres_database(url.as_str(), &name).await?;
                options().connect(url.as_str()).await
            }
            other => other,
        }
        .with_context(|| format!("connecting to PostgreSQL database {name}"))?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
        })
    }

    async fn open_sqlite(path: &Path, settings: &Settings) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent() {
            crate::files::create_private_dir(dir)
                .with_context(|| format!("creating the data directory {}", dir.display()))?;
        }
        crate::files::create_private_file(path)
            .with_context(|| format!("creating SQLite file {}", path.display()))?;
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = AnyPoolOptions::new()
            .max_connections(settings.database.max_connections.min(4))
            .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // REPLACE must fire delete triggers too, or it would slip past the
                    // append-only guards.
                    conn.execute("PRAGMA recursive_triggers = ON").await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .with_context(|| format!("opening SQLite file {}", path.display()))?;
        // WAL lets readers proceed while one writer commits; it is kept in the file.
        pool.execute("PRAGMA journal_mode = WAL").await?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
        })
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so two writers queue instead of failing on lock upgrade.
    pub async fn begin(&self) -> Result<Transaction<'static, Any>, sqlx::Error> {
        match self.backend {
            Backend::Postgres => self.pool.begin().await,
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
        }
    }

    /// Applies the platform's migrations and then `service`'s, each once. On PostgreSQL
    /// sqlx holds an advisory lock meanwhile, so replicas starting together take turns.
    pub async fn migrate(&self, service: &[MigrationSource]) -> anyhow::Result<()> {
        let migrations = PLATFORM_MIGRATIONS
            .iter()
            .chain(service)
            .map(|m| {
                let sql = match self.backend {
                    Backend::Postgres => m.postgres,
                    Backend::Sqlite => m.sqlite,
                };
                Ok(Migration::new(
                    m.version()?,
                    m.description().into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut migrator = Migrator::with_migrations(migrations);
        // During a rolling upgrade older replicas meet migrations newer than they know.
        migrator.set_ignore_missing(true);
        migrator
            .run(&self.pool)
            .await
            .context("running migrations")?;
        Ok(())
    }

    /// Reports `services` NOT_SERVING while the database does not answer and SERVING again
    /// once it does, checking every second, until `shutdown`. Calls meanwhile fail
    /// UNAVAILABLE (the pool's acquire timeout), so load balancers and the gateway's health
    /// steer away until the database is back; nothing needs restarting.
    pub async fn watch_health(
        self,
        services: Vec<&'static str>,
        reporter: tonic_health::server::HealthReporter,
        shutdown: tokio_util::sync::CancellationToken,
    ) {
        use tonic_health::ServingStatus;
        let mut serving = true;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            let answered = tokio::time::timeout(Duration::from_secs(2), async {
                let mut conn = self.pool.acquire().await?;
                sqlx::query("SELECT 1").execute(&mut *conn).await
            })
            .await
            .is_ok_and(|r| r.is_ok());
            if answered == serving || shutdown.is_cancelled() {
                continue;
            }
            serving = answered;
            let status = if answered {
                tracing::info!(backend = ?self.backend, "the database answers again: SERVING");
                ServingStatus::Serving
            } else {
                tracing::warn!(backend = ?self.backend, "the database does not answer: NOT_SERVING");
                ServingStatus::NotServing
            };
            reporter.set_service_status("", status).await;
            for name in &services {
                reporter.set_service_status(*name, status).await;
            }
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates database `name` through the server's `postgres` database; safe when several
/// processes race to do it. Only called when the database is missing, so a user without
/// access to `postgres` is fine as long as the database exists.
async fn create_postgres_database(url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnectOptions::from_str(url)
        .context("parsing the PostgreSQL URL")?
        .database("postgres")
        .connect()
        .await
        .context("connecting to the PostgreSQL server to create the database")?;
    let quoted = name.replace('"', "\"\"");
    let create = format!("CREATE DATABASE \"{quoted}\"");
    if let Err(err) = conn.execute(sqlx::AssertSqlSafe(create)).await {
        // Another process created it in between: fine.
        let raced = err
            .as_database_error()
            .and_then(|e| e.code())
            .is_some_and(|code| code == "42P04" || code == "23505");
        if !raced {
            return Err(err).with_context(|| format!("creating database {name}"));
        }
    }
    conn.close().await.ok();
    tracing::info!(database = %name, "created database");
    Ok(())
}

/// True when `err` says database `name` does not exist: PostgreSQL's SQLSTATE 3D000, or
/// the same words from a pooler in front of it (PgBouncer answers with a code of its own).
fn is_missing_database(err: &sqlx::Error, name: &str) -> bool {
    err.as_database_error().is_some_and(|e| {
        e.code().is_some_and(|code| code == "3D000")
            || e.message() == format!("database \"{name}\" does not exist")
    })
}

/// True when `err` says a unique constraint was violated (an insert raced another).
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// The `VALUES` list of a multi-row insert of `rows` rows of `columns` columns:
/// `($1, $2), ($3, $4)` for two rows of two. Many rows in one statement cost one round
/// trip instead of one each.
pub fn value_rows(rows: usize, columns: usize) -> String {
    (0..rows)
        .map(|row| {
            let cells = (1..=columns)
                .map(|column| format!("${}", row * columns + column))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({cells})")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A filtered, keyset-paged `SELECT`: the filters that are set become `AND` clauses with
/// their values bound in order, so an unset filter costs nothing and every list call's
/// query stays index-friendly.
#[derive(Debug)]
pub struct Filtered {
    sql: String,
    binds: Vec<String>,
}

impl Filtered {
    /// `select` is everything before the `WHERE` (`SELECT … FROM …`).
    pub fn new(select: impl Into<String>) -> Self {
        let mut sql = select.into();
        sql.push_str(" WHERE 1 = 1");
        Self {
            sql,
            binds: Vec::new(),
        }
    }

    /// Adds `AND <clause> $n` (e.g. `"kind ="`) when `value` is set.
    pub fn and(mut self, clause: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(value) = value {
            self.binds.push(value.into());
            self.sql
                .push_str(&format!(" AND {clause} ${}", self.binds.len()));
        }
        self
    }

    /// Adds `AND <column> IN ($n, …)` when `values` is set (a boundary's organisations);
    /// an empty set matches nothing.
    pub fn and_in(mut self, column: &str, values: Option<&[String]>) -> Self {
        let Some(values) = values else {
            return self;
        };
        if values.is_empty() {
            self.sql.push_str(" AND 1 = 0");
            return self;
        }
        let first = self.binds.len() + 1;
        self.binds.extend(values.iter().cloned());
        let placeholders = (first..=self.binds.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        self.sql
            .push_str(&format!(" AND {column} IN ({placeholders})"));
        self
    }

    /// Adds `AND <clause>` where `clause` binds values of its own with [`bind`], numbered
    /// after those already bound (a boundary's `OR` of `IN` lists, a value in parentheses).
    pub fn and_bound(mut self, clause: impl FnOnce(&mut Vec<String>) -> String) -> Self {
        let clause = clause(&mut self.binds);
        self.sql.push_str(" AND ");
        self.sql.push_str(&clause);
        self
    }

    /// Adds a clause without a value (e.g. `"completed_at IS NULL"`) when `condition`.
    pub fn and_if(mut self, condition: bool, clause: &str) -> Self {
        if condition {
            self.sql.push_str(" AND ");
            self.sql.push_str(clause);
        }
        self
    }

    /// Runs it with `ORDER BY <order> LIMIT limit`.
    pub async fn fetch(
        self,
        conn: &mut sqlx::AnyConnection,
        order: &str,
        limit: i64,
    ) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
        let sql = format!(
            "{} ORDER BY {order} LIMIT ${}",
            self.sql,
            self.binds.len() + 1
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in self.binds {
            query = query.bind(value);
        }
        query.bind(limit).fetch_all(conn).await
    }
}

/// Binds `value` after those in `binds`; its placeholder (`$n`), for
/// [`Filtered::and_bound`] clauses.
pub fn bind(binds: &mut Vec<String>, value: impl Into<String>) -> String {
    binds.push(value.into());
    format!("${}", binds.len())
}

/// What inserting a row under an idempotency key came to.
#[derive(Debug)]
pub enum Keyed<T> {
    /// A new row.
    New(T),
    /// The key was used before: that row and the fingerprint of what it was asked with.
    Existing(T, String),
}

#[cfg(test)]
mod tests {

    #[test]
    fn every_clause_numbers_its_values_after_those_before_it() {
        let query = Filtered::new("SELECT id FROM t")
            .and("a =", Some("x"))
            .and("b =", None::<String>)
            .and_bound(|binds| format!("(c IN ({}, {}))", bind(binds, "y"), bind(binds, "z")))
            .and_if(true, "d IS NULL")
            .and("id <", Some("k"));
        assert_eq!(
            query.sql,
            "SELECT id FROM t WHERE 1 = 1 AND a = $1 AND (c IN ($2, $3)) AND d IS NULL AND id < $4"
        );
        assert_eq!(query.binds, ["x", "y", "z", "k"]);
    }
    use super::{Filtered, bind, value_rows};

    #[test]
    fn value_rows_number_every_cell_in_row_order() {
        assert_eq!(value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(value_rows(1, 1), "($1)");
        assert_eq!(value_rows(0, 4), "");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_data_folder_is_0700_and_the_sqlite_files_0600() {
        use std::os::unix::fs::PermissionsExt as _;

        use crate::name::ServiceName;
        use crate::settings::Settings;

        let root = tempfile::tempdir().unwrap();
        let mut settings = Settings::defaults().unwrap();
        settings.data_dir = root.path().join("data");
        let db = super::Database::open(&settings, ServiceName::new("example"))
            .await
            .unwrap();
        db.migrate(&[]).await.unwrap();
        let mode = |name: &str| {
            let path = settings.data_dir.join(name);
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777
        };
        assert_eq!(mode(""), 0o700);
        assert_eq!(mode("example.db"), 0o600);
        // WAL mode: SQLite creates these beside the file, with the file's mode.
        assert_eq!(mode("example.db-wal"), 0o600);
        assert_eq!(mode("example.db-shm"), 0o600);
        db.close().await;
    }
}
