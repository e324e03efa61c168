//! Who acted is who called (issue 16): a workshop and everything at it belong to its
//! sponsoring department and lie in its community's township; a caller limited to an
//! organisation's subtree, or to a township, sees and changes only what lies inside, and
//! appointing and problem handling need their roles there.

use std::net::SocketAddr;

use tonic::{Code, Status};
use xingfu_platform::db::Database;
use xingfu_proto::workshops as pb;
use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;
use xingfu_testkit::TestEnv;

use crate::helpers::{Client, id_number, started_at, volunteer};

/// org-a with town-a below it, and org-b beside them, as the directory's events make
/// them known.
async fn directory(env: &TestEnv) {
    let db = Database::open(&env.settings, xingfu_workshops::NAME)
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

fn brand(department: &str) -> pb::RegisterBrandRequest {
    pb::RegisterBrandRequest {
        id: format!("brand-{department}"),
        name: format!("品牌 {department}"),
        department_id: department.into(),
        description: String::new(),
    }
}

use xingfu_testkit::assert_denied as denied;

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
    let env = TestEnv::new();
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
    denied(
        &clerk.register_brand(brand("org-b")).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );
    clerk.register_brand(brand("town-a")).await.unwrap();

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
    let env = TestEnv::new();
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

const BEIAO: &str = "北岙街道";

/// cun-a in 北岙街道 and cun-b in 元觉街道, as the directory's events make them known
/// (cun-x, where a workshop may still be created, is not known: it lies nowhere).
async fn communities(env: &TestEnv) {
    let db = Database::open(&env.settings, xingfu_workshops::NAME)
        .await
        .unwrap();
    for (id, township) in [("cun-a", BEIAO), ("cun-b", "元觉街道")] {
        sqlx::query(
            "INSERT INTO known_communities (community_id, name, kind, township, updated_at) \
             VALUES ($1, $1, 'VILLAGE', $2, 0)",
        )
        .bind(id)
        .bind(township)
        .execute(db.pool())
        .await
        .unwrap();
    }
    db.close().await;
}

/// What the programme keeps at one workshop: the workshop (open), a worker with income,
/// an order with a task, a problem and a star broker.
struct Site {
    workshop: String,
    worker: String,
    order: String,
    problem: String,
    broker: String,
}

async fn site(admin: &mut Client, key: &str, community: &str, n: u32) -> Site {
    let mut request = create(key, "org-b");
    request.community_id = community.into();
    let workshop = admin
        .create_workshop(request)
        .await
        .unwrap()
        .into_inner()
        .id;
    admin
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: workshop.clone(),
            status: pb::WorkshopStatus::Open as i32,
            reason: String::new(),
        })
        .await
        .unwrap();
    let worker = admin
        .enrol_worker(enrol(&format!("{key}-e"), &workshop, n))
        .await
        .unwrap()
        .into_inner()
        .id;
    admin
        .record_income(pb::RecordIncomeRequest {
            request_id: format!("{key}-i"),
            worker_id: worker.clone(),
            month: "2026-02".into(),
            amount_fen: 100_000 * i64::from(n),
            source: pb::IncomeSource::Wages as i32,
        })
        .await
        .unwrap();
    let order = admin
        .place_order(pb::PlaceOrderRequest {
            request_id: format!("{key}-o"),
            workshop_id: workshop.clone(),
            firm: "洞头海产有限公司".into(),
            product: "大黄鱼鲞".into(),
            quantity: 10,
            unit_pay_fen: 250,
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let problem = admin
        .raise_problem(raise(&format!("{key}-p"), &workshop))
        .await
        .unwrap()
        .into_inner()
        .id;
    let broker = admin
        .appoint(pb::AppointRequest {
            request_id: format!("{key}-a"),
            volunteer_id: volunteer(n),
            role: pb::Role::StarBroker as i32,
            workshop_id: workshop.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    Site {
        workshop,
        worker,
        order,
        problem,
        broker,
    }
}

fn enrol(key: &str, workshop: &str, n: u32) -> pb::EnrolWorkerRequest {
    pb::EnrolWorkerRequest {
        request_id: key.into(),
        workshop_id: workshop.into(),
        name: format!("陈阿{n}"),
        phone: format!("1370000{n:04}"),
        id_number: id_number(n),
        background: "渔民".into(),
        baseline_monthly_income_fen: 50_000,
        joined_on: Some(xingfu_proto::common::Date {
            year: 2026,
            month: 1,
            day: 5,
        }),
    }
}

fn not_found<T: std::fmt::Debug>(answer: Result<T, Status>, id: &str) {
    let status = answer.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains(id), "{status:?}");
}

#[tokio::test]
async fn a_caller_limited_to_a_township_sees_and_changes_only_what_lies_there() {
    let env = TestEnv::new();
    let (mut admin, suite, addr) = started_at(&env).await;
    directory(&env).await;
    communities(&env).await;
    // All owned by org-b: the township boundary holds by location, not by owner.
    let ours = site(&mut admin, "here", "cun-a", 1).await;
    let theirs = site(&mut admin, "there", "cun-b", 2).await;
    let nowhere = site(&mut admin, "nowhere", "cun-x", 3).await;
    // A commissioner sent to a village of 北岙 belongs to no workshop: located nowhere.
    let village = admin
        .appoint(pb::AppointRequest {
            request_id: "village".into(),
            volunteer_id: volunteer(4),
            role: pb::Role::Commissioner as i32,
            community_id: "cun-a".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let caller = xingfu_testkit::township_principal(
        "beiao-clerk",
        &["organisation_admin", "problem_handler", "evaluator"],
        BEIAO,
    );
    let mut clerk = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, caller).await);
    let our_task = admin
        .dispatch_task(pb::DispatchTaskRequest {
            request_id: "our-task".into(),
            order_id: ours.order.clone(),
            quantity: 5,
        })
        .await
        .unwrap()
        .into_inner()
        .id;

    // Outside (another township, or nowhere) answers by id as a missing id does, reads
    // and writes alike.
    let missing = uuid::Uuid::now_v7().to_string();
    for site in [&theirs, &nowhere] {
        for id in [&site.workshop, &missing] {
            let get = pb::GetWorkshopRequest { id: id.clone() };
            not_found(clerk.get_workshop(get).await, id);
        }
        // The boundary reads an id as the handlers do, in any spelling.
        let shouted = pb::GetWorkshopRequest {
            id: site.workshop.to_uppercase(),
        };
        not_found(clerk.get_workshop(shouted).await, &site.workshop);
        let id = site.worker.clone();
        not_found(
            clerk.get_worker(pb::GetWorkerRequest { id }).await,
            &site.worker,
        );
        let id = site.order.clone();
        not_found(
            clerk.get_order(pb::GetOrderRequest { id }).await,
            &site.order,
        );
        let id = site.problem.clone();
        not_found(
            clerk.get_problem(pb::GetProblemRequest { id }).await,
            &site.problem,
        );
        let ratings = pb::ListBrokerRatingsRequest {
            appointment_id: site.broker.clone(),
            page: None,
        };
        not_found(clerk.list_broker_ratings(ratings).await, &site.broker);
        let suspend = pb::ChangeWorkshopStatusRequest {
            id: site.workshop.clone(),
            status: pb::WorkshopStatus::Suspended as i32,
            reason: "整改".into(),
        };
        not_found(clerk.change_workshop_status(suspend).await, &site.workshop);
        let sneak = raise("p-sneak", &site.workshop);
        not_found(clerk.raise_problem(sneak).await, &site.workshop);
        let enrolled = enrol("e-sneak", &site.workshop, 9);
        not_found(clerk.enrol_worker(enrolled).await, &site.workshop);
        // A take at its own workshop naming a worker located elsewhere: the worker is not
        // found, as a missing one (no WORKER_ELSEWHERE to tell that it exists).
        let take = pb::TakeTaskRequest {
            request_id: format!("take-{}", site.worker),
            task_id: our_task.clone(),
            worker_id: site.worker.clone(),
            quantity: 1,
        };
        not_found(clerk.take_task(take).await, &site.worker);
        let resolve = pb::ResolveProblemRequest {
            problem_id: site.problem.clone(),
            resolution: "协调施工队加班".into(),
        };
        not_found(clerk.resolve_problem(resolve).await, &site.problem);
        let rate = pb::RateBrokerRequest {
            request_id: "r-sneak".into(),
            appointment_id: site.broker.clone(),
            stars: 5,
            note: String::new(),
        };
        not_found(clerk.rate_broker(rate).await, &site.broker);
    }
    let end = pb::EndAppointmentRequest {
        id: village.clone(),
    };
    not_found(clerk.end_appointment(end).await, &village);

    // Creating outside, or what lies nowhere, is denied.
    for community in ["cun-b", "cun-x"] {
        let mut request = create(&format!("w-{community}"), "org-b");
        request.community_id = community.into();
        denied(
            &clerk.create_workshop(request).await.unwrap_err(),
            "OUTSIDE_BOUNDARY",
        );
    }
    let posting = pb::AppointRequest {
        request_id: "a-village".into(),
        volunteer_id: volunteer(5),
        role: pb::Role::Commissioner as i32,
        community_id: "cun-a".into(),
        ..Default::default()
    };
    denied(
        &clerk.appoint(posting).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );
    denied(
        &clerk.register_brand(brand("org-a")).await.unwrap_err(),
        "OUTSIDE_BOUNDARY",
    );

    // Inside, it reads and changes, with the roles it holds.
    let mut request = create("w-new", "org-a");
    request.community_id = "cun-a".into();
    let new = clerk.create_workshop(request).await.unwrap().into_inner();
    let got = clerk
        .get_worker(pb::GetWorkerRequest {
            id: ours.worker.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.workshop_id, ours.workshop);
    clerk
        .get_order(pb::GetOrderRequest {
            id: ours.order.clone(),
        })
        .await
        .unwrap();
    clerk
        .raise_problem(raise("p-here", &ours.workshop))
        .await
        .unwrap();
    let resolved = clerk
        .resolve_problem(pb::ResolveProblemRequest {
            problem_id: ours.problem.clone(),
            resolution: "协调施工队加班".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status, pb::ProblemStatus::Resolved as i32);
    clerk
        .rate_broker(pb::RateBrokerRequest {
            request_id: "r-here".into(),
            appointment_id: ours.broker.clone(),
            stars: 4,
            note: String::new(),
        })
        .await
        .unwrap();

    // Lists and figures hold only what lies in 北岙街道.
    let mut listed: Vec<String> = clerk
        .list_workshops(pb::ListWorkshopsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .workshops
        .into_iter()
        .map(|w| w.id)
        .collect();
    listed.sort();
    let mut expected = vec![ours.workshop.clone(), new.id.clone()];
    expected.sort();
    assert_eq!(listed, expected);
    let problems = clerk
        .list_problems(pb::ListProblemsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .problems;
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().all(|p| p.workshop_id == ours.workshop));
    let appointments: Vec<String> = clerk
        .list_appointments(pb::ListAppointmentsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .appointments
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(appointments, vec![ours.broker.clone()]);
    let stats = clerk
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    let everything = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            stats.workshops,
            stats.beneficiaries,
            stats.orders,
            stats.problems_raised,
            stats.problems_resolved,
            stats.star_brokers,
            stats.commissioners,
        ),
        (2, 1, 1, 2, 1, 1, 0)
    );
    assert_eq!(stats.total_income.unwrap().fen, 100_000);
    assert_eq!(
        (
            everything.workshops,
            everything.beneficiaries,
            everything.commissioners
        ),
        (4, 3, 1)
    );
    assert_eq!(everything.total_income.unwrap().fen, 600_000);
    // Brands are the programme's catalogue: the same for everyone.
    assert_eq!(stats.brands, everything.brands);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
