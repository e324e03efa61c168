//! Organisations and communities.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::DirectoryId;
use xingfu_platform::db::Filtered;

use super::corrupt;
use crate::domain::{Community, CommunityKind, Name, Organisation, OrganisationKind, Township};

/// Inserts `org` unless its id is taken; false then.
pub async fn insert_organisation(
    conn: &mut AnyConnection,
    org: &Organisation,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO organisations (id, name, kind, parent_id, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(org.id.as_str())
    .bind(org.name.as_str())
    .bind(org.kind.as_str())
    .bind(org.parent_id.as_ref().map(DirectoryId::as_str))
    .bind(org.created_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Writes `org` over the stored one if it is still at `org.version`; false otherwise.
pub async fn save_organisation(
    conn: &mut AnyConnection,
    org: &Organisation,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE organisations SET name = $1, kind = $2, parent_id = $3, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(org.name.as_str())
    .bind(org.kind.as_str())
    .bind(org.parent_id.as_ref().map(DirectoryId::as_str))
    .bind(now)
    .bind(org.id.as_str())
    .bind(org.version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The organisation `id`.
pub async fn organisation(
    conn: &mut AnyConnection,
    id: &DirectoryId,
) -> Result<Option<Organisation>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, kind, parent_id, version, created_at FROM organisations WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| organisation_of(&row))
    .transpose()
}

/// Whether organisation `ancestor` is `id` or above it in the hierarchy.
pub async fn is_ancestor(
    conn: &mut AnyConnection,
    ancestor: &DirectoryId,
    id: &DirectoryId,
) -> Result<bool, sqlx::Error> {
    let mut current = Some(id.as_str().to_owned());
    let mut steps = 0;
    while let Some(at) = current {
        if ancestor.as_str() == at {
            return Ok(true);
        }
        steps += 1;
        if steps > 64 {
            return Ok(true);
        }
        current = sqlx::query_scalar::<_, Option<String>>(
            "SELECT parent_id FROM organisations WHERE id = $1",
        )
        .bind(&at)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    }
    Ok(false)
}

/// Organisations in id order after `after`, by kind and parent.
pub async fn organisations(
    conn: &mut AnyConnection,
    kind: Option<OrganisationKind>,
    parent_id: Option<&DirectoryId>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Organisation>, sqlx::Error> {
    Filtered::new("SELECT id, name, kind, parent_id, version, created_at FROM organisations")
        .and("kind =", kind.map(OrganisationKind::as_str))
        .and("parent_id =", parent_id.map(DirectoryId::as_str))
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(organisation_of)
        .collect()
}

/// Inserts `community` unless its id is taken; false then.
pub async fn insert_community(
    conn: &mut AnyConnection,
    community: &Community,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO communities (id, name, kind, township, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 1, $5, $5) ON CONFLICT (id) DO NOTHING",
    )
    .bind(community.id.as_str())
    .bind(community.name.as_str())
    .bind(community.kind.as_str())
    .bind(community.township.as_str())
    .bind(community.created_at)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Writes `community` over the stored one if it is still at its version; false otherwise.
pub async fn save_community(
    conn: &mut AnyConnection,
    community: &Community,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE communities SET name = $1, kind = $2, township = $3, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6",
    )
    .bind(community.name.as_str())
    .bind(community.kind.as_str())
    .bind(community.township.as_str())
    .bind(now)
    .bind(community.id.as_str())
    .bind(community.version)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// The community `id`.
pub async fn community(
    conn: &mut AnyConnection,
    id: &DirectoryId,
) -> Result<Option<Community>, sqlx::Error> {
    sqlx::query(
        "SELECT id, name, kind, township, version, created_at FROM communities WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| community_of(&row))
    .transpose()
}

/// Communities in id order after `after`, by township and kind.
pub async fn communities(
    conn: &mut AnyConnection,
    township: Option<&Township>,
    kind: Option<CommunityKind>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Community>, sqlx::Error> {
    Filtered::new("SELECT id, name, kind, township, version, created_at FROM communities")
        .and("township =", township.map(Township::as_str))
        .and("kind =", kind.map(CommunityKind::as_str))
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(community_of)
        .collect()
}

fn organisation_of(row: &AnyRow) -> Result<Organisation, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let parent_id: Option<String> = row.try_get("parent_id")?;
    Ok(Organisation {
        id: DirectoryId::from_stored(row.try_get("id")?),
        name: Name::from_stored(row.try_get("name")?),
        kind: OrganisationKind::parse(&kind)
            .ok_or_else(|| corrupt("organisations", "kind", &kind))?,
        parent_id: parent_id.map(DirectoryId::from_stored),
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
    })
}

fn community_of(row: &AnyRow) -> Result<Community, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    Ok(Community {
        id: DirectoryId::from_stored(row.try_get("id")?),
        name: Name::from_stored(row.try_get("name")?),
        kind: CommunityKind::parse(&kind).ok_or_else(|| corrupt("communities", "kind", &kind))?,
        township: Township::from_stored(row.try_get("township")?),
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
    })
}
