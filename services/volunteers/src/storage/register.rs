//! The volunteer register: rows hold personal data sealed, digested and masked, never clear.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};

use xingfu_platform::db::{Filtered, bind};

use super::{Inside, Keyed};
use crate::domain::register::{Skill, Volunteer, VolunteerFilter, join_skills};

const COLUMNS: &str = "id, name_sealed, phone_sealed, id_number_sealed, phone_masked, \
                       id_number_masked, party_member, \
                       work_organisation_id, home_community_id, skills, created_at";

/// A volunteer row ready to store: every personal field already protected.
#[derive(Debug, Clone)]
pub struct SealedVolunteer {
    /// Server-assigned id.
    pub id: RecordId,
    /// The registrar's idempotency key.
    pub request_id: RequestId,
    /// Keyed digest of the whole request.
    pub request_hash: String,
    /// Name, sealed.
    pub name_sealed: String,
    /// Phone, sealed.
    pub phone_sealed: String,
    /// Phone, keyed digest.
    pub phone_digest: String,
    /// Phone, masked.
    pub phone_masked: String,
    /// ID number, sealed.
    pub id_number_sealed: String,
    /// ID number, keyed digest.
    pub id_number_digest: String,
    /// ID number, masked.
    pub id_number_masked: String,
    /// A Party member.
    pub party_member: bool,
    /// The work organisation.
    pub work_organisation_id: DirectoryId,
    /// The home community.
    pub home_community_id: DirectoryId,
    /// Skills.
    pub skills: Vec<Skill>,
    /// Registered, microseconds since the epoch.
    pub created_at: i64,
}

/// A stored volunteer, its name, phone and ID number still sealed.
#[derive(Debug, Clone)]
pub struct StoredVolunteer {
    /// The volunteer, `name` empty until opened.
    pub volunteer: Volunteer,
    /// The sealed name.
    pub name_sealed: String,
    /// The sealed phone.
    pub phone_sealed: String,
    /// The sealed ID number.
    pub id_number_sealed: String,
}

/// What registering came to.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // made once and matched at once: a box buys nothing
pub enum Registration {
    /// By the request id: stored now, or registered before under that key.
    Keyed(Keyed<StoredVolunteer>),
    /// The ID number is registered already, under another key.
    IdNumberTaken,
}

/// Inserts `v` unless its request id or ID number is known.
pub async fn insert(
    conn: &mut AnyConnection,
    v: &SealedVolunteer,
) -> Result<Registration, sqlx::Error> {
    if let Some(used) = keyed_by(conn, &v.request_id).await? {
        return Ok(Registration::Keyed(used));
    }
    let inserted = sqlx::query(
        "INSERT INTO volunteers (id, request_id, request_hash, name_sealed, phone_sealed, \
         phone_digest, phone_masked, id_number_sealed, id_number_digest, id_number_masked, \
         party_member, work_organisation_id, home_community_id, skills, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT DO NOTHING",
    )
    .bind(v.id.as_str())
    .bind(v.request_id.as_str())
    .bind(&v.request_hash)
    .bind(&v.name_sealed)
    .bind(&v.phone_sealed)
    .bind(&v.phone_digest)
    .bind(&v.phone_masked)
    .bind(&v.id_number_sealed)
    .bind(&v.id_number_digest)
    .bind(&v.id_number_masked)
    .bind(i64::from(v.party_member))
    .bind(v.work_organisation_id.as_str())
    .bind(v.home_community_id.as_str())
    .bind(join_skills(&v.skills))
    .bind(v.created_at)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        let stored = get(conn, &v.id).await?.ok_or(sqlx::Error::RowNotFound)?;
        return Ok(Registration::Keyed(Keyed::New(stored)));
    }
    // A concurrent registration won one of the unique columns: say which.
    Ok(keyed_by(conn, &v.request_id)
        .await?
        .map_or(Registration::IdNumberTaken, Registration::Keyed))
}

/// The volunteer registered under `request_id`, with the digest of what it was asked
/// with.
async fn keyed_by(
    conn: &mut AnyConnection,
    request_id: &RequestId,
) -> Result<Option<Keyed<StoredVolunteer>>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, request_hash FROM volunteers WHERE request_id = $1"
    )))
    .bind(request_id.as_str())
    .fetch_optional(conn)
    .await?
    .map(|row| {
        Ok(Keyed::Existing(
            stored_of(&row)?,
            row.try_get("request_hash")?,
        ))
    })
    .transpose()
}

