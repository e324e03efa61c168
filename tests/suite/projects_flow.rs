//! The shared library end to end through the gateway, on the embedded default and on
//! PostgreSQL + JetStream: every capability of the projects service answers, and on
//! JetStream each of its events is on the stream.

use std::collections::BTreeSet;

use tonic::Code;
use xingfu_proto::common::Date;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::projects::review_need_request::Decision;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{Channel, TestEnv, eventually, holds};

use crate::helpers::gateway;

/// Runs the whole flow; returns the project it completed.
pub async fn flow(channel: Channel) -> pb::Project {
    let mut client = ProjectsServiceClient::new(channel.clone());
    let need = client
        .submit_need(pb::SubmitNeedRequest {
            request_id: "flow-need-1".into(),
            channel: pb::Channel::Online as i32,
            community_id: "beiao-xiaoqu".into(),
            description: "Children need somewhere to learn calligraphy after school".into(),
            suggested_category: pb::Category::CommunityActivity as i32,
            contact: Some(pb::Contact {
                name: "林老师".into(),
                phone: "13700001111".into(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let csv = "id,channel,community_id,description\nq-1,SURVEY,beiao-xiaoqu,More study corners\n";
    let report = client
        .import_needs(futures_util::stream::iter([pb::ImportNeedsChunk {
            data: csv.as_bytes().to_vec(),
        }]))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.imported, 1);
    let accepted = client
        .review_need(pb::ReviewNeedRequest {
            need_id: need.id.clone(),
            decision: Some(Decision::Accept(pb::AcceptNeed {
                title: "共享幸福小课堂".into(),
                category: 0,
            })),
        })
        .await
        .unwrap()
        .into_inner();
    let id = accepted.project_id.clone();
    let project = client
        .publish_project(pb::TransitionRequest {
            id: id.clone(),
            version: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(project.status, pb::ProjectStatus::Published as i32);
    let renamed = client
        .update_project(pb::UpdateProjectRequest {
            id: id.clone(),
            version: project.version,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["title".into()],
            }),
            values: Some(pb::CreateProjectRequest {
                title: "共享幸福小课堂 · 书法".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.title, "共享幸福小课堂 · 书法");

    let claims = (0..4).map(|i| {
        let mut client = client.clone();
        let id = id.clone();
        tokio::spawn(async move {
            client
                .claim_project(pb::ClaimProjectRequest {
                    id,
                    organisation_id: format!("org-{i}"),
                })
                .await
        })
    });
    let mut winners = 0;
    for claim in claims {
        match claim.await.unwrap() {
            Ok(_) => winners += 1,
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition),
        }
    }
    assert_eq!(winners, 1, "exactly one claim wins");
    client
        .start_project(pb::TransitionRequest {
            id: id.clone(),
            version: 0,
        })
        .await
        .unwrap();
    client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: id.clone(),
            organisation_id: "little-orange-lamp".into(),
        })
        .await
        .unwrap();
    let day = Some(Date {
        year: 2026,
        month: 11,
        day: 22,
    });
    client
        .record_visit(pb::RecordVisitRequest {
            request_id: "flow-visit-1".into(),
            project_id: id.clone(),
            community_id: "beiao-xiaoqu".into(),
            date: day,
            kind: "calligraphy class".into(),
            person_times: 24,
            volunteer_ids: vec!["vol-lamp-1".into()],
        })
        .await
        .unwrap();
    client
        .sign_contract(pb::SignContractRequest {
            request_id: "flow-contract-1".into(),
            provider_kind: pb::ProviderKind::Team as i32,
            provider_id: "little-orange-lamp".into(),
            community_id: "beiao-xiaoqu".into(),
            services: vec!["calligraphy class".into()],
            start_date: day,
            end_date: Some(Date {
                year: 2027,
                month: 11,
                day: 21,
            }),
            project_id: id.clone(),
        })
        .await
        .unwrap();
    // A milestone planned ahead, then reached: it joins the history.
    let milestone = client
        .plan_milestone(pb::PlanMilestoneRequest {
            request_id: "flow-milestone-1".into(),
            project_id: id.clone(),
            title: "第一学期结课".into(),
            due_date: Some(Date {
                year: 2099,
                month: 1,
                day: 15,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    for progress_percent in [60, 100] {
        client
            .report_milestone_progress(pb::ReportMilestoneProgressRequest {
                milestone_id: milestone.id.clone(),
                progress_percent,
            })
            .await
            .unwrap();
    }
    let milestones = client
        .list_milestones(pb::ListMilestonesRequest {
            project_id: id.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .milestones;
    assert_eq!(milestones.len(), 1);
    assert!(milestones[0].reach_time.is_some(), "{milestones:?}");
    client
        .add_progress_update(pb::AddProgressUpdateRequest {
            request_id: "flow-progress-1".into(),
            project_id: id.clone(),
            text: "First term finished".into(),
            milestone: true,
        })
        .await
        .unwrap();
    let done = client
        .complete_project(pb::CompleteProjectRequest {
            id: id.clone(),
            version: 0,
            outcome: Some(pb::Outcome {
                beneficiaries: 24,
                summary: "24 children learnt calligraphy".into(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    // A second project is dispatched, and the classroom contract ends early.
    let other = client
        .create_project(pb::CreateProjectRequest {
            request_id: "flow-project-2".into(),
            title: "渔家厨娘 · 送餐".into(),
            category: pb::Category::Convenience as i32,
            community_ids: vec!["niaoyu-village".into()],
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    client
        .publish_project(pb::TransitionRequest {
            id: other.id.clone(),
            version: 0,
        })
        .await
        .unwrap();
    client
        .dispatch_project(pb::DispatchProjectRequest {
            id: other.id.clone(),
            organisation_id: "civil-affairs".into(),
            respond_by: Some(xingfu_proto::common::Date {
                year: 2099,
                month: 1,
                day: 31,
            }),
        })
        .await
        .unwrap();
    let contracts = client
        .list_contracts(pb::ListContractsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .contracts;
    client
        .terminate_contract(pb::TerminateContractRequest {
            id: contracts[0].id.clone(),
            reason: "team reassigned".into(),
        })
        .await
        .unwrap();
    // The directory confirms the community and the lead: the project's references turn
    // verified once the volunteers service's events reach the projects service.
    let mut directory = VolunteersServiceClient::new(channel.clone());
    directory
        .register_community(vpb::RegisterCommunityRequest {
            id: "beiao-xiaoqu".into(),
            name: "北岙小区".into(),
            kind: vpb::CommunityKind::Residential as i32,
            township: "北岙街道".into(),
        })
        .await
        .unwrap();
    let lead = client
        .get_project(pb::GetProjectRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner()
        .lead_organisation
        .unwrap()
        .id;
    let registered = directory
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: lead.clone(),
            name: "教育局机关党委".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    directory
        .update_organisation(vpb::UpdateOrganisationRequest {
            id: lead.clone(),
            version: registered.version,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            values: Some(vpb::RegisterOrganisationRequest {
                name: "区教育局机关党委".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    directory
        .update_community(vpb::UpdateCommunityRequest {
            id: "beiao-xiaoqu".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["name".into()],
            }),
            values: Some(vpb::RegisterCommunityRequest {
                name: "北岙小区（一期）".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    eventually(
        "the directory's events to verify the project's references",
        || async {
            let read = client
                .clone()
                .get_project(pb::GetProjectRequest { id: id.clone() })
                .await
                .unwrap()
                .into_inner();
            holds(
                read.communities[0].verified
                    && read.lead_organisation.as_ref().is_some_and(|o| o.verified),
            )
        },
    )
    .await;
    // A class of the project: the organiser verifies 90 minutes of service, and the
    // volunteers service's HoursVerified event adds them to the project.
    let class = directory
        .create_activity(vpb::CreateActivityRequest {
            request_id: "flow-activity-1".into(),
            title: "书法课".into(),
            kind: vpb::ActivityKind::Classroom as i32,
            community_id: "beiao-xiaoqu".into(),
            project_id: id.clone(),
            start_time: Some(prost_types::Timestamp {
                seconds: 1_795_000_000,
                nanos: 0,
            }),
            capacity: 2,
            organisation_id: String::new(),
            co_organiser_ids: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    let teacher = directory
        .register_volunteer(vpb::RegisterVolunteerRequest {
            request_id: "flow-volunteer-1".into(),
            name: "林小灯".into(),
            phone: "13800005678".into(),
            id_number: "11010519491231002X".into(),
            party_member: true,
            work_organisation_id: lead.clone(),
            home_community_id: "beiao-xiaoqu".into(),
            skills: vec!["calligraphy".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    directory
        .sign_up(vpb::SignUpRequest {
            activity_id: class.id.clone(),
            volunteer_id: teacher.clone(),
        })
        .await
        .unwrap();
    let check = |seconds| vpb::CheckRequest {
        activity_id: class.id.clone(),
        volunteer_id: teacher.clone(),
        time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
    };
    directory.check_in(check(1_795_000_000)).await.unwrap();
    directory
        .check_out(check(1_795_000_000 + 90 * 60))
        .await
        .unwrap();
    let verified = directory
        .verify_hours(vpb::VerifyHoursRequest {
            activity_id: class.id.clone(),
            verifier: "beiao-party".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 1);
    let minutes = eventually("the verified hours to reach the project", || async {
        let minutes = client
            .clone()
            .get_project(pb::GetProjectRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner()
            .volunteer_minutes;
        (minutes > 0).then_some(minutes)
    })
    .await;
    assert_eq!(minutes, 90, "verified hours reached the project");
    let trace = client
        .trace_project(pb::GetProjectRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(trace.needs.len(), 1);
    assert_eq!(trace.claims.len(), 1);
    assert_eq!(trace.visits.len(), 1);
    assert_eq!(trace.outcome.unwrap().beneficiaries, 24);
    let stats = client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.total, stats.person_times), (2, 24));
    done
}

#[tokio::test]
async fn the_library_works_through_the_gateway_on_the_embedded_default() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let done = flow(gateway(&suite).await).await;
    assert_eq!(done.status, pb::ProjectStatus::Completed as i32);
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn the_library_works_through_the_gateway_on_postgres_and_jetstream() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let done = flow(gateway(&suite).await).await;
    assert_eq!(done.status, pb::ProjectStatus::Completed as i32);

    let expected: BTreeSet<&str> = [
        "need_submitted",
        "need_reviewed",
        "project_created",
        "project_published",
        "project_claimed",
        "project_status_changed",
        "visit_recorded",
        "contract_signed",
        "project_updated",
        "progress_recorded",
        "milestone_planned",
        "milestone_progressed",
    ]
    .into_iter()
    .collect();
    crate::helpers::facts_reach_the_stream(&env, xingfu_projects::NAME, &expected).await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
