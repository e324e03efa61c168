//! `xingfu.projects.v1.ProjectsService`: each call parses its request into the domain
//! (`parse`), runs the operation (`crate::ops`) and answers through `convert`; errors are
//! mapped once by the platform.

pub mod convert;
mod figures;
mod import;
mod parse;
mod visible;

use futures_util::StreamExt as _;
use sqlx::AnyConnection;
use tonic::{Request, Response, Status, Streaming};
use xingfu_platform::{Error, Violations, paging};
use xingfu_proto::common::PageResponse;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_server::ProjectsService;

use self::convert::{
    Verified, category_from_proto, channel_from_proto, contract_status_from_proto,
    contract_to_proto, date_from_proto, history_to_proto, need_status_from_proto, need_to_proto,
    project_to_proto, status_from_proto, visit_to_proto,
};
use crate::access::Access;
use crate::domain::{
    Category, ContractStatus, Date, HistoryKind, Need, Project, Status as ProjectStatus, Visit,
};
use crate::ops::Library;
use crate::storage;
use xingfu_platform::known::{Kind, known};
use xingfu_platform::trust::Caller;

/// The API over the shared library.
#[derive(Clone)]
pub struct ProjectsApi {
    library: Library,
}

type Answer<T> = Result<Response<T>, Status>;

impl ProjectsApi {
    /// The API over `library`.
    pub fn new(library: Library) -> Self {
        Self { library }
    }
}

#[tonic::async_trait]
impl ProjectsService for ProjectsApi {
    async fn submit_need(&self, request: Request<pb::SubmitNeedRequest>) -> Answer<pb::Need> {
        let new = parse::submit_need(request.get_ref())?;
        let access = self.access(&request).await?;
        access.place_in([new.community.as_str()], "a need")?;
        self.need_out(self.library.submit_need(new).await?).await
    }

    async fn get_need(&self, request: Request<pb::GetNeedRequest>) -> Answer<pb::Need> {
        let id = parse::id(&request.get_ref().id, "id")?;
        let access = self.access(&request).await?;
        self.need_out(self.visible_need(&access, &id).await?).await
    }

