use xingfu_proto::workshops as pb;
use xingfu_testkit::TestEnv;

use crate::helpers::{fields, open_workshop, precondition, started, volunteer};

#[tokio::test]
async fn problems_go_to_commissioners_and_are_escalated_or_resolved() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;
    let workshop = open_workshop(&mut client, "w-1").await;
    let raise = |key: &str, category: pb::ProblemCategory| pb::RaiseProblemRequest {
        request_id: key.into(),
        workshop_id: workshop.id.clone(),
        category: category as i32,
        description: "冷库施工进度滞后".into(),
    };
    let status = client
        .raise_problem(pb::RaiseProblemRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        fields(&status),
        vec!["request_id", "workshop_id", "category", "description"]
    );
    let problem = client
        .raise_problem(raise("p-1", pb::ProblemCategory::Construction))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(problem.status, pb::ProblemStatus::Open as i32);
    assert_eq!(problem.age_days, 0);
    client
        .raise_problem(raise("p-2", pb::ProblemCategory::FirmMatching))
        .await
        .unwrap();

    let assign = |volunteer_id: String| pb::AssignProblemRequest {
        problem_id: problem.id.clone(),
        volunteer_id,
    };
    let status = client
        .assign_problem(assign(volunteer(9)))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "NOT_A_COMMISSIONER");
    client
        .appoint(pb::AppointRequest {
            request_id: "a-1".into(),
            volunteer_id: volunteer(9),
            role: pb::Role::Commissioner as i32,
            workshop_id: workshop.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let assigned = client
        .assign_problem(assign(volunteer(9)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (assigned.status, assigned.assignee_id.as_str()),
        (pb::ProblemStatus::Assigned as i32, volunteer(9).as_str())
    );
    let escalated = client
        .escalate_problem(pb::EscalateProblemRequest {
            problem_id: problem.id.clone(),
            reason: "需区住建局协调".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(escalated.status, pb::ProblemStatus::Escalated as i32);
    let resolve = pb::ResolveProblemRequest {
        problem_id: problem.id.clone(),
        resolution: "协调施工队加班，已完工".into(),
    };
    let resolved = client
        .resolve_problem(resolve.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status, pb::ProblemStatus::Resolved as i32);
    assert!(resolved.resolve_time.is_some());
    assert_eq!(
        client.resolve_problem(resolve).await.unwrap().into_inner(),
        resolved,
        "resolving again changes nothing"
    );
    let status = client
        .escalate_problem(pb::EscalateProblemRequest {
            problem_id: problem.id.clone(),
            reason: "again".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "PROBLEM_RESOLVED");

    let open = client
        .list_problems(pb::ListProblemsRequest {
            workshop_id: workshop.id.clone(),
            status: pb::ProblemStatus::Open as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .problems;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].category, pb::ProblemCategory::FirmMatching as i32);
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stats.problems_raised,
            stats.problems_resolved,
            stats.problems_open
        ),
        (2, 1, 1)
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
