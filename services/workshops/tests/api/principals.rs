//! Who acted is who called (issue 16): a workshop and everything at it belong to its
//! sponsoring department; a caller limited to an organisation's subtree sees and changes
//! only what lies inside, and appointing and problem handling need their roles there.

use std::net::SocketAddr;

use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use xingfu_platform::ServiceName;
use xingfu_platform::db::Database;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::TestEnv;

use crate::{Client, started_at, volunteer};

/// org-a with town-a below it, and org-b beside them, as the directory's events make
/// them known.
async fn directory(env: &TestEnv) {
    let db = Database::open(&env.settings, ServiceName::Workshops)
        .await
        .unwrap();
    for (id, parent) in [("org-a", None), ("town-a", Some("org-a")), ("org-b", None)] {
        sqlx::query(
            "INSERT INTO known_organisations (organisation_id, name, kind, parent_id, updated_at) \
             VALUES ($1, $1, 'AGENCY_PARTY', $2, 0)",
        )
        .bind(id)
        .bind(parent)
        .execute(db.pool())
        .await
        .unwrap();
    }
    db.close().await;
}

async fn client_as(addr: SocketAddr, id: &str, roles: &[&str], boundary: Option<&str>) -> Client {
    let caller = xingfu_testkit::principal(id, roles, boundary);
    WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, caller).await)
}

fn create(key: &str, department: &str) -> pb::CreateWorkshopRequest {
    pb::CreateWorkshopRequest {
        request_id: key.into(),
        name: format!("共富工坊 {key}"),
        community_id: "yuanjue-cun".into(),
        host_firm: "洞头海产有限公司".into(),
        department_id: department.into(),
        mode: pb::Mode::Processing as i32,
        brand_id: "two-veg-one-fish".into(),
    }
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

fn raise(key: &str, workshop: &str) -> pb::RaiseProblemRequest {
    pb::RaiseProblemRequest {
        request_id: key.into(),
        workshop_id: workshop.into(),
        category: pb::ProblemCategory::Construction as i32,
        description: "冷库施工进度滞后".into(),
    }
}

#[tokio::test]
async fn a_caller_limited_to_org_a_sees_and_changes_only_org_a_workshops() {
    let env = TestEnv::postgres();
    let (mut admin, suite, addr) = started_at(&env).await;
    directory(&env).await;
    let ours = admin
        .create_workshop(create("w-a", "town-a"))
        .await
        .unwrap()
        .into_inner();
    let theirs = admin
        .create_workshop(create("w-b", "org-b"))
        .await
        .unwrap()
        .into_inner();
    let their_problem = admin
        .raise_problem(raise("p-b", &theirs.id))
        .await
        .unwrap()
        .into_inner();
    admin.raise_problem(raise("p-a", &ours.id)).await.unwrap();
    let mut clerk = client_as(
        addr,
        "a-clerk",
        &["organisation_admin@org-a"],
        Some("org-a"),
    )
    .await;

    // By id, org-b's workshop and its problem answer as a missing id does.
    let missing = uuid::Uuid::now_v7().to_string();
    for id in [&theirs.id, &missing] {
        let status = clerk
            .get_workshop(pb::GetWorkshopRequest { id: id.clone() })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert!(status.message().contains(id.as_str()), "{status:?}");
    }
    let status = clerk
        .get_problem(pb::GetProblemRequest {
            id: their_problem.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    clerk
        .get_workshop(pb::GetWorkshopRequest {
            id: ours.id.clone(),
        })
        .await
        .unwrap();

    // Writes by id outside are refused the same way; creating outside is denied.
    let open = pb::ChangeWorkshopStatusRequest {
        id: theirs.id.clone(),
        status: pb::WorkshopStatus::Open as i32,
        reason: String::new(),
    };
    assert_eq!(
        clerk.change_workshop_status(open).await.unwrap_err().code(),
        Code::NotFound
    );
    let status = clerk
        .raise_problem(raise("p-sneak", &theirs.id))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    denied(
        &clerk
            .create_workshop(create("w-c", "org-b"))
            .await
            .unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );

    // Lists and figures hold only what lies inside.
    let listed = clerk
        .list_workshops(pb::ListWorkshopsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .workshops;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, ours.id);
    let problems = clerk
        .list_problems(pb::ListProblemsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .problems;
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].workshop_id, ours.id);
    let stats = clerk
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.workshops, stats.problems_raised), (1, 1));
    let everything = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((everything.workshops, everything.problems_raised), (2, 2));
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn appointing_and_problem_handling_need_their_roles_over_the_workshop() {
    let env = TestEnv::postgres();
    let (mut admin, suite, addr) = started_at(&env).await;
    directory(&env).await;
    let workshop = admin
        .create_workshop(create("w-a", "town-a"))
        .await
        .unwrap()
        .into_inner();
    let problem = admin
        .raise_problem(raise("p-a", &workshop.id))
        .await
        .unwrap()
        .into_inner();
    let appoint = |key: &str, workshop_id: &str| pb::AppointRequest {
        request_id: key.into(),
        volunteer_id: volunteer(1),
        role: pb::Role::Commissioner as i32,
        workshop_id: workshop_id.into(),
        community_id: if workshop_id.is_empty() {
            "yuanjue-cun".into()
        } else {
            String::new()
        },
        ..Default::default()
    };

    let mut b_admin = client_as(addr, "b-admin", &["organisation_admin@org-b"], None).await;
    denied(
        &b_admin
            .appoint(appoint("a-b", &workshop.id))
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut a_admin = client_as(
        addr,
        "a-admin",
        &["organisation_admin@org-a"],
        Some("org-a"),
    )
    .await;
    a_admin.appoint(appoint("a-a", &workshop.id)).await.unwrap();
    // A village posting belongs to no workshop: the programme office's.
    denied(
        &a_admin.appoint(appoint("a-village", "")).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );

    let resolve = pb::ResolveProblemRequest {
        problem_id: problem.id.clone(),
        resolution: "协调施工队加班".into(),
    };
    denied(
        &a_admin.resolve_problem(resolve.clone()).await.unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut b_handler = client_as(addr, "b-handler", &["problem_handler@org-b"], None).await;
    denied(
        &b_handler
            .resolve_problem(resolve.clone())
            .await
            .unwrap_err(),
        "ROLE_REQUIRED",
    );
    let mut a_handler =
        client_as(addr, "a-handler", &["problem_handler@org-a"], Some("org-a")).await;
    let resolved = a_handler
        .resolve_problem(resolve)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status, pb::ProblemStatus::Resolved as i32);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
