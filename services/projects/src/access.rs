//! Who may touch what (操作人与数据边界): the owner and location rule of every record the
//! library keeps, the caller's boundary, and the roles its writes need. The one place these
//! rules live: the gRPC layer asks here, the operations run the guards made here under
//! their lock, and `storage::owners` says the same rule in SQL for lists and figures.
//!
//! Owners, and locations (the townships of the communities, per `known_communities`):
//! - a project: owned by its lead organisation, its co-organisers and the organisation it
//!   is dispatched to (which must read it to answer); located where its communities are.
//!   A PUBLISHED project without a lead is in the shared library, open to claim: every
//!   caller sees it, a township caller too, wherever it is located (but changes it, or
//!   attaches a need to it, only when it is located in its township). Any other project
//!   without an owner (a draft, one cancelled before it was claimed) is the programme
//!   office's.
//! - a need: the project it became or joined, owner and location; before, the programme
//!   office's, located at its own community.
//! - a visit, history, trace: its project's owners, located where its project is.
//! - a contract: its project's owners and, when an organisation provides it, that
//!   organisation; located where its project is. A team's contract without a project is
//!   the programme office's; a contract without a project is located nowhere.
//!
//! A caller limited to an organisation's subtree (`Caller::organisation`) sees only records
//! with an owner inside it; the programme office's records only callers without one. A
//! caller limited to a township (`Caller::township`) sees only records located there; one
//! located nowhere (a contract without a project, a project of communities the directory
//! has not placed) is outside every township. Limited to both, a record must lie inside
//! both. A record outside answers NOT_FOUND, as a missing id does, and lists and figures
//! leave it out; creating a record outside the township (a project none of whose
//! communities lies there, a need of another township's community, a contract without a
//! project), or moving a project out of it, is PERMISSION_DENIED (`OUTSIDE_BOUNDARY`); so
//! is the programme office's work (a township caller is not the office). A township
//! narrows what is visible only: roles are held over organisations, as below.
//!
//! Roles over an organisation (held there or at an ancestor, or programme-wide):
//! - a principal *of* an organisation holds any role there but auditor (who changes
//!   nothing). Claiming for an organisation, answering its dispatch, and the lead's and
//!   co-organisers' work (start, complete, progress, hand-over, co-organisers, visits,
//!   contracts) need one.
//! - dispatching to an organisation needs `organisation_admin` over it (a parent's
//!   administrator sends work down) or `programme_admin`.

use std::collections::HashSet;
use std::sync::Arc;

use sqlx::AnyConnection;
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::Error;
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::domain::{Contract, DirectoryId, Need, Project, ProviderKind, RecordId, Status};
use crate::storage::owners::Scope;

/// Roles that make their holder a principal of an organisation: all but the auditor's.
const ACTING: [Role; 10] = [
    Role::ProgrammeAdmin,
    Role::OrganisationAdmin,
    Role::GrantRequester,
    Role::GrantApprover,
    Role::ActivityOrganiser,
    Role::Evaluator,
    Role::Commissioner,
    Role::ProblemHandler,
    Role::Integrator,
    Role::Delegate,
];

/// Roles that may dispatch a project to an organisation.
const DISPATCHING: [Role; 2] = [Role::OrganisationAdmin, Role::ProgrammeAdmin];

/// A check a write runs on the project it changes, under the transaction's lock, so a
/// concurrent hand-over cannot slip between the check and the change.
pub type Guard = Arc<dyn Fn(&Project) -> Result<(), Error> + Send + Sync>;

/// The organisations a set covers: all of them, or those listed.
#[derive(Debug, Clone)]
enum Orgs {
    All,
    Some(HashSet<String>),
}

impl Orgs {
    fn contains(&self, org: &str) -> bool {
        match self {
            Orgs::All => true,
            Orgs::Some(set) => set.contains(org),
        }
    }
}

/// A township boundary: the township and its communities (in order for SQL, and as a set).
#[derive(Debug, Clone)]
struct Township {
    name: String,
    communities: Vec<String>,
    set: HashSet<String>,
}

