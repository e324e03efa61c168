//! A volunteer's life in the register (issue 19): edits at a version, a move that keeps
//! where their service was given, the 双报到 history, withdrawal, and the erasure of
//! their personal data that leaves every figure as it was.

use sqlx::{Column as _, Row as _};
use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_platform::trust::Caller;
use xingfu_proto::common::PageRequest;
use xingfu_proto::volunteers as pb;
use xingfu_testkit::{TestEnv, principal};

use crate::boundaries::{
    Client, client_as, enrol, open_activity, place, precondition, reason, serve, verify,
};
use crate::directory::fields;

async fn started(env: &TestEnv) -> (Client, xingfu_platform::runner::RunningSuite) {
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut admin = pb::volunteers_service_client::VolunteersServiceClient::new(
        xingfu_testkit::channel(addr).await,
    );
    place(&mut admin, "a").await;
    place(&mut admin, "b").await;
    (admin, suite)
}

fn update(
    id: &str,
    version: i64,
    paths: &[&str],
    values: pb::RegisterVolunteerRequest,
) -> pb::UpdateVolunteerRequest {
    pb::UpdateVolunteerRequest {
        id: id.into(),
        version,
        update_mask: Some(prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        }),
        values: Some(values),
    }
}

fn moved_to_b() -> pb::RegisterVolunteerRequest {
    pb::RegisterVolunteerRequest {
        work_organisation_id: "org-b".into(),
        home_community_id: "com-b".into(),
        phone: "139-1111-2222".into(),
        ..Default::default()
    }
}

async fn affiliations(
    client: &mut Client,
    request: pb::ListAffiliationsRequest,
) -> Vec<pb::Affiliation> {
    client
        .list_affiliations(request)
        .await
        .unwrap()
        .into_inner()
        .affiliations
}

async fn hours_of(client: &mut Client, request: pb::SummariseHoursRequest) -> (i64, i64, i64) {
    let s = client.summarise_hours(request).await.unwrap().into_inner();
    (s.minutes, s.records, s.volunteers)
}

