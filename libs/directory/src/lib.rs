//! What a service knows of the programme's directory and volunteer register: read models
//! kept from the volunteers service's events, so a service can say whether an id it holds
//! has been confirmed (`verified`) without reading another service's tables. A consuming
//! service's migrations create the tables `known_organisations`, `known_communities` and,
//! when it follows the register, `known_volunteers` (see the projects and workshops
//! services' migrations for their shape; those tables stay in each consumer's migrations,
//! whose applied checksums cannot change).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use sqlx::{Any, AnyConnection, Transaction};
use xingfu_proto::volunteers::{
    CommunityRegistered, CommunityUpdated, OrganisationRegistered, OrganisationUpdated,
    VolunteerRegistered,
};

use xingfu_platform::db::Database;
use xingfu_platform::events::{Envelope, Event, Handler, Subscription};
use xingfu_platform::time::now_micros;
use xingfu_platform::{Error, ServiceName};

/// The service whose events these read models follow.
const VOLUNTEERS: ServiceName = ServiceName::new("volunteers");

/// Which read model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Organisations of the directory.
    Organisation,
    /// Communities of the directory.
    Community,
    /// Registered volunteers.
    Volunteer,
}

impl Kind {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Kind::Organisation => ("known_organisations", "organisation_id"),
            Kind::Community => ("known_communities", "community_id"),
            Kind::Volunteer => ("known_volunteers", "volunteer_id"),
        }
    }
}

/// The subscription that keeps the directory's read models, as consumer `consumer`.
pub fn directory_subscription(consumer: &str, db: &Database) -> Subscription {
    Subscription {
        consumer: consumer.to_owned(),
        source: VOLUNTEERS,
        subjects: vec![
            OrganisationRegistered::SUBJECT,
            OrganisationUpdated::SUBJECT,
            CommunityRegistered::SUBJECT,
            CommunityUpdated::SUBJECT,
        ],
        db: db.clone(),
        handler: Arc::new(DirectoryHandler),
    }
}

/// The subscription that keeps `known_volunteers`, as consumer `consumer`.
pub fn register_subscription(consumer: &str, db: &Database) -> Subscription {
    Subscription {
        consumer: consumer.to_owned(),
        source: VOLUNTEERS,
        subjects: vec![VolunteerRegistered::SUBJECT],
        db: db.clone(),
        handler: Arc::new(RegisterHandler),
    }
}

/// Which of `ids` the read model holds.
pub async fn known(
    conn: &mut AnyConnection,
    kind: Kind,
    ids: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    // Each id once: a page can mention the same community hundreds of times.
    let ids: Vec<&str> = ids
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let (table, column) = kind.table();
    let placeholders = (1..=ids.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("SELECT {column} FROM {table} WHERE {column} IN ({placeholders})");
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}

/// Whether the read model holds `id`.
pub async fn is_known(conn: &mut AnyConnection, kind: Kind, id: &str) -> Result<bool, sqlx::Error> {
    Ok(!known(conn, kind, &[id]).await?.is_empty())
}

/// Which table holds the organisations' hierarchy: the read model kept from the
/// directory's events, or the volunteers service's own directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hierarchy {
    /// `known_organisations`, kept by [`directory_subscription`].
    Known,
    /// `organisations`, the directory itself (the volunteers service).
    Directory,
}

impl Hierarchy {
    fn table(self) -> (&'static str, &'static str) {
        match self {
            Hierarchy::Known => ("known_organisations", "organisation_id"),
            Hierarchy::Directory => ("organisations", "id"),
        }
    }
}

/// The deepest hierarchy walked (the directory refuses cycles; this bounds a corrupt one).
const MAX_DEPTH: usize = 64;

/// Organisation `id`, then its parent, up to the root: what a role or a boundary held at
/// any of them covers. An organisation not (yet) known has a lineage of itself alone.
pub async fn lineage(
    conn: &mut AnyConnection,
    hierarchy: Hierarchy,
    id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let (table, column) = hierarchy.table();
    let sql = format!("SELECT parent_id FROM {table} WHERE {column} = $1");
    let mut lineage = Vec::new();
    let mut current = id.to_owned();
    while !current.is_empty() && lineage.len() < MAX_DEPTH && !lineage.contains(&current) {
        let parent: Option<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&current)
            .fetch_optional(&mut *conn)
            .await?;
        lineage.push(std::mem::take(&mut current));
        current = parent.flatten().unwrap_or_default();
    }
    Ok(lineage)
}

/// Organisation `root` and every organisation below it.
pub async fn subtree(
    conn: &mut AnyConnection,
    hierarchy: Hierarchy,
    root: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let (table, column) = hierarchy.table();
    // UNION (not UNION ALL) ends the walk on a cycle; the depth bounds a long chain.
    let sql = format!(
        "WITH RECURSIVE below(id, depth) AS ( \
             SELECT CAST($1 AS TEXT), 0 \
             UNION SELECT o.{column}, below.depth + 1 FROM {table} o \
               JOIN below ON o.parent_id = below.id WHERE below.depth < {MAX_DEPTH}) \
         SELECT DISTINCT id FROM below"
    );
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(root)
        .fetch_all(conn)
        .await
}

