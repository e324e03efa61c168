use tonic::Code;
use xingfu_proto::workshops as pb;
use xingfu_testkit::TestEnv;

use xingfu_proto::workshops::workshops_service_client::WorkshopsServiceClient;

use crate::helpers::{fields, open_workshop, precondition, started, started_at};

#[tokio::test]
async fn brands_are_one_per_department_and_workshops_move_along_their_transitions() {
    let env = TestEnv::new();
    let (mut client, suite) = started(&env).await;

    let again = client
        .register_brand(pb::RegisterBrandRequest {
            id: "two-veg-one-fish".into(),
            name: "两菜一鱼".into(),
            department_id: "agri-bureau".into(),
            description: "海岛农渔产品".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        !again.department.unwrap().verified,
        "the department is unverified until the directory's event arrives"
    );
    let status = client
        .register_brand(pb::RegisterBrandRequest {
            id: "sea-stay".into(),
            name: "洞头海宿".into(),
            department_id: "agri-bureau".into(),
            description: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::AlreadyExists,
        "one department, one product"
    );
    // Concurrent registrations of one brand all return it; none fails.
    let same = pb::RegisterBrandRequest {
        id: "sea-stay".into(),
        name: "洞头海宿".into(),
        department_id: "tourism-bureau".into(),
        description: String::new(),
    };
    let racing = (0..8).map(|_| {
        let mut client = client.clone();
        let request = same.clone();
        async move { client.register_brand(request).await }
    });
    for outcome in futures_util::future::join_all(racing).await {
        assert_eq!(outcome.unwrap().into_inner().id, "sea-stay");
    }
    let status = client
        .register_brand(pb::RegisterBrandRequest::default())
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["id", "name", "department_id"]);

    let status = client
        .create_workshop(pb::CreateWorkshopRequest::default())
        .await
        .unwrap_err();
    let bad = fields(&status);
    for field in [
        "request_id",
        "name",
        "community_id",
        "host_firm",
        "department_id",
        "mode",
        "brand_id",
    ] {
        assert!(bad.contains(&field.to_owned()), "{field} in {bad:?}");
    }
    let mut unbranded = pb::CreateWorkshopRequest {
        request_id: "w-x".into(),
        name: "工坊".into(),
        community_id: "yuanjue-cun".into(),
        host_firm: "某公司".into(),
        department_id: "agri-bureau".into(),
        mode: pb::Mode::AgriTourism as i32,
        brand_id: "no-such-brand".into(),
    };
    let status = client.create_workshop(unbranded.clone()).await.unwrap_err();
    assert_eq!(precondition(&status), "BRAND_UNKNOWN");

    unbranded.brand_id = "two-veg-one-fish".into();
    let planned = client
        .create_workshop(unbranded.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(planned.status, pb::WorkshopStatus::Planned as i32);
    assert_eq!(
        client
            .create_workshop(unbranded.clone())
            .await
            .unwrap()
            .into_inner(),
        planned,
        "a retry returns the workshop created first"
    );
    unbranded.name = "另一个工坊".into();
    assert_eq!(
        client.create_workshop(unbranded).await.unwrap_err().code(),
        Code::AlreadyExists
    );

    let change = |status: pb::WorkshopStatus| pb::ChangeWorkshopStatusRequest {
        id: planned.id.clone(),
        status: status as i32,
        reason: "淡季".into(),
    };
    let status = client
        .change_workshop_status(change(pb::WorkshopStatus::Suspended))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "INVALID_TRANSITION");
    for step in [
        pb::WorkshopStatus::Open,
        pb::WorkshopStatus::Open,
        pb::WorkshopStatus::Suspended,
        pb::WorkshopStatus::Open,
        pb::WorkshopStatus::Closed,
    ] {
        let moved = client
            .change_workshop_status(change(step))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(moved.status, step as i32);
    }
    let status = client
        .change_workshop_status(change(pb::WorkshopStatus::Open))
        .await
        .unwrap_err();
    assert_eq!(
        precondition(&status),
        "INVALID_TRANSITION",
        "closed is final"
    );

    let open = open_workshop(&mut client, "w-1").await;
    let support = |key: &str, kind: pb::SupportKind, fen| pb::GiveSupportRequest {
        request_id: key.into(),
        workshop_id: open.id.clone(),
        kind: kind as i32,
        description: "首年租金减免".into(),
        value_fen: fen,
        given_on: None,
    };
    client
        .give_support(support("s-1", pb::SupportKind::RentRelief, 1_200_000))
        .await
        .unwrap();
    let supported = client
        .give_support(support("s-2", pb::SupportKind::JobTraining, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(supported.support.len(), 2);
    assert_eq!(supported.support[0].value.as_ref().unwrap().fen, 1_200_000);
    assert!(supported.support[1].value.is_none());
    let retry = client
        .give_support(support("s-2", pb::SupportKind::JobTraining, 0))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry.support.len(), 2, "a retry adds nothing");
    let status = client
        .give_support(support("s-3", pb::SupportKind::Unspecified, -1))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), vec!["kind", "value_fen"]);

    let listed = client
        .list_workshops(pb::ListWorkshopsRequest {
            status: pb::WorkshopStatus::Open as i32,
            mode: pb::Mode::Processing as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .workshops;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, open.id);
    let stats = client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!((stats.workshops, stats.brands), (2, 2));
    let by_status: Vec<(String, i64)> = stats
        .by_status
        .iter()
        .map(|k| (k.key.clone(), k.count))
        .collect();
    assert_eq!(
        by_status,
        [("CLOSED".to_owned(), 1), ("OPEN".to_owned(), 1)]
    );
    assert_eq!(stats.by_mode.len(), 2);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_workshop_is_renamed_at_the_version_read_and_its_figures_keys_stay() {
    let env = TestEnv::new();
    let (mut client, suite, addr) = started_at(&env).await;
    let opened = open_workshop(&mut client, "rename").await;
    let update = |version: i64, name: &str, host_firm: &str| pb::UpdateWorkshopRequest {
        id: opened.id.clone(),
        version,
        name: name.into(),
        host_firm: host_firm.into(),
    };

    let renamed = client
        .update_workshop(update(opened.version, " 元觉花岗岩共富工坊 ", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.name, "元觉花岗岩共富工坊");
    assert_eq!(
        renamed.host_firm, opened.host_firm,
        "an empty field keeps it"
    );
    assert_eq!(renamed.version, opened.version + 1);
    assert_eq!(
        (renamed.mode, renamed.status, &renamed.community),
        (opened.mode, opened.status, &opened.community)
    );
    // The version read before is stale now: nothing changes.
    let status = client
        .update_workshop(update(opened.version, "", "另一家公司"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted, "{status:?}");
    // Asking for what it has changes nothing, not even the version.
    let same = client
        .update_workshop(update(renamed.version, "元觉花岗岩共富工坊", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same, renamed);
    let status = client
        .update_workshop(pb::UpdateWorkshopRequest {
            id: "x".into(),
            version: -1,
            name: "名".repeat(201),
            host_firm: "a\u{7}".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["id", "version", "name", "host_firm"]);

    // One event for the one change, with no more than the workshop's public details.
    let db = xingfu_platform::db::Database::open(&env.settings, xingfu_workshops::NAME)
        .await
        .unwrap();
    let updates: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%.workshop_updated.%'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(updates, 1);
    db.close().await;

    // A caller limited to another organisation cannot find it to rename it.
    let caller =
        xingfu_testkit::principal("outsider", &["commissioner@education"], Some("education"));
    let mut outsider = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, caller).await);
    let status = outsider
        .update_workshop(update(renamed.version, "冒名", ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    // Inside the boundary, running a workshop takes a commissioner (or an administrator):
    // an evaluator who sees it may not rename it, nor change its status.
    let caller =
        xingfu_testkit::principal("rater", &["evaluator@agri-bureau"], Some("agri-bureau"));
    let mut rater = WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, caller).await);
    let status = rater
        .update_workshop(update(renamed.version, "冒名", ""))
        .await
        .unwrap_err();
    xingfu_testkit::assert_denied(&status, "ROLE_REQUIRED");
    let status = rater
        .change_workshop_status(pb::ChangeWorkshopStatusRequest {
            id: opened.id.clone(),
            status: pb::WorkshopStatus::Closed as i32,
            reason: String::new(),
        })
        .await
        .unwrap_err();
    xingfu_testkit::assert_denied(&status, "ROLE_REQUIRED");
    let kept = client
        .get_workshop(pb::GetWorkshopRequest {
            id: opened.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.name, "元觉花岗岩共富工坊");
    assert_eq!(kept.status, pb::WorkshopStatus::Open as i32);
    let caller = xingfu_testkit::principal(
        "commissioner",
        &["commissioner@agri-bureau"],
        Some("agri-bureau"),
    );
    let mut commissioner =
        WorkshopsServiceClient::new(xingfu_testkit::channel_as(addr, caller).await);
    let by_commissioner = commissioner
        .update_workshop(update(kept.version, "", "元觉石材合作社"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_commissioner.host_firm, "元觉石材合作社");
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
