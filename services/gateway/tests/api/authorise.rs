//! What a caller may do: every caller × service × access against its scopes (and the keys
//! that are no key: missing, malformed, wrong, expired, rotated), and `pii:read` reaching
//! the volunteers service.

use tonic::Code;
use xingfu_proto::projects;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::TestEnv;

use crate::helpers::{
    ALL, CALLERS, VOLUNTEERS, outcome, secret_of, spawn_app, with_key, write_auth,
};

#[tokio::test]
async fn every_caller_gets_exactly_what_its_scopes_allow() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let app = spawn_app(env, ALL).await;
    let gateway = app.raw_channel().await;

    for (caller, scopes) in CALLERS {
        for service in [
            xingfu_projects::NAME,
            xingfu_volunteers::NAME,
            xingfu_funds::NAME,
            xingfu_workshops::NAME,
        ] {
            for write in [false, true] {
                let needed = format!("{service}:{}", if write { "write" } else { "read" });
                let allowed = scopes
                    .iter()
                    .any(|s| *s == "*" || *s == needed || *s == format!("{service}:*").as_str());
                let key = format!("{caller}.{}", secret_of(caller));
                let code = outcome(&gateway, &key, service, write).await;
                let expected = if allowed {
                    Code::InvalidArgument
                } else {
                    Code::PermissionDenied
                };
                assert_eq!(code, expected, "{caller} calling {needed}");
            }
        }
    }

    // No key, a malformed one, a wrong secret, an expired key: UNAUTHENTICATED.
    let no_key = ProjectsServiceClient::new(gateway.clone())
        .get_project(projects::GetProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(no_key.code(), Code::Unauthenticated);
    for key in [
        "garbage",
        "admin.wrong-secret",
        "admin-expired.expired-secret",
    ] {
        let code = outcome(&gateway, key, xingfu_projects::NAME, false).await;
        assert_eq!(code, Code::Unauthenticated, "{key}");
    }
    // Rotation: the old key and the new one both work until the old one's not_after.
    for key in [
        "admin-old.old-secret",
        &format!("admin.{}", secret_of("admin")),
    ] {
        let code = outcome(&gateway, key, xingfu_funds::NAME, true).await;
        assert_eq!(code, Code::InvalidArgument, "{key}");
    }
    app.stop().await;
}

#[tokio::test]
async fn personal_data_is_shown_in_clear_to_pii_read_callers_only() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    // The admin key of the testkit is not in this key file; register through `admin`.
    let app = spawn_app(env, &[VOLUNTEERS]).await;
    let gateway = app.raw_channel().await;
    let admin = with_key(gateway.clone(), &format!("admin.{}", secret_of("admin")));
    let mut client = VolunteersServiceClient::new(admin);
    client
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: "gw-org".into(),
            name: "机关党委".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: String::new(),
        })
        .await
        .unwrap();
    client
        .register_community(vpb::RegisterCommunityRequest {
            id: "gw-cun".into(),
            name: "大门村".into(),
            kind: vpb::CommunityKind::Village as i32,
            township: "大门镇".into(),
        })
        .await
        .unwrap();
    let volunteer = client
        .register_volunteer(vpb::RegisterVolunteerRequest {
            request_id: "gw-1".into(),
            name: "林晓".into(),
            phone: "13811112222".into(),
            id_number: "11010519491231002X".into(),
            party_member: true,
            work_organisation_id: "gw-org".into(),
            home_community_id: "gw-cun".into(),
            skills: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        volunteer.phone.is_empty(),
        "admin holds * and is not asked to reveal on write"
    );
    let read = |caller: &str| {
        let channel = with_key(gateway.clone(), &format!("{caller}.{}", secret_of(caller)));
        let id = volunteer.id.clone();
        async move {
            VolunteersServiceClient::new(channel)
                .get_volunteer(vpb::GetVolunteerRequest { id })
                .await
                .unwrap()
                .into_inner()
        }
    };
    let masked = read("volunteers-reader").await;
    assert_eq!(
        (masked.phone.as_str(), masked.id_number.as_str()),
        ("", ""),
        "without pii:read, masked only"
    );
    assert_eq!(masked.phone_masked, "138****2222");
    let clear = read("pii").await;
    assert_eq!(
        (clear.phone.as_str(), clear.id_number.as_str()),
        ("13811112222", "11010519491231002X")
    );
    app.stop().await;
}