async fn get(client: &mut Client, id: &str) -> pb::Volunteer {
    client
        .get_volunteer(pb::GetVolunteerRequest { id: id.into() })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn a_volunteer_moves_and_their_service_stays_where_it_was_given() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let v = enrol(&mut admin, 1, "org-a", "com-a").await;
    let act = open_activity(&mut admin, "a").await;
    serve(&mut admin, &act, &v).await;
    admin.verify_hours(verify(&act, "")).await.unwrap();
    let before = get(&mut admin, &v).await;
    assert_eq!(
        (before.version, before.status),
        (1, pb::VolunteerStatus::Active as i32)
    );

    let stale = admin
        .update_volunteer(update(&v, 2, &["work_organisation_id"], moved_to_b()))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted, "{stale:?}");

    let paths = ["work_organisation_id", "home_community_id", "phone"];
    let moved = admin
        .update_volunteer(update(&v, 1, &paths, moved_to_b()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.version, 2);
    assert_eq!(
        (
            moved.work_organisation_id.as_str(),
            moved.home_community_id.as_str()
        ),
        ("org-b", "com-b")
    );
    assert_eq!(moved.phone_masked, "139****2222");
    assert!(
        moved.phone.is_empty() && moved.id_number.is_empty(),
        "a write answers nothing in clear"
    );

    // The hour served at org-a stays org-a's; the new phone finds them, the old one not.
    let org = |id: &str| pb::SummariseHoursRequest {
        organisation_id: id.into(),
        ..Default::default()
    };
    assert_eq!(hours_of(&mut admin, org("org-a")).await, (60, 1, 1));
    assert_eq!(hours_of(&mut admin, org("org-b")).await, (0, 0, 0));
    let found = admin
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13911112222".into(),
            id_number: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.id, v);
    let old = admin
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13900000001".into(),
            id_number: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(old.code(), Code::NotFound);

    // Two stretches: com-a's (ended) and com-b's (current); 双报到 at com-a lists the past.
    let history = affiliations(
        &mut admin,
        pb::ListAffiliationsRequest {
            volunteer_id: v.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(history.len(), 2);
    assert_eq!(
        (
            history[0].home_community_id.as_str(),
            history[1].home_community_id.as_str()
        ),
        ("com-a", "com-b")
    );
    assert!(history[0].end_time.is_some() && history[1].end_time.is_none());
    assert_eq!(
        history[0].end_time, history[1].start_time,
        "one stretch ends as the next begins"
    );
    let reported = |current| pb::ListAffiliationsRequest {
        home_community_id: "com-a".into(),
        party_member: Some(true),
        current,
        ..Default::default()
    };
    assert_eq!(affiliations(&mut admin, reported(None)).await.len(), 1);
    assert!(
        affiliations(&mut admin, reported(Some(true)))
            .await
            .is_empty()
    );
    assert_eq!(
        affiliations(&mut admin, reported(Some(false))).await[0].volunteer_id,
        v
    );

    // Asking for what they have changes nothing; skills change the entry, not where they are.
    let same = admin
        .update_volunteer(update(&v, 2, &paths, moved_to_b()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same.version, 2);
    let skilled = pb::RegisterVolunteerRequest {
        skills: vec!["书法".into()],
        ..Default::default()
    };
    let skilled = admin
        .update_volunteer(update(&v, 2, &["skills"], skilled))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (skilled.version, skilled.skills.as_slice()),
        (3, ["书法".to_owned()].as_slice())
    );
    let all = pb::ListAffiliationsRequest {
        volunteer_id: v.clone(),
        ..Default::default()
    };
    assert_eq!(affiliations(&mut admin, all.clone()).await.len(), 2);

    // Leaving the Party's count moves the figure and opens a stretch.
    let party_before = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner()
        .party_members;
    let not_party = pb::RegisterVolunteerRequest::default();
    admin
        .update_volunteer(update(&v, 3, &["party_member"], not_party))
        .await
        .unwrap();
    let stats = admin
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.party_members, party_before - 1);
    assert_eq!(affiliations(&mut admin, all).await.len(), 3);

    // Bad input: each field named, nothing written (the declared rules first, then the
    // code's).
    let bad = pb::RegisterVolunteerRequest {
        work_organisation_id: "no such!".into(),
        ..Default::default()
    };
    let status = admin
        .update_volunteer(update(&v, 4, &["work_organisation_id"], bad))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(fields(&status), ["values.work_organisation_id"]);
    let bad = pb::RegisterVolunteerRequest {
        phone: "12".into(),
        ..Default::default()
    };
    let status = admin
        .update_volunteer(update(&v, 4, &["phone", "id_number"], bad))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["values.phone", "update_mask"]);
    let status = admin
        .update_volunteer(update(&v, 4, &[], moved_to_b()))
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["update_mask"]);
    let unknown = pb::RegisterVolunteerRequest {
        work_organisation_id: "org-z".into(),
        ..Default::default()
    };
    let status = admin
        .update_volunteer(update(&v, 4, &["work_organisation_id"], unknown))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "ORGANISATION_UNKNOWN");
    assert_eq!(get(&mut admin, &v).await.version, 4);

    // One event per change that changed something, carrying no personal data.
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();
    let payloads: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT payload FROM outbox WHERE subject LIKE '%.volunteer_updated.%'")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(payloads.len(), 3);
    for payload in &payloads {
        assert!(!contains(payload, "13911112222") && !contains(payload, "139****2222"));
    }
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_limited_caller_edits_and_withdraws_only_whom_it_sees_and_keeps_them_inside() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let va = enrol(&mut admin, 1, "org-a", "com-a").await;
    let vb = enrol(&mut admin, 2, "org-b", "com-b").await;
    admin
        .update_volunteer(update(
            &vb,
            1,
            &["work_organisation_id", "home_community_id"],
            pb::RegisterVolunteerRequest {
                work_organisation_id: "org-b".into(),
                home_community_id: "com-a".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let mut alice = client_as(
        addr,
        principal("alice", &["activity_organiser@org-a"], Some("org-a")),
    )
    .await;

    // Another organisation's volunteer, named by id: missing, and unchanged.
    let named_elsewhere = enrol(&mut admin, 3, "org-b", "com-b").await;
    for status in [
        alice
            .update_volunteer(update(
                &named_elsewhere,
                1,
                &["skills"],
                pb::RegisterVolunteerRequest::default(),
            ))
            .await
            .unwrap_err(),
        alice
            .withdraw_volunteer(pb::WithdrawVolunteerRequest {
                id: named_elsewhere.clone(),
                reason: "冒名".into(),
            })
            .await
            .unwrap_err(),
        alice
            .erase_volunteer(pb::EraseVolunteerRequest {
                id: named_elsewhere.clone(),
            })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }
    let untouched = get(&mut admin, &named_elsewhere).await;
    assert_eq!(
        (untouched.version, untouched.status),
        (1, pb::VolunteerStatus::Active as i32)
    );

    // Their own, moved outside: refused, and still theirs.
    let status = alice
        .update_volunteer(update(
            &va,
            1,
            &["work_organisation_id", "home_community_id"],
            moved_to_b(),
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "OUTSIDE_BOUNDARY");
    assert_eq!(get(&mut admin, &va).await.work_organisation_id, "org-a");

    // Affiliations: what org-a owns (its work side, or a home at com-a), past and present.
    let seen = affiliations(&mut alice, pb::ListAffiliationsRequest::default()).await;
    let mut who: Vec<(&str, &str)> = seen
        .iter()
        .map(|a| (a.volunteer_id.as_str(), a.home_community_id.as_str()))
        .collect();
    who.sort();
    let mut expected = vec![(va.as_str(), "com-a"), (vb.as_str(), "com-a")];
    expected.sort();
    assert_eq!(who, expected, "vb's stretch at com-b is org-b's alone");
    let theirs = affiliations(
        &mut alice,
        pb::ListAffiliationsRequest {
            volunteer_id: named_elsewhere.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(
        theirs.is_empty(),
        "naming another's volunteer lists nothing"
    );

    // Paging walks the lot in id order.
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = admin
            .list_affiliations(pb::ListAffiliationsRequest {
                page: Some(PageRequest {
                    page_size: 1,
                    page_token: token.clone(),
                }),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.affiliations.into_iter().map(|a| a.id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(paged.len(), 4);
    assert!(paged.windows(2).all(|w| w[0] < w[1]));

    // Alice withdraws her own.
    let gone = alice
        .withdraw_volunteer(pb::WithdrawVolunteerRequest {
            id: va.clone(),
            reason: "调离洞头".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(gone.status, pb::VolunteerStatus::Withdrawn as i32);
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_withdrawn_volunteer_serves_no_more_and_erasing_them_leaves_every_figure() {
    let env = TestEnv::new();
    let (mut admin, suite) = started(&env).await;
    let addr = suite.addr(xingfu_volunteers::NAME).unwrap();
    let v = enrol(&mut admin, 1, "org-a", "com-a").await;
    let other = enrol(&mut admin, 2, "org-a", "com-a").await;
    let act = open_activity(&mut admin, "a").await;
    serve(&mut admin, &act, &v).await;
    admin.verify_hours(verify(&act, "")).await.unwrap();
    let mut rating = crate::boundaries::rating("r-1", &v, pb::EvaluationSide::Work);
    rating.comment = "林小灯同志服务认真".into();
    admin.record_evaluation(rating).await.unwrap();

    let status = admin
        .erase_volunteer(pb::EraseVolunteerRequest { id: v.clone() })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_ACTIVE", "withdraw first");
    let withdrawn = admin
        .withdraw_volunteer(pb::WithdrawVolunteerRequest {
            id: v.clone(),
            reason: "本人申请退出".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(withdrawn.status, pb::VolunteerStatus::Withdrawn as i32);
    assert_eq!(withdrawn.withdrawal_reason, "本人申请退出");
    assert!(withdrawn.status_time.is_some());
    let again = admin
        .withdraw_volunteer(pb::WithdrawVolunteerRequest {
            id: v.clone(),
            reason: "另一个理由".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, withdrawn, "withdrawing again changes nothing");
    let current = pb::ListAffiliationsRequest {
        volunteer_id: v.clone(),
        current: Some(true),
        ..Default::default()
    };
    assert!(
        affiliations(&mut admin, current).await.is_empty(),
        "their affiliation ended"
    );

    // A withdrawn volunteer is enlisted nowhere, and their entry no longer changes.
    let act2 = admin
        .create_activity({
            let mut r = crate::helpers::activity("act-2", 5);
            r.community_id = "com-a".into();
            r
        })
        .await
        .unwrap()
        .into_inner()
        .id;
    let status = admin
        .sign_up(pb::SignUpRequest {
            activity_id: act2,
            volunteer_id: v.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_WITHDRAWN");
    let team = crate::boundaries::team(&mut admin, "a").await;
    let status = admin
        .add_team_member(pb::TeamMemberRequest {
            team_id: team,
            volunteer_id: v.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_WITHDRAWN");
    let status = admin
        .update_volunteer(update(
            &v,
            withdrawn.version,
            &["skills"],
            pb::RegisterVolunteerRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(precondition(&status), "VOLUNTEER_WITHDRAWN");

    // What the figures say before the erasure.
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();
    let sealed: Vec<String> = {
        let row = sqlx::query(
            "SELECT name_sealed, phone_sealed, phone_digest, id_number_sealed, \
             id_number_digest, phone_masked, id_number_masked, request_hash \
             FROM volunteers WHERE id = $1",
        )
        .bind(&v)
        .fetch_one(db.pool())
        .await
        .unwrap();
        (0..8).map(|i| row.get::<String, _>(i)).collect()
    };
    let figures = |mut client: Client| {
        let v = v.clone();
        async move {
            let stats = client
                .get_stats(pb::GetStatsRequest {})
                .await
                .unwrap()
                .into_inner();
            let mine = hours_of(
                &mut client,
                pb::SummariseHoursRequest {
                    volunteer_id: v.clone(),
                    ..Default::default()
                },
            )
            .await;
            let org = hours_of(
                &mut client,
                pb::SummariseHoursRequest {
                    organisation_id: "org-a".into(),
                    ..Default::default()
                },
            )
            .await;
            let result = client
                .get_evaluation_result(pb::GetEvaluationResultRequest {
                    volunteer_id: v.clone(),
                    period: "2026-Q3".into(),
                })
                .await
                .unwrap()
                .into_inner();
            let history = affiliations(
                &mut client,
                pb::ListAffiliationsRequest {
                    volunteer_id: v,
                    ..Default::default()
                },
            )
            .await;
            (
                stats,
                mine,
                org,
                result.work.map(|w| w.score),
                result.combined_score,
                history,
            )
        }
    };
    let before = figures(admin.clone()).await;
    assert_eq!(before.0.withdrawn_volunteers, 1);

    // Erasing takes pii:erase: a writer with every volunteers scope but that one is refused.
    let writer = Caller {
        scopes: [
            "volunteers:write".to_owned(),
            "volunteers:read".to_owned(),
            "pii:read".to_owned(),
        ]
        .into(),
        ..principal("registrar", &["programme_admin"], None)
    };
    let status = client_as(addr, writer)
        .await
        .erase_volunteer(pb::EraseVolunteerRequest { id: v.clone() })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "PII_ERASE_REQUIRED");

    let erased = admin
        .erase_volunteer(pb::EraseVolunteerRequest { id: v.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(erased.status, pb::VolunteerStatus::Erased as i32);
    let read = get(&mut admin, &v).await; // the admin holds pii:read
    for shown in [
        &read.name,
        &read.phone,
        &read.id_number,
        &read.phone_masked,
        &read.id_number_masked,
        &read.withdrawal_reason,
    ] {
        assert!(
            shown.is_empty(),
            "an erased volunteer shows nothing personal: {read:?}"
        );
    }
    assert_eq!(
        admin
            .erase_volunteer(pb::EraseVolunteerRequest { id: v.clone() })
            .await
            .unwrap()
            .into_inner(),
        erased,
        "erasing again changes nothing"
    );

    // Every figure as it was; the rating's comment gone, its score kept.
    let after = figures(admin.clone()).await;
    assert_eq!(after, before);
    let result = admin
        .get_evaluation_result(pb::GetEvaluationResultRequest {
            volunteer_id: v.clone(),
            period: "2026-Q3".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(result.work.unwrap().comment, "");

    // Nothing of what was stored is left anywhere in the service's database, nor in
    // any event: not the sealed values, not the digests a clear value would match.
    assert!(
        sealed.iter().all(|s| !s.is_empty()),
        "sealed values and digests were stored"
    );
    let everything = all_stored_text(&db).await;
    for secret in &sealed {
        assert!(
            !everything.contains(secret.as_str()),
            "{secret} survived the erasure"
        );
    }
    for clear in [
        "志愿者1",
        "13900000001",
        "林小灯同志服务认真",
        "本人申请退出",
    ] {
        assert!(!everything.contains(clear), "{clear} is stored");
    }
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM outbox")
        .fetch_all(db.pool())
        .await
        .unwrap();
    for payload in &payloads {
        for clear in ["13900000001", "林小灯", "本人申请退出"] {
            assert!(!contains(payload, clear));
        }
    }
    let erasures: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE subject LIKE '%.volunteer_erased.%'")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(erasures, 1);
    db.close().await;

    // Their ID number finds no one; the person may register again, as someone new.
    let enrolment = crate::boundaries::enrolment(1, "org-a", "com-a");
    let status = admin
        .find_volunteer(pb::FindVolunteerRequest {
            phone: String::new(),
            id_number: enrolment.id_number.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let again = admin
        .register_volunteer(pb::RegisterVolunteerRequest {
            request_id: "enrol-1-again".into(),
            ..enrolment
        })
        .await
        .unwrap()
        .into_inner();
    assert_ne!(again.id, v);
    let _ = other;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Every text value of every row of the service's own tables, joined.
async fn all_stored_text(db: &Database) -> String {
    let mut all = String::new();
    for table in [
        "volunteers",
        "volunteer_affiliations",
        "evaluations",
        "participations",
        "service_records",
        "team_members",
        "wishes",
    ] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM {table}")))
            .fetch_all(db.pool())
            .await
            .unwrap();
        for row in rows {
            for column in row.columns() {
                if let Ok(Some(text)) = row.try_get::<Option<String>, _>(column.ordinal()) {
                    all.push_str(&text);
                    all.push('\n');
                }
            }
        }
    }
    all
}
