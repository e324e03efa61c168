//! Projects, their communities and co-organisers.

use std::collections::HashMap;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::owners::Scope;
use super::{Keyed, bump, corrupt, placeholders};
use crate::domain::project::Filter;
use crate::domain::{
    Category, Date, DirectoryId, Line, NewProject, Note, Outcome, Project, Reason, RecordId,
    Status, Text,
};
use xingfu_platform::db::{Filtered, bind};

const COLUMNS: &str = "id, title, category, description, status, version, planned_budget_fen, \
    start_date, end_date, lead_organisation, pending_dispatch, outcome_beneficiaries, \
    outcome_summary, cancel_reason, visits, person_times, funded_fen, volunteer_minutes, \
    created_at, updated_at, dispatch_respond_by";

/// Inserts `new` as a DRAFT project unless its request id is known; keeps the counters.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &RecordId,
    new: &NewProject,
    now: i64,
) -> Result<Keyed<Project>, sqlx::Error> {
    let first = new.communities.first().map_or("", DirectoryId::as_str);
    let inserted = sqlx::query(
        "INSERT INTO projects (id, request_id, request_hash, title, category, community_id, \
         description, status, version, created_at, updated_at, planned_budget_fen, start_date, \
         end_date, search_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9, $10, $11, $12, $13) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(new.request_id.as_str())
    .bind(new.fingerprint())
    .bind(new.title.as_str())
    .bind(new.category.as_str())
    .bind(first)
    .bind(new.description.as_str())
    .bind(Status::Draft.as_str())
    .bind(now)
    .bind(new.planned_budget_fen)
    .bind(new.start_date.map(|d| d.to_string()))
    .bind(new.end_date.map(|d| d.to_string()))
    .bind(search_text(new.title.as_str(), new.description.as_str()))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        let row = sqlx::query("SELECT id, request_hash FROM projects WHERE request_id = $1")
            .bind(new.request_id.as_str())
            .fetch_one(&mut *conn)
            .await?;
        let existing = RecordId::from_stored(row.try_get("id")?);
        let project = get(conn, &existing)
            .await?
            .ok_or(sqlx::Error::RowNotFound)?;
        return Ok(Keyed::Existing(project, row.try_get("request_hash")?));
    }
    set_communities(conn, id, &[], &new.communities).await?;
    bump(conn, "total", "", 1).await?;
    bump(conn, "category", new.category.as_str(), 1).await?;
    bump(conn, "status", Status::Draft.as_str(), 1).await?;
    let project = get(conn, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    Ok(Keyed::New(project))
}

/// The project `id` with its communities, co-organisers and needs.
pub async fn get(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Project>, sqlx::Error> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut projects = vec![project_of(&row)?];
    load_details(conn, &mut projects).await?;
    Ok(projects.pop())
}

/// The project `id`, its row locked until the transaction ends (on PostgreSQL; SQLite
/// transactions here already hold the write lock), so checks on its state stay true.
pub async fn lock(conn: &mut AnyConnection, id: &RecordId) -> Result<Option<Project>, sqlx::Error> {
    let locked = sqlx::query("UPDATE projects SET history_seq = history_seq WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *conn)
        .await?
        .rows_affected();
    if locked == 0 {
        return Ok(None);
    }
    get(conn, id).await
}

/// Writes `after` over `before` if nobody changed the project meanwhile (same version);
/// keeps the category and status counters. Returns false when someone else won.
pub async fn save(
    conn: &mut AnyConnection,
    before: &Project,
    after: &Project,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE projects SET title = $1, category = $2, description = $3, status = $4, \
         version = version + 1, planned_budget_fen = $5, start_date = $6, end_date = $7, \
         lead_organisation = $8, pending_dispatch = $9, outcome_beneficiaries = $10, \
         outcome_summary = $11, cancel_reason = $12, search_text = $13, updated_at = $14, \
         community_id = $15, dispatch_respond_by = $18 \
         WHERE id = $16 AND version = $17",
    )
    .bind(after.title.as_str())
    .bind(after.category.as_str())
    .bind(after.description.as_str())
    .bind(after.status.as_str())
    .bind(after.planned_budget_fen)
    .bind(after.start_date.map(|d| d.to_string()))
    .bind(after.end_date.map(|d| d.to_string()))
    .bind(after.lead_organisation.as_ref().map(DirectoryId::as_str))
    .bind(after.pending_dispatch.as_ref().map(DirectoryId::as_str))
    .bind(after.outcome.as_ref().map(|o| o.beneficiaries))
    .bind(after.outcome.as_ref().map(|o| o.summary.as_str()))
    .bind(after.cancel_reason.as_ref().map(Reason::as_str))
    .bind(search_text(
        after.title.as_str(),
        after.description.as_str(),
    ))
    .bind(now)
    .bind(after.communities.first().map_or("", DirectoryId::as_str))
    .bind(before.id.as_str())
    .bind(before.version)
    .bind(after.dispatch_respond_by.map(|d| d.to_string()))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    if before.category != after.category {
        bump(conn, "category", before.category.as_str(), -1).await?;
        bump(conn, "category", after.category.as_str(), 1).await?;
    }
    if before.status != after.status {
        bump(conn, "status", before.status.as_str(), -1).await?;
        bump(conn, "status", after.status.as_str(), 1).await?;
    }
    if before.communities != after.communities {
        set_communities(conn, &before.id, &before.communities, &after.communities).await?;
    }
    Ok(true)
}

async fn set_communities(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    before: &[DirectoryId],
    after: &[DirectoryId],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM project_communities WHERE project_id = $1")
        .bind(project_id.as_str())
        .execute(&mut *conn)
        .await?;
    for (position, community) in after.iter().enumerate() {
        sqlx::query("INSERT INTO project_communities (project_id, community_id, position) VALUES ($1, $2, $3)")
            .bind(project_id.as_str())
            .bind(community.as_str())
            .bind(i32::try_from(position).unwrap_or(i32::MAX))
            .execute(&mut *conn)
            .await?;
    }
    for gone in before.iter().filter(|c| !after.contains(c)) {
        bump(conn, "community", gone.as_str(), -1).await?;
    }
    for new in after.iter().filter(|c| !before.contains(c)) {
        bump(conn, "community", new.as_str(), 1).await?;
    }
    Ok(())
}

/// Adds a co-organiser; false when it was one already.
pub async fn add_co_organiser(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    organisation_id: &DirectoryId,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let added = sqlx::query(
        "INSERT INTO project_co_organisers (project_id, organisation_id, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(project_id.as_str())
    .bind(organisation_id.as_str())
    .bind(now)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(added == 1)
}

/// Removes a co-organiser (when it becomes the lead).
pub async fn remove_co_organiser(
    conn: &mut AnyConnection,
    project_id: &RecordId,
    organisation_id: &DirectoryId,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM project_co_organisers WHERE project_id = $1 AND organisation_id = $2")
        .bind(project_id.as_str())
        .bind(organisation_id.as_str())
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds to a project's running totals (visits, person-times, funding, volunteer minutes);
/// `project_id` as recorded here or as another service's event names it. False when no
/// project has that id.
pub async fn add_totals(
    conn: &mut AnyConnection,
    project_id: &str,
    column: Total,
    delta: i64,
) -> Result<bool, sqlx::Error> {
    let column = match column {
        Total::Visits => "visits",
        Total::PersonTimes => "person_times",
        Total::FundedFen => "funded_fen",
        Total::VolunteerMinutes => "volunteer_minutes",
    };
    let updated = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE projects SET {column} = {column} + $1 WHERE id = $2"
    )))
    .bind(delta)
    .bind(project_id)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// A running total kept on a project.
#[derive(Debug, Clone, Copy)]
pub enum Total {
    /// Visits recorded.
    Visits,
    /// Person-times served.
    PersonTimes,
    /// Money granted, fen.
    FundedFen,
    /// Verified volunteer minutes.
    VolunteerMinutes,
}

/// Projects newest first after `after` (an id), at most `limit`; only those inside
/// `scope` when given (see `owners`).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &Filter,
    scope: Option<Scope<'_>>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Project>, sqlx::Error> {
    let mut query = Filtered::new(format!("SELECT {COLUMNS} FROM projects p"))
        .and("category =", filter.category.map(Category::as_str))
        .and("status =", filter.status.map(Status::as_str));
    if let Some(community) = &filter.community_id {
        query = query.and_bound(|binds| {
            let community = bind(binds, community.as_str());
            format!(
                "EXISTS (SELECT 1 FROM project_communities c WHERE c.project_id = p.id \
                 AND c.community_id = {community})"
            )
        });
    }
    query = query.and(
        "lead_organisation =",
        filter.lead_organisation.as_ref().map(DirectoryId::as_str),
    );
    if let Some(text) = &filter.text {
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.and_bound(|binds| {
            let pattern = bind(binds, format!("%{escaped}%"));
            format!("search_text LIKE {pattern} ESCAPE '\\'")
        });
    }
    query = query.and("id <", after);
    if let Some(scope) = scope {
        query = query.and_bound(|binds| super::owners::project_visible("p", scope, binds));
    }
    let rows = query.fetch(&mut *conn, "id DESC", limit).await?;
    let mut projects = rows.iter().map(project_of).collect::<Result<Vec<_>, _>>()?;
    load_details(conn, &mut projects).await?;
    Ok(projects)
}

