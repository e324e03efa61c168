//! Principals (操作人), their role grants and the API keys issued to them, kept as data in
//! the gateway's database: written through the gateway's API (each change one
//! transaction with its event), read by every call from an in-memory snapshot that each
//! replica reloads every `gateway.auth.refresh_ms` — and at once after a change it made — so a
//! grant, a revocation or a new key needs no restart.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::{AnyConnection, Row as _};
use tokio_util::sync::CancellationToken;
use xingfu_platform::Error;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::principal::{Grant, Role};
use xingfu_platform::time::now_micros;
use xingfu_proto::gateway as pb;

/// A registered principal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its id, lower-case.
    pub id: String,
    /// `PERSON` or `SYSTEM`.
    pub kind: String,
    /// A name to show.
    pub display_name: String,
    /// The volunteer record of this person; empty when none.
    pub volunteer_id: String,
    /// The organisation whose subtree limits it; empty when unlimited.
    pub organisation_id: String,
    /// The township (镇 / 街道) it is limited to; empty when unlimited.
    pub township: String,
}

/// A role grant as stored.
#[derive(Debug, Clone)]
pub struct StoredGrant {
    /// The grant.
    pub grant: Grant,
    /// Who granted it.
    pub granted_by: String,
    /// When, microseconds.
    pub granted_at: i64,
}

/// An API key issued through the API: the secret's hash only.
#[derive(Debug, Clone)]
pub struct IssuedKey {
    /// The principal it authenticates.
    pub principal: String,
    /// SHA-256 of the secret, hex.
    pub sha256: String,
    /// When it stops being accepted, microseconds.
    pub not_after: Option<i64>,
}

/// What one reload read.
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Principals by id.
    pub principals: HashMap<String, Record>,
    /// Role grants by principal.
    pub grants: HashMap<String, Vec<StoredGrant>>,
    /// Issued keys by key id.
    pub keys: HashMap<String, IssuedKey>,
    /// Revoked key ids (issued here or in the key file).
    pub revoked: HashSet<String>,
}

impl Snapshot {
    /// The grants of `principal`.
    pub fn grants_of(&self, principal: &str) -> impl Iterator<Item = &StoredGrant> {
        self.grants.get(principal).into_iter().flatten()
    }
}

/// The principals' store and its snapshot.
#[derive(Clone)]
pub struct Principals {
    db: Database,
    outbox: Outbox,
    /// The installed snapshot with the number of the reload that read it.
    snapshot: Arc<RwLock<(u64, Arc<Snapshot>)>>,
    /// Reloads started, numbering them.
    reloads: Arc<AtomicU64>,
    refresh: Duration,
}

impl std::fmt::Debug for Principals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Principals")
    }
}

impl Principals {
    /// The store in `db`, loaded once now.
    pub async fn load(db: Database, outbox: Outbox, refresh: Duration) -> anyhow::Result<Self> {
        let principals = Self {
            db,
            outbox,
            snapshot: Arc::default(),
            reloads: Arc::default(),
            refresh,
        };
        principals.reload().await?;
        Ok(principals)
    }

    /// What the last reload read.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.snapshot.read() {
            Ok(snapshot) => snapshot.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// Reads every principal, grant and key again.
    /// A reload started earlier but finishing later (the periodic one racing a change's)
    /// never replaces what a later one read.
    pub async fn reload(&self) -> Result<(), sqlx::Error> {
        let number = self.reloads.fetch_add(1, Ordering::SeqCst) + 1;
        let mut conn = self.db.pool().acquire().await?;
        let fresh = Arc::new(read_all(&mut conn).await?);
        let mut installed = match self.snapshot.write() {
            Ok(installed) => installed,
            Err(poisoned) => poisoned.into_inner(),
        };
        if number > installed.0 {
            *installed = (number, fresh);
        }
        Ok(())
    }

