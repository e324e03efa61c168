//! `xingfu.gateway.v1.GatewayService`: the gateway's own calls, served behind the same
//! keys, scopes and limits as the APIs it forwards.

use tonic::{Request, Response, Status};
use xingfu_platform::principal::Role;
use xingfu_platform::time::to_timestamp;
use xingfu_platform::trust::Caller;
use xingfu_platform::{Error, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::gateway as pb;
use xingfu_proto::gateway::gateway_service_server::GatewayService;

use crate::audit::Auditor;
use crate::overview::Sources;

pub mod principals;

/// The gateway's own API.
#[derive(Clone)]
pub struct GatewayApi {
    sources: Sources,
    auditor: Auditor,
    principals: principals::PrincipalsApi,
}

impl GatewayApi {
    /// The API over the services' figures, the audit trail and the principals.
    pub fn new(sources: Sources, auditor: Auditor, principals: principals::PrincipalsApi) -> Self {
        Self {
            sources,
            auditor,
            principals,
        }
    }
}

#[tonic::async_trait]
impl GatewayService for GatewayApi {
    async fn register_principal(
        &self,
        request: Request<pb::RegisterPrincipalRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        self.principals.register(request).await
    }

    async fn get_principal(
        &self,
        request: Request<pb::GetPrincipalRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        self.principals.get(request).await
    }

    async fn get_current_principal(
        &self,
        request: Request<pb::GetCurrentPrincipalRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        Ok(Response::new(self.principals.current(&request)))
    }

    async fn list_principals(
        &self,
        request: Request<pb::ListPrincipalsRequest>,
    ) -> Result<Response<pb::ListPrincipalsResponse>, Status> {
        self.principals.list(request).await
    }

    async fn grant_role(
        &self,
        request: Request<pb::RoleRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        self.principals.change_role(request, true).await
    }

    async fn revoke_role(
        &self,
        request: Request<pb::RoleRequest>,
    ) -> Result<Response<pb::Principal>, Status> {
        self.principals.change_role(request, false).await
    }

    async fn issue_api_key(
        &self,
        request: Request<pb::IssueApiKeyRequest>,
    ) -> Result<Response<pb::IssuedApiKey>, Status> {
        self.principals.issue_key(request).await
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::RevokedApiKey>, Status> {
        self.principals.revoke_key(request).await
    }

    async fn get_overview(
        &self,
        _request: Request<pb::GetOverviewRequest>,
    ) -> Result<Response<pb::Overview>, Status> {
        Ok(Response::new(self.sources.overview().await))
    }

    async fn list_labels(
        &self,
        request: Request<pb::ListLabelsRequest>,
    ) -> Result<Response<pb::ListLabelsResponse>, Status> {
        let enums = crate::labels::list(&request.into_inner().r#enum)?;
        Ok(Response::new(pb::ListLabelsResponse { enums }))
    }

    async fn list_audit_records(
        &self,
        request: Request<pb::ListAuditRecordsRequest>,
    ) -> Result<Response<pb::ListAuditRecordsResponse>, Status> {
        may_read_audit(&Caller::from_metadata(request.metadata()))?;
        let r = request.into_inner();
        let caller = (!r.caller.is_empty()).then_some(r.caller.as_str());
        let filters = format!("{caller:?}");
        let page = paging::parse(r.page.as_ref(), &filters, "page")?;
        let mut records = self
            .auditor
            .list(caller, page.after.as_deref(), page.fetch_limit())
            .await
            .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut records, &page, &filters, |r| &r.id);
        Ok(Response::new(pb::ListAuditRecordsResponse {
            records: records
                .into_iter()
                .map(|r| pb::AuditRecord {
                    id: r.id,
                    time: Some(to_timestamp(r.at)),
                    caller: r.caller,
                    method: r.method,
                    resource_id: r.resource_id,
                    outcome: r.outcome,
                    trace_id: r.trace_id,
                    credential: r.credential,
                    on_behalf_of: r.on_behalf_of,
                    duration_ms: r.duration_ms,
                })
                .collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }
}

/// The audit trail names every caller's resources and the persons delegates acted for,
/// across every boundary: it is read by a programme admin or an auditor, programme-wide.
fn may_read_audit(caller: &Caller) -> Result<(), Error> {
    let programme_wide = [Role::ProgrammeAdmin, Role::Auditor]
        .into_iter()
        .any(|role| caller.may(role, &[]));
    if programme_wide && !caller.is_limited() {
        Ok(())
    } else {
        Err(Error::denied(
            "ROLE_REQUIRED",
            "the audit trail is read by a programme admin or an auditor without a boundary",
        ))
    }
}
