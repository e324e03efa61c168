//! The caller and the records it may see: reads by id that hold its boundary, a record
//! outside answering NOT_FOUND as a missing one does (the rules are in `crate::access`).

use xingfu_platform::Error;
use xingfu_platform::trust::Caller;

use super::Library;
use crate::access::Access;
use crate::domain::{Contract, Need, Project, RecordId};

impl Library {
    /// The authenticated `caller`, its boundaries and grants resolved over the directory.
    pub async fn access(&self, caller: &Caller) -> Result<Access, Error> {
        let mut conn = self.db.pool().acquire().await?;
        Access::of(caller, &mut conn).await
    }

    /// Project `id`, if the caller sees it.
    pub async fn visible_project(&self, access: &Access, id: &RecordId) -> Result<Project, Error> {
        access.project(self.project(id).await?)
    }

    /// Need `id`, if the caller sees it (as its project, once it has one).
    pub async fn visible_need(&self, access: &Access, id: &RecordId) -> Result<Need, Error> {
        let need = self.need(id).await?;
        let project = match &need.project_id {
            Some(project_id) => Some(self.project(project_id).await?),
            None => None,
        };
        access.need(need, project.as_ref())
    }

    /// Contract `id` and its project, if the caller sees it.
    pub async fn visible_contract(
        &self,
        access: &Access,
        id: &RecordId,
    ) -> Result<(Contract, Option<Project>), Error> {
        let contract = self.contract(id).await?;
        let project = match &contract.project_id {
            Some(project_id) => Some(self.project(project_id).await?),
            None => None,
        };
        Ok((access.contract(contract, project.as_ref())?, project))
    }

    /// Whether the caller may renew or end contract `id` (NOT_FOUND when it does not see
    /// it).
    pub async fn may_keep_contract(&self, access: &Access, id: &RecordId) -> Result<(), Error> {
        let (contract, project) = self.visible_contract(access, id).await?;
        access.keep_contract(
            contract.provider_kind,
            contract.provider_id.as_str(),
            project.as_ref(),
        )
    }
}
