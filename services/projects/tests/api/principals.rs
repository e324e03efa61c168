//! Who acted is who called (issue 16): claims and dispatches are answered by principals of
//! the organisation named, the lead and co-organisers keep their projects' visits and
//! contracts, and a caller limited to an organisation's subtree sees and changes only what
//! its organisations own.

use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use xingfu_proto::projects as pb;

use crate::helpers::{TestApp, date, spawn_app};

/// org-a with school-a below it, and org-b beside them.
async fn directory(app: &TestApp) {
    app.organisation("org-a", "").await;
    app.organisation("school-a", "org-a").await;
    app.organisation("org-b", "").await;
}

fn denied(status: &Status, reason: &str) {
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let info = status.get_error_details().error_info().cloned();
    assert_eq!(
        info.map(|i| i.reason).as_deref(),
        Some(reason),
        "{status:?}"
    );
}

fn claim(id: &str, org: &str) -> pb::ClaimProjectRequest {
    pb::ClaimProjectRequest {
        id: id.into(),
        organisation_id: org.into(),
    }
}

fn visit(request_id: &str, project_id: &str) -> pb::RecordVisitRequest {
    pb::RecordVisitRequest {
        request_id: request_id.into(),
        project_id: project_id.into(),
        community_id: "beiao-xiaoqu-01".into(),
        date: date(2026, 5, 1),
        kind: "calligraphy class".into(),
        person_times: 12,
        volunteer_ids: Vec::new(),
    }
}

