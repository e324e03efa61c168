//! The subtree first wall: a caller limited to an organisation names only organisations
//! below it, as the gateway learns the hierarchy from the directory's events.

use tonic::Code;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::{TestEnv, eventually};

use crate::helpers::{VOLUNTEERS, secret_of, sha256, spawn_app, with_key, write_auth};

#[tokio::test]
async fn a_caller_limited_to_an_organisation_names_only_organisations_below_it() {
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let keys = dir.join("keys.toml");
    let mut text = std::fs::read_to_string(&keys).unwrap();
    text += &format!(
        "[[key]]\nid = \"beiao-only\"\ncaller = \"beiao-only\"\nsha256 = \"{}\"\n",
        sha256(&secret_of("beiao-only"))
    );
    std::fs::write(&keys, text).unwrap();
    let policy = dir.join("policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text += "[[caller]]\nid = \"beiao-only\"\nscopes = [\"volunteers:*\"]\norganisation = \"sub-beiao\"\n";
    std::fs::write(&policy, text).unwrap();
    let app = spawn_app(env, &[VOLUNTEERS]).await;
    let gateway = app.raw_channel().await;
    let admin = with_key(gateway.clone(), &format!("admin.{}", secret_of("admin")));
    let limited = with_key(
        gateway.clone(),
        &format!("beiao-only.{}", secret_of("beiao-only")),
    );

    let mut directory = VolunteersServiceClient::new(admin);
    for (id, parent) in [
        ("sub-district", ""),
        ("sub-beiao", "sub-district"),
        ("sub-branch", "sub-beiao"),
        ("sub-other", "sub-district"),
    ] {
        directory
            .register_organisation(vpb::RegisterOrganisationRequest {
                id: id.into(),
                name: format!("{id} 党委"),
                kind: vpb::OrganisationKind::AgencyParty as i32,
                parent_id: parent.into(),
            })
            .await
            .unwrap();
    }
    let team = |key: &str, organisation: &str| vpb::FormTeamRequest {
        request_id: key.into(),
        name: format!("{key} 服务队"),
        organisation_id: organisation.into(),
        skills: Vec::new(),
    };
    let mut client = VolunteersServiceClient::new(limited);
    // The gateway learns the hierarchy from the directory's events: wait for it.
    eventually(
        "a team formed in sub-branch, below the caller's sub-beiao",
        || async {
            client
                .clone()
                .form_team(team("t-branch", "sub-branch"))
                .await
                .ok()
        },
    )
    .await;
    client.form_team(team("t-own", "sub-beiao")).await.unwrap();
    let status = client
        .form_team(team("t-other", "sub-other"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a sibling is outside"
    );
    let status = client
        .form_team(team("t-up", "sub-district"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "the parent is outside"
    );
    // A list without the filter passes the gateway; the service shows the subtree only.
    let mut unfiltered: Vec<String> = client
        .list_teams(vpb::ListTeamsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .teams
        .into_iter()
        .map(|t| t.organisation_id)
        .collect();
    unfiltered.sort();
    assert_eq!(unfiltered, ["sub-beiao", "sub-branch"]);
    let own = client
        .list_teams(vpb::ListTeamsRequest {
            organisation_id: "sub-beiao".into(),
            page: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.teams.len(), 1);
    // Nor can it move an organisation into its subtree, or register one outside it.
    let status = client
        .update_organisation(vpb::UpdateOrganisationRequest {
            id: "sub-other".into(),
            version: 1,
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["parent_id".into()],
            }),
            values: Some(vpb::RegisterOrganisationRequest {
                parent_id: "sub-beiao".into(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "moving a sibling in");
    let status = client
        .register_organisation(vpb::RegisterOrganisationRequest {
            id: "sub-new".into(),
            name: "新党支部".into(),
            kind: vpb::OrganisationKind::AgencyParty as i32,
            parent_id: "sub-district".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "registering outside");
    let status = client
        .import_directory(futures_util::stream::iter([vpb::ImportDirectoryChunk {
            data: b"type,id,name,kind\n".to_vec(),
        }]))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::PermissionDenied,
        "a streamed import cannot be checked"
    );
    let by_id = client
        .get_volunteer(vpb::GetVolunteerRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        by_id.code(),
        Code::InvalidArgument,
        "calls naming no organisation are left to the scopes"
    );
    app.stop().await;
}
