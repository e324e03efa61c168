//! Milestones planned and reported by the lead or a co-organiser, read by whoever sees
//! the project; a dispatch's respond-by day and its overdue flag.

use tonic::Code;
use xingfu_proto::projects as pb;
use xingfu_testkit::assert_denied as denied;

use crate::helpers::{TestApp, date, spawn_app, violated_fields};

fn plan(request_id: &str, project_id: &str, title: &str) -> pb::PlanMilestoneRequest {
    pb::PlanMilestoneRequest {
        request_id: request_id.into(),
        project_id: project_id.into(),
        title: title.into(),
        due_date: date(2099, 6, 30),
    }
}

fn report(milestone_id: &str, progress_percent: i32) -> pb::ReportMilestoneProgressRequest {
    pb::ReportMilestoneProgressRequest {
        milestone_id: milestone_id.into(),
        progress_percent,
    }
}

async fn milestones_of(app: &mut TestApp, project_id: &str) -> Vec<pb::Milestone> {
    app.client
        .list_milestones(pb::ListMilestonesRequest {
            project_id: project_id.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .milestones
}

#[tokio::test]
async fn a_milestone_is_planned_once_reported_forward_and_reached_into_the_history() {
    let mut app = spawn_app().await;
    let project = app.claimed("ms-1", "org-a").await;
    let first = app
        .client
        .plan_milestone(plan("m-1", &project.id, "书法教室布置完成"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((first.progress_percent, first.overdue), (0, false));
    let retried = app
        .client
        .plan_milestone(plan("m-1", &project.id, "书法教室布置完成"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retried.id, first.id, "a retry returns the first");
    let reused = app
        .client
        .plan_milestone(plan("m-1", &project.id, "something else"))
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists, "{reused:?}");
    let late = app
        .client
        .plan_milestone(pb::PlanMilestoneRequest {
            due_date: date(2020, 1, 31),
            ..plan("m-2", &project.id, "招募首批学员")
        })
        .await
        .unwrap()
        .into_inner();
    assert!(late.overdue, "due in 2020 and not reached");

    let listed = milestones_of(&mut app, &project.id).await;
    let ids: Vec<_> = listed.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, [late.id.as_str(), first.id.as_str()], "by due day");

    let half = app
        .client
        .report_milestone_progress(report(&first.id, 50))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(half.progress_percent, 50);
    let back = app
        .client
        .report_milestone_progress(report(&first.id, 40))
        .await
        .unwrap_err();
    assert_eq!(back.code(), Code::FailedPrecondition, "{back:?}");
    assert!(back.message().contains("50 %"), "{back:?}");
    let again = app
        .client
        .report_milestone_progress(report(&first.id, 50))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, half, "the same figure changes nothing");

    let reached = app
        .client
        .report_milestone_progress(report(&late.id, 100))
        .await
        .unwrap()
        .into_inner();
    assert!(reached.reach_time.is_some() && !reached.overdue);
    let history = app
        .client
        .list_project_history(pb::ListProjectHistoryRequest {
            project_id: project.id.clone(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner()
        .entries;
    let entries: Vec<_> = history
        .iter()
        .filter(|h| h.kind == pb::HistoryKind::Milestone as i32)
        .map(|h| h.detail.as_str())
        .collect();
    assert_eq!(entries, ["招募首批学员"], "one entry, for the reached one");

    let events = app.events().await;
    let count = |suffix: &str| events.iter().filter(|s| s.ends_with(suffix)).count();
    assert_eq!(count("milestone_planned.v1"), 2, "{events:?}");
    assert_eq!(count("milestone_progressed.v1"), 2, "{events:?}");
    assert_eq!(app.count("milestones").await, 2);
    app.stop().await;
}

#[tokio::test]
async fn a_bad_milestone_is_refused_field_by_field() {
    let mut app = spawn_app().await;
    let project = app.claimed("ms-bad", "org-a").await;
    let status = app
        .client
        .plan_milestone(pb::PlanMilestoneRequest {
            request_id: String::new(),
            project_id: project.id.clone(),
            title: String::new(),
            due_date: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        ["request_id", "title", "due_date"]
    );
    let milestone = app
        .client
        .plan_milestone(plan("m-ok", &project.id, "done"))
        .await
        .unwrap()
        .into_inner();
    let status = app
        .client
        .report_milestone_progress(report(&milestone.id, 101))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["progress_percent"]);
    let status = app
        .client
        .plan_milestone(plan("m-x", "0190f5d2-0000-7000-8000-000000000000", "x"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(app.count("milestones").await, 1, "nothing half-written");
    app.stop().await;
}

#[tokio::test]
async fn milestones_are_kept_by_the_lead_or_a_co_organiser_and_hidden_outside() {
    let mut app = spawn_app().await;
    for org in ["org-a", "org-b", "org-c"] {
        app.organisation(org, "").await;
    }
    let project = app.claimed("ms-own", "org-a").await;
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
    let milestone = co
        .plan_milestone(plan("m-co", &project.id, "co-organised"))
        .await
        .unwrap()
        .into_inner();
    co.report_milestone_progress(report(&milestone.id, 30))
        .await
        .unwrap();

    // Unlimited but of another organisation: may see, may not plan or report.
    let mut outsider = app
        .client_as("b-clerk", &["activity_organiser@org-b"], None)
        .await;
    denied(
        &outsider
            .plan_milestone(plan("m-b", &project.id, "not ours"))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    denied(
        &outsider
            .report_milestone_progress(report(&milestone.id, 90))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    // Limited to org-b: the project and its milestones are not there at all.
    let mut limited = app
        .client_as("b-admin", &["organisation_admin@org-b"], Some("org-b"))
        .await;
    let status = limited
        .list_milestones(pb::ListMilestonesRequest {
            project_id: project.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = limited
        .report_milestone_progress(report(&milestone.id, 90))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains("milestone"), "{status:?}");
    let listed = milestones_of(&mut app, &project.id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].progress_percent, 30, "no hostile call moved it");
    app.stop().await;
}

#[tokio::test]
async fn a_dispatch_carries_its_respond_by_day_and_says_when_it_is_overdue() {
    let mut app = spawn_app().await;
    let project = app.published("disp-by").await;
    let dispatch = |respond_by| pb::DispatchProjectRequest {
        id: project.id.clone(),
        organisation_id: "org-a".into(),
        respond_by,
    };
    let status = app
        .client
        .dispatch_project(dispatch(date(2020, 1, 1)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["respond_by"]);
    let dispatched = app
        .client
        .dispatch_project(dispatch(date(2099, 1, 31)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(dispatched.dispatch_respond_by, date(2099, 1, 31));
    assert!(!dispatched.dispatch_overdue);

    // The day passes without an answer.
    sqlx::query("UPDATE projects SET dispatch_respond_by = '2020-01-01'")
        .execute(app.db.pool())
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
    assert!(read.dispatch_overdue, "{read:?}");

    let answered = app
        .client
        .respond_to_dispatch(pb::RespondToDispatchRequest {
            id: project.id.clone(),
            organisation_id: "org-a".into(),
            accept: true,
            reason: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.dispatch_respond_by, None, "answered: no day left");
    assert!(!answered.dispatch_overdue);
    app.stop().await;
}
