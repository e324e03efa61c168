//! The declared rules hold however a call is framed: a unary call that carries two
//! messages (the first breaking a rule, the second keeping them) is refused whole, and so
//! is a message that does not decode, so no unchecked message reaches a handler.

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

/// A create whose budget travels as text: a field the service's message types otherwise.
#[derive(Clone, PartialEq, prost::Message)]
struct Mistyped {
    #[prost(string, tag = "1")]
    request_id: String,
    #[prost(string, tag = "6")]
    planned_budget_fen: String,
}

#[tokio::test]
async fn a_message_that_does_not_decode_is_refused_before_any_handler() {
    let env = TestEnv::postgres();
    let (suite, addr) = spawn_service(&env.settings, xingfu_projects::SERVICE).await;
    let mut grpc = tonic::client::Grpc::new(xingfu_testkit::channel(addr).await);
    grpc.ready().await.unwrap();

    let path = PathAndQuery::from_static("/xingfu.projects.v1.ProjectsService/CreateProject");
    let codec = tonic_prost::ProstCodec::<Mistyped, pb::Project>::default();
    let message = Mistyped {
        request_id: "mistyped-1".into(),
        planned_budget_fen: "a lot".into(),
    };
    let refused = grpc
        .unary(tonic::Request::new(message), path, codec)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{refused:?}");
    assert!(
        refused
            .message()
            .contains("is not a xingfu.projects.v1.CreateProjectRequest"),
        "the rules' check refused it, not a handler: {refused:?}"
    );
    suite.stop().await.unwrap();
    env.cleanup().await.unwrap();
}
