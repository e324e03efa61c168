//! Who may touch what (操作人与数据边界): the owner and the location of every record this
//! service keeps and the roles its writes need, in one place. Every call is admitted here
//! before its handler runs (the route table in `grpc` asks `ops::Workshops::admit`, which
//! runs [`admit`]); lists and figures filter with [`scope`] in SQL (`storage::boundary`
//! holds that SQL and the look-up of a record's place).
//!
//! Owners: a workshop is its sponsoring department's (`department_id`, an organisation of
//! the directory); its workers, income, orders, tasks, takes, problems, appointments and
//! broker ratings are their workshop's. An appointment without a workshop (a commissioner
//! sent to a village or a firm) is the programme office's. Brands are the programme's
//! catalogue, visible to everyone.
//!
//! Locations: a workshop lies in the township (镇 / 街道) of its community
//! (`community_id`), as the directory's read model `known_communities` names it; the
//! `workshops` table keeps no township of its own, and reading it from the read model
//! keeps it current when the directory moves a community. Everything at a workshop lies
//! where its workshop does. An appointment without a workshop, and a brand, lie nowhere;
//! so does a workshop whose community the directory has not (yet) told us of.
//!
//! A caller limited to an organisation's subtree sees and changes only records whose
//! owner lies inside; a caller limited to a township only records located there (both,
//! when it has both). Outside, a record answers NOT_FOUND exactly as a missing id does,
//! and lists and figures leave it out. A record located nowhere is outside every
//! township. Creating a workshop or a brand for a department outside the caller's
//! subtree, a workshop in a community outside its township, a brand at all for a
//! township caller (a brand lies nowhere), or an appointment without a workshop (for any
//! limited caller) is refused PERMISSION_DENIED (`OUTSIDE_BOUNDARY`).
//!
//! Roles over the workshop's organisation (held there, above it, or programme-wide):
//! appointing and ending appointments need `organisation_admin` (or `programme_admin`);
//! rating a star broker needs `evaluator`; assigning, escalating and resolving a problem
//! need `problem_handler`. Appointments without a workshop need the role programme-wide.
//! A township boundary only narrows what is visible: it grants no role.

use sqlx::AnyConnection;
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::Error;
use xingfu_platform::checked::RecordId;
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::storage::boundary::{self, Held};

/// The roles that appoint people around a workshop.
pub const APPOINTING: &[Role] = &[Role::OrganisationAdmin, Role::ProgrammeAdmin];
/// The roles that run a workshop: open, suspend or close it, rename it, record support.
pub const MANAGING: &[Role] = &[
    Role::Commissioner,
    Role::OrganisationAdmin,
    Role::ProgrammeAdmin,
];
/// The role that rates star brokers.
pub const RATING: &[Role] = &[Role::Evaluator];
/// The role that takes and resolves problems.
pub const HANDLING: &[Role] = &[Role::ProblemHandler];