/// Fills communities, co-organisers and needs of `projects` with one query each.
async fn load_details(
    conn: &mut AnyConnection,
    projects: &mut [Project],
) -> Result<(), sqlx::Error> {
    if projects.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = projects.iter().map(|p| p.id.to_string()).collect();
    let index: HashMap<String, usize> = ids
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let list = placeholders(1, ids.len());
    for (sql, slot) in [
        (
            format!(
                "SELECT project_id, community_id AS value FROM project_communities WHERE project_id IN ({list}) ORDER BY project_id, position"
            ),
            0,
        ),
        (
            format!(
                "SELECT project_id, organisation_id AS value FROM project_co_organisers WHERE project_id IN ({list}) ORDER BY project_id, added_at, organisation_id"
            ),
            1,
        ),
        (
            format!(
                "SELECT project_id, id AS value FROM needs WHERE project_id IN ({list}) ORDER BY project_id, id"
            ),
            2,
        ),
    ] {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in &ids {
            query = query.bind(id.clone());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let project_id: String = row.try_get("project_id")?;
            let value: String = row.try_get("value")?;
            if let Some(&i) = index.get(&project_id) {
                let project = &mut projects[i];
                match slot {
                    0 => project.communities.push(DirectoryId::from_stored(value)),
                    1 => project.co_organisers.push(DirectoryId::from_stored(value)),
                    _ => project.need_ids.push(RecordId::from_stored(value)),
                }
            }
        }
    }
    Ok(())
}

