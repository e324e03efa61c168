//! The read model of the projects the funds service may grant money to.

use sqlx::{Any, AnyPool, Row, Transaction};
use xingfu_platform::checked::RecordId;
use xingfu_platform::time::now_micros;

use crate::domain::KnownProject;

/// Records (or refreshes) a known project; `revision` counts the events applied to it.
pub async fn upsert_known_project(
    tx: &mut Transaction<'static, Any>,
    project: &KnownProject,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_projects (project_id, title, category, community_id, created_at, revision, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6) \
         ON CONFLICT (project_id) DO UPDATE SET title = excluded.title, category = excluded.category, \
         community_id = excluded.community_id, revision = known_projects.revision + 1, \
         updated_at = excluded.updated_at",
    )
    .bind(&project.project_id)
    .bind(&project.title)
    .bind(project.category)
    .bind(&project.community_id)
    .bind(project.created_at)
    .bind(now_micros())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a project's lifecycle status (PUBLISHED, CANCELLED, …), creating the row if an
/// event about it came before its creation event.
pub async fn set_status(
    tx: &mut Transaction<'static, Any>,
    project_id: &str,
    title: &str,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO known_projects (project_id, title, category, community_id, created_at, revision, updated_at, status) \
         VALUES ($1, $2, 0, '', 0, 1, $3, $4) \
         ON CONFLICT (project_id) DO UPDATE SET status = excluded.status, revision = known_projects.revision + 1, \
         updated_at = excluded.updated_at WHERE known_projects.status <> 'CANCELLED'",
    )
    .bind(project_id)
    .bind(title)
    .bind(now_micros())
    .bind(status)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Forgets every known project, for a replay of the projects' events from the start.
pub async fn forget_all(tx: &mut Transaction<'static, Any>) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM known_projects")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A known project's status; `None` when the project is unknown.
pub async fn status(
    conn: &mut sqlx::AnyConnection,
    project_id: &RecordId,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM known_projects WHERE project_id = $1")
        .bind(project_id.as_str())
        .fetch_optional(conn)
        .await
}

/// A known project and how many events were applied to it.
pub async fn known_project(
    pool: &AnyPool,
    id: &str,
) -> Result<Option<(KnownProject, i64)>, sqlx::Error> {
    let Some(row) = sqlx::query(
        "SELECT project_id, title, category, community_id, created_at, revision \
         FROM known_projects WHERE project_id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let project = KnownProject {
        project_id: row.try_get("project_id")?,
        title: row.try_get("title")?,
        category: row.try_get("category")?,
        community_id: row.try_get("community_id")?,
        created_at: row.try_get("created_at")?,
    };
    Ok(Some((project, row.try_get("revision")?)))
}
