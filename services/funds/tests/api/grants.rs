use tonic::Code;
use xingfu_proto::funds as pb;
use xingfu_proto::funds::funds_service_client::FundsServiceClient;
use xingfu_proto::projects as projects_pb;

use crate::helpers::{child_grant, spawn_app};

#[tokio::test]
async fn grants_are_approved_by_someone_else_and_twice_when_large() {
    let mut app = spawn_app(3).await;
    let fund = app.fund("children", pb::Purpose::ChildSupport).await;
    app.donate("g-d-1", &fund.id, 100_000_00).await.unwrap();

    let small = app
        .client
        .request_grant(child_grant("g-1", &fund.id, 1_000_00))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (small.status, small.approvals_required),
        (pb::GrantStatus::Requested as i32, 1)
    );
    // One key naming the requester as approver: refused, whoever it names.
    let status = app
        .client
        .approve_grant(pb::ApproveGrantRequest {
            id: small.id.clone(),
            approver: "caseworker-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "the actor is the caller"
    );
    // The requester in person, under another spelling, holding the approver role.
    let requester = app.as_principal("caseworker-1", &["grant_approver"]).await;
    let status = FundsServiceClient::new(requester)
        .approve_grant(pb::ApproveGrantRequest {
            id: small.id.clone(),
            approver: "CaseWorker-1".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "the requester does not approve"
    );
    // Nor does anyone without the role.
    let clerk = app.as_principal("clerk", &["grant_requester"]).await;
    let status = FundsServiceClient::new(clerk)
        .approve_grant(pb::ApproveGrantRequest {
            id: small.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "no approver role");
    let status = app
        .client
        .disburse_grant(pb::DisburseGrantRequest {
            id: small.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition, "not approved yet");
    let approved = app
        .client
        .approve_grant(pb::ApproveGrantRequest {
            id: small.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.status, pb::GrantStatus::Approved as i32);
    let paid = app
        .client
        .disburse_grant(pb::DisburseGrantRequest {
            id: small.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.status, pb::GrantStatus::Disbursed as i32);
    let again = app
        .client
        .disburse_grant(pb::DisburseGrantRequest {
            id: small.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.disburse_time, paid.disburse_time,
        "paying twice pays once"
    );
    let fund_now = app
        .client
        .get_fund(pb::GetFundRequest {
            id: fund.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fund_now.balance.unwrap().fen, 99_000_00);

    // Above 50,000 yuan: two different approvers.
    let large = app
        .client
        .request_grant(child_grant("g-2", &fund.id, 60_000_00))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(large.approvals_required, 2);
    let once = app
        .client
        .approve_grant(pb::ApproveGrantRequest {
            id: large.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(once.status, pb::GrantStatus::Requested as i32);
    let status = app
        .client
        .approve_grant(pb::ApproveGrantRequest {
            id: large.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);
    let deputy = app.as_principal("deputy-head", &["grant_approver"]).await;
    let twice = FundsServiceClient::new(deputy)
        .approve_grant(pb::ApproveGrantRequest {
            id: large.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (twice.status, twice.approved_by.len()),
        (pb::GrantStatus::Approved as i32, 2)
    );
    let cancelled = app
        .client
        .cancel_grant(pb::CancelGrantRequest {
            id: large.id.clone(),
            reason: "family moved away".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::GrantStatus::Cancelled as i32);
    let events = app.events().await;
    for fact in [
        "grant_requested",
        "grant_approved",
        "grant_disbursed",
        "grant_rejected",
    ] {
        assert!(
            events.iter().any(|s| s.contains(fact)),
            "{fact} in {events:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn restricted_money_pays_only_its_purpose_and_projects_must_be_alive() {
    let mut app = spawn_app(3).await;
    let corners = app.fund("study corners", pb::Purpose::StudyCorner).await;
    let status = app
        .client
        .request_grant(child_grant("r-1", &corners.id, 100))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "a study-corner fund does not pay child support"
    );

    let corner = pb::RequestGrantRequest {
        request_id: "r-2".into(),
        fund_id: corners.id.clone(),
        kind: pb::GrantKind::StudyCorner as i32,
        beneficiary_ref: "home-0042".into(),
        items: ["desk and chair", "bookcase", "lamp"]
            .into_iter()
            .map(|name| pb::StudyCornerItem {
                name: name.into(),
                quantity: 1,
            })
            .chain([pb::StudyCornerItem {
                name: "books".into(),
                quantity: 15,
            }])
            .collect(),
        amount_fen: 2_000_00,
        requested_by: "education-bureau".into(),
        ..Default::default()
    };
    let requested = app
        .client
        .request_grant(corner.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(requested.items.len(), 4);
    let mut no_items = corner.clone();
    no_items.request_id = "r-3".into();
    no_items.items.clear();
    assert_eq!(
        app.client.request_grant(no_items).await.unwrap_err().code(),
        Code::InvalidArgument
    );

    let projects = app.fund("projects", pb::Purpose::Project).await;
    app.donate("p-d", &projects.id, 10_000_00).await.unwrap();
    let project_id = uuid::Uuid::now_v7().to_string();
    let project_grant = |key: &str| pb::RequestGrantRequest {
        request_id: key.into(),
        fund_id: projects.id.clone(),
        kind: pb::GrantKind::Project as i32,
        project_id: project_id.clone(),
        amount_fen: 1_000_00,
        requested_by: "programme-office".into(),
        ..Default::default()
    };
    let status = app
        .client
        .request_grant(project_grant("p-1"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "unknown projects are not funded"
    );

    let published = projects_pb::ProjectPublished {
        project_id: project_id.clone(),
        title: "Lights".into(),
        ..Default::default()
    };
    assert!(
        app.deliver(
            &uuid::Uuid::now_v7().to_string(),
            prost::Message::encode_to_vec(&published),
            "projects.project_published.v1"
        )
        .await
    );
    let grant = app
        .client
        .request_grant(project_grant("p-2"))
        .await
        .unwrap()
        .into_inner();
    app.client
        .approve_grant(pb::ApproveGrantRequest {
            id: grant.id.clone(),
            approver: String::new(),
        })
        .await
        .unwrap();
    let cancelled = projects_pb::ProjectStatusChanged {
        project_id: project_id.clone(),
        from: projects_pb::ProjectStatus::Published as i32,
        to: projects_pb::ProjectStatus::Cancelled as i32,
        reason: "merged".into(),
        beneficiaries: 0,
    };
    assert!(
        app.deliver(
            &uuid::Uuid::now_v7().to_string(),
            prost::Message::encode_to_vec(&cancelled),
            "projects.project_status_changed.v1"
        )
        .await
    );
    let status = app
        .client
        .disburse_grant(pb::DisburseGrantRequest {
            id: grant.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "a cancelled project is not funded"
    );
    let fund_now = app
        .client
        .get_fund(pb::GetFundRequest {
            id: projects.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        fund_now.balance.unwrap().fen,
        10_000_00,
        "nothing half-written"
    );
    app.stop().await;
}
