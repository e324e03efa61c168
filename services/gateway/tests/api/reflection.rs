//! A client that knows nothing but the gateway's reflection creates and reads a project,
//! and the gateway passes status codes and error details through unchanged.

use bytes::{Buf as _, Bytes};
use prost::Message as _;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, Value};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use xingfu_testkit::Channel;
use xingfu_testkit::TestEnv;

use crate::helpers::{ALL, spawn_app};

async fn reflect(channel: Channel, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    responses
        .message()
        .await
        .unwrap()
        .and_then(|r| r.message_response)
        .expect("a reflection response")
}

/// The descriptors of `symbol`'s file and, file by file, everything it imports, learnt
/// by reflection alone (as grpcurl does).
async fn descriptors_of(channel: Channel, symbol: &str) -> DescriptorPool {
    let mut files: Vec<prost_types::FileDescriptorProto> = Vec::new();
    let mut wanted = vec![MessageRequest::FileContainingSymbol(symbol.into())];
    while let Some(request) = wanted.pop() {
        let MessageResponse::FileDescriptorResponse(answer) =
            reflect(channel.clone(), request).await
        else {
            panic!("no file descriptors while resolving {symbol}");
        };
        for bytes in answer.file_descriptor_proto {
            let file = prost_types::FileDescriptorProto::decode(bytes.as_slice()).unwrap();
            if files.iter().any(|f| f.name == file.name) {
                continue;
            }
            for dependency in &file.dependency {
                if !files
                    .iter()
                    .any(|f| f.name.as_deref() == Some(dependency.as_str()))
                {
                    wanted.push(MessageRequest::FileByFilename(dependency.clone()));
                }
            }
            files.push(file);
        }
    }
    DescriptorPool::from_file_descriptor_set(prost_types::FileDescriptorSet { file: files })
        .expect("a complete descriptor set")
}

/// Sends a dynamic message and returns the raw answer.
#[derive(Clone)]
struct DynamicCodec;

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = Bytes;
    type Encoder = DynamicCodec;
    type Decoder = DynamicCodec;

    fn encoder(&mut self) -> Self::Encoder {
        DynamicCodec
    }

    fn decoder(&mut self) -> Self::Decoder {
        DynamicCodec
    }
}

impl Encoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl Decoder for DynamicCodec {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

async fn call(
    channel: Channel,
    method: &MethodDescriptor,
    input: DynamicMessage,
) -> Result<DynamicMessage, Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let path = format!("/{}/{}", method.parent_service().full_name(), method.name());
    let answer = grpc
        .unary(
            tonic::Request::new(input),
            path.parse().unwrap(),
            DynamicCodec,
        )
        .await?
        .into_inner();
    Ok(DynamicMessage::decode(method.output(), answer).expect("the answer decodes"))
}

#[tokio::test]
async fn a_reflection_only_client_creates_and_reads_a_project_through_the_gateway() {
    let app = spawn_app(TestEnv::embedded(), ALL).await;
    let channel = app.channel().await;

    let MessageResponse::ListServicesResponse(list) =
        reflect(channel.clone(), MessageRequest::ListServices(String::new())).await
    else {
        panic!("no service list");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for public in [
        "xingfu.projects.v1.ProjectsService",
        "xingfu.volunteers.v1.VolunteersService",
        "xingfu.funds.v1.FundsService",
        "xingfu.workshops.v1.WorkshopsService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&public), "{public} in {names:?}");
    }

    let pool = descriptors_of(channel.clone(), "xingfu.projects.v1.ProjectsService").await;
    let service = pool
        .get_service_by_name("xingfu.projects.v1.ProjectsService")
        .unwrap();
    let create = service
        .methods()
        .find(|m| m.name() == "CreateProject")
        .unwrap();
    let get = service
        .methods()
        .find(|m| m.name() == "GetProject")
        .unwrap();

    let mut input = DynamicMessage::new(create.input());
    input.set_field_by_name("request_id", Value::String("reflect-1".into()));
    input.set_field_by_name("title", Value::String("Warm Little Study corner".into()));
    let category = pool
        .get_enum_by_name("xingfu.projects.v1.Category")
        .unwrap();
    let public_service = category
        .get_value_by_name("CATEGORY_PUBLIC_SERVICE")
        .unwrap()
        .number();
    input.set_field_by_name("category", Value::EnumNumber(public_service));
    input.set_field_by_name(
        "community_ids",
        Value::List(vec![Value::String("dongtou-town".into())]),
    );
    let created = call(channel.clone(), &create, input)
        .await
        .expect("created");
    let id = created
        .get_field_by_name("id")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();

    let mut input = DynamicMessage::new(get.input());
    input.set_field_by_name("id", Value::String(id.clone()));
    let read = call(channel.clone(), &get, input).await.expect("read");
    assert_eq!(
        read.get_field_by_name("title").unwrap().as_str(),
        Some("Warm Little Study corner")
    );
    assert_eq!(
        read.get_field_by_name("category").unwrap().as_enum_number(),
        Some(public_service)
    );

    // Errors keep their code and details through the gateway.
    let mut input = DynamicMessage::new(create.input());
    input.set_field_by_name("request_id", Value::String("reflect-2".into()));
    let status = call(channel.clone(), &create, input).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        xingfu_testkit::violated_fields(&status),
        ["title", "category", "community_ids"]
    );

    // A service the gateway does not front is UNIMPLEMENTED, not an error of ours.
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let status = grpc
        .unary::<DynamicMessage, Bytes, _>(
            tonic::Request::new(DynamicMessage::new(get.input())),
            "/xingfu.nothing.v1.Nowhere/Get".parse().unwrap(),
            DynamicCodec,
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    app.stop().await;
}