/// The record a call touches by id, named by the request.
#[derive(Debug, Clone, Copy)]
pub enum Record<'a> {
    /// None by id (lists filtered by [`scope`], reading the catalogue).
    None,
    /// A new brand, for this department: located nowhere.
    NewBrand(&'a str),
    /// A new workshop, for this department, in this community.
    NewWorkshop {
        /// Its sponsoring department.
        department: &'a str,
        /// Its community.
        community: &'a str,
    },
    /// What no workshop owns (an appointment to a village or a firm): the programme's,
    /// located nowhere.
    Programme,
    /// A workshop.
    Workshop(&'a str),
    /// A worker.
    Worker(&'a str),
    /// An order.
    Order(&'a str),
    /// A task of an order.
    Task(&'a str),
    /// A worker's take of a task.
    Take(&'a str),
    /// A problem.
    Problem(&'a str),
    /// An appointment.
    Appointment(&'a str),
}

/// What a call needs over the record's organisation, beyond seeing it.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// Only that the record lies inside the caller's boundary.
    See,
    /// One of these roles, for doing `what`.
    Role(&'static [Role], &'static str),
}

/// A call's record and rule.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    /// The record touched.
    pub record: Record<'a>,
    /// What it needs.
    pub rule: Rule,
    /// A second record the request names, which the caller must see too (the worker a
    /// take is for): outside, it is NOT_FOUND, so a write cannot probe it.
    pub also: Option<Record<'a>>,
}

impl<'a> Check<'a> {
    /// Nothing to check by id.
    pub const OPEN: Check<'static> = Check {
        record: Record::None,
        rule: Rule::See,
        also: None,
    };

    /// `record`, which the caller must see.
    pub fn see(record: Record<'a>) -> Self {
        Self {
            record,
            rule: Rule::See,
            also: None,
        }
    }

    /// `record`, whose organisation the caller must hold one of `roles` over.
    pub fn role(record: Record<'a>, roles: &'static [Role], what: &'static str) -> Self {
        Self {
            record,
            rule: Rule::Role(roles, what),
            also: None,
        }
    }

    /// This check, and `record` seen as well.
    pub fn and_see(self, record: Record<'a>) -> Self {
        Self {
            also: Some(record),
            ..self
        }
    }
}

/// The caller's boundary as lists and figures filter by it in SQL: the organisations of
/// its subtree (owners) and the communities of its township (locations); `None` where it
/// has no such limit, an empty set where nothing lies inside. `storage::boundary` turns
/// it into SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The organisations a workshop's department must be one of.
    pub organisations: Option<Vec<String>>,
    /// The communities a workshop's community must be one of.
    pub communities: Option<Vec<String>>,
}

impl Scope {
    /// No boundary: every workshop.
    pub const ALL: Scope = Scope {
        organisations: None,
        communities: None,
    };

    /// Whether it leaves anything out.
    pub fn is_limited(&self) -> bool {
        self.organisations.is_some() || self.communities.is_some()
    }
}

/// `caller`'s boundary, to filter lists and figures in SQL.
pub async fn scope(conn: &mut AnyConnection, caller: &Caller) -> Result<Scope, Error> {
    let organisations = match &caller.organisation {
        Some(root) => Some(known::subtree(&mut *conn, Hierarchy::Known, root).await?),
        None => None,
    };
    let communities = match &caller.township {
        Some(township) => {
            Some(known::township_communities(&mut *conn, Hierarchy::Known, township).await?)
        }
        None => None,
    };
    Ok(Scope {
        organisations,
        communities,
    })
}

/// Admits `caller` to `check`: NOT_FOUND when the record lies outside its boundary (as
/// for a missing id), PERMISSION_DENIED when a new record would, or when a role is
/// missing. An id that names nothing passes, for the handler to validate and answer.
pub async fn admit(
    conn: &mut AnyConnection,
    caller: &Caller,
    check: Check<'_>,
) -> Result<(), Error> {
    admit_one(conn, caller, check.record, check.rule).await?;
    match check.also {
        Some(also) => admit_one(conn, caller, also, Rule::See).await,
        None => Ok(()),
    }
}

/// [`admit`] for one record.
async fn admit_one(
    conn: &mut AnyConnection,
    caller: &Caller,
    record: Record<'_>,
    rule: Rule,
) -> Result<(), Error> {
    let Some(found) = place(conn, record).await? else {
        return Ok(());
    };
    let lineage = match &found.owner {
        Some(org) => known::lineage(&mut *conn, Hierarchy::Known, org).await?,
        None => Vec::new(),
    };
    // No owner: no lineage to hold it by (the programme office's).
    let lineages: &[Vec<String>] = match found.owner {
        Some(_) => std::slice::from_ref(&lineage),
        None => &[],
    };
    let townships = match &found.community {
        Some(community) => {
            known::townships_of(
                &mut *conn,
                Hierarchy::Known,
                std::slice::from_ref(community),
            )
            .await?
        }
        None => Vec::new(),
    };
    if !caller.sees_record(lineages, &townships) {
        return Err(outside(record, found));
    }
    match rule {
        Rule::See => Ok(()),
        Rule::Role(roles, what) => {
            if roles.iter().any(|role| caller.may(*role, &lineage)) {
                return Ok(());
            }
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            let place = found
                .owner
                .map_or_else(|| "programme-wide".to_owned(), |o| format!("over {o:?}"));
            Err(Error::denied(
                "ROLE_REQUIRED",
                format!(
                    "{what} needs the role {} {place}, which {:?} does not hold",
                    names.join(" or "),
                    caller.id
                ),
            ))
        }
    }
}

/// The refusal of a record outside the caller's boundary: a new one is PERMISSION_DENIED,
/// one by id NOT_FOUND, exactly as a missing id.
fn outside(record: Record<'_>, found: Found) -> Error {
    let reason = "OUTSIDE_BOUNDARY";
    match record {
        Record::NewBrand(department) => Error::denied(
            reason,
            format!(
                "a brand of {department:?} lies outside the caller's boundary (a brand lies \
                 in no township)"
            ),
        ),
        Record::NewWorkshop {
            department,
            community,
        } => Error::denied(
            reason,
            format!(
                "a workshop of {department:?} in {community:?} lies outside the caller's \
                 boundary"
            ),
        ),
        Record::Programme => Error::denied(
            reason,
            "what no workshop owns is the programme office's and lies in no township; the \
             caller is limited to an organisation or a township",
        ),
        _ => Error::not_found(found.resource, &found.id),
    }
}

/// What the boundary holds a record by.
struct Found {
    /// Its resource name.
    resource: &'static str,
    /// Its id, canonical.
    id: String,
    /// The owning organisation; `None`: the programme office's.
    owner: Option<String>,
    /// The community it lies in; `None`: nowhere.
    community: Option<String>,
}

/// The record's owner and community; `None` when there is no record to check or it does
/// not exist.
async fn place(conn: &mut AnyConnection, record: Record<'_>) -> Result<Option<Found>, Error> {
    let new = |resource, owner: &str, community: Option<&str>| {
        Ok(Some(Found {
            resource,
            id: String::new(),
            owner: Some(owner.to_owned()),
            community: community.map(str::to_owned),
        }))
    };
    let (resource, raw, held) = match record {
        Record::None => return Ok(None),
        Record::NewBrand(department) => return new("brand", department, None),
        Record::NewWorkshop {
            department,
            community,
        } => return new("workshop", department, Some(community)),
        Record::Programme => {
            return Ok(Some(Found {
                resource: "programme",
                id: String::new(),
                owner: None,
                community: None,
            }));
        }
        Record::Workshop(id) => ("workshop", id, Held::Workshop),
        Record::Worker(id) => ("worker", id, Held::Worker),
        Record::Order(id) => ("order", id, Held::Order),
        Record::Task(id) => ("task", id, Held::Task),
        Record::Take(id) => ("take", id, Held::Take),
        Record::Problem(id) => ("problem", id, Held::Problem),
        Record::Appointment(id) => ("appointment", id, Held::Appointment),
    };
    // The handlers read an id in its canonical form (any case, braces, `urn:uuid:`), so
    // the boundary must look the same record up; what is no id is the handler's to refuse.
    let Ok(id) = RecordId::parse(raw, "id") else {
        return Ok(None);
    };
    let found = boundary::place(conn, held, &id).await?;
    Ok(found.map(|(owner, community)| Found {
        resource,
        id: id.into_string(),
        owner,
        community,
    }))
}