/// The volunteer `id`.
pub async fn get(
    conn: &mut AnyConnection,
    id: &RecordId,
) -> Result<Option<StoredVolunteer>, sqlx::Error> {
    one(conn, "id", id.as_str()).await
}

/// A page of the register `filter` admits inside `inside`, in id order after `after`.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &VolunteerFilter,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredVolunteer>, sqlx::Error> {
    let mut query = Filtered::new(format!("SELECT {COLUMNS} FROM volunteers"))
        .and(
            "work_organisation_id =",
            filter
                .work_organisation_id
                .as_ref()
                .map(DirectoryId::as_str),
        )
        .and(
            "home_community_id =",
            filter.home_community_id.as_ref().map(DirectoryId::as_str),
        )
        .and_if(filter.party_member == Some(true), "party_member <> 0")
        .and_if(filter.party_member == Some(false), "party_member = 0")
        .and_in("home_community_id", inside.located())
        .and("id >", after);
    if let Some(skill) = &filter.skill {
        // Skills are stored one per line: a whole line matches, `%` and `_` literally.
        let escaped: String = skill
            .as_str()
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '!' => vec!['!', c],
                c => vec![c],
            })
            .collect();
        query = query.and_bound(|binds| {
            let newline = bind(binds, "\n");
            let pattern = bind(binds, format!("%\n{escaped}\n%"));
            format!("({newline} || skills || {newline}) LIKE {pattern} ESCAPE '!'")
        });
    }
    // A volunteer is the caller's when its work side or its home side is.
    if let Some((work, home)) = inside.owners() {
        query = query.and_bound(|binds| {
            let side = |binds: &mut Vec<String>, column: &str, values: &[String]| {
                if values.is_empty() {
                    return "1 = 0".to_owned();
                }
                let placeholders: Vec<String> =
                    values.iter().map(|v| bind(binds, v.clone())).collect();
                format!("{column} IN ({})", placeholders.join(", "))
            };
            let work = side(binds, "work_organisation_id", work);
            let home = side(binds, "home_community_id", home);
            format!("({work} OR {home})")
        });
    }
    query
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(stored_of)
        .collect()
}

/// The volunteer with this ID-number digest.
pub async fn by_id_number(
    conn: &mut AnyConnection,
    digest: &str,
) -> Result<Option<StoredVolunteer>, sqlx::Error> {
    one(conn, "id_number_digest", digest).await
}

/// The first volunteer registered with this phone digest.
pub async fn by_phone(
    conn: &mut AnyConnection,
    digest: &str,
) -> Result<Option<StoredVolunteer>, sqlx::Error> {
    one(conn, "phone_digest", digest).await
}

async fn one(
    conn: &mut AnyConnection,
    column: &'static str,
    value: &str,
) -> Result<Option<StoredVolunteer>, sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM volunteers WHERE {column} = $1 ORDER BY created_at, id LIMIT 1"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await?
    .map(|row| stored_of(&row))
    .transpose()
}

fn stored_of(row: &AnyRow) -> Result<StoredVolunteer, sqlx::Error> {
    let skills: String = row.try_get("skills")?;
    let party_member: i64 = row.try_get("party_member")?;
    Ok(StoredVolunteer {
        volunteer: Volunteer {
            id: RecordId::from_stored(row.try_get("id")?),
            name: String::new(),
            phone_masked: row.try_get("phone_masked")?,
            id_number_masked: row.try_get("id_number_masked")?,
            revealed: None,
            party_member: party_member != 0,
            work_organisation_id: DirectoryId::from_stored(row.try_get("work_organisation_id")?),
            home_community_id: DirectoryId::from_stored(row.try_get("home_community_id")?),
            skills: super::skills_of(&skills),
            created_at: row.try_get("created_at")?,
        },
        name_sealed: row.try_get("name_sealed")?,
        phone_sealed: row.try_get("phone_sealed")?,
        id_number_sealed: row.try_get("id_number_sealed")?,
    })
}