fn search_text(title: &str, description: &str) -> String {
    format!("{title} {description}").to_lowercase()
}

fn project_of(row: &AnyRow) -> Result<Project, sqlx::Error> {
    let category: String = row.try_get("category")?;
    let status: String = row.try_get("status")?;
    let date = |column: &str| -> Result<Option<Date>, sqlx::Error> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .and_then(|d| Date::parse(&d)))
    };
    let beneficiaries: Option<i64> = row.try_get("outcome_beneficiaries")?;
    let summary: Option<String> = row.try_get("outcome_summary")?;
    Ok(Project {
        id: RecordId::from_stored(row.try_get("id")?),
        title: Line::from_stored(row.try_get("title")?),
        category: Category::parse(&category)
            .ok_or_else(|| corrupt("projects", "category", &category))?,
        communities: Vec::new(),
        description: Note::from_stored(row.try_get("description")?),
        status: Status::parse(&status).ok_or_else(|| corrupt("projects", "status", &status))?,
        version: row.try_get("version")?,
        planned_budget_fen: row.try_get("planned_budget_fen")?,
        start_date: date("start_date")?,
        end_date: date("end_date")?,
        lead_organisation: row
            .try_get::<Option<String>, _>("lead_organisation")?
            .map(DirectoryId::from_stored),
        co_organisers: Vec::new(),
        pending_dispatch: row
            .try_get::<Option<String>, _>("pending_dispatch")?
            .map(DirectoryId::from_stored),
        dispatch_respond_by: date("dispatch_respond_by")?,
        need_ids: Vec::new(),
        outcome: beneficiaries
            .zip(summary)
            .map(|(beneficiaries, summary)| Outcome {
                beneficiaries,
                summary: Text::from_stored(summary),
            }),
        cancel_reason: row
            .try_get::<Option<String>, _>("cancel_reason")?
            .map(Reason::from_stored),
        visits: row.try_get("visits")?,
        person_times: row.try_get("person_times")?,
        funded_fen: row.try_get("funded_fen")?,
        volunteer_minutes: row.try_get("volunteer_minutes")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}
