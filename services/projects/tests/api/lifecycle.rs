use prost::Message as _;
use tonic::Code;
use xingfu_proto::projects as pb;

use crate::helpers::{date, new_project, spawn_app, violated_fields};

#[tokio::test]
async fn a_project_walks_its_lifecycle_and_each_step_is_an_event() {
    let mut app = spawn_app().await;
    let project = app.claimed("life-1", "org-education").await;
    assert_eq!(project.status, pb::ProjectStatus::Claimed as i32);
    let started = app
        .client
        .start_project(pb::TransitionRequest {
            id: project.id.clone(),
            version: project.version,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(started.status, pb::ProjectStatus::InProgress as i32);
    let outcome = pb::Outcome {
        beneficiaries: 40,
        summary: "a collective birthday for 40 elders".into(),
    };
    let done = app
        .client
        .complete_project(pb::CompleteProjectRequest {
            id: project.id.clone(),
            version: 0,
            outcome: Some(outcome.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.status, pb::ProjectStatus::Completed as i32);
    assert_eq!(done.outcome, Some(outcome));
    assert_eq!(done.version, 5, "create, publish, claim, start, complete");

    assert_eq!(
        app.events().await,
        [
            "projects.project_created.v1",
            "projects.project_published.v1",
            "projects.project_status_changed.v1",
            "projects.project_claimed.v1",
            "projects.project_status_changed.v1",
            "projects.project_status_changed.v1",
        ]
    );
    let changes: Vec<(i32, i32)> = app
        .payloads("projects.project_status_changed.v1")
        .await
        .iter()
        .map(|p| pb::ProjectStatusChanged::decode(p.as_slice()).unwrap())
        .map(|e| (e.from, e.to))
        .collect();
    use pb::ProjectStatus::*;
    assert_eq!(
        changes,
        [
            (Draft as i32, Published as i32),
            (Claimed as i32, InProgress as i32),
            (InProgress as i32, Completed as i32)
        ]
    );

    let status = app
        .client
        .cancel_project(pb::CancelProjectRequest {
            id: project.id.clone(),
            version: 0,
            reason: "late".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("COMPLETED"),
        "names the current state: {}",
        status.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn illegal_transitions_name_the_state_and_stale_versions_abort() {
    let mut app = spawn_app().await;
    let project = app
        .client
        .create_project(new_project("ill-1"))
        .await
        .unwrap()
        .into_inner();
    let status = app
        .client
        .start_project(pb::TransitionRequest {
            id: project.id.clone(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(
        status.message().contains("is DRAFT"),
        "{}",
        status.message()
    );

    let published = app
        .client
        .publish_project(pb::TransitionRequest {
            id: project.id.clone(),
            version: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let stale = pb::UpdateProjectRequest {
        id: project.id.clone(),
        version: 1,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["title".into()],
        }),
        values: Some(pb::CreateProjectRequest {
            title: "new title".into(),
            ..Default::default()
        }),
    };
    let status = app.client.update_project(stale).await.unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");

    let fresh = pb::UpdateProjectRequest {
        id: project.id.clone(),
        version: published.version,
        update_mask: Some(prost_types::FieldMask {
            paths: vec![
                "title".into(),
                "planned_budget_fen".into(),
                "community_ids".into(),
                "end_date".into(),
            ],
        }),
        values: Some(pb::CreateProjectRequest {
            title: "温馨小书房 · 75 study corners".into(),
            planned_budget_fen: 7_500_000,
            community_ids: vec!["a".into(), "b".into()],
            end_date: date(2026, 12, 31),
            ..Default::default()
        }),
    };
    let updated = app.client.update_project(fresh).await.unwrap().into_inner();
    assert_eq!(updated.title, "温馨小书房 · 75 study corners");
    assert_eq!(updated.planned_budget.unwrap().fen, 7_500_000);
    assert_eq!(
        updated
            .communities
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        updated.description, project.description,
        "fields outside the mask keep their value"
    );
    assert_eq!(updated.version, published.version + 1);

    let bad = pb::UpdateProjectRequest {
        id: project.id.clone(),
        version: updated.version,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["status".into(), "title".into()],
        }),
        values: Some(pb::CreateProjectRequest::default()),
    };
    let status = app.client.update_project(bad).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["update_mask", "values.title"]);

    let status = app
        .client
        .publish_project(pb::TransitionRequest {
            id: uuid::Uuid::now_v7().to_string(),
            version: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    app.stop().await;
}

#[tokio::test]
async fn lists_filter_by_status_community_lead_and_text_and_stats_keep_count() {
    let mut app = spawn_app().await;
    let claimed = app.claimed("q-1", "org-transport").await;
    app.published("q-2").await;
    let mut other = new_project("q-3");
    other.title = "Ferry shelter".into();
    other.community_ids = vec!["lingkun".into()];
    other.category = pb::Category::Transport as i32;
    app.client.create_project(other).await.unwrap();

    let list = |request: pb::ListProjectsRequest| {
        let mut client = app.client.clone();
        async move {
            client
                .list_projects(request)
                .await
                .unwrap()
                .into_inner()
                .projects
                .into_iter()
                .map(|p| p.title)
                .collect::<Vec<_>>()
        }
    };
    let by_lead = list(pb::ListProjectsRequest {
        lead_organisation_id: "org-transport".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_lead, std::slice::from_ref(&claimed.title));
    let by_status = list(pb::ListProjectsRequest {
        status: pb::ProjectStatus::Published as i32,
        ..Default::default()
    })
    .await;
    assert_eq!(by_status.len(), 1);
    let by_community = list(pb::ListProjectsRequest {
        community_id: "lingkun".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_community, ["Ferry shelter"]);
    let by_text = list(pb::ListProjectsRequest {
        text: "FERRY".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(by_text, ["Ferry shelter"]);
    let by_text = list(pb::ListProjectsRequest {
        text: "100%".into(),
        ..Default::default()
    })
    .await;
    assert!(by_text.is_empty(), "LIKE wildcards are matched literally");

    let stats = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.total, 3);
    let count = |counts: &[pb::Count], key: &str| {
        counts.iter().find(|c| c.key == key).map_or(0, |c| c.count)
    };
    assert_eq!(count(&stats.by_status, "CLAIMED"), 1);
    assert_eq!(count(&stats.by_status, "PUBLISHED"), 1);
    assert_eq!(count(&stats.by_status, "DRAFT"), 1);
    assert_eq!(count(&stats.by_category, "TRANSPORT"), 1);
    assert_eq!(count(&stats.by_category, "COMMUNITY_ACTIVITY"), 2);
    assert_eq!(stats.by_category.len(), 7, "every category is listed");
    assert_eq!(count(&stats.by_community, "beiao-xiaoqu-01"), 2);
    assert_eq!(count(&stats.by_community, "lingkun"), 1);
    app.stop().await;
}

#[tokio::test]
async fn progress_updates_are_idempotent_and_need_keys_are_reserved() {
    let mut app = spawn_app().await;
    let project = app.published("prog-1").await;
    let update = |text: &str| pb::AddProgressUpdateRequest {
        request_id: "prog-req-1".into(),
        project_id: project.id.clone(),
        text: text.into(),
        milestone: false,
    };
    let first = app
        .client
        .add_progress_update(update("site chosen"))
        .await
        .unwrap()
        .into_inner();
    let again = app
        .client
        .add_progress_update(update("site chosen"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    let status = app
        .client
        .add_progress_update(update("something else"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);

    let mut reserved = new_project("need:0199");
    reserved.title = "x".into();
    let status = app.client.create_project(reserved).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["request_id"]);
    app.stop().await;
}
