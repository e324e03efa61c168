//! The volunteer register: rows hold personal data sealed, digested and masked, never clear.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use xingfu_platform::checked::{DirectoryId, RecordId, RequestId};

use xingfu_platform::db::{Filtered, bind};

use super::{Inside, Keyed, corrupt};
use crate::domain::register::{
    Affiliation, AffiliationFilter, Skill, Volunteer, VolunteerFilter, VolunteerStatus, join_skills,
};

const COLUMNS: &str = "id, name_sealed, phone_sealed, phone_digest, id_number_sealed, \
                       phone_masked, id_number_masked, party_member, \
                       work_organisation_id, home_community_id, skills, created_at, \
                       version, status, status_changed_at, withdrawal_reason";

const AFFILIATION_COLUMNS: &str = "id, volunteer_id, work_organisation_id, home_community_id, \
                                   party_member, valid_from, valid_until";

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
    /// The phone's keyed digest.
    pub phone_digest: String,
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
        .and("status =", filter.status.map(VolunteerStatus::as_str))
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
    query = owned_by_either(query, "work_organisation_id", "home_community_id", inside);
    query
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(stored_of)
        .collect()
}

/// Keeps what a volunteer's work side (`work`) or home side (`home`) puts inside a
/// caller limited to a subtree: a volunteer, or one of their affiliations, is the
/// caller's when either side is.
fn owned_by_either(query: Filtered, work: &str, home: &str, inside: &Inside) -> Filtered {
    let Some((organisations, linked)) = inside.owners() else {
        return query;
    };
    query.and_bound(|binds| {
        let side = |binds: &mut Vec<String>, column: &str, values: &[String]| {
            if values.is_empty() {
                return "1 = 0".to_owned();
            }
            let placeholders: Vec<String> = values.iter().map(|v| bind(binds, v.clone())).collect();
            format!("{column} IN ({})", placeholders.join(", "))
        };
        let work = side(binds, work, organisations);
        let home = side(binds, home, linked);
        format!("({work} OR {home})")
    })
}

/// Writes `next` over the active volunteer's row if it is still at `version`, moving it
/// to the next version; false when it changed meanwhile or is no longer active.
pub async fn save(
    conn: &mut AnyConnection,
    next: &StoredVolunteer,
    version: i64,
) -> Result<bool, sqlx::Error> {
    let v = &next.volunteer;
    let saved = sqlx::query(
        "UPDATE volunteers SET name_sealed = $1, phone_sealed = $2, phone_digest = $3, \
         phone_masked = $4, party_member = $5, work_organisation_id = $6, \
         home_community_id = $7, skills = $8, version = $9 \
         WHERE id = $10 AND version = $11 AND status = 'ACTIVE'",
    )
    .bind(&next.name_sealed)
    .bind(&next.phone_sealed)
    .bind(&next.phone_digest)
    .bind(&v.phone_masked)
    .bind(i64::from(v.party_member))
    .bind(v.work_organisation_id.as_str())
    .bind(v.home_community_id.as_str())
    .bind(join_skills(&v.skills))
    .bind(version + 1)
    .bind(v.id.as_str())
    .bind(version)
    .execute(conn)
    .await?;
    Ok(saved.rows_affected() == 1)
}

/// Withdraws the active volunteer `id`; false when they are not active.
pub async fn withdraw(
    conn: &mut AnyConnection,
    id: &RecordId,
    reason: &str,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let withdrawn = sqlx::query(
        "UPDATE volunteers SET status = 'WITHDRAWN', status_changed_at = $1, \
         withdrawal_reason = $2, version = version + 1 WHERE id = $3 AND status = 'ACTIVE'",
    )
    .bind(at)
    .bind(reason)
    .bind(id.as_str())
    .execute(conn)
    .await?;
    Ok(withdrawn.rows_affected() == 1)
}