#[tokio::test]
async fn a_claim_is_made_by_a_principal_of_the_organisation_claiming() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let project = app.published("claim-1").await;

    let mut stranger = app
        .client_as("b-clerk", &["organisation_admin@org-b"], None)
        .await;
    let status = stranger
        .claim_project(claim(&project.id, "school-a"))
        .await
        .unwrap_err();
    denied(&status, "ROLE_REQUIRED");
    let mut auditor = app.client_as("a-auditor", &["auditor@org-a"], None).await;
    let status = auditor
        .claim_project(claim(&project.id, "org-a"))
        .await
        .unwrap_err();
    denied(&status, "ROLE_REQUIRED");

    // A role held at org-a covers school-a below it; the boundary lets the clerk see the
    // open library, where the project waits.
    let mut clerk = app
        .client_as("a-clerk", &["activity_organiser@org-a"], Some("org-a"))
        .await;
    let claimed = clerk
        .claim_project(claim(&project.id, "school-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(claimed.lead_organisation.unwrap().id, "school-a");
    app.stop().await;
}

#[tokio::test]
async fn a_dispatch_is_answered_only_by_the_organisation_dispatched_to() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let project = app.published("dispatch-1").await;
    let dispatch = |org: &str| pb::DispatchProjectRequest {
        id: project.id.clone(),
        organisation_id: org.into(),
    };
    let answer = |org: &str| pb::RespondToDispatchRequest {
        id: project.id.clone(),
        organisation_id: org.into(),
        accept: true,
        reason: String::new(),
    };

    // Dispatching needs an administrator over the organisation sent to.
    let mut b_admin = app
        .client_as("b-admin", &["organisation_admin@org-b"], Some("org-b"))
        .await;
    denied(
        &b_admin
            .dispatch_project(dispatch("school-a"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut a_admin = app
        .client_as("a-admin", &["organisation_admin@org-a"], Some("org-a"))
        .await;
    a_admin
        .dispatch_project(dispatch("school-a"))
        .await
        .unwrap();

    // org-b's principal cannot answer for school-a, whatever it claims to be.
    let mut b_clerk = app
        .client_as("b-clerk", &["activity_organiser@org-b"], None)
        .await;
    denied(
        &b_clerk
            .respond_to_dispatch(answer("school-a"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut school = app
        .client_as(
            "school-clerk",
            &["activity_organiser@school-a"],
            Some("school-a"),
        )
        .await;
    let accepted = school
        .respond_to_dispatch(answer("school-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.lead_organisation.unwrap().id, "school-a");
    app.stop().await;
}

#[tokio::test]
async fn a_caller_limited_to_org_a_neither_reads_nor_changes_org_b_projects() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let ours = app.claimed("ours", "school-a").await;
    let theirs = app.claimed("theirs", "org-b").await;
    let open = app.published("open").await;
    let draft = app
        .client
        .create_project(crate::helpers::new_project("draft"))
        .await
        .unwrap()
        .into_inner();
    app.client
        .record_visit(visit("v-theirs", &theirs.id))
        .await
        .unwrap();
    app.client
        .record_visit(visit("v-ours", &ours.id))
        .await
        .unwrap();
    let mut clerk = app
        .client_as("a-clerk", &["organisation_admin@org-a"], Some("org-a"))
        .await;

    // By id, org-b's project and the office's draft answer as a missing id does.
    let missing = uuid::Uuid::now_v7().to_string();
    for id in [&theirs.id, &draft.id, &missing] {
        let get = pb::GetProjectRequest { id: id.clone() };
        let status = clerk.get_project(get.clone()).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert_eq!(
            clerk.trace_project(get).await.unwrap_err().code(),
            Code::NotFound
        );
    }
    clerk
        .get_project(pb::GetProjectRequest {
            id: ours.id.clone(),
        })
        .await
        .unwrap();

    // Writes by id outside are refused the same way.
    let start = pb::TransitionRequest {
        id: theirs.id.clone(),
        version: 0,
    };
    assert_eq!(
        clerk.start_project(start).await.unwrap_err().code(),
        Code::NotFound
    );
    let status = clerk
        .record_visit(visit("v-sneak", &theirs.id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let hand_over = pb::HandOverProjectRequest {
        id: theirs.id.clone(),
        organisation_id: "org-a".into(),
        reason: "we take it".into(),
    };
    assert_eq!(
        clerk.hand_over_project(hand_over).await.unwrap_err().code(),
        Code::NotFound
    );

    // Lists and figures count only what lies inside, and the open library.
    let listed: Vec<String> = clerk
        .list_projects(pb::ListProjectsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .projects
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(listed, [open.id.clone(), ours.id.clone()]);
    let visits = clerk
        .list_visits(pb::ListVisitsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .visits;
    assert_eq!(visits.len(), 1);
    assert_eq!(visits[0].project_id, ours.id);
    let stats = clerk
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.total, stats.visits, stats.person_times), (2, 1, 12));
    let summary = clerk
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "beiao-xiaoqu-01".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((summary.projects, summary.visits), (2, 1));
    let everything = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((everything.total, everything.visits), (4, 2));
    app.stop().await;
}

#[tokio::test]
async fn visits_and_contracts_are_kept_by_the_lead_or_a_co_organiser() {
    let mut app = spawn_app().await;
    directory(&app).await;
    app.organisation("org-c", "").await;
    let project = app.claimed("kept", "org-a").await;
    app.client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: project.id.clone(),
            organisation_id: "org-c".into(),
        })
        .await
        .unwrap();

    let mut co = app
        .client_as("c-clerk", &["activity_organiser@org-c"], Some("org-c"))
        .await;
    co.record_visit(visit("v-co", &project.id)).await.unwrap();
    // A co-organiser works on the project but does not decide its lead.
    let hand_over = pb::HandOverProjectRequest {
        id: project.id.clone(),
        organisation_id: "org-c".into(),
        reason: "we lead now".into(),
    };
    denied(
        &co.hand_over_project(hand_over).await.unwrap_err(),
        "ROLE_REQUIRED",
    );

    let mut outsider = app
        .client_as("b-clerk", &["activity_organiser@org-b"], None)
        .await;
    denied(
        &outsider
            .record_visit(visit("v-b", &project.id))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let sign = |request_id: &str, provider: &str| pb::SignContractRequest {
        request_id: request_id.into(),
        provider_kind: pb::ProviderKind::Organisation as i32,
        provider_id: provider.into(),
        community_id: "beiao-xiaoqu-01".into(),
        services: vec!["calligraphy class".into()],
        start_date: date(2026, 1, 1),
        end_date: date(2099, 12, 31),
        project_id: project.id.clone(),
    };
    denied(
        &outsider
            .sign_contract(sign("k-b", "org-b"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let contract = co
        .sign_contract(sign("k-c", "org-c"))
        .await
        .unwrap()
        .into_inner();

    let mut b_limited = app
        .client_as("b-reader", &["auditor@org-b"], Some("org-b"))
        .await;
    let status = b_limited
        .get_contract(pb::GetContractRequest {
            id: contract.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let listed = b_limited
        .list_contracts(pb::ListContractsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .contracts;
    assert!(listed.is_empty(), "{listed:?}");
    let terminate = pb::TerminateContractRequest {
        id: contract.id.clone(),
        reason: "not ours to end".into(),
    };
    assert_eq!(
        b_limited
            .terminate_contract(terminate)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    app.stop().await;
}

#[tokio::test]
async fn needs_belong_to_the_project_they_became() {
    let mut app = spawn_app().await;
    directory(&app).await;
    let theirs = app.claimed("theirs", "org-b").await;
    let submit = |request_id: &str| pb::SubmitNeedRequest {
        request_id: request_id.into(),
        channel: pb::Channel::Online as i32,
        community_id: "beiao-xiaoqu-01".into(),
        description: "a ramp at the canteen door".into(),
        ..Default::default()
    };
    let attached = app
        .client
        .submit_need(submit("n-1"))
        .await
        .unwrap()
        .into_inner();
    app.client
        .review_need(pb::ReviewNeedRequest {
            need_id: attached.id.clone(),
            decision: Some(pb::review_need_request::Decision::Attach(pb::AttachNeed {
                project_id: theirs.id.clone(),
            })),
        })
        .await
        .unwrap();
    let waiting = app
        .client
        .submit_need(submit("n-2"))
        .await
        .unwrap()
        .into_inner();

    let mut a_clerk = app
        .client_as("a-clerk", &["organisation_admin@org-a"], Some("org-a"))
        .await;
    for id in [&attached.id, &waiting.id] {
        let status = a_clerk
            .get_need(pb::GetNeedRequest { id: id.clone() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    let decline = pb::ReviewNeedRequest {
        need_id: waiting.id.clone(),
        decision: Some(pb::review_need_request::Decision::Decline(
            pb::DeclineNeed {
                reason: "not ours".into(),
            },
        )),
    };
    assert_eq!(
        a_clerk.review_need(decline).await.unwrap_err().code(),
        Code::NotFound
    );
    let listed = a_clerk
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .needs;
    assert!(listed.is_empty(), "{listed:?}");

    let mut b_clerk = app
        .client_as("b-clerk", &["organisation_admin@org-b"], Some("org-b"))
        .await;
    let listed = b_clerk
        .list_needs(pb::ListNeedsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .needs;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, attached.id);
    app.stop().await;
}
