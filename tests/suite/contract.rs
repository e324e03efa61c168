//! The declared rules hold however a call is framed: a unary call that carries two
//! messages (the first breaking a rule, the second keeping them) is refused whole, so no
//! unchecked message reaches a handler.

use tonic::codegen::http::uri::PathAndQuery;
use xingfu_proto::projects as pb;
use xingfu_testkit::{TestEnv, spawn_service};

use crate::helpers::new_project;

#[tokio::test]
async fn a_call_smuggling_a_second_message_is_refused_whole() {
    let env = TestEnv::postgres();
    let (suite, addr) = spawn_service(&env.settings, xingfu_projects::SERVICE).await;
    let mut grpc = tonic::client::Grpc::new(xingfu_testkit::channel(addr).await);
    grpc.ready().await.unwrap();

    let mut bad = new_project("smuggled-1");
    bad.title = String::new();
    let messages = tokio_stream::iter([bad, new_project("smuggled-2")]);
    let path = PathAndQuery::from_static("/xingfu.projects.v1.ProjectsService/CreateProject");
    let codec = tonic_prost::ProstCodec::<pb::CreateProjectRequest, pb::Project>::default();
    let refused = grpc
        .client_streaming(tonic::Request::new(messages), path, codec)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(refused.message().contains("one message"), "{refused:?}");

    let db = xingfu_platform::db::Database::open(&env.settings, xingfu_projects::NAME)
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 0, "nothing reached the handler");
    db.close().await;
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
