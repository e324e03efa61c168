//! The harness: the volunteers service started on a fresh database with a little of the
//! directory, and the requests the tests share.

use prost_types::Timestamp;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;
use xingfu_volunteers::domain::register::check_character;

pub const START: i64 = 1_795_000_000;

pub fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

pub fn activity(request_id: &str, capacity: i32) -> pb::CreateActivityRequest {
    pb::CreateActivityRequest {
        request_id: request_id.into(),
        title: "红色星期天 · 海岛清洁".into(),
        kind: pb::ActivityKind::RedSunday as i32,
        community_id: "beiao-xiaoqu".into(),
        project_id: String::new(),
        start_time: at(START),
        capacity,
        organisation_id: String::new(),
        co_organiser_ids: Vec::new(),
    }
}

pub fn check(activity_id: &str, volunteer_id: &str, seconds: i64) -> pb::CheckRequest {
    pb::CheckRequest {
        activity_id: activity_id.into(),
        volunteer_id: volunteer_id.into(),
        time: at(seconds),
    }
}

pub async fn started(
    env: &TestEnv,
) -> (
    VolunteersServiceClient<Channel>,
    xingfu_platform::runner::RunningSuite,
) {
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut client = VolunteersServiceClient::new(xingfu_testkit::channel(addr).await);
    client
        .register_community(pb::RegisterCommunityRequest {
            id: "beiao-xiaoqu".into(),
            name: "北岙小区".into(),
            kind: pb::CommunityKind::Residential as i32,
            township: "北岙街道".into(),
        })
        .await
        .unwrap();
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: "beiao-party".into(),
            name: "北岙街道党工委".into(),
            kind: pb::OrganisationKind::CommunityParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    (client, suite)
}

/// Registers volunteer number `n` (a valid, made-up ID number); returns their id.
pub async fn register(client: &mut VolunteersServiceClient<Channel>, n: u32) -> String {
    let first17 = format!("33032219900101{n:03}");
    let check = check_character(&first17).unwrap();
    client
        .register_volunteer(pb::RegisterVolunteerRequest {
            request_id: format!("register-{n}"),
            name: format!("志愿者{n}"),
            phone: format!("1380000{n:04}"),
            id_number: format!("{first17}{check}"),
            party_member: true,
            work_organisation_id: "beiao-party".into(),
            home_community_id: "beiao-xiaoqu".into(),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .id
}

pub fn uuid_like() -> String {
    "01900000-0000-7000-8000-000000000000".into()
}
