//! The projects service's SQL, and the only place it lives. Write functions take the
//! caller's transaction, so a change and its outbox event commit together.

use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};
use xingfu_platform::paging::Page;

use crate::domain::{Category, NewProject, Project, Status};

const COLUMNS: &str =
    "id, title, category, community_id, description, status, version, created_at, updated_at";

/// What inserting a project with an idempotency key came to.
#[derive(Debug)]
pub enum Inserted {
    /// A new project.
    New(Project),
    /// The key was used before; the project it created and the fingerprint it was asked with.
    Existing(Project, String),
}

/// Inserts `new` as a DRAFT project unless its request id is known.
pub async fn insert_project(
    tx: &mut Transaction<'static, Any>,
    id: &str,
    new: &NewProject,
    now: i64,
) -> Result<Inserted, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO projects (id, request_id, request_hash, title, category, community_id, \
         description, status, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $9) ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(id)
    .bind(&new.request_id)
    .bind(new.fingerprint())
    .bind(&new.title)
    .bind(new.category.as_str())
    .bind(new.community.as_str())
    .bind(&new.description)
    .bind(Status::Draft.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM projects WHERE request_id = $1"
    )))
    .bind(&new.request_id)
    .fetch_one(&mut **tx)
    .await?;
    let project = project_of(&row)?;
    Ok(if inserted == 1 {
        Inserted::New(project)
    } else {
        Inserted::Existing(project, row.try_get("request_hash")?)
    })
}

/// The project `id`, if any.
pub async fn get_project(pool: &AnyPool, id: &str) -> Result<Option<Project>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM projects WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .map(|row| project_of(&row))
    .transpose()
}

/// One page of projects, newest first, optionally of one category. Returns one more
/// than `page.size` when there is a next page.
pub async fn list_projects(
    pool: &AnyPool,
    category: Option<Category>,
    page: &Page,
) -> Result<Vec<Project>, sqlx::Error> {
    // Placeholders are numbered by hand: sqlx's QueryBuilder writes `?` for `Any`, which
    // PostgreSQL does not read.
    let mut sql = format!("SELECT {COLUMNS} FROM projects WHERE 1 = 1");
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    if category.is_some() {
        sql.push_str(&format!(" AND category = ${}", next()));
    }
    if page.after.is_some() {
        sql.push_str(&format!(" AND id < ${}", next()));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", next()));
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    if let Some(category) = category {
        query = query.bind(category.as_str());
    }
    if let Some(after) = &page.after {
        query = query.bind(after.clone());
    }
    query
        .bind(page.fetch_limit())
        .fetch_all(pool)
        .await?
        .iter()
        .map(project_of)
        .collect()
}

fn project_of(row: &AnyRow) -> Result<Project, sqlx::Error> {
    let category: String = row.try_get("category")?;
    let status: String = row.try_get("status")?;
    Ok(Project {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        category: Category::parse(&category).ok_or_else(|| corrupt("category", &category))?,
        community_id: row.try_get("community_id")?,
        description: row.try_get("description")?,
        status: Status::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn corrupt(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unknown {column} {value:?} in projects").into())
}
