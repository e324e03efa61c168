//! The gateway's calls on principals, roles and API keys. Who may manage whom is a rule
//! about people, decided here from the authenticated caller: a programme admin manages
//! everything; an organisation admin registers principals limited to its subtree, grants
//! and revokes roles there, and issues their keys. Programme-level roles (programme_admin,
//! auditor, integrator, delegate) are granted programme-wide by a programme admin only.

use sqlx::AnyConnection;
use tonic::{Request, Response, Status};
use xingfu_directory::{self as known, Hierarchy};
use xingfu_platform::db::Database;
use xingfu_platform::principal::{Grant, Role, normalise};
use xingfu_platform::time::{from_timestamp, now_micros, to_timestamp};
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::gateway as pb;

use crate::auth::new_key;
use crate::principals::{Principals, Record, Snapshot};

/// Roles that hold programme-wide only.
const PROGRAMME_ROLES: [Role; 4] = [
    Role::ProgrammeAdmin,
    Role::Auditor,
    Role::Integrator,
    Role::Delegate,
];

/// The calls, over the store and the directory the gateway keeps.
#[derive(Clone, Debug)]
pub struct PrincipalsApi {
    principals: Principals,
    db: Database,
}

impl PrincipalsApi {
    /// Calls over `principals`, checking organisations against `db`'s directory.
    pub fn new(principals: Principals, db: Database) -> Self {
        Self { principals, db }
    }

    async fn lineage(&self, organisation: &str) -> Result<Vec<String>, Error> {
        if organisation.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn: sqlx::pool::PoolConnection<sqlx::Any> = self.db.pool().acquire().await?;
        let conn: &mut AnyConnection = &mut conn;
        Ok(known::lineage(conn, Hierarchy::Known, organisation).await?)
    }

    /// Whether `caller` manages what lies at `organisation` (empty: programme-wide).
    async fn manages(&self, caller: &Caller, organisation: &str) -> Result<(), Error> {
        let lineage = self.lineage(organisation).await?;
        if caller.may(Role::ProgrammeAdmin, &[])
            || (!organisation.is_empty()
                && caller.sees(&lineage)
                && caller.may(Role::OrganisationAdmin, &lineage))
        {
            return Ok(());
        }
        Err(Error::denied(
            "ROLE_REQUIRED",
            if organisation.is_empty() {
                "this needs the role programme_admin".to_owned()
            } else {
                format!(
                    "this needs the role programme_admin, or organisation_admin over {organisation:?}"
                )
            },
        ))
    }

    /// A principal as the API shows it, or NOT_FOUND (also when outside the caller's
    /// boundary, so a limited admin learns nothing of others).
    async fn visible(
        &self,
        caller: &Caller,
        snapshot: &Snapshot,
        id: &str,
    ) -> Result<pb::Principal, Error> {
        let record = snapshot
            .principals
            .get(id)
            .ok_or_else(|| Error::not_found("principal", id))?;
        if caller.organisation.is_some()
            && !caller.sees(&self.lineage(&record.organisation_id).await?)
        {
            return Err(Error::not_found("principal", id));
        }
        if caller
            .township
            .as_ref()
            .is_some_and(|ours| *ours != record.township)
        {
            return Err(Error::not_found("principal", id));
        }
        Ok(to_proto(snapshot, record))
    }

    /// RegisterPrincipal.
    pub async fn register(
        &self,
        request: Request<pb::RegisterPrincipalRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let mut violations = Violations::default();
        let id = normalise(&r.id);
        violations.check(principal_id(&id, "id"));
        let kind = match pb::PrincipalKind::try_from(r.kind) {
            Ok(pb::PrincipalKind::Person) => "PERSON",
            Ok(pb::PrincipalKind::System) => "SYSTEM",
            // The request's rules require a defined kind (`kind` in the proto).
            _ => {
                return Err(Error::Unexpected(anyhow::anyhow!(
                    "a RegisterPrincipal request without a kind passed the request's rules"
                ))
                .into());
            }
        };
        // A name shown on every record of the principal's: one line, no control characters.
        let display_name = violations
            .check(xingfu_platform::validate::single_line(
                &r.display_name,
                "display_name",
                100,
            ))
            .unwrap_or_default();
        if !r.organisation_id.is_empty() {
            violations.check(xingfu_platform::validate::directory_id(
                &r.organisation_id,
                "organisation_id",
            ));
        }
        let township = r.township.trim().to_owned();
        if !township.is_empty() {
            violations.check(xingfu_platform::validate::single_line(
                &township, "township", 100,
            ));
            if !r.organisation_id.is_empty() {
                violations.add(
                    "township",
                    "a principal is limited to an organisation or to a township, not both",
                );
            }
        }
        violations.finish()?;
        // A township cuts across the organisations' tree: only the programme sets one.
        let managed_at = if township.is_empty() {
            r.organisation_id.as_str()
        } else {
            ""
        };
        self.manages(&caller, managed_at).await?;
        let record = Record {
            id,
            kind: kind.to_owned(),
            display_name,
            volunteer_id: r.volunteer_id,
            organisation_id: r.organisation_id,
            township,
        };
        let by = caller.principal()?;
        self.principals.register(&record, &by).await?;
        Ok(Response::new(to_proto(
            &self.principals.snapshot(),
            &record,
        )))
    }