    async fn list_needs(
        &self,
        request: Request<pb::ListNeedsRequest>,
    ) -> Answer<pb::ListNeedsResponse> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let filter = crate::domain::need::Filter {
            status: v
                .check(need_status_from_proto(request.status, "status"))
                .flatten(),
            channel: v
                .check(channel_from_proto(request.channel, "channel"))
                .flatten(),
            community_id: parse::optional_directory_id(
                &request.community_id,
                "community_id",
                &mut v,
            ),
            category: v
                .check(category_from_proto(request.category, "category"))
                .flatten(),
        };
        v.finish()?;
        let filters = format!("{filter:?}");
        let page = paging::parse(request.page.as_ref(), &filters, "page")?;
        let mut conn = self.conn().await?;
        let mut needs = storage::needs::list(
            &mut conn,
            &filter,
            access.scope(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        drop(conn);
        let next_page_token = paging::finish(&mut needs, &page, &filters, |n| &n.id);
        Ok(Response::new(pb::ListNeedsResponse {
            needs: self.needs_out(needs).await?,
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn review_need(&self, request: Request<pb::ReviewNeedRequest>) -> Answer<pb::Need> {
        let (id, decision) = parse::review_need(request.get_ref())?;
        let access = self.access(&request).await?;
        self.visible_need(&access, &id).await?;
        if let crate::domain::Decision::Duplicate { need_id } = &decision
            && need_id != &id
        {
            self.visible_need(&access, need_id).await?;
        }
        let library = self.library.guarded(access.editing());
        self.need_out(library.review_need(&id, decision).await?)
            .await
    }

    async fn import_needs(
        &self,
        request: Request<Streaming<pb::ImportNeedsChunk>>,
    ) -> Answer<pb::ImportNeedsResponse> {
        let access = self.access(&request).await?;
        let mut stream = request.into_inner();
        let mut data = Vec::new();
        while let Some(chunk) = stream.next().await {
            data.extend_from_slice(&chunk?.data);
            if data.len() > import::MAX_FILE_BYTES {
                return Err(Error::invalid(
                    "data",
                    format!("the file is larger than {} bytes", import::MAX_FILE_BYTES),
                )
                .into());
            }
        }
        let (rows, mut report) = import::parse(&data).map_err(Error::from)?;
        // A row outside the caller's township is refused as a bad row is, with its line.
        let (rows, outside): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|(_, new)| access.place_in([new.community.as_str()], "a need").is_ok());
        report
            .rejected
            .extend(outside.into_iter().map(|(line, new)| {
                let reason = format!(
                    "community {} is outside the caller's township",
                    new.community.as_str()
                );
                (line, reason)
            }));
        report.rejected.sort_by_key(|(line, _)| *line);
        let report = self.library.import_needs(rows, report).await?;
        Ok(Response::new(pb::ImportNeedsResponse {
            imported: report.imported,
            already_imported: report.already_imported,
            rejected: report
                .rejected
                .into_iter()
                .map(|(line, reason)| pb::RowError { line, reason })
                .collect(),
        }))
    }

    async fn create_project(
        &self,
        request: Request<pb::CreateProjectRequest>,
    ) -> Answer<pb::Project> {
        let new = parse::create_project(request.get_ref())?;
        let access = self.access(&request).await?;
        access.place_in(new.communities.iter().map(|c| c.as_str()), "a project")?;
        self.project_out(self.library.create_project(new).await?)
            .await
    }

    async fn get_project(&self, request: Request<pb::GetProjectRequest>) -> Answer<pb::Project> {
        let id = parse::id(&request.get_ref().id, "id")?;
        let access = self.access(&request).await?;
        self.project_out(self.visible_project(&access, &id).await?)
            .await
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Answer<pb::ListProjectsResponse> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let text = request.text.trim().to_lowercase();
        if text.chars().count() > 100 {
            v.add("text", "must be at most 100 characters");
        }
        let filter = crate::domain::project::Filter {
            category: v
                .check(category_from_proto(request.category, "category"))
                .flatten(),
            status: v
                .check(status_from_proto(request.status, "status"))
                .flatten(),
            community_id: parse::optional_directory_id(
                &request.community_id,
                "community_id",
                &mut v,
            ),
            lead_organisation: parse::optional_directory_id(
                &request.lead_organisation_id,
                "lead_organisation_id",
                &mut v,
            ),
            text: (!text.is_empty()).then_some(text),
        };
        v.finish()?;
        let filters = format!("{filter:?}");
        let page = paging::parse(request.page.as_ref(), &filters, "page")?;
        let mut conn = self.conn().await?;
        let mut projects = storage::projects::list(
            &mut conn,
            &filter,
            access.scope(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        drop(conn);
        let next_page_token = paging::finish(&mut projects, &page, &filters, |p| &p.id);
        Ok(Response::new(pb::ListProjectsResponse {
            projects: self.projects_out(projects).await?,
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn update_project(
        &self,
        request: Request<pb::UpdateProjectRequest>,
    ) -> Answer<pb::Project> {
        let (id, version, patch) = parse::update_project(request.get_ref())?;
        let access = self.access(&request).await?;
        if let Some(communities) = &patch.communities {
            // A project stays where its township caller can see it.
            access.place_in(communities.iter().map(|c| c.as_str()), "the project")?;
        }
        let library = self.library.guarded(access.editing());
        self.project_out(library.update_project(&id, version, patch).await?)
            .await
    }

    async fn publish_project(
        &self,
        request: Request<pb::TransitionRequest>,
    ) -> Answer<pb::Project> {
        let (id, version) = parse::transition(&request.get_ref().id, request.get_ref().version)?;
        let library = self.library.guarded(self.access(&request).await?.editing());
        self.project_out(library.publish_project(&id, version).await?)
            .await
    }

    async fn start_project(&self, request: Request<pb::TransitionRequest>) -> Answer<pb::Project> {
        let (id, version) = parse::transition(&request.get_ref().id, request.get_ref().version)?;
        let access = self.access(&request).await?;
        let library = self
            .library
            .guarded(access.guard(Access::owner_work, "starting a project"));
        self.project_out(library.start_project(&id, version).await?)
            .await
    }

    async fn complete_project(
        &self,
        request: Request<pb::CompleteProjectRequest>,
    ) -> Answer<pb::Project> {
        let (id, version, outcome) = parse::complete(request.get_ref())?;
        let access = self.access(&request).await?;
        let library = self
            .library
            .guarded(access.guard(Access::owner_work, "completing a project"));
        self.project_out(library.complete_project(&id, version, outcome).await?)
            .await
    }

    async fn cancel_project(
        &self,
        request: Request<pb::CancelProjectRequest>,
    ) -> Answer<pb::Project> {
        let library = self.library.guarded(self.access(&request).await?.editing());
        let request = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(xingfu_platform::validate::uuid(&request.id, "id"));
        let reason = v.check(crate::domain::parse_reason(&request.reason, "reason"));
        if request.version < 0 {
            v.add("version", "must not be negative");
        }
        v.finish()?;
        let (id, reason) = id.zip(reason).unwrap_or_default();
        self.project_out(library.cancel_project(&id, request.version, reason).await?)
            .await
    }

    async fn claim_project(
        &self,
        request: Request<pb::ClaimProjectRequest>,
    ) -> Answer<pb::Project> {
        let (id, org) = parse::project_and_organisation(
            &request.get_ref().id,
            &request.get_ref().organisation_id,
        )?;
        let access = self.access(&request).await?;
        access.act_for(org.as_str(), "claiming a project")?;
        let library = self.library.guarded(access.seeing());
        self.visible_project(&access, &id).await?;
        self.project_out(library.claim_project(&id, &org).await?)
            .await
    }

    async fn dispatch_project(
        &self,
        request: Request<pb::DispatchProjectRequest>,
    ) -> Answer<pb::Project> {
        let (id, org) = parse::project_and_organisation(
            &request.get_ref().id,
            &request.get_ref().organisation_id,
        )?;
        let access = self.access(&request).await?;
        access.dispatch_to(org.as_str())?;
        self.visible_project(&access, &id).await?;
        let library = self.library.guarded(access.seeing());
        self.project_out(library.dispatch_project(&id, &org).await?)
            .await
    }

    async fn respond_to_dispatch(
        &self,
        request: Request<pb::RespondToDispatchRequest>,
    ) -> Answer<pb::Project> {
        let access = self.access(&request).await?;
        let r = request.into_inner();
        let (id, org, reason) =
            parse::project_organisation_reason(&r.id, &r.organisation_id, &r.reason, !r.accept)?;
        access.act_for(org.as_str(), "answering a dispatch")?;
        let library = self.library.guarded(access.seeing());
        self.project_out(
            library
                .respond_to_dispatch(&id, &org, r.accept, &reason)
                .await?,
        )
        .await
    }

    async fn hand_over_project(
        &self,
        request: Request<pb::HandOverProjectRequest>,
    ) -> Answer<pb::Project> {
        let access = self.access(&request).await?;
        let r = request.into_inner();
        let (id, org, reason) =
            parse::project_organisation_reason(&r.id, &r.organisation_id, &r.reason, true)?;
        let library = self
            .library
            .guarded(access.guard(Access::lead_work, "handing over a project"));
        self.project_out(library.hand_over_project(&id, &org, &reason).await?)
            .await
    }

    async fn add_co_organiser(
        &self,
        request: Request<pb::AddCoOrganiserRequest>,
    ) -> Answer<pb::Project> {
        let (id, org) = parse::project_and_organisation(
            &request.get_ref().id,
            &request.get_ref().organisation_id,
        )?;
        let access = self.access(&request).await?;
        let library = self
            .library
            .guarded(access.guard(Access::lead_work, "adding a co-organiser"));
        self.project_out(library.add_co_organiser(&id, &org).await?)
            .await
    }

    async fn record_visit(&self, request: Request<pb::RecordVisitRequest>) -> Answer<pb::Visit> {
        let new = parse::record_visit(request.get_ref())?;
        let access = self.access(&request).await?;
        let library = self
            .library
            .guarded(access.guard(Access::owner_work, "recording a visit"));
        let visit = library.record_visit(new).await?;
        let mut out = self.visits_out(vec![visit]).await?;
        out.pop()
            .map(Response::new)
            .ok_or_else(|| Status::internal("internal error"))
    }

    async fn list_visits(
        &self,
        request: Request<pb::ListVisitsRequest>,
    ) -> Answer<pb::ListVisitsResponse> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let project_id = if request.project_id.is_empty() {
            None
        } else {
            v.check(xingfu_platform::validate::uuid(
                &request.project_id,
                "project_id",
            ))
        };
        let community_id =
            parse::optional_directory_id(&request.community_id, "community_id", &mut v);
        v.finish()?;
        let filters = format!("{project_id:?}/{community_id:?}");
        let page = paging::parse(request.page.as_ref(), &filters, "page")?;
        let mut conn = self.conn().await?;
        let filter = crate::domain::visit::Filter {
            project_id: project_id.clone(),
            community_id: community_id.clone(),
        };
        let mut visits = storage::visits::list(
            &mut conn,
            &filter,
            access.scope(),
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        drop(conn);
        let next_page_token = paging::finish(&mut visits, &page, &filters, |v| &v.id);
        Ok(Response::new(pb::ListVisitsResponse {
            visits: self.visits_out(visits).await?,
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn get_community_summary(
        &self,
        request: Request<pb::GetCommunitySummaryRequest>,
    ) -> Answer<pb::CommunitySummary> {
        let community =
            crate::domain::DirectoryId::parse(&request.get_ref().community_id, "community_id")
                .map_err(Error::from)?;
        let id = community.as_str();
        let access = self.access(&request).await?;
        let mut conn = self.conn().await?;
        let (projects, (visits, person_times), active_contracts) =
            figures::community_totals(&mut conn, access.scope(), id)
                .await
                .map_err(Error::from)?;
        let verified = self.verified(&mut conn, Vec::new(), vec![id]).await?;
        Ok(Response::new(pb::CommunitySummary {
            community: Some(xingfu_proto::common::CommunityRef {
                id: id.to_owned(),
                verified: verified.communities.contains(id),
            }),
            projects,
            visits,
            person_times,
            active_contracts,
        }))
    }

    async fn sign_contract(
        &self,
        request: Request<pb::SignContractRequest>,
    ) -> Answer<pb::Contract> {
        let new = parse::sign_contract(request.get_ref())?;
        let access = self.access(&request).await?;
        let library = match &new.project_id {
            // Judged on the project as locked by the signing.
            Some(_) => self
                .library
                .guarded(access.guard(Access::owner_work, "signing a contract")),
            None => {
                access.keep_contract(new.provider_kind, new.provider.as_str(), None)?;
                self.library.clone()
            }
        };
        self.contract_out(library.sign_contract(new).await?).await
    }

    async fn get_contract(&self, request: Request<pb::GetContractRequest>) -> Answer<pb::Contract> {
        let id = parse::id(&request.get_ref().id, "id")?;
        let access = self.access(&request).await?;
        let (contract, _) = self.visible_contract(&access, &id).await?;
        self.contract_out(contract).await
    }

    async fn list_contracts(
        &self,
        request: Request<pb::ListContractsRequest>,
    ) -> Answer<pb::ListContractsResponse> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let community_id =
            parse::optional_directory_id(&request.community_id, "community_id", &mut v);
        let provider_id = parse::optional_directory_id(&request.provider_id, "provider_id", &mut v);
        let status: Option<ContractStatus> = v
            .check(contract_status_from_proto(request.status, "status"))
            .flatten();
        v.finish()?;
        let filters = format!("{community_id:?}/{provider_id:?}/{status:?}");
        let page = paging::parse(request.page.as_ref(), &filters, "page")?;
        let today = Date::today();
        let mut conn = self.conn().await?;
        let filter = crate::domain::contract::Filter {
            community_id: community_id.clone(),
            provider_id: provider_id.clone(),
            status,
        };
        let mut contracts = storage::contracts::list(
            &mut conn,
            &filter,
            access.scope(),
            today,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await
        .map_err(Error::from)?;
        let next_page_token = paging::finish(&mut contracts, &page, &filters, |c| &c.id);
        let communities = contracts.iter().map(|c| c.community_id.as_str()).collect();
        let verified = self.verified(&mut conn, Vec::new(), communities).await?;
        Ok(Response::new(pb::ListContractsResponse {
            contracts: contracts
                .into_iter()
                .map(|mut c| {
                    c.status = c.status_on(today);
                    contract_to_proto(c, &verified)
                })
                .collect(),
            page: Some(PageResponse { next_page_token }),
        }))
    }

    async fn renew_contract(
        &self,
        request: Request<pb::RenewContractRequest>,
    ) -> Answer<pb::Contract> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(xingfu_platform::validate::uuid(&request.id, "id"));
        let end = v.check(
            date_from_proto(request.end_date.as_ref(), "end_date").and_then(|d| {
                d.ok_or_else(|| xingfu_platform::FieldViolation::new("end_date", "must be set"))
            }),
        );
        v.finish()?;
        let (id, end) = id
            .zip(end)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        self.may_keep_contract(&access, &id).await?;
        self.contract_out(self.library.renew_contract(&id, end).await?)
            .await
    }

    async fn terminate_contract(
        &self,
        request: Request<pb::TerminateContractRequest>,
    ) -> Answer<pb::Contract> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let id = v.check(xingfu_platform::validate::uuid(&request.id, "id"));
        let reason = v.check(crate::domain::parse_reason(&request.reason, "reason"));
        v.finish()?;
        let (id, reason) = id
            .zip(reason)
            .ok_or_else(|| Error::invalid("", "invalid request"))?;
        self.may_keep_contract(&access, &id).await?;
        self.contract_out(self.library.terminate_contract(&id, reason).await?)
            .await
    }

    async fn add_progress_update(
        &self,
        request: Request<pb::AddProgressUpdateRequest>,
    ) -> Answer<pb::HistoryEntry> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let mut v = Violations::default();
        let request_id = v.check(xingfu_platform::validate::request_id(
            &request.request_id,
            "request_id",
        ));
        let project_id = v.check(xingfu_platform::validate::uuid(
            &request.project_id,
            "project_id",
        ));
        let text = v.check(crate::domain::need::parse_need_description(
            &request.text,
            "text",
        ));
        v.finish()?;
        let (Some(request_id), Some(project_id), Some(text)) = (request_id, project_id, text)
        else {
            return Err(Error::invalid("", "invalid request").into());
        };
        let entry = self
            .library
            .guarded(access.guard(Access::owner_work, "adding a progress update"))
            .add_progress(&request_id, &project_id, &text, request.milestone)
            .await?;
        Ok(Response::new(history_to_proto(entry)))
    }

    async fn list_project_history(
        &self,
        request: Request<pb::ListProjectHistoryRequest>,
    ) -> Answer<pb::ListProjectHistoryResponse> {
        let access = self.access(&request).await?;
        let request = request.into_inner();
        let project_id = parse::id(&request.project_id, "project_id")?;
        let page = paging::parse(request.page.as_ref(), &project_id, "page")?;
        let after: i64 = match page.after.as_deref().map(str::parse) {
            None => 0,
            Some(Ok(seq)) => seq,
            Some(Err(_)) => {
                return Err(Error::invalid(
                    "page.page_token",
                    "is not a token this query returned",
                )
                .into());
            }
        };
        let project = self.visible_project(&access, &project_id).await?;
        let mut conn = self.conn().await?;
        let mut entries =
            storage::history::list(&mut conn, &project.id, after, page.fetch_limit(), &[])
                .await
                .map_err(Error::from)?;
        let next = if entries.len() > page.size {
            entries.truncate(page.size);
            entries
                .last()
                .map(|e| paging::next_token(&e.sequence.to_string(), &project_id))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListProjectHistoryResponse {
            entries: entries.into_iter().map(history_to_proto).collect(),
            page: Some(PageResponse {
                next_page_token: next,
            }),
        }))
    }

    async fn trace_project(
        &self,
        request: Request<pb::GetProjectRequest>,
    ) -> Answer<pb::ProjectTrace> {
        let id = parse::id(&request.get_ref().id, "id")?;
        let access = self.access(&request).await?;
        let project = self.visible_project(&access, &id).await?;
        let mut conn = self.conn().await?;
        let needs = storage::needs::of_project(&mut conn, &id)
            .await
            .map_err(Error::from)?;
        let claims = storage::history::list(
            &mut conn,
            &id,
            0,
            10_000,
            &[
                HistoryKind::Claimed,
                HistoryKind::Dispatched,
                HistoryKind::DispatchAccepted,
                HistoryKind::DispatchDeclined,
                HistoryKind::HandedOver,
            ],
        )
        .await
        .map_err(Error::from)?;
        let mut visits = storage::visits::list(
            &mut conn,
            &crate::domain::visit::Filter {
                project_id: Some(id.clone()),
                community_id: None,
            },
            None,
            None,
            10_000,
        )
        .await
        .map_err(Error::from)?;
        drop(conn);
        visits.reverse();
        let outcome = project.outcome.clone().map(|o| pb::Outcome {
            beneficiaries: o.beneficiaries,
            summary: o.summary,
        });
        Ok(Response::new(pb::ProjectTrace {
            needs: self.needs_out(needs).await?,
            project: self.projects_out(vec![project]).await?.pop(),
            claims: claims.into_iter().map(history_to_proto).collect(),
            visits: self.visits_out(visits).await?,
            outcome,
        }))
    }

    async fn get_project_stats(
        &self,
        request: Request<pb::GetProjectStatsRequest>,
    ) -> Answer<pb::ProjectStats> {
        let access = self.access(&request).await?;
        let mut conn = self.conn().await?;
        let (counters, by_community) = figures::stats(&mut conn, access.scope())
            .await
            .map_err(Error::from)?;
        let count = |dimension: &str, key: &str| {
            counters
                .get(&(dimension.to_owned(), key.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let counts = |dimension: &str, keys: Vec<&str>| {
            keys.into_iter()
                .map(|key| pb::Count {
                    key: key.to_owned(),
                    count: count(dimension, key),
                })
                .collect()
        };
        Ok(Response::new(pb::ProjectStats {
            total: count("total", ""),
            by_category: counts(
                "category",
                Category::ALL.iter().map(|c| c.as_str()).collect(),
            ),
            by_status: counts(
                "status",
                ProjectStatus::ALL.iter().map(|s| s.as_str()).collect(),
            ),
            by_community: by_community
                .into_iter()
                .map(|(key, count)| pb::Count { key, count })
                .collect(),
            needs_by_channel: counts(
                "need_channel",
                crate::domain::Channel::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect(),
            ),
            visits: count("visits", ""),
            person_times: count("person_times", ""),
        }))
    }
}
