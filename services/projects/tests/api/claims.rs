use tonic::Code;
use xingfu_proto::projects as pb;

use crate::helpers::spawn_app;

#[tokio::test]
async fn of_concurrent_claims_exactly_one_wins() {
    let mut app = spawn_app().await;
    let project = app.published("race-1").await;
    let claims = (0..8).map(|i| {
        let mut client = app.client.clone();
        let id = project.id.clone();
        tokio::spawn(async move {
            client
                .claim_project(pb::ClaimProjectRequest {
                    id,
                    organisation_id: format!("org-{i}"),
                })
                .await
        })
    });
    let mut winners = Vec::new();
    for claim in claims {
        match claim.await.unwrap() {
            Ok(project) => winners.push(project.into_inner().lead_organisation.unwrap().id),
            Err(status) => assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "one winner: {winners:?}");
    let read = app
        .client
        .get_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.lead_organisation.unwrap().id, winners[0]);
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("project_claimed.v1"))
            .count(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn dispatch_is_answered_and_every_hand_over_is_in_the_history() {
    let mut app = spawn_app().await;
    let project = app.published("disp-1").await;
    let id = project.id.clone();
    let dispatched = app
        .client
        .dispatch_project(pb::DispatchProjectRequest {
            id: id.clone(),
            organisation_id: "org-a".into(),
            respond_by: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dispatched.pending_dispatch.unwrap().id, "org-a");

    let status = app
        .client
        .claim_project(pb::ClaimProjectRequest {
            id: id.clone(),
            organisation_id: "org-b".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "awaiting org-a's answer"
    );
    let status = app
        .client
        .respond_to_dispatch(pb::RespondToDispatchRequest {
            id: id.clone(),
            organisation_id: "org-b".into(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "only the dispatched organisation answers"
    );

    let declined = app
        .client
        .respond_to_dispatch(pb::RespondToDispatchRequest {
            id: id.clone(),
            organisation_id: "org-a".into(),
            accept: false,
            reason: "no team free".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(declined.pending_dispatch.is_none());
    assert_eq!(declined.status, pb::ProjectStatus::Published as i32);

    app.client
        .dispatch_project(pb::DispatchProjectRequest {
            id: id.clone(),
            organisation_id: "org-b".into(),
            respond_by: None,
        })
        .await
        .unwrap();
    let accepted = app
        .client
        .respond_to_dispatch(pb::RespondToDispatchRequest {
            id: id.clone(),
            organisation_id: "org-b".into(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, pb::ProjectStatus::Claimed as i32);
    assert_eq!(accepted.lead_organisation.unwrap().id, "org-b");

    let handed = app
        .client
        .hand_over_project(pb::HandOverProjectRequest {
            id: id.clone(),
            organisation_id: "org-c".into(),
            reason: "reorganisation".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(handed.lead_organisation.unwrap().id, "org-c");
    let with_co = app
        .client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: id.clone(),
            organisation_id: "org-d".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        with_co
            .co_organisers
            .iter()
            .map(|o| o.id.as_str())
            .collect::<Vec<_>>(),
        ["org-d"]
    );
    let status = app
        .client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: id.clone(),
            organisation_id: "org-c".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::InvalidArgument,
        "the lead is not its own co-organiser"
    );

    let trace = app
        .client
        .trace_project(pb::GetProjectRequest { id: id.clone() })
        .await
        .unwrap()
        .into_inner();
    use pb::HistoryKind::*;
    let kinds: Vec<i32> = trace.claims.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            Dispatched as i32,
            DispatchDeclined as i32,
            Dispatched as i32,
            DispatchAccepted as i32,
            HandedOver as i32
        ]
    );
    let history = app
        .client
        .list_project_history(pb::ListProjectHistoryRequest {
            project_id: id.clone(),
            page: Some(xingfu_proto::common::PageRequest {
                page_size: 3,
                page_token: String::new(),
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(history.entries.len(), 3);
    assert_eq!(history.entries[0].kind, Created as i32);
    let rest = app
        .client
        .list_project_history(pb::ListProjectHistoryRequest {
            project_id: id.clone(),
            page: Some(xingfu_proto::common::PageRequest {
                page_size: 100,
                page_token: history.page.unwrap().next_page_token,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        rest.entries.first().unwrap().sequence,
        4,
        "the next page continues the timeline"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_pending_dispatch_is_not_replaced_and_a_co_organiser_can_take_the_lead() {
    let mut app = spawn_app().await;
    let project = app.published("disp-2").await;
    let id = project.id.clone();
    let dispatch = |org: &str| pb::DispatchProjectRequest {
        id: id.clone(),
        organisation_id: org.into(),
        respond_by: None,
    };
    app.client
        .dispatch_project(dispatch("org-a"))
        .await
        .unwrap();
    let again = app
        .client
        .dispatch_project(dispatch("org-a"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.pending_dispatch.unwrap().id,
        "org-a",
        "dispatching again to the same is a no-op"
    );
    let status = app
        .client
        .dispatch_project(dispatch("org-b"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "a pending dispatch is answered first"
    );
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("project_dispatched.v1"))
            .count(),
        1
    );

    app.client
        .respond_to_dispatch(pb::RespondToDispatchRequest {
            id: id.clone(),
            organisation_id: "org-a".into(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap();
    app.client
        .add_co_organiser(pb::AddCoOrganiserRequest {
            id: id.clone(),
            organisation_id: "org-c".into(),
        })
        .await
        .unwrap();
    let handed = app
        .client
        .hand_over_project(pb::HandOverProjectRequest {
            id: id.clone(),
            organisation_id: "org-c".into(),
            reason: "org-a moved".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(handed.lead_organisation.unwrap().id, "org-c");
    assert!(
        handed.co_organisers.is_empty(),
        "the new lead is no longer a co-organiser"
    );

    let status = app
        .client
        .hand_over_project(pb::HandOverProjectRequest {
            id: "x".into(),
            organisation_id: "bad id".into(),
            reason: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        crate::helpers::violated_fields(&status),
        ["id", "organisation_id", "reason"]
    );
    app.stop().await;
}
