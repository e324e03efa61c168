//! Traces leave the binary over OTLP, and one trace follows a call from the caller through
//! the gateway, the service, the outbox relay and the consumer of its event.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::metadata::MetadataValue;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;

use crate::helpers::new_project;

const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

/// An OTLP collector that keeps every span name it receives, by trace id.
#[derive(Clone, Default)]
struct Collector {
    spans: Arc<Mutex<Vec<(String, String)>>>,
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.spans.lock().unwrap();
        for resource in request.into_inner().resource_spans {
            for scope in resource.scope_spans {
                for span in scope.spans {
                    let trace: String = span.trace_id.iter().map(|b| format!("{b:02x}")).collect();
                    spans.push((trace, span.name));
                }
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tokio::test]
async fn one_trace_runs_from_the_caller_to_the_consumer_and_is_exported() {
    let collector = Collector::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let otlp_addr = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .add_service(TraceServiceServer::new(collector.clone()))
        .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
    tokio::spawn(server);

    let data = std::env::temp_dir().join(format!("xingfu-otlp-{}", xingfu_testkit::unique_token()));
    let mut child = crate::helpers::serve_command(&data)
        .env("XINGFU__OTEL__ENDPOINT", format!("http://{otlp_addr}"))
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (found, gateway) = std::sync::mpsc::channel::<SocketAddr>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("service ready") && line.contains("\"service\":\"gateway\"") {
                let addr = line
                    .split("\"addr\":\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next());
                if let Some(addr) = addr.and_then(|a| a.parse().ok()) {
                    let _ = found.send(addr);
                }
            }
        }
    });
    let gateway =
        tokio::task::spawn_blocking(move || gateway.recv_timeout(Duration::from_secs(30)))
            .await
            .unwrap()
            .expect("the gateway came up");

    let key = std::fs::read_to_string(data.join("admin-api-key")).unwrap();
    let channel = crate::helpers::with_key(xingfu_testkit::raw_channel(gateway).await, key.trim());
    let mut client = ProjectsServiceClient::new(channel);
    let mut request = tonic::Request::new(new_project("otlp-1"));
    let traceparent = format!("00-{TRACE_ID}-b7ad6b7169203331-01");
    request.metadata_mut().insert(
        "traceparent",
        MetadataValue::try_from(traceparent.as_str()).unwrap(),
    );
    client.create_project(request).await.unwrap();

    let wanted = [
        "xingfu.projects.v1.ProjectsService/CreateProject",
        "ProjectCreated enqueue",
        "db commit",
        "ProjectCreated publish",
        "ProjectCreated receive",
    ];
    let names_in_trace = || -> Vec<String> {
        collector
            .spans
            .lock()
            .unwrap()
            .iter()
            .filter(|(trace, _)| trace == TRACE_ID)
            .map(|(_, name)| name.clone())
            .collect()
    };
    // The batch exporter sends every few seconds; SIGTERM flushes the rest.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
    let names = names_in_trace();
    for name in wanted {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from the trace: {names:?}"
        );
    }
    let server_spans = names.iter().filter(|n| n.as_str() == wanted[0]).count();
    assert_eq!(
        server_spans, 2,
        "one span in the gateway, one in the projects service"
    );
    std::fs::remove_dir_all(&data).ok();
}