/// Destroys the withdrawn volunteer `id`'s personal data: the sealed values, the
/// digests a clear value could be matched against, the masks, the request's digest and
/// the reason they gave; false when they are not withdrawn. The digests become
/// per-volunteer placeholders (they are unique) that no clear value digests to.
pub async fn erase(conn: &mut AnyConnection, id: &RecordId, at: i64) -> Result<bool, sqlx::Error> {
    let placeholder = format!("erased:{id}");
    let erased = sqlx::query(
        "UPDATE volunteers SET status = 'ERASED', status_changed_at = $1, \
         name_sealed = '', phone_sealed = '', phone_digest = $2, phone_masked = '', \
         id_number_sealed = '', id_number_digest = $2, id_number_masked = '', \
         request_hash = $2, withdrawal_reason = '', version = version + 1 \
         WHERE id = $3 AND status = 'WITHDRAWN'",
    )
    .bind(at)
    .bind(&placeholder)
    .bind(id.as_str())
    .execute(conn)
    .await?;
    Ok(erased.rows_affected() == 1)
}

/// Opens a stretch of affiliation.
pub async fn open_affiliation(
    conn: &mut AnyConnection,
    a: &Affiliation,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO volunteer_affiliations (id, volunteer_id, work_organisation_id, \
         home_community_id, party_member, valid_from) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(a.id.as_str())
    .bind(a.volunteer_id.as_str())
    .bind(a.work_organisation_id.as_str())
    .bind(a.home_community_id.as_str())
    .bind(i64::from(a.party_member))
    .bind(a.valid_from)
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the volunteer's current stretch of affiliation at `at`.
pub async fn close_affiliation(
    conn: &mut AnyConnection,
    volunteer_id: &RecordId,
    at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE volunteer_affiliations SET valid_until = $1 \
         WHERE volunteer_id = $2 AND valid_until IS NULL",
    )
    .bind(at)
    .bind(volunteer_id.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// A page of the affiliations `filter` admits inside `inside`, in id order after `after`:
/// each held against the boundary by its own work and home sides.
pub async fn affiliations(
    conn: &mut AnyConnection,
    filter: &AffiliationFilter,
    inside: &Inside,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Affiliation>, sqlx::Error> {
    let query = Filtered::new(format!(
        "SELECT {AFFILIATION_COLUMNS} FROM volunteer_affiliations"
    ))
    .and(
        "volunteer_id =",
        filter.volunteer_id.as_ref().map(RecordId::as_str),
    )
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
    .and_if(filter.current == Some(true), "valid_until IS NULL")
    .and_if(filter.current == Some(false), "valid_until IS NOT NULL")
    .and_in("home_community_id", inside.located())
    .and("id >", after);
    owned_by_either(query, "work_organisation_id", "home_community_id", inside)
        .fetch(conn, "id", limit)
        .await?
        .iter()
        .map(|row| {
            let party_member: i64 = row.try_get("party_member")?;
            Ok(Affiliation {
                id: RecordId::from_stored(row.try_get("id")?),
                volunteer_id: RecordId::from_stored(row.try_get("volunteer_id")?),
                work_organisation_id: DirectoryId::from_stored(
                    row.try_get("work_organisation_id")?,
                ),
                home_community_id: DirectoryId::from_stored(row.try_get("home_community_id")?),
                party_member: party_member != 0,
                valid_from: row.try_get("valid_from")?,
                valid_until: row.try_get("valid_until")?,
            })
        })
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
    let status: String = row.try_get("status")?;
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
            version: row.try_get("version")?,
            status: VolunteerStatus::parse(&status)
                .ok_or_else(|| corrupt("volunteers", "status", &status))?,
            status_changed_at: row.try_get("status_changed_at")?,
            withdrawal_reason: row.try_get("withdrawal_reason")?,
        },
        name_sealed: row.try_get("name_sealed")?,
        phone_sealed: row.try_get("phone_sealed")?,
        phone_digest: row.try_get("phone_digest")?,
        id_number_sealed: row.try_get("id_number_sealed")?,
    })
}
