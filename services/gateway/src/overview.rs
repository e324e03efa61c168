//! The programme overview: the four services' figures gathered into the indicators the
//! programme reports (项目汇·幸福事). Each service is asked at once, with the internal
//! token; a service that does not answer is listed in `unavailable` and its figures are
//! zero, so a dashboard still shows the rest.

use std::time::Duration;

use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use xingfu_platform::time::{now_micros, to_timestamp};
use xingfu_platform::trust::InternalToken;
use xingfu_proto::common::Money;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_proto::{funds, gateway as pb, projects, volunteers, workshops};

/// How long each service has to answer.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Adds the internal token to the gateway's own calls.
#[derive(Clone, Debug)]
pub struct Internal(InternalToken);

impl Interceptor for Internal {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let mut headers = std::mem::take(request.metadata_mut()).into_headers();
        self.0.stamp(&mut headers);
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
        Ok(request)
    }
}

type Upstream = InterceptedService<Channel, Internal>;

/// Clients of the four services, as the gateway calls them itself.
#[derive(Clone, Debug)]
pub struct Sources {
    projects: Upstream,
    volunteers: Upstream,
    funds: Upstream,
    workshops: Upstream,
}

impl Sources {
    /// Sources over the channels to each service.
    pub fn new(
        token: InternalToken,
        projects: Channel,
        volunteers: Channel,
        funds: Channel,
        workshops: Channel,
    ) -> Self {
        let wrap = |channel| InterceptedService::new(channel, Internal(token.clone()));
        Self {
            projects: wrap(projects),
            volunteers: wrap(volunteers),
            funds: wrap(funds),
            workshops: wrap(workshops),
        }
    }

    /// Gathers the overview.
    pub async fn overview(&self) -> pb::Overview {
        let mut projects_client = ProjectsServiceClient::new(self.projects.clone());
        let mut volunteers_client = VolunteersServiceClient::new(self.volunteers.clone());
        let mut funds_client = FundsServiceClient::new(self.funds.clone());
        let mut workshops_client = WorkshopsServiceClient::new(self.workshops.clone());
        let (p, v, f, w) = tokio::join!(
            ask(projects_client.get_project_stats(projects::GetProjectStatsRequest::default())),
            ask(volunteers_client.get_stats(volunteers::GetStatsRequest {})),
            ask(funds_client.get_transparency_report(funds::GetTransparencyReportRequest {})),
            ask(workshops_client.get_stats(workshops::GetStatsRequest {})),
        );
        let mut overview = pb::Overview {
            as_of: Some(to_timestamp(now_micros())),
            ..Default::default()
        };
        let counts = |pairs: Vec<(String, i64)>| {
            pairs
                .into_iter()
                .map(|(key, count)| pb::KeyCount { key, count })
                .collect::<Vec<_>>()
        };
        match p {
            Some(p) => {
                overview.projects = p.total;
                overview.projects_by_category = counts(
                    p.by_category
                        .into_iter()
                        .map(|c| (c.key, c.count))
                        .collect(),
                );
                overview.projects_by_status =
                    counts(p.by_status.into_iter().map(|c| (c.key, c.count)).collect());
                overview.visit_person_times = p.person_times;
            }
            None => overview.unavailable.push("projects".into()),
        }
        match v {
            Some(v) => {
                overview.organisations_by_kind = counts(
                    v.organisations
                        .iter()
                        .map(|o| (organisation_kind(o.kind), o.count))
                        .collect(),
                );
                overview.volunteers = v.volunteers;
                overview.volunteer_hours = v.verified_minutes / 60;
                overview.events = v.events;
                overview.participants = v.participants;
                overview.meals_served = v.meals_served;
                overview.events_by_kind = counts(
                    v.by_kind
                        .iter()
                        .map(|k| (activity_kind(k.kind), k.completed))
                        .collect(),
                );
                overview.participants_by_kind = counts(
                    v.by_kind
                        .iter()
                        .map(|k| (activity_kind(k.kind), k.people_served))
                        .collect(),
                );
                overview.wishes_adopted = v.wishes_adopted;
            }
            None => overview.unavailable.push("volunteers".into()),
        }
        match f {
            Some(f) => {
                overview.raised = f.raised;
                overview.granted = f.disbursed;
                overview.children_funded = f.children_supported;
                overview.study_corners = f.study_corners;
            }
            None => overview.unavailable.push("funds".into()),
        }
        match w {
            Some(w) => {
                overview.workshops = w.workshops;
                overview.workshops_by_mode =
                    counts(w.by_mode.into_iter().map(|k| (k.key, k.count)).collect());
                overview.brands = w.brands;
                overview.beneficiaries = w.beneficiaries;
                overview.average_monthly_uplift = w.average_monthly_uplift;
                overview.commissioners = w.commissioners;
                overview.problems_resolved = w.problems_resolved;
            }
            None => overview.unavailable.push("workshops".into()),
        }
        for money in [
            &mut overview.raised,
            &mut overview.granted,
            &mut overview.average_monthly_uplift,
        ] {
            money.get_or_insert_with(|| Money::cny(0));
        }
        overview
    }
}

/// The answer, or `None` (logged) when the service failed or was too slow.
async fn ask<T>(
    call: impl std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
) -> Option<T> {
    match tokio::time::timeout(TIMEOUT, call).await {
        Ok(Ok(answer)) => Some(answer.into_inner()),
        Ok(Err(status)) => {
            tracing::warn!(code = ?status.code(), "a service did not give its figures");
            None
        }
        Err(_) => {
            tracing::warn!("a service did not give its figures in time");
            None
        }
    }
}

fn organisation_kind(kind: i32) -> String {
    volunteers::OrganisationKind::try_from(kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("ORGANISATION_KIND_")
                .to_owned()
        })
        .unwrap_or_default()
}

fn activity_kind(kind: i32) -> String {
    volunteers::ActivityKind::try_from(kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("ACTIVITY_KIND_")
                .to_owned()
        })
        .unwrap_or_default()
}
