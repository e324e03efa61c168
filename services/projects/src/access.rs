//! Who may touch what (操作人与数据边界): the owner rule of every record the library keeps,
//! the caller's boundary, and the roles its writes need. The one place these rules live:
//! the gRPC layer asks here, the operations run the guards made here under their lock,
//! and `storage::owners` says the same owner rule in SQL for lists and figures.
//!
//! Owners:
//! - a project: its lead organisation, its co-organisers and the organisation it is
//!   dispatched to (which must read it to answer). A PUBLISHED project without a lead is
//!   in the shared library, open to claim: every caller sees it. Any other project without
//!   an owner (a draft, one cancelled before it was claimed) is the programme office's.
//! - a need: the project it became or joined; before review, the programme office's.
//! - a visit: its project's owners.
//! - a contract: its project's owners and, when an organisation provides it, that
//!   organisation; a team's contract without a project is the programme office's.
//!
//! A caller limited to an organisation's subtree (`Caller::organisation`) sees only records
//! with an owner inside it; the programme office's records only callers without a boundary.
//! A record outside answers NOT_FOUND, as a missing id does.
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
use xingfu_platform::Error;
use xingfu_platform::known::{self, Hierarchy};
use xingfu_platform::principal::Role;
use xingfu_platform::trust::Caller;

use crate::domain::{Contract, Need, Project, ProviderKind, Status};

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

/// The caller of one call, with its boundary and its grants resolved to organisations.
#[derive(Debug, Clone)]
pub struct Access {
    id: String,
    /// The boundary's subtree, in order for SQL; `None`: no boundary.
    boundary: Option<Vec<String>>,
    inside: Orgs,
    /// Each grant with the organisations it covers.
    grants: Vec<(Role, Orgs)>,
}

impl Access {
    /// Resolves `caller`'s boundary and grants over the known hierarchy.
    pub async fn of(caller: &Caller, conn: &mut AnyConnection) -> Result<Self, Error> {
        let boundary = match &caller.organisation {
            Some(root) => Some(known::subtree(conn, Hierarchy::Known, root).await?),
            None => None,
        };
        let inside = match &boundary {
            Some(orgs) => Orgs::Some(orgs.iter().cloned().collect()),
            None => Orgs::All,
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
            grants,
        })
    }

    /// The organisations inside the caller's boundary, for filtering lists in SQL;
    /// `None` when the caller has none.
    pub fn scope(&self) -> Option<&[String]> {
        self.boundary.as_deref()
    }

    fn within(&self, org: &str) -> bool {
        self.inside.contains(org)
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

    /// Whether project `p` lies inside the caller's boundary (see the module's owners).
    pub fn sees_project(&self, p: &Project) -> bool {
        let in_library = p.status == Status::Published && p.lead_organisation.is_none();
        self.boundary.is_none() || in_library || owners(p).any(|org| self.within(org))
    }

    /// `p`, or NOT_FOUND (as for a missing id) when it lies outside the boundary.
    pub fn project(&self, p: Project) -> Result<Project, Error> {
        if self.sees_project(&p) {
            Ok(p)
        } else {
            Err(crate::ops::not_found(&p.id))
        }
    }

    /// Whether need `need` (that became or joined `project`, if any) lies inside.
    pub fn sees_need(&self, project: Option<&Project>) -> bool {
        self.boundary.is_none() || project.is_some_and(|p| self.sees_project(p))
    }

    /// `need`, or NOT_FOUND when it lies outside the boundary.
    pub fn need(&self, need: Need, project: Option<&Project>) -> Result<Need, Error> {
        if self.sees_need(project) {
            Ok(need)
        } else {
            Err(need_not_found(&need.id))
        }
    }

    /// Whether contract `c` (of `project`, if any) lies inside the boundary.
    pub fn sees_contract(&self, c: &Contract, project: Option<&Project>) -> bool {
        self.boundary.is_none()
            || project.is_some_and(|p| owners(p).any(|org| self.within(org)))
            || (c.provider_kind == ProviderKind::Organisation && self.within(&c.provider_id))
    }

    /// `c`, or NOT_FOUND when it lies outside the boundary.
    pub fn contract(&self, c: Contract, project: Option<&Project>) -> Result<Contract, Error> {
        if self.sees_contract(&c, project) {
            Ok(c)
        } else {
            Err(Error::NotFound {
                resource: "contract",
                id: c.id,
            })
        }
    }

    /// Signing, renewing or ending a contract of `provider` (of `kind`), for `project` if
    /// any: a principal of the project's lead or a co-organiser; without a project, of the
    /// providing organisation; a team's contract without a project, the programme office.
    pub fn keep_contract(
        &self,
        kind: ProviderKind,
        provider: &str,
        project: Option<&Project>,
    ) -> Result<(), Error> {
        match project {
            Some(p) => self.owner_work(p, "a contract of a project"),
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
        if led.clone().any(|org| self.may(&ACTING, org)) {
            return Ok(());
        }
        let org = p.lead_organisation.as_deref().unwrap_or("");
        Err(self.denied(
            what,
            org,
            "a role other than auditor (of the lead or a co-organiser)",
        ))
    }

    /// The lead's own decisions on `p` (hand-over, co-organisers): a principal of the lead
    /// (the programme office's, as [`Access::owner_work`], while it has none).
    pub fn lead_work(&self, p: &Project, what: &str) -> Result<(), Error> {
        match p.lead_organisation.as_deref() {
            Some(org) => self.act_for(org, what),
            None => self.programme_office(what),
        }
    }

    /// Work on what no organisation owns: callers without a boundary only.
    fn programme_office(&self, what: &str) -> Result<(), Error> {
        if self.boundary.is_none() {
            return Ok(());
        }
        Err(Error::denied(
            "OUTSIDE_BOUNDARY",
            format!(
                "{what} is the programme office's (no organisation leads it); \
                 {:?} is limited to an organisation",
                self.id
            ),
        ))
    }

    /// A guard: the project must lie inside the boundary (else NOT_FOUND).
    pub fn seeing(&self) -> Guard {
        let access = self.clone();
        Arc::new(move |p| access.project(p.clone()).map(drop))
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
fn owners(p: &Project) -> impl Iterator<Item = &String> + Clone {
    p.lead_organisation
        .iter()
        .chain(&p.co_organisers)
        .chain(&p.pending_dispatch)
}

/// NOT_FOUND for need `id`.
fn need_not_found(id: &str) -> Error {
    Error::NotFound {
        resource: "need",
        id: id.to_owned(),
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
            grants: grants
                .iter()
                .map(|(role, orgs)| (*role, orgs.map_or(Orgs::All, |o| Orgs::Some(set(o)))))
                .collect(),
        }
    }

    fn project(status: Status, lead: Option<&str>) -> Project {
        Project {
            id: "p".into(),
            title: String::new(),
            category: crate::domain::Category::Convenience,
            communities: Vec::new(),
            description: String::new(),
            status,
            version: 1,
            planned_budget_fen: 0,
            start_date: None,
            end_date: None,
            lead_organisation: lead.map(str::to_owned),
            co_organisers: Vec::new(),
            pending_dispatch: None,
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
}
