use tonic::Code;
use xingfu_platform::db::Database;
use xingfu_proto::volunteers as pb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

pub use xingfu_testkit::violated_fields as fields;

fn org(id: &str, parent: &str) -> pb::RegisterOrganisationRequest {
    pb::RegisterOrganisationRequest {
        id: id.into(),
        name: format!("{id} 党委"),
        kind: pb::OrganisationKind::AgencyParty as i32,
        parent_id: parent.into(),
    }
}

#[tokio::test]
async fn the_directory_registers_updates_lists_and_imports() {
    let env = TestEnv::new();
    let (suite, addr) =
        xingfu_testkit::spawn_service(&env.settings, xingfu_volunteers::SERVICE).await;
    let mut client: VolunteersServiceClient<Channel> =
        VolunteersServiceClient::new(xingfu_testkit::channel(addr).await);
    let db = Database::open(&env.settings, xingfu_volunteers::NAME)
        .await
        .unwrap();

    let top = client
        .register_organisation(org("district", ""))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .register_organisation(org("district", ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(top, again, "registering the same again is a retry");
    let mut other = org("district", "");
    other.name = "another name".into();
    assert_eq!(
        client
            .register_organisation(other)
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    let status = client
        .register_organisation(org("education", "nowhere"))
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::FailedPrecondition,
        "a parent must be registered first"
    );
    client
        .register_organisation(org("education", "district"))
        .await
        .unwrap();

    let status = client
        .register_organisation(pb::RegisterOrganisationRequest {
            id: "bad id".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(fields(&status), ["id", "name", "kind"]);

    // The top cannot move below its own child.
    let cycle = pb::UpdateOrganisationRequest {
        id: "district".into(),
        version: 1,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["parent_id".into()],
        }),
        values: Some(org("district", "education")),
    };
    assert_eq!(
        client.update_organisation(cycle).await.unwrap_err().code(),
        Code::FailedPrecondition
    );
    let rename = pb::UpdateOrganisationRequest {
        id: "education".into(),
        version: 1,
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["name".into()],
        }),
        values: Some(pb::RegisterOrganisationRequest {
            name: "区教育局机关党委".into(),
            ..Default::default()
        }),
    };
    let renamed = client
        .update_organisation(rename.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            renamed.name.as_str(),
            renamed.version,
            renamed.parent_id.as_str()
        ),
        ("区教育局机关党委", 2, "district")
    );
    assert_eq!(
        client.update_organisation(rename).await.unwrap_err().code(),
        Code::Aborted,
        "stale version"
    );

    let community = pb::RegisterCommunityRequest {
        id: "beiao-xiaoqu".into(),
        name: "北岙小区".into(),
        kind: pb::CommunityKind::Residential as i32,
        township: "北岙街道".into(),
    };
    client.register_community(community).await.unwrap();

    let csv = "type,id,name,kind,parent_id,township\n\
               organisation,civil-affairs,民政局机关党委,AGENCY_PARTY,district,\n\
               community,niaoyu,鸟语村,VILLAGE,,霓屿街道\n\
               community,beiao-xiaoqu,北岙小区,RESIDENTIAL,,北岙街道\n\
               organisation,orphan,孤儿,SOCIAL,missing-parent,\n";
    let send = |data: &'static str| {
        let mut client = client.clone();
        async move {
            client
                .import_directory(futures_util::stream::iter([pb::ImportDirectoryChunk {
                    data: data.as_bytes().to_vec(),
                }]))
                .await
        }
    };
    let report = send(csv).await.unwrap().into_inner();
    assert_eq!(
        (
            report.organisations,
            report.communities,
            report.already_registered
        ),
        (1, 1, 1)
    );
    assert_eq!(
        report.rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
        [5]
    );
    let again = send(csv).await.unwrap().into_inner();
    assert_eq!(
        (
            again.organisations,
            again.communities,
            again.already_registered
        ),
        (0, 0, 3)
    );

    let children = client
        .list_organisations(pb::ListOrganisationsRequest {
            parent_id: "district".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = children
        .organisations
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["civil-affairs", "education"]);
    let villages = client
        .list_communities(pb::ListCommunitiesRequest {
            kind: pb::CommunityKind::Village as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(villages.communities.len(), 1);
    assert_eq!(
        client
            .get_community(pb::GetCommunityRequest {
                id: "nowhere".into()
            })
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    let subjects: Vec<String> = sqlx::query_scalar("SELECT subject FROM outbox ORDER BY seq")
        .fetch_all(db.pool())
        .await
        .unwrap();
    let count = |fact: &str| subjects.iter().filter(|s| s.contains(fact)).count();
    assert_eq!(count("organisation_registered"), 3);
    assert_eq!(count("organisation_updated"), 1);
    assert_eq!(count("community_registered"), 2);
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