/// The caller of one call, with its boundary and its grants resolved to organisations.
#[derive(Debug, Clone)]
pub struct Access {
    id: String,
    /// The boundary's subtree, in order for SQL; `None`: no organisation boundary.
    boundary: Option<Vec<String>>,
    inside: Orgs,
    /// The township boundary; `None`: none.
    township: Option<Township>,
    /// Each grant with the organisations it covers.
    grants: Vec<(Role, Orgs)>,
}

impl Access {
    /// Resolves `caller`'s boundaries (its subtree, its township's communities) and grants
    /// over the known directory.
    pub async fn of(caller: &Caller, conn: &mut AnyConnection) -> Result<Self, Error> {
        let boundary = match &caller.organisation {
            Some(root) => Some(known::subtree(conn, Hierarchy::Known, root).await?),
            None => None,
        };
        let inside = match &boundary {
            Some(orgs) => Orgs::Some(orgs.iter().cloned().collect()),
            None => Orgs::All,
        };
        let township = match &caller.township {
            Some(name) => {
                let communities = known::township_communities(conn, Hierarchy::Known, name).await?;
                Some(Township {
                    name: name.clone(),
                    set: communities.iter().cloned().collect(),
                    communities,
                })
            }
            None => None,
        };
        let mut grants = Vec::with_capacity(caller.roles.len());
        for grant in &caller.roles {
            let orgs = match &grant.organisation {
                Some(at) => Orgs::Some(
                    known::subtree(conn, Hierarchy::Known, at)
                        .await?
                        .into_iter()
                        .collect(),
                ),
                None => Orgs::All,
            };
            grants.push((grant.role, orgs));
        }
        Ok(Self {
            id: caller.id.clone(),
            boundary,
            inside,
            township,
            grants,
        })
    }