    /// Reloads every `gateway.auth.refresh_ms` until `shutdown`, so changes made on other
    /// replicas hold here too.
    pub async fn run(self, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.refresh);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tick.tick() => {
                    if let Err(err) = self.reload().await {
                        tracing::warn!(error = %err, "could not reload the principals; keeping the last ones");
                    }
                }
            }
        }
    }

    /// Registers `record` for `by`; a repeat with the same fields answers as the first.
    pub async fn register(&self, record: &Record, by: &str) -> Result<Record, Error> {
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO principals (id, kind, display_name, volunteer_id, organisation_id, \
             township, registered_by, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&record.id)
        .bind(&record.kind)
        .bind(&record.display_name)
        .bind(&record.volunteer_id)
        .bind(&record.organisation_id)
        .bind(&record.township)
        .bind(by)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let existing = principal(&mut tx, &record.id)
                .await?
                .ok_or_else(|| Error::Aborted("retry the call".into()))?;
            tx.rollback().await?;
            return if existing == *record {
                Ok(existing)
            } else {
                Err(Error::AlreadyExists {
                    resource: "principal",
                    id: record.id.clone(),
                    message: "a principal with this id exists with other fields".into(),
                })
            };
        }
        let event = pb::PrincipalRegistered {
            principal_id: record.id.clone(),
            kind: record.kind.clone(),
            volunteer_id: record.volunteer_id.clone(),
            organisation_id: record.organisation_id.clone(),
            township: record.township.clone(),
            registered_by: by.to_owned(),
        };
        self.outbox.enqueue(&mut tx, &record.id, &event).await?;
        self.outbox.commit(tx).await?;
        self.reload().await?;
        Ok(record.clone())
    }

    /// Grants `grant` to `principal` for `by`; granting what is held changes nothing.
    pub async fn grant(&self, principal_id: &str, grant: &Grant, by: &str) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        self.require_principal(&mut tx, principal_id).await?;
        let organisation = grant.organisation.clone().unwrap_or_default();
        let inserted = sqlx::query(
            "INSERT INTO role_grants (principal_id, role, organisation_id, granted_by, granted_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(principal_id)
        .bind(grant.role.as_str())
        .bind(&organisation)
        .bind(by)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(());
        }
        let event = pb::RoleGranted {
            principal_id: principal_id.to_owned(),
            role: grant.role.as_str().to_owned(),
            organisation_id: organisation,
            granted_by: by.to_owned(),
        };
        self.outbox.enqueue(&mut tx, principal_id, &event).await?;
        self.outbox.commit(tx).await?;
        self.reload().await?;
        Ok(())
    }

    /// Revokes `grant` from `principal` for `by`; revoking what is not held changes nothing.
    pub async fn revoke(&self, principal_id: &str, grant: &Grant, by: &str) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        self.require_principal(&mut tx, principal_id).await?;
        let organisation = grant.organisation.clone().unwrap_or_default();
        let deleted = sqlx::query(
            "DELETE FROM role_grants WHERE principal_id = $1 AND role = $2 AND organisation_id = $3",
        )
        .bind(principal_id)
        .bind(grant.role.as_str())
        .bind(&organisation)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if deleted == 0 {
            tx.rollback().await?;
            return Ok(());
        }
        let event = pb::RoleRevoked {
            principal_id: principal_id.to_owned(),
            role: grant.role.as_str().to_owned(),
            organisation_id: organisation,
            revoked_by: by.to_owned(),
        };
        self.outbox.enqueue(&mut tx, principal_id, &event).await?;
        self.outbox.commit(tx).await?;
        self.reload().await?;
        Ok(())
    }

    /// Stores key `key_id` (its secret's `sha256`) for `principal`, issued by `by`.
    pub async fn issue_key(
        &self,
        key_id: &str,
        principal_id: &str,
        sha256: &str,
        not_after: Option<i64>,
        by: &str,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        self.require_principal(&mut tx, principal_id).await?;
        let taken: Option<String> =
            sqlx::query_scalar("SELECT key_id FROM key_revocations WHERE key_id = $1")
                .bind(key_id)
                .fetch_optional(&mut *tx)
                .await?;
        let inserted = sqlx::query(
            "INSERT INTO api_keys (id, principal_id, sha256, not_after, issued_by, issued_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING",
        )
        .bind(key_id)
        .bind(principal_id)
        .bind(sha256)
        .bind(not_after)
        .bind(by)
        .bind(now_micros())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 || taken.is_some() {
            tx.rollback().await?;
            return Err(Error::AlreadyExists {
                resource: "api key",
                id: key_id.to_owned(),
                message: "a key with this id was issued before; choose another id".into(),
            });
        }
        let event = pb::ApiKeyIssued {
            key_id: key_id.to_owned(),
            principal_id: principal_id.to_owned(),
            issued_by: by.to_owned(),
        };
        self.outbox.enqueue(&mut tx, key_id, &event).await?;
        self.outbox.commit(tx).await?;
        self.reload().await?;
        Ok(())
    }

    /// Revokes key `key_id` for `by`; returns when it was revoked (the first time).
    pub async fn revoke_key(&self, key_id: &str, by: &str) -> Result<i64, Error> {
        let mut tx = self.db.begin().await?;
        let now = now_micros();
        let inserted = sqlx::query(
            "INSERT INTO key_revocations (key_id, revoked_by, revoked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id) DO NOTHING",
        )
        .bind(key_id)
        .bind(by)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            let at: i64 =
                sqlx::query_scalar("SELECT revoked_at FROM key_revocations WHERE key_id = $1")
                    .bind(key_id)
                    .fetch_one(&mut *tx)
                    .await?;
            tx.rollback().await?;
            return Ok(at);
        }
        let event = pb::ApiKeyRevoked {
            key_id: key_id.to_owned(),
            revoked_by: by.to_owned(),
        };
        self.outbox.enqueue(&mut tx, key_id, &event).await?;
        self.outbox.commit(tx).await?;
        self.reload().await?;
        Ok(now)
    }

    async fn require_principal(
        &self,
        conn: &mut AnyConnection,
        principal_id: &str,
    ) -> Result<(), Error> {
        match principal(conn, principal_id).await? {
            Some(_) => Ok(()),
            None => Err(Error::not_found("principal", principal_id)),
        }
    }
}