    /// GetPrincipal.
    pub async fn get(
        &self,
        request: Request<pb::GetPrincipalRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        let id = normalise(&request.into_inner().id);
        principal_id(&id, "id").map_err(Error::from)?;
        may_read(&caller)?;
        let snapshot = self.principals.snapshot();
        Ok(Response::new(self.visible(&caller, &snapshot, &id).await?))
    }

    /// GetCurrentPrincipal: the caller as the gateway vouched for it.
    pub fn current(&self, request: &Request<pb::GetCurrentPrincipalRequest>) -> pb::Principal {
        let caller = Caller::from_metadata(request.metadata());
        let snapshot = self.principals.snapshot();
        let record = snapshot.principals.get(&caller.id);
        pb::Principal {
            id: caller.id.clone(),
            kind: record.map_or(pb::PrincipalKind::Unspecified, |r| kind(&r.kind)) as i32,
            display_name: record.map(|r| r.display_name.clone()).unwrap_or_default(),
            volunteer_id: caller.volunteer.clone().unwrap_or_default(),
            organisation_id: caller.organisation.clone().unwrap_or_default(),
            township: caller.township.clone().unwrap_or_default(),
            roles: caller
                .roles
                .iter()
                .map(|grant| pb::RoleGrant {
                    role: grant.role.as_str().to_owned(),
                    organisation_id: grant.organisation.clone().unwrap_or_default(),
                    granted_by: String::new(),
                    granted_at: None,
                })
                .collect(),
            scopes: caller.scopes.iter().cloned().collect(),
        }
    }

    /// ListPrincipals.
    pub async fn list(
        &self,
        request: Request<pb::ListPrincipalsRequest>,
    ) -> Result<Response<pb::ListPrincipalsResponse>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        may_read(&caller)?;
        let r = request.into_inner();
        let page = paging::parse(r.page.as_ref(), "", "page")?;
        let snapshot = self.principals.snapshot();
        let mut ids: Vec<&String> = snapshot
            .principals
            .keys()
            .filter(|id| {
                page.after
                    .as_ref()
                    .is_none_or(|after| id.as_str() > after.as_str())
            })
            .collect();
        ids.sort();
        let mut principals = Vec::new();
        for id in ids {
            if i64::try_from(principals.len()).unwrap_or(i64::MAX) >= page.fetch_limit() {
                break;
            }
            match self.visible(&caller, &snapshot, id).await {
                Ok(principal) => principals.push(principal),
                Err(Error::NotFound { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        let next_page_token = paging::finish(&mut principals, &page, "", |p| &p.id);
        Ok(Response::new(pb::ListPrincipalsResponse {
            principals,
            page: Some(xingfu_proto::common::PageResponse { next_page_token }),
        }))
    }

    /// GrantRole and RevokeRole.
    pub async fn change_role(
        &self,
        request: Request<pb::RoleRequest>,
        grant: bool,
    ) -> Result<Response<pb::Principal>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let id = normalise(&r.principal_id);
        let mut violations = Violations::default();
        violations.check(principal_id(&id, "principal_id"));
        let role = Role::parse(r.role.trim());
        if role.is_none() {
            violations.add("role", "one of the roles in docs/security.md");
        }
        if !r.organisation_id.is_empty() {
            violations.check(xingfu_platform::validate::directory_id(
                &r.organisation_id,
                "organisation_id",
            ));
        }
        if role.is_some_and(|role| PROGRAMME_ROLES.contains(&role)) && !r.organisation_id.is_empty()
        {
            violations.add(
                "organisation_id",
                "this role holds programme-wide only: leave organisation_id empty",
            );
        }
        violations.finish()?;
        let Some(role) = role else {
            return Err(Error::invalid("role", "not a role").into());
        };
        self.manages(&caller, &r.organisation_id).await?;
        let snapshot = self.principals.snapshot();
        self.visible(&caller, &snapshot, &id).await?;
        let by = caller.principal()?;
        let role_grant = Grant {
            role,
            organisation: Some(r.organisation_id).filter(|o| !o.is_empty()),
        };
        if grant {
            self.principals.grant(&id, &role_grant, &by).await?;
        } else {
            self.principals.revoke(&id, &role_grant, &by).await?;
        }
        let snapshot = self.principals.snapshot();
        Ok(Response::new(self.visible(&caller, &snapshot, &id).await?))
    }

    /// IssueApiKey.
    pub async fn issue_key(
        &self,
        request: Request<pb::IssueApiKeyRequest>,
    ) -> Result<Response<pb::IssuedApiKey>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        let r = request.into_inner();
        let principal = normalise(&r.principal_id);
        let mut violations = Violations::default();
        if r.key_id.is_empty()
            || r.key_id.len() > 64
            || !r
                .key_id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            violations.add("key_id", "1 to 64 characters of a-z, 0-9, '-', '_'");
        }
        violations.check(principal_id(&principal, "principal_id"));
        let not_after = match r.not_after.as_ref().map(from_timestamp) {
            Some(Some(at)) if at <= now_micros() => {
                violations.add("not_after", "must be in the future");
                None
            }
            Some(Some(at)) => Some(at),
            Some(None) => {
                violations.add("not_after", "not a valid time");
                None
            }
            None => None,
        };
        violations.finish()?;
        let snapshot = self.principals.snapshot();
        let record = self.visible(&caller, &snapshot, &principal).await?;
        self.manages(&caller, &record.organisation_id).await?;
        let (api_key, sha256) = new_key(&r.key_id);
        let by = caller.principal()?;
        self.principals
            .issue_key(&r.key_id, &principal, &sha256, not_after, &by)
            .await?;
        Ok(Response::new(pb::IssuedApiKey {
            key_id: r.key_id,
            principal_id: principal,
            api_key,
        }))
    }