    /// What the caller's boundaries hold, for filtering lists and figures in SQL; `None`
    /// when it has none (it sees everything).
    pub fn scope(&self) -> Option<Scope<'_>> {
        let communities = self.township.as_ref().map(|t| t.communities.as_slice());
        (self.boundary.is_some() || communities.is_some()).then_some(Scope {
            organisations: self.boundary.as_deref(),
            communities,
        })
    }

    /// Whether the caller is limited at all (an organisation, a township or both).
    fn is_limited(&self) -> bool {
        self.boundary.is_some() || self.township.is_some()
    }

    fn within(&self, org: &str) -> bool {
        self.inside.contains(org)
    }

    /// Whether a record of `communities` is located in the caller's township (always,
    /// without a township boundary; never, for a record located nowhere).
    fn located<S: AsRef<str>>(&self, communities: impl IntoIterator<Item = S>) -> bool {
        self.township
            .as_ref()
            .is_none_or(|t| communities.into_iter().any(|c| t.set.contains(c.as_ref())))
    }

    /// PERMISSION_DENIED (`OUTSIDE_BOUNDARY`): `what` would lie outside the township.
    fn outside_township(&self, what: &str) -> Error {
        let township = self.township.as_ref().map_or("", |t| t.name.as_str());
        Error::denied(
            "OUTSIDE_BOUNDARY",
            format!(
                "{what} would lie outside township {township:?}, to which {:?} is limited",
                self.id
            ),
        )
    }

    /// A write that places a record in `communities` (creating it, or moving a project):
    /// it must be located in the caller's township, if limited to one.
    pub fn place_in<'a>(
        &self,
        communities: impl IntoIterator<Item = &'a str>,
        what: &str,
    ) -> Result<(), Error> {
        if self.located(communities) {
            Ok(())
        } else {
            Err(self.outside_township(what))
        }
    }

    /// Whether the caller holds one of `roles` over `org`, inside its boundary.
    fn may(&self, roles: &[Role], org: &str) -> bool {
        self.within(org)
            && self
                .grants
                .iter()
                .any(|(role, orgs)| roles.contains(role) && orgs.contains(org))
    }

    fn denied(&self, what: &str, org: &str, needs: &str) -> Error {
        Error::denied(
            "ROLE_REQUIRED",
            format!(
                "{what} needs {needs} over organisation {org:?}, which {:?} does not hold",
                self.id
            ),
        )
    }

    fn require(&self, roles: &[Role], org: &str, what: &str, needs: &str) -> Result<(), Error> {
        if self.may(roles, org) {
            Ok(())
        } else {
            Err(self.denied(what, org, needs))
        }
    }

    /// Claiming a project for `org`, or answering a dispatch to it: a principal of `org`.
    pub fn act_for(&self, org: &str, what: &str) -> Result<(), Error> {
        self.require(&ACTING, org, what, "a role other than auditor")
    }

    /// Dispatching a project to `org`: its administrator (or a parent's), or the programme's.
    pub fn dispatch_to(&self, org: &str) -> Result<(), Error> {
        self.require(
            &DISPATCHING,
            org,
            "dispatching a project",
            "organisation_admin (or programme_admin)",
        )
    }

    /// Whether project `p` lies inside the caller's boundaries (see the module's rules):
    /// open in the library, or owned inside and located there.
    pub fn sees_project(&self, p: &Project) -> bool {
        let in_library = p.status == Status::Published && p.lead_organisation.is_none();
        let owned = self.boundary.is_none() || owners(p).any(|org| self.within(org.as_str()));
        in_library || (owned && self.located(&p.communities))
    }

    /// `p`, or NOT_FOUND (as for a missing id) when it lies outside the boundary.
    pub fn project(&self, p: Project) -> Result<Project, Error> {
        if self.sees_project(&p) {
            Ok(p)
        } else {
            Err(crate::ops::not_found(&p.id))
        }
    }

    /// Whether `need` (that became or joined `project`, if any) lies inside: as its
    /// project; before it has one, the programme office's located at its own community.
    pub fn sees_need(&self, need: &Need, project: Option<&Project>) -> bool {
        match project {
            Some(p) => self.sees_project(p),
            None => self.boundary.is_none() && self.located([&need.community_id]),
        }
    }

    /// `need`, or NOT_FOUND when it lies outside the boundary.
    pub fn need(&self, need: Need, project: Option<&Project>) -> Result<Need, Error> {
        if self.sees_need(&need, project) {
            Ok(need)
        } else {
            Err(need_not_found(&need.id))
        }
    }

    /// Whether contract `c` (of `project`, if any) lies inside the boundaries: owned
    /// inside, and located where its project is (without one, nowhere).
    pub fn sees_contract(&self, c: &Contract, project: Option<&Project>) -> bool {
        let owned = self.boundary.is_none()
            || project.is_some_and(|p| owners(p).any(|org| self.within(org.as_str())))
            || (c.provider_kind == ProviderKind::Organisation
                && self.within(c.provider_id.as_str()));
        owned && self.located(project.iter().flat_map(|p| &p.communities))
    }

    /// `c`, or NOT_FOUND when it lies outside the boundary.
    pub fn contract(&self, c: Contract, project: Option<&Project>) -> Result<Contract, Error> {
        if self.sees_contract(&c, project) {
            Ok(c)
        } else {
            Err(Error::NotFound {
                resource: "contract",
                id: c.id.into_string(),
            })
        }
    }

    /// Signing, renewing or ending a contract of `provider` (of `kind`), for `project` if
    /// any: a principal of the project's lead or a co-organiser; without a project, of the
    /// providing organisation; a team's contract without a project, the programme office.
    /// A contract without a project is located nowhere: outside a township caller's.
    pub fn keep_contract(
        &self,
        kind: ProviderKind,
        provider: &str,
        project: Option<&Project>,
    ) -> Result<(), Error> {
        match project {
            Some(p) => self.owner_work(p, "a contract of a project"),
            None if self.township.is_some() => {
                Err(self.outside_township("a contract without a project"))
            }
            None if kind == ProviderKind::Organisation => {
                self.act_for(provider, "a contract of an organisation")
            }
            None => self.programme_office("a team's contract without a project"),
        }
    }

    /// The lead's and co-organisers' work on `p`: a principal of one of them. A project
    /// without a lead is the programme office's: any caller without a boundary (its
    /// lifecycle then says what may happen to it).
    pub fn owner_work(&self, p: &Project, what: &str) -> Result<(), Error> {
        if p.lead_organisation.is_none() {
            return self.programme_office(what);
        }
        let led = p.lead_organisation.iter().chain(&p.co_organisers);
        if led.clone().any(|org| self.may(&ACTING, org.as_str())) {
            return Ok(());
        }
        let org = p.lead_organisation.as_ref().map_or("", DirectoryId::as_str);
        Err(self.denied(
            what,
            org,
            "a role other than auditor (of the lead or a co-organiser)",
        ))
    }

    /// The lead's own decisions on `p` (hand-over, co-organisers): a principal of the lead
    /// (the programme office's, as [`Access::owner_work`], while it has none).
    pub fn lead_work(&self, p: &Project, what: &str) -> Result<(), Error> {
        match &p.lead_organisation {
            Some(org) => self.act_for(org.as_str(), what),
            None => self.programme_office(what),
        }
    }

    /// Work on what no organisation owns: callers without any boundary only (a township
    /// caller is not the programme office either).
    fn programme_office(&self, what: &str) -> Result<(), Error> {
        if !self.is_limited() {
            return Ok(());
        }
        Err(Error::denied(
            "OUTSIDE_BOUNDARY",
            format!(
                "{what} is the programme office's (no organisation leads it); \
                 {:?} is limited to an organisation or a township",
                self.id
            ),
        ))
    }

    /// A guard: the project must lie inside the boundary (else NOT_FOUND).
    pub fn seeing(&self) -> Guard {
        let access = self.clone();
        Arc::new(move |p| access.project(p.clone()).map(drop))
    }

    /// A guard for changing the project itself (editing, publishing, cancelling, attaching
    /// a need): inside the boundary and, for a township caller, located in its township.
    /// The open library is open to read and claim from anywhere, not to change.
    pub fn editing(&self) -> Guard {
        let access = self.clone();
        Arc::new(move |p| {
            access.project(p.clone())?;
            if access.located(&p.communities) {
                Ok(())
            } else {
                Err(access.outside_township("changing the project"))
            }
        })
    }

    /// A guard: inside the boundary, and `rule` holds.
    pub fn guard(
        &self,
        rule: fn(&Access, &Project, &str) -> Result<(), Error>,
        what: &'static str,
    ) -> Guard {
        let access = self.clone();
        Arc::new(move |p| {
            access.project(p.clone())?;
            rule(&access, p, what)
        })
    }
}

