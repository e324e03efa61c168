//! The volunteers service end to end through the gateway, on the embedded default and on
//! PostgreSQL + JetStream: every capability answers, and on JetStream each of its events
//! is on the stream.

use std::collections::BTreeSet;

use prost_types::Timestamp;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;
use xingfu_volunteers::domain::register::check_character;

use crate::helpers::gateway;

const ORG: &str = "vflow-party";
const HOME: &str = "vflow-xiaoqu";
const START: i64 = 1_795_000_000;

/// Registers volunteer `n` of the flow; returns their id.
async fn volunteer(client: &mut VolunteersServiceClient<Channel>, n: u32) -> String {
    let first17 = format!("33032219850505{n:03}");
    let check = check_character(&first17).unwrap();
    client
        .register_volunteer(pb::RegisterVolunteerRequest {
            request_id: format!("vflow-volunteer-{n}"),
            name: format!("林{n}"),
            phone: format!("1390000{n:04}"),
            id_number: format!("{first17}{check}"),
            party_member: true,
            work_organisation_id: ORG.into(),
            home_community_id: HOME.into(),
            skills: vec!["送餐".into()],
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

/// Runs every capability once; returns the figures at the end.
pub async fn flow(channel: Channel) -> pb::VolunteerStats {
    let mut client = VolunteersServiceClient::new(channel);
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: ORG.into(),
            name: "洞头区教育局党委".into(),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(pb::RegisterCommunityRequest {
            id: HOME.into(),
            name: "元觉小区".into(),
            kind: pb::CommunityKind::Residential as i32,
            township: "元觉街道".into(),
        })
        .await
        .unwrap();
    let a = volunteer(&mut client, 1).await;
    let b = volunteer(&mut client, 2).await;

    let team = client
        .form_team(pb::FormTeamRequest {
            request_id: "vflow-team".into(),
            name: "小桔灯".into(),
            organisation_id: ORG.into(),
            skills: vec!["书法".into()],
        })
        .await
        .unwrap()
        .into_inner();
    for id in [&a, &b] {
        client
            .add_team_member(pb::TeamMemberRequest {
                team_id: team.id.clone(),
                volunteer_id: id.clone(),
            })
            .await
            .unwrap();
    }
    client
        .link_community(pb::CommunityLinkRequest {
            organisation_id: ORG.into(),
            community_id: HOME.into(),
        })
        .await
        .unwrap();

    let birthday = client
        .create_activity(pb::CreateActivityRequest {
            request_id: "vflow-birthday".into(),
            title: "集体生日会".into(),
            kind: pb::ActivityKind::CollectiveBirthday as i32,
            community_id: HOME.into(),
            project_id: String::new(),
            start_time: Some(Timestamp {
                seconds: START,
                nanos: 0,
            }),
            capacity: 10,
            organisation_id: ORG.into(),
            co_organiser_ids: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    for id in [&a, &b] {
        let at = |seconds| pb::CheckRequest {
            activity_id: birthday.id.clone(),
            volunteer_id: id.clone(),
            time: Some(Timestamp { seconds, nanos: 0 }),
        };
        client
            .sign_up(pb::SignUpRequest {
                activity_id: birthday.id.clone(),
                volunteer_id: id.clone(),
            })
            .await
            .unwrap();
        client.check_in(at(START)).await.unwrap();
        client.check_out(at(START + 2 * 3600)).await.unwrap();
    }
    let verified = client
        .verify_hours(pb::VerifyHoursRequest {
            activity_id: birthday.id.clone(),
            verifier: ORG.into(),
        })
        .await
        .unwrap()
        .into_inner()
        .verified;
    assert_eq!(verified.len(), 2);
    client
        .complete_activity(pb::CompleteActivityRequest {
            activity_id: birthday.id.clone(),
            people_served: 40,
        })
        .await
        .unwrap();
    // A class planned, moved, a sign-up withdrawn, then called off.
    let class = client
        .create_activity(pb::CreateActivityRequest {
            request_id: "vflow-class".into(),
            title: "共享幸福小课堂".into(),
            kind: pb::ActivityKind::Classroom as i32,
            community_id: HOME.into(),
            start_time: Some(Timestamp {
                seconds: START,
                nanos: 0,
            }),
            capacity: 5,
            organisation_id: ORG.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    client
        .sign_up(pb::SignUpRequest {
            activity_id: class.id.clone(),
            volunteer_id: a.clone(),
        })
        .await
        .unwrap();
    client
        .update_activity(pb::UpdateActivityRequest {
            id: class.id.clone(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["start_time".into()],
            }),
            values: Some(pb::CreateActivityRequest {
                start_time: Some(Timestamp {
                    seconds: START + 7 * 86_400,
                    nanos: 0,
                }),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    let freed = client
        .cancel_sign_up(pb::CancelSignUpRequest {
            activity_id: class.id.clone(),
            volunteer_id: a.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(freed.signed_up, 0);
    let called_off = client
        .cancel_activity(pb::CancelActivityRequest {
            id: class.id.clone(),
            reason: "台风停课".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(called_off.status, pb::ActivityStatus::Cancelled as i32);

    let report = client
        .four_ones_report(pb::FourOnesReportRequest {
            year: 2026,
            organisation_id: ORG.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report.rows[0].collective_birthdays, 1);
    assert_eq!(report.rows[0].missing.len(), 3);
    let hours = client
        .summarise_hours(pb::SummariseHoursRequest {
            organisation_id: ORG.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!((hours.minutes, hours.volunteers), (240, 2));
    let mut export = client
        .export_service_record(pb::ExportServiceRecordRequest {
            volunteer_id: a.clone(),
            format: pb::ExportFormat::Csv as i32,
        })
        .await
        .unwrap()
        .into_inner();
    let mut csv = Vec::new();
    while let Some(chunk) = export.message().await.unwrap() {
        csv.extend(chunk.data);
    }
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 2);

    for (key, side, score) in [
        ("vflow-eval-work", pb::EvaluationSide::Work, 5),
        ("vflow-eval-home", pb::EvaluationSide::Home, 5),
    ] {
        client
            .record_evaluation(pb::RecordEvaluationRequest {
                request_id: key.into(),
                volunteer_id: a.clone(),
                period: "2026-Q4".into(),
                side: side as i32,
                score,
                comment: String::new(),
                evaluator: ORG.into(),
            })
            .await
            .unwrap();
    }
    let result = client
        .get_evaluation_result(pb::GetEvaluationResultRequest {
            volunteer_id: a.clone(),
            period: "2026-Q4".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(result.grade, pb::EvaluationGrade::Excellent as i32);

    let wish = |key: &str| pb::PostWishRequest {
        request_id: key.into(),
        child_alias: "小鱼".into(),
        age_band: pb::AgeBand::Under6 as i32,
        community_id: HOME.into(),
        wish: "一本绘本".into(),
    };
    let granted = client.post_wish(wish("vflow-wish-1")).await.unwrap();
    let granted = granted.into_inner().id;
    client
        .adopt_wish(pb::AdoptWishRequest {
            wish_id: granted.clone(),
            volunteer_id: b.clone(),
        })
        .await
        .unwrap();
    client
        .fulfil_wish(pb::FulfilWishRequest {
            wish_id: granted,
            note: "已送达".into(),
        })
        .await
        .unwrap();
    let dropped = client.post_wish(wish("vflow-wish-2")).await.unwrap();
    client
        .cancel_wish(pb::CancelWishRequest {
            wish_id: dropped.into_inner().id,
            reason: "重复登记".into(),
        })
        .await
        .unwrap();
    client
        .remove_team_member(pb::TeamMemberRequest {
            team_id: team.id.clone(),
            volunteer_id: b.clone(),
        })
        .await
        .unwrap();

    // The register's lifecycle: an edit at the version read, the history it keeps, and
    // b's withdrawal and the erasure of their personal data.
    let edited = client
        .update_volunteer(pb::UpdateVolunteerRequest {
            id: a.clone(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["skills".into()],
            }),
            values: Some(pb::RegisterVolunteerRequest {
                skills: vec!["送餐".into(), "理发".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(edited.version, 2);
    let history = client
        .list_affiliations(pb::ListAffiliationsRequest {
            home_community_id: HOME.into(),
            party_member: Some(true),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .affiliations;
    assert_eq!(history.len(), 2, "both reported to {HOME} (双报到)");
    client
        .withdraw_volunteer(pb::WithdrawVolunteerRequest {
            id: b.clone(),
            reason: "迁居外地".into(),
        })
        .await
        .unwrap();
    let erased = client
        .erase_volunteer(pb::EraseVolunteerRequest { id: b.clone() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(erased.status, pb::VolunteerStatus::Erased as i32);
    client
        .get_stats(pb::GetStatsRequest {})
        .await
        .unwrap()
        .into_inner()
}

fn assert_figures(stats: &pb::VolunteerStats) {
    assert!(stats.volunteers >= 2 && stats.withdrawn_volunteers >= 1);
    assert!(stats.events >= 1 && stats.participants >= 40);
    assert!(stats.wishes_posted >= 2 && stats.wishes_fulfilled >= 1);
    assert!(stats.teams >= 1 && stats.evaluations >= 2);
}

#[tokio::test]
async fn the_volunteers_service_works_through_the_gateway_on_the_embedded_default() {
    let env = TestEnv::embedded();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let stats = flow(gateway(&suite).await).await;
    assert_eq!((stats.volunteers, stats.participants), (2, 40));
    assert_figures(&stats);
    suite.stop().await.unwrap();
}

#[tokio::test]
async fn the_volunteers_service_works_through_the_gateway_on_postgres_and_jetstream() {
    let env = TestEnv::postgres_jetstream();
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    let stats = flow(gateway(&suite).await).await;
    assert_figures(&stats);

    let expected: BTreeSet<&str> = [
        "organisation_registered",
        "community_registered",
        "volunteer_registered",
        "volunteer_updated",
        "volunteer_withdrawn",
        "volunteer_erased",
        "team_formed",
        "team_membership_changed",
        "community_link_changed",
        "activity_created",
        "activity_updated",
        "activity_cancelled",
        "participation_changed",
        "hours_verified",
        "activity_completed",
        "evaluation_recorded",
        "wish_posted",
        "wish_adopted",
        "wish_fulfilled",
        "wish_cancelled",
    ]
    .into_iter()
    .collect();
    crate::helpers::facts_reach_the_stream(&env, xingfu_volunteers::NAME, &expected).await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
