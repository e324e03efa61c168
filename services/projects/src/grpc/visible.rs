//! The API's look-ups that hold the caller's boundary (a record outside it is NOT_FOUND,
//! as a missing one) and its answers, with the directory ids they mention verified.

// The API's own module's names: this is the rest of its `impl`, kept apart for size.
use super::*;

impl ProjectsApi {
    pub(super) async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, Error> {
        Ok(self.library.db().pool().acquire().await?)
    }

    /// The authenticated caller of `request`, its boundary and roles resolved.
    pub(super) async fn access<T>(&self, request: &Request<T>) -> Result<Access, Error> {
        let caller = Caller::from_metadata(request.metadata());
        let mut conn = self.conn().await?;
        Access::of(&caller, &mut conn).await
    }

    /// Project `id`, if the caller sees it (else NOT_FOUND, as for a missing id).
    pub(super) async fn visible_project(
        &self,
        access: &Access,
        id: &str,
    ) -> Result<Project, Error> {
        access.project(self.library.project(id).await?)
    }

    /// Need `id`, if the caller sees it.
    pub(super) async fn visible_need(&self, access: &Access, id: &str) -> Result<Need, Error> {
        let need = self.library.need(id).await?;
        let project = match &need.project_id {
            Some(project_id) => Some(self.library.project(project_id).await?),
            None => None,
        };
        access.need(need, project.as_ref())
    }

    /// Contract `id` and its project, if the caller sees it.
    pub(super) async fn visible_contract(
        &self,
        access: &Access,
        id: &str,
    ) -> Result<(crate::domain::Contract, Option<Project>), Error> {
        let contract = self.library.contract(id).await?;
        let project = match &contract.project_id {
            Some(project_id) => Some(self.library.project(project_id).await?),
            None => None,
        };
        Ok((access.contract(contract, project.as_ref())?, project))
    }

    /// Whether the caller may renew or end contract `id` (NOT_FOUND when it does not see it).
    pub(super) async fn may_keep_contract(&self, access: &Access, id: &str) -> Result<(), Error> {
        let (contract, project) = self.visible_contract(access, id).await?;
        access.keep_contract(
            contract.provider_kind,
            &contract.provider_id,
            project.as_ref(),
        )
    }

    /// Which of the directory ids mentioned by `projects`, `needs` and `visits` are known.
    pub(super) async fn verified(
        &self,
        conn: &mut AnyConnection,
        orgs: Vec<&str>,
        communities: Vec<&str>,
    ) -> Result<Verified, Error> {
        Ok(Verified {
            organisations: known(conn, Kind::Organisation, &orgs).await?,
            communities: known(conn, Kind::Community, &communities).await?,
        })
    }

    pub(super) async fn projects_out(
        &self,
        projects: Vec<Project>,
    ) -> Result<Vec<pb::Project>, Error> {
        let mut conn = self.conn().await?;
        let orgs: Vec<&str> = projects
            .iter()
            .flat_map(|p| {
                p.lead_organisation
                    .iter()
                    .chain(&p.co_organisers)
                    .chain(&p.pending_dispatch)
                    .map(String::as_str)
            })
            .collect();
        let communities: Vec<&str> = projects
            .iter()
            .flat_map(|p| p.communities.iter().map(String::as_str))
            .collect();
        let verified = self.verified(&mut conn, orgs, communities).await?;
        drop(conn);
        Ok(projects
            .into_iter()
            .map(|p| project_to_proto(p, &verified))
            .collect())
    }

    pub(super) async fn project_out(&self, project: Project) -> Answer<pb::Project> {
        let mut out = self.projects_out(vec![project]).await?;
        out.pop()
            .map(Response::new)
            .ok_or_else(|| Status::internal("internal error"))
    }

    pub(super) async fn needs_out(&self, needs: Vec<Need>) -> Result<Vec<pb::Need>, Error> {
        let mut conn = self.conn().await?;
        let communities = needs.iter().map(|n| n.community_id.as_str()).collect();
        let verified = self.verified(&mut conn, Vec::new(), communities).await?;
        Ok(needs
            .into_iter()
            .map(|n| need_to_proto(n, &verified))
            .collect())
    }

    pub(super) async fn visits_out(&self, visits: Vec<Visit>) -> Result<Vec<pb::Visit>, Error> {
        let mut conn = self.conn().await?;
        let communities = visits.iter().map(|v| v.community_id.as_str()).collect();
        let verified = self.verified(&mut conn, Vec::new(), communities).await?;
        Ok(visits
            .into_iter()
            .map(|v| visit_to_proto(v, &verified))
            .collect())
    }

    pub(super) async fn contract_out(
        &self,
        contract: crate::domain::Contract,
    ) -> Answer<pb::Contract> {
        let mut conn = self.conn().await?;
        let verified = self
            .verified(&mut conn, Vec::new(), vec![contract.community_id.as_str()])
            .await?;
        Ok(Response::new(contract_to_proto(contract, &verified)))
    }

    pub(super) async fn need_out(&self, need: Need) -> Answer<pb::Need> {
        let mut out = self.needs_out(vec![need]).await?;
        out.pop()
            .map(Response::new)
            .ok_or_else(|| Status::internal("internal error"))
    }
}