async fn principal(conn: &mut AnyConnection, id: &str) -> Result<Option<Record>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, kind, display_name, volunteer_id, organisation_id, township FROM principals \
         WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| record(&row)).transpose()
}

fn record(row: &sqlx::any::AnyRow) -> Result<Record, sqlx::Error> {
    Ok(Record {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        display_name: row.try_get("display_name")?,
        volunteer_id: row.try_get("volunteer_id")?,
        organisation_id: row.try_get("organisation_id")?,
        township: row.try_get("township")?,
    })
}

async fn read_all(conn: &mut AnyConnection) -> Result<Snapshot, sqlx::Error> {
    let mut snapshot = Snapshot::default();
    for row in sqlx::query(
        "SELECT id, kind, display_name, volunteer_id, organisation_id, township FROM principals",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let record = record(&row)?;
        snapshot.principals.insert(record.id.clone(), record);
    }
    for row in sqlx::query(
        "SELECT principal_id, role, organisation_id, granted_by, granted_at FROM role_grants \
         ORDER BY principal_id, role, organisation_id",
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let role: String = row.try_get("role")?;
        let Some(role) = Role::parse(&role) else {
            // A role this build does not know (written by a newer one) grants nothing here.
            continue;
        };
        let organisation: String = row.try_get("organisation_id")?;
        snapshot
            .grants
            .entry(row.try_get("principal_id")?)
            .or_default()
            .push(StoredGrant {
                grant: Grant {
                    role,
                    organisation: Some(organisation).filter(|o| !o.is_empty()),
                },
                granted_by: row.try_get("granted_by")?,
                granted_at: row.try_get("granted_at")?,
            });
    }
    for row in sqlx::query("SELECT id, principal_id, sha256, not_after FROM api_keys")
        .fetch_all(&mut *conn)
        .await?
    {
        snapshot.keys.insert(
            row.try_get("id")?,
            IssuedKey {
                principal: row.try_get("principal_id")?,
                sha256: row.try_get("sha256")?,
                not_after: row.try_get("not_after")?,
            },
        );
    }
    snapshot.revoked = sqlx::query_scalar("SELECT key_id FROM key_revocations")
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    Ok(snapshot)
}
