//! Brands.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use xingfu_platform::checked::{DirectoryId, Line, Note};
use xingfu_platform::db::Filtered;

use crate::domain::Brand;

const BRAND: &str = "id, name, department_id, description, created_at";

/// What registering a brand came to.
#[derive(Debug)]
pub enum Registered {
    /// Registered now.
    New,
    /// The id was registered before: that brand.
    IdTaken(Brand),
    /// The department sponsors another brand.
    DepartmentTaken(Brand),
}

/// Registers `brand` unless its id or its department is taken. One conditional insert,
/// so concurrent registrations cannot both pass a check and then collide.
pub async fn insert(conn: &mut AnyConnection, brand: &Brand) -> Result<Registered, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO brands (id, name, department_id, description, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(brand.id.as_str())
    .bind(brand.name.as_str())
    .bind(brand.department_id.as_str())
    .bind(brand.description.as_str())
    .bind(brand.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Registered::New);
    }
    if let Some(existing) = get(conn, &brand.id).await? {
        return Ok(Registered::IdTaken(existing));
    }
    let sponsor = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BRAND} FROM brands WHERE department_id = $1"
    )))
    .bind(brand.department_id.as_str())
    .fetch_one(conn)
    .await?;
    Ok(Registered::DepartmentTaken(brand_of(&sponsor)?))
}

/// The brand `id`.
pub async fn get(conn: &mut AnyConnection, id: &DirectoryId) -> Result<Option<Brand>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {BRAND} FROM brands WHERE id = $1"
    )))
    .bind(id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| brand_of(&row))
    .transpose()
}

/// Brands in id order after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Brand>, sqlx::Error> {
    Filtered::new(format!("SELECT {BRAND} FROM brands"))
        .and("id >", after)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(brand_of)
        .collect()
}

fn brand_of(row: &AnyRow) -> Result<Brand, sqlx::Error> {
    Ok(Brand {
        id: DirectoryId::from_stored(row.try_get("id")?),
        name: Line::from_stored(row.try_get("name")?),
        department_id: DirectoryId::from_stored(row.try_get("department_id")?),
        description: Note::from_stored(row.try_get("description")?),
        created_at: row.try_get("created_at")?,
    })
}
