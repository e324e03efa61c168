//! Personal data stays in the volunteers service: a volunteer registered, found, read,
//! given a new phone, withdrawn and erased through the gateway of the real binary,
//! logging at debug level, on PostgreSQL and JetStream, leaves their name, phones and ID
//! number in no log line and no published event, and once erased nothing to read.

use std::io::Read as _;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{TestEnv, eventually, eventually_within};
use xingfu_volunteers::domain::register::check_character;

const PHONE: &str = "13987654321";
const NEW_PHONE: &str = "13912340000";
const NAME: &str = "陈海燕";

#[tokio::test]
async fn a_volunteers_phone_and_id_number_are_in_no_log_and_no_event() {
    let mut env = TestEnv::postgres();
    env.settings.nats.prefix = env.token.clone();
    // The child publishes to JetStream under this prefix: with the URL set, the cleanup
    // removes its streams too.
    env.settings.nats.url = Some(xingfu_platform::secret::Secret::new(
        xingfu_testkit::nats_url(),
    ));
    let data = std::env::temp_dir().join(format!("xingfu-pii-{}", env.token));
    std::fs::create_dir_all(&data).unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = crate::helpers::serve_command(&data)
        .env("XINGFU__LOG__FILTER", "debug")
        .env("XINGFU__DATABASE__URL", xingfu_testkit::postgres_url())
        .env(
            "XINGFU__DATABASE__NAME_PREFIX",
            &env.settings.database.name_prefix,
        )
        .env("XINGFU__NATS__URL", xingfu_testkit::nats_url())
        .env("XINGFU__NATS__PREFIX", &env.token)
        .env("XINGFU__GATEWAY__LISTEN", format!("127.0.0.1:{port}"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain both pipes from the start so the child never blocks on a full one.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            pipe.read_to_end(&mut out).ok();
            out
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));

    let first17 = "33032219700303456";
    let id_number = format!("{first17}{}", check_character(first17).unwrap());
    let channel = connect(port).await;
    // A newcomer's first call: the key the first start wrote, and nothing else.
    let key = std::fs::read_to_string(data.join("admin-api-key")).unwrap();
    let channel = crate::helpers::with_key(channel, key.trim());
    let mut client = VolunteersServiceClient::new(channel);
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: "pii-party".into(),
            name: "洞头区民政局党支部".into(),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(pb::RegisterCommunityRequest {
            id: "pii-cun".into(),
            name: "霓屿村".into(),
            kind: pb::CommunityKind::Village as i32,
            township: "霓屿街道".into(),
        })
        .await
        .unwrap();
    let request = pb::RegisterVolunteerRequest {
        request_id: "pii-1".into(),
        name: NAME.into(),
        phone: PHONE.into(),
        id_number: id_number.clone(),
        party_member: true,
        work_organisation_id: "pii-party".into(),
        home_community_id: "pii-cun".into(),
        skills: Vec::new(),
    };
    let registered = client
        .register_volunteer(request.clone())
        .await
        .unwrap()
        .into_inner();
    // The failures too: a second registration, a bad check character, lookups.
    let mut again = request.clone();
    again.request_id = "pii-2".into();
    client.register_volunteer(again).await.unwrap_err();
    let mut bad = request;
    bad.request_id = "pii-3".into();
    let wrong = if id_number.ends_with('0') { '1' } else { '0' };
    bad.id_number = format!("{first17}{wrong}");
    client.register_volunteer(bad).await.unwrap_err();
    for lookup in [
        pb::FindVolunteerRequest {
            phone: PHONE.into(),
            id_number: String::new(),
        },
        pb::FindVolunteerRequest {
            phone: String::new(),
            id_number: id_number.clone(),
        },
    ] {
        let found = client.find_volunteer(lookup).await.unwrap().into_inner();
        assert_eq!(found.id, registered.id);
        assert_ne!(found.phone_masked, PHONE);
    }
    client
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13900000000".into(),
            id_number: String::new(),
        })
        .await
        .unwrap_err();
    client
        .get_volunteer(pb::GetVolunteerRequest {
            id: registered.id.clone(),
        })
        .await
        .unwrap();
    // A new phone, then withdrawal and erasure on the person's request.
    client
        .update_volunteer(pb::UpdateVolunteerRequest {
            id: registered.id.clone(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["phone".into()],
            }),
            values: Some(pb::RegisterVolunteerRequest {
                phone: NEW_PHONE.into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    client
        .withdraw_volunteer(pb::WithdrawVolunteerRequest {
            id: registered.id.clone(),
            reason: "本人申请退出".into(),
        })
        .await
        .unwrap();
    client
        .erase_volunteer(pb::EraseVolunteerRequest {
            id: registered.id.clone(),
        })
        .await
        .unwrap();
    let erased = client
        .get_volunteer(pb::GetVolunteerRequest {
            id: registered.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            erased.name.as_str(),
            erased.phone.as_str(),
            erased.id_number.as_str()
        ),
        ("", "", ""),
        "the admin holds pii:read, and nothing is left to show"
    );

    // Every event the volunteers service published, headers and payload.
    let js = async_nats::jetstream::new(
        async_nats::connect(xingfu_testkit::nats_url())
            .await
            .unwrap(),
    );
    let published = eventually("the registrations to be published", || async {
        let published: Vec<Vec<u8>> =
            crate::helpers::read_all(&js, &env.stream_name(xingfu_volunteers::NAME))
                .await
                .into_iter()
                .map(|message| {
                    let mut bytes = format!("{:?}", message.headers).into_bytes();
                    bytes.extend_from_slice(&message.payload);
                    bytes
                })
                .collect();
        (published.len() >= 6).then_some(published)
    })
    .await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
    let mut logs = stdout.join().unwrap();
    logs.extend(stderr.join().unwrap());
    let logs = String::from_utf8_lossy(&logs);
    assert!(
        logs.contains("RegisterVolunteer"),
        "the calls were logged at all"
    );
    assert!(logs.contains("EraseVolunteer"), "the erasure was logged");
    for (what, secret) in [
        ("phone", PHONE),
        ("new phone", NEW_PHONE),
        ("name", NAME),
        ("ID number", id_number.as_str()),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
        for (i, event) in published.iter().enumerate() {
            assert!(
                !event.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "the {what} is in published event {i}"
            );
        }
    }
    std::fs::remove_dir_all(&data).ok();
    env.cleanup().await.unwrap();
}

/// A channel to the gateway once it accepts connections.
async fn connect(port: u16) -> tonic::transport::Channel {
    let endpoint =
        tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}")).unwrap();
    // The binary's first start (every service's migrations) may outlast PATIENCE: the
    // 30 s this wait has always allowed.
    eventually_within(
        Duration::from_secs(30),
        &format!("the gateway to come up on port {port}"),
        || async {
            let channel = endpoint.connect().await.ok()?;
            let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
            let serving = health
                .check(tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                })
                .await
                .map(|r| r.into_inner().status)
                .unwrap_or_default();
            (serving == tonic_health::pb::health_check_response::ServingStatus::Serving as i32)
                .then_some(channel)
        },
    )
    .await
}
