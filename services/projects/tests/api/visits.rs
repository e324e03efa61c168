use tonic::Code;
use xingfu_proto::projects as pb;

use crate::helpers::{date, spawn_app, violated_fields};

fn visit(
    request_id: &str,
    project_id: &str,
    community: &str,
    person_times: i64,
) -> pb::RecordVisitRequest {
    pb::RecordVisitRequest {
        request_id: request_id.into(),
        project_id: project_id.into(),
        community_id: community.into(),
        date: date(2026, 11, 1),
        kind: "Red Sunday visit".into(),
        person_times,
        volunteer_ids: vec!["vol-1".into(), "vol-2".into()],
    }
}

#[tokio::test]
async fn visits_roll_up_onto_the_project_the_community_and_the_library() {
    let mut app = spawn_app().await;
    let project = app.claimed("v-1", "org-health").await;
    let first = app
        .client
        .record_visit(visit("visit-1", &project.id, "beiao", 40))
        .await
        .unwrap()
        .into_inner();
    let again = app
        .client
        .record_visit(visit("visit-1", &project.id, "beiao", 40))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again, "a retry returns the first visit");
    app.client
        .record_visit(visit("visit-2", &project.id, "niaoyu", 25))
        .await
        .unwrap();

    let read = app
        .client
        .get_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((read.visits, read.person_times), (2, 65));
    let beiao = app
        .client
        .get_community_summary(pb::GetCommunitySummaryRequest {
            community_id: "beiao".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((beiao.visits, beiao.person_times), (1, 40));
    let stats = app
        .client
        .get_project_stats(pb::GetProjectStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.visits, stats.person_times), (2, 65));
    assert_eq!(
        app.events()
            .await
            .iter()
            .filter(|s| s.ends_with("visit_recorded.v1"))
            .count(),
        2
    );

    let listed = app
        .client
        .list_visits(pb::ListVisitsRequest {
            project_id: project.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.visits.len(), 2);
    let trace = app
        .client
        .trace_project(pb::GetProjectRequest {
            id: project.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        trace.visits.first().unwrap().id,
        first.id,
        "the trace lists visits oldest first"
    );

    let status = app
        .client
        .record_visit(visit("visit-1", &project.id, "beiao", 41))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::AlreadyExists,
        "the key was used for another visit"
    );
    app.stop().await;
}

#[tokio::test]
async fn visits_need_a_led_project_and_valid_fields() {
    let mut app = spawn_app().await;
    let draft = app.published("v-2").await;
    let status = app
        .client
        .record_visit(visit("visit-3", &draft.id, "beiao", 1))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(app.count("visits").await, 0, "nothing half-written");

    let mut bad = visit("visit-4", "nope", "bad id", 0);
    bad.date = date(2026, 2, 30);
    let status = app.client.record_visit(bad).await.unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["project_id", "community_id", "person_times"]
    );
    // A calendar's rule is code's, checked once the declared ones hold.
    let mut bad = visit("visit-4", &draft.id, "beiao", 1);
    bad.date = date(2026, 2, 30);
    let status = app.client.record_visit(bad).await.unwrap_err();
    assert_eq!(violated_fields(&status), ["date"]);
    app.stop().await;
}
