use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::TestEnv;

/// The standard's worked example: a valid number nobody holds.
const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13800005678";

fn volunteer(request_id: &str) -> pb::RegisterVolunteerRequest {
    pb::RegisterVolunteerRequest {
        request_id: request_id.into(),
        name: "林小灯".into(),
        phone: "138-0000-5678".into(),
        id_number: ID_NUMBER.to_lowercase(),
        party_member: true,
        work_organisation_id: "education".into(),
        home_community_id: "beiao-xiaoqu".into(),
        skills: vec!["calligraphy".into()],
    }
}

#[tokio::test]
async fn volunteers_register_once_are_found_by_digest_and_never_stored_in_clear() {
    let env = TestEnv::new();
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut client = VolunteersServiceClient::new(xingfu_testkit::channel(addr).await);
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();

    let status = client
        .register_volunteer(volunteer("v-1"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "the directory comes first"
    );
    client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: "education".into(),
            name: "区教育局机关党委".into(),
            kind: pb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(pb::RegisterCommunityRequest {
            id: "beiao-xiaoqu".into(),
            name: "北岙小区".into(),
            kind: pb::CommunityKind::Residential as i32,
            township: "北岙街道".into(),
        })
        .await
        .unwrap();

    let bad = client
        .register_volunteer(pb::RegisterVolunteerRequest {
            id_number: "110105194912310021".into(),
            phone: "12ab".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let fields = xingfu_testkit::violated_fields(&bad);
    for field in [
        "request_id",
        "name",
        "work_organisation_id",
        "home_community_id",
    ] {
        assert!(
            fields.iter().any(|f| f == field),
            "{field} reported in {fields:?}"
        );
    }
    // Phone and ID number rules are code's, checked once the declared ones hold.
    let bad = client
        .register_volunteer(pb::RegisterVolunteerRequest {
            id_number: "110105194912310021".into(),
            phone: "12ab".into(),
            ..volunteer("v-bad")
        })
        .await
        .unwrap_err();
    assert_eq!(
        xingfu_testkit::violated_fields(&bad),
        ["phone", "id_number"]
    );
    assert!(
        !bad.message().contains("110105194912310021") && !bad.message().contains("12ab"),
        "errors do not echo personal data"
    );
    assert!(
        !bad.message().contains("110105194912310021"),
        "errors do not echo personal data"
    );

    let registered = client
        .register_volunteer(volunteer("v-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(registered.name, "林小灯");
    assert_eq!(registered.phone_masked, "138****5678");
    assert_eq!(registered.id_number_masked, "110105**********2X");
    let retry = client
        .register_volunteer(volunteer("v-1"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(retry, registered, "a retry returns the first registration");
    let mut other = volunteer("v-1");
    other.skills.push("first aid".into());
    assert_eq!(
        client.register_volunteer(other).await.unwrap_err().code(),
        Code::AlreadyExists,
        "a request id is not reused for another registration"
    );
    let twin = client
        .register_volunteer(volunteer("v-2"))
        .await
        .unwrap_err();
    assert_eq!(
        twin.code(),
        Code::AlreadyExists,
        "one registration per ID number"
    );
    assert!(!twin.message().contains(ID_NUMBER));

    for find in [
        pb::FindVolunteerRequest {
            phone: "138 0000 5678".into(),
            ..Default::default()
        },
        pb::FindVolunteerRequest {
            id_number: ID_NUMBER.into(),
            ..Default::default()
        },
    ] {
        let found = client.find_volunteer(find).await.unwrap().into_inner();
        assert_eq!(found.id, registered.id);
    }
    let missing = client
        .find_volunteer(pb::FindVolunteerRequest {
            phone: "13900001111".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert!(
        !missing.message().contains("13900001111"),
        "{}",
        missing.message()
    );
    assert_eq!(
        client
            .find_volunteer(pb::FindVolunteerRequest::default())
            .await
            .unwrap_err()
            .code(),
        Code::InvalidArgument
    );
    let read = client
        .get_volunteer(pb::GetVolunteerRequest {
            id: registered.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    // The read shows a pii:read caller the phone and ID number in clear; the write's
    // answer never does.
    assert_eq!(
        (read.phone.as_str(), read.id_number.as_str()),
        ("13800005678", "11010519491231002X")
    );
    assert_eq!(
        (registered.phone.as_str(), registered.id_number.as_str()),
        ("", "")
    );
    assert_eq!(
        pb::Volunteer {
            phone: String::new(),
            id_number: String::new(),
            ..read
        },
        registered
    );

    // Nothing at rest or on the way out holds the name, phone or ID number in clear.
    let rows: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT name_sealed, phone_sealed, id_number_sealed, phone_digest || id_number_digest \
         FROM volunteers",
    )
    .fetch_all(db.pool())
    .await
    .unwrap();
    let payloads: Vec<Vec<u8>> = sqlx::query_scalar("SELECT payload FROM outbox")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let mut haystack = format!("{rows:?}");
    for payload in &payloads {
        haystack.push_str(&String::from_utf8_lossy(payload));
    }
    assert!(!payloads.is_empty());
    // (Sealed values and digests are hex: only strings too long to occur there by chance.)
    for clear in ["林小灯", PHONE, ID_NUMBER, "19491231002"] {
        assert!(
            !haystack.contains(clear),
            "{clear} is stored or published in clear"
        );
    }
    let registered_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE subject LIKE '%volunteer_registered%'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    assert_eq!(registered_events, 1);
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
