//! The read model of the programme's directory (organisations and communities), kept
//! from the volunteers service's events. An id not (yet) here is shown unverified.

use std::collections::HashSet;

use sqlx::AnyConnection;

use super::placeholders;

/// A directory entry as its event describes it.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Directory id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Parent organisation, or township for a community.
    pub parent: String,
}

/// Which directory table.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Organisations.
    Organisation,
    /// Communities.
    Community,
}

/// Records or refreshes an entry.
pub async fn upsert(
    conn: &mut AnyConnection,
    kind: Kind,
    entry: &Entry,
    now: i64,
) -> Result<(), sqlx::Error> {
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
    };
    sqlx::query(sql)
        .bind(&entry.id)
        .bind(&entry.name)
        .bind(&entry.kind)
        .bind(&entry.parent)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Which of `ids` the directory has confirmed.
pub async fn known(
    conn: &mut AnyConnection,
    kind: Kind,
    ids: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    // Each id once: a page can mention the same community hundreds of times.
    let ids: Vec<&str> = ids
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let (table, column) = match kind {
        Kind::Organisation => ("known_organisations", "organisation_id"),
        Kind::Community => ("known_communities", "community_id"),
    };
    let sql = format!(
        "SELECT {column} FROM {table} WHERE {column} IN ({})",
        placeholders(1, ids.len())
    );
    let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql));
    for id in ids {
        query = query.bind(id);
    }
    Ok(query.fetch_all(conn).await?.into_iter().collect())
}