/// The organisations that own `p`.
fn owners(p: &Project) -> impl Iterator<Item = &DirectoryId> + Clone {
    p.lead_organisation
        .iter()
        .chain(&p.co_organisers)
        .chain(&p.pending_dispatch)
}

/// NOT_FOUND for need `id`.
fn need_not_found(id: &RecordId) -> Error {
    Error::NotFound {
        resource: "need",
        id: id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(boundary: Option<&[&str]>, grants: &[(Role, Option<&[&str]>)]) -> Access {
        let set = |orgs: &[&str]| orgs.iter().map(|o| (*o).to_owned()).collect();
        Access {
            id: "clerk".into(),
            boundary: boundary.map(|b| b.iter().map(|o| (*o).to_owned()).collect()),
            inside: boundary.map_or(Orgs::All, |b| Orgs::Some(set(b))),
            township: None,
            grants: grants
                .iter()
                .map(|(role, orgs)| (*role, orgs.map_or(Orgs::All, |o| Orgs::Some(set(o)))))
                .collect(),
        }
    }

    /// `a` limited to township 北岙街道 too, whose communities are `communities`.
    fn in_township(mut a: Access, communities: &[&str]) -> Access {
        let communities: Vec<String> = communities.iter().map(|c| (*c).to_owned()).collect();
        a.township = Some(Township {
            name: "北岙街道".into(),
            set: communities.iter().cloned().collect(),
            communities,
        });
        a
    }

    fn project(status: Status, lead: Option<&str>) -> Project {
        located(status, lead, &[])
    }

    fn located(status: Status, lead: Option<&str>, communities: &[&str]) -> Project {
        let id = |id: &str| DirectoryId::from_stored(id.to_owned());
        Project {
            id: RecordId::from_stored("p".into()),
            title: crate::domain::Line::from_stored("t".into()),
            category: crate::domain::Category::Convenience,
            communities: communities.iter().map(|c| id(c)).collect(),
            description: crate::domain::Note::from_stored(String::new()),
            status,
            version: 1,
            planned_budget_fen: 0,
            start_date: None,
            end_date: None,
            lead_organisation: lead.map(id),
            co_organisers: Vec::new(),
            pending_dispatch: None,
            dispatch_respond_by: None,
            need_ids: Vec::new(),
            outcome: None,
            cancel_reason: None,
            visits: 0,
            person_times: 0,
            funded_fen: 0,
            volunteer_minutes: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_boundary_sees_its_projects_and_the_open_library() {
        let a = access(Some(&["org-a", "school-a"]), &[]);
        assert!(a.sees_project(&project(Status::Claimed, Some("school-a"))));
        assert!(!a.sees_project(&project(Status::Claimed, Some("org-b"))));
        assert!(a.sees_project(&project(Status::Published, None)));
        assert!(!a.sees_project(&project(Status::Draft, None)));
        assert!(access(None, &[]).sees_project(&project(Status::Draft, None)));
    }

    #[test]
    fn acting_needs_a_role_other_than_auditor_inside_the_boundary() {
        let a = access(
            Some(&["org-a"]),
            &[
                (Role::ActivityOrganiser, Some(&["org-a"])),
                (Role::Auditor, None),
            ],
        );
        assert!(a.act_for("org-a", "claiming").is_ok());
        assert!(a.act_for("org-b", "claiming").is_err());
        assert!(a.dispatch_to("org-a").is_err());
        let auditor = access(None, &[(Role::Auditor, None)]);
        assert!(auditor.act_for("org-a", "claiming").is_err());
    }

    #[test]
    fn a_township_sees_what_is_located_there_and_the_open_library() {
        let a = in_township(access(None, &[]), &["beiao-01", "beiao-02"]);
        let here = located(Status::Claimed, Some("org-b"), &["damen-01", "beiao-02"]);
        assert!(a.sees_project(&here));
        assert!(a.sees_project(&located(Status::Draft, None, &["beiao-01"])));
        assert!(!a.sees_project(&located(Status::Claimed, Some("org-a"), &["damen-01"])));
        // Located nowhere: outside every township.
        assert!(!a.sees_project(&project(Status::Claimed, Some("org-a"))));
        // The open library, wherever it is.
        assert!(a.sees_project(&located(Status::Published, None, &["damen-01"])));
        assert!(a.place_in(["damen-01", "beiao-01"], "a project").is_ok());
        assert!(a.place_in(["damen-01"], "a project").is_err());
        // A township caller is not the programme office.
        let unled = located(Status::Published, None, &["beiao-01"]);
        assert!(a.owner_work(&unled, "recording a visit").is_err());
        assert!(
            access(None, &[])
                .owner_work(&unled, "recording a visit")
                .is_ok()
        );
        let none = a.keep_contract(ProviderKind::Organisation, "org-a", None);
        assert!(none.is_err());

        // Limited to both, a record must lie inside both.
        let both = in_township(access(Some(&["org-a"]), &[]), &["beiao-01"]);
        assert!(both.sees_project(&located(Status::Claimed, Some("org-a"), &["beiao-01"])));
        assert!(!both.sees_project(&located(Status::Claimed, Some("org-b"), &["beiao-01"])));
        assert!(!both.sees_project(&located(Status::Claimed, Some("org-a"), &["damen-01"])));
    }
}