/// The communities of `township` (镇 / 街道): what a caller limited to it sees located
/// there.
pub async fn township_communities(
    conn: &mut AnyConnection,
    hierarchy: Hierarchy,
    township: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let (table, column) = match hierarchy {
        Hierarchy::Known => ("known_communities", "community_id"),
        Hierarchy::Directory => ("communities", "id"),
    };
    let sql = format!("SELECT {column} FROM {table} WHERE township = $1 ORDER BY {column}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(township.trim())
        .fetch_all(conn)
        .await
}

/// The township of each of `communities` the directory knows.
pub async fn townships_of(
    conn: &mut AnyConnection,
    hierarchy: Hierarchy,
    communities: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let (table, column) = match hierarchy {
        Hierarchy::Known => ("known_communities", "community_id"),
        Hierarchy::Directory => ("communities", "id"),
    };
    let mut townships = Vec::with_capacity(communities.len());
    let sql = format!("SELECT township FROM {table} WHERE {column} = $1");
    for id in communities {
        let township: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        townships.extend(township);
    }
    Ok(townships)
}

/// A directory entry as its event describes it.
struct Entry {
    id: String,
    name: String,
    kind: String,
    /// Parent organisation, or township for a community.
    parent: String,
}

async fn upsert(conn: &mut AnyConnection, kind: Kind, entry: &Entry) -> Result<(), sqlx::Error> {
    let sql = match kind {
        Kind::Organisation => {
            "INSERT INTO known_organisations (organisation_id, name, kind, parent_id, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (organisation_id) DO UPDATE SET name = excluded.name, \
             kind = excluded.kind, parent_id = excluded.parent_id, updated_at = excluded.updated_at"
        }
        Kind::Community => {
            "INSERT INTO known_communities (community_id, name, kind, township, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id) DO UPDATE SET name = excluded.name, \
             kind = excluded.kind, township = excluded.township, updated_at = excluded.updated_at"
        }
        Kind::Volunteer => return Ok(()),
    };
    sqlx::query(sql)
        .bind(&entry.id)
        .bind(&entry.name)
        .bind(&entry.kind)
        .bind(&entry.parent)
        .bind(now_micros())
        .execute(conn)
        .await?;
    Ok(())
}

/// Keeps `known_organisations` and `known_communities`.
struct DirectoryHandler;

impl DirectoryHandler {
    fn entry(event: &Envelope) -> Result<Option<(Kind, Entry)>, Error> {
        let subject = event.subject.split_once('.').map_or("", |(_, rest)| rest);
        let (kind, entry) = if subject == OrganisationRegistered::SUBJECT {
            let e: OrganisationRegistered = event.decode_event()?;
            (
                Kind::Organisation,
                (e.organisation_id, e.name, e.kind, e.parent_id),
            )
        } else if subject == OrganisationUpdated::SUBJECT {
            let e: OrganisationUpdated = event.decode_event()?;
            (
                Kind::Organisation,
                (e.organisation_id, e.name, e.kind, e.parent_id),
            )
        } else if subject == CommunityRegistered::SUBJECT {
            let e: CommunityRegistered = event.decode_event()?;
            (
                Kind::Community,
                (e.community_id, e.name, e.kind, e.township),
            )
        } else if subject == CommunityUpdated::SUBJECT {
            let e: CommunityUpdated = event.decode_event()?;
            (
                Kind::Community,
                (e.community_id, e.name, e.kind, e.township),
            )
        } else {
            return Ok(None);
        };
        let (id, name, kind_name, parent) = entry;
        Ok((!id.is_empty()).then_some((
            kind,
            Entry {
                id,
                name,
                kind: kind_name,
                parent,
            },
        )))
    }
}

impl Handler for DirectoryHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if let Some((kind, entry)) = Self::entry(event)? {
                upsert(tx, kind, &entry).await?;
            }
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM known_organisations")
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM known_communities")
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}

/// Keeps `known_volunteers`: ids only, never personal data (the events carry none).
struct RegisterHandler;

impl Handler for RegisterHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
        event: &'a Envelope,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let e: VolunteerRegistered = event.decode_event()?;
            if e.volunteer_id.is_empty() {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO known_volunteers (volunteer_id, work_organisation_id, \
                 home_community_id, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (volunteer_id) DO NOTHING",
            )
            .bind(&e.volunteer_id)
            .bind(&e.work_organisation_id)
            .bind(&e.home_community_id)
            .bind(now_micros())
            .execute(&mut **tx)
            .await?;
            Ok(())
        })
    }

    fn reset<'a>(
        &'a self,
        tx: &'a mut Transaction<'static, Any>,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            sqlx::query("DELETE FROM known_volunteers")
                .execute(&mut **tx)
                .await?;
            Ok(())
        })
    }
}