    /// RevokeApiKey: by a programme admin, or an organisation admin for the keys of the
    /// principals it manages.
    pub async fn revoke_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokedApiKey>, Status> {
        let caller = Caller::from_metadata(request.metadata());
        let key_id = request.into_inner().key_id;
        if key_id.is_empty() || key_id.len() > 64 {
            return Err(Error::invalid("key_id", "1 to 64 characters").into());
        }
        let snapshot = self.principals.snapshot();
        let owner = snapshot
            .keys
            .get(&key_id)
            .and_then(|key| snapshot.principals.get(&key.principal))
            .map(|record| record.organisation_id.clone())
            .unwrap_or_default();
        self.manages(&caller, &owner).await?;
        let by = caller.principal()?;
        let at = self.principals.revoke_key(&key_id, &by).await?;
        Ok(Response::new(pb::RevokedApiKey {
            key_id,
            revoked_at: Some(to_timestamp(at)),
        }))
    }
}

/// Reading principals is for admins and auditors.
fn may_read(caller: &Caller) -> Result<(), Error> {
    if [Role::ProgrammeAdmin, Role::OrganisationAdmin, Role::Auditor]
        .into_iter()
        .any(|role| caller.holds_role(role))
    {
        Ok(())
    } else {
        Err(Error::denied(
            "ROLE_REQUIRED",
            "reading principals needs programme_admin, organisation_admin or auditor",
        ))
    }
}

/// A principal's id as the API takes it: what a principal's id can be anywhere (a token's
/// `jwt:<sub>` included), so every principal can be managed here.
fn principal_id(id: &str, field: &str) -> Result<(), xingfu_platform::FieldViolation> {
    if xingfu_platform::principal::is_principal_id(id) {
        Ok(())
    } else {
        Err(xingfu_platform::FieldViolation::new(
            field,
            "1 to 128 characters of a-z, 0-9, '-', '_', '.', ':', '@'",
        ))
    }
}

fn kind(name: &str) -> pb::PrincipalKind {
    match name {
        "PERSON" => pb::PrincipalKind::Person,
        "SYSTEM" => pb::PrincipalKind::System,
        _ => pb::PrincipalKind::Unspecified,
    }
}

fn to_proto(snapshot: &Snapshot, record: &Record) -> pb::Principal {
    pb::Principal {
        id: record.id.clone(),
        kind: kind(&record.kind) as i32,
        display_name: record.display_name.clone(),
        volunteer_id: record.volunteer_id.clone(),
        organisation_id: record.organisation_id.clone(),
        township: record.township.clone(),
        roles: snapshot
            .grants_of(&record.id)
            .map(|g| pb::RoleGrant {
                role: g.grant.role.as_str().to_owned(),
                organisation_id: g.grant.organisation.clone().unwrap_or_default(),
                granted_by: g.granted_by.clone(),
                granted_at: Some(to_timestamp(g.granted_at)),
            })
            .collect(),
        scopes: Vec::new(),
    }
}
