//! The balanced channel against real gRPC servers: an address that says NOT_SERVING
//! leaves the balance and comes back when it serves again; a name that resolves to
//! nothing fails calls at once instead of holding them.
#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::net::SocketAddr;
use std::time::Duration;

use tonic::Code;
use tonic::transport::{Channel, Server};
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::server::HealthReporter;
use xingfu_platform::grpc::balance::{Watch, balanced};

/// The service the balance checks.
const CHECKED: &str = "test.Checked";
/// A service only the first server knows, so an answer tells which server gave it.
const FIRST_ONLY: &str = "test.FirstOnly";

/// A gRPC server with only the health service; its reporter.
async fn server() -> (SocketAddr, HealthReporter) {
    let (reporter, service) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(
        Server::builder()
            .add_service(service)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    (addr, reporter)
}

fn quick() -> Watch {
    Watch {
        resolve_every: Duration::from_millis(500),
        check_every: Duration::from_millis(50),
        check_timeout: Duration::from_millis(500),
    }
}

/// Which server answers 20 calls in a row: `Some(true)` all the first, `Some(false)` all
/// the second, `None` some of each.
async fn who_answers(channel: &Channel) -> Option<bool> {
    let mut first = 0;
    for _ in 0..20 {
        let answer = HealthClient::new(channel.clone())
            .check(HealthCheckRequest {
                service: FIRST_ONLY.into(),
            })
            .await;
        match answer {
            Ok(_) => first += 1,
            Err(status) if status.code() == Code::NotFound => {}
            Err(status) => panic!("{status:?}"),
        }
    }
    match first {
        20 => Some(true),
        0 => Some(false),
        _ => None,
    }
}

async fn until_all(channel: &Channel, first: bool) {
    for _ in 0..200 {
        if who_answers(channel).await == Some(first) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "calls never all went to the {} server",
        if first { "first" } else { "second" }
    );
}

#[tokio::test]
async fn a_replica_not_serving_leaves_the_balance_and_comes_back() {
    let (a, first) = server().await;
    let (b, second) = server().await;
    first
        .set_service_status(CHECKED, ServingStatus::Serving)
        .await;
    first
        .set_service_status(FIRST_ONLY, ServingStatus::Serving)
        .await;
    second
        .set_service_status(CHECKED, ServingStatus::NotServing)
        .await;
    let channel = balanced(&format!("http://{a},http://{b}"), CHECKED, quick(), None).unwrap();

    // The second says NOT_SERVING: every call goes to the first.
    until_all(&channel, true).await;
    // Both serving: calls go to both.
    second
        .set_service_status(CHECKED, ServingStatus::Serving)
        .await;
    let mut mixed = false;
    for _ in 0..50 {
        if who_answers(&channel).await.is_none() {
            mixed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(mixed, "calls never reached both servers");
    // The first drains: every call goes to the second.
    first
        .set_service_status(CHECKED, ServingStatus::NotServing)
        .await;
    until_all(&channel, false).await;
}

#[tokio::test]
async fn a_name_that_resolves_to_nothing_fails_calls_at_once() {
    let channel = balanced(
        "http://xingfu-no-such-host.invalid:50099",
        CHECKED,
        quick(),
        None,
    )
    .unwrap();
    let answer = tokio::time::timeout(
        Duration::from_secs(10),
        HealthClient::new(channel).check(HealthCheckRequest::default()),
    )
    .await
    .expect("the call is answered, not held");
    assert_eq!(answer.unwrap_err().code(), Code::Unavailable);
}
