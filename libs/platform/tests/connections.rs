//! Connection hygiene on real ports (loopback, port 0): idle and half-open connections are
//! closed on time, the cap refuses what is beyond it, and calls keep working throughout,
//! a call longer than the idle timeout included. Also: a request that is not protobuf is
//! INVALID_ARGUMENT.

#![allow(clippy::unwrap_used)] // tests fail loudly by design

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf as _, BufMut as _, Bytes};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::service::Routes;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use xingfu_platform::Settings;
use xingfu_platform::grpc::GrpcServer;

/// How long the slow test call takes: longer than the idle timeout.
const SLOW_CALL: Duration = Duration::from_secs(3);
/// The half of HTTP/2's 24-byte client preface a slowloris sends before stopping.
const HALF_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\n";

/// Bytes as they are: a codec that lets a test send what it likes as a message.
#[derive(Debug, Clone, Copy, Default)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, tonic::Status> {
        let bytes = src.chunk().to_vec();
        src.advance(bytes.len());
        Ok(Some(bytes))
    }
}

/// `/test.Slow/Sleep`: answers its request back after [`SLOW_CALL`].
#[derive(Clone)]
struct Slow;

impl tonic::server::UnaryService<Vec<u8>> for Slow {
    type Response = Vec<u8>;
    type Future =
        Pin<Box<dyn Future<Output = Result<tonic::Response<Vec<u8>>, tonic::Status>> + Send>>;

    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        Box::pin(async move {
            tokio::time::sleep(SLOW_CALL).await;
            Ok(tonic::Response::new(request.into_inner()))
        })
    }
}

fn settings(header_secs: u64, idle_secs: u64, max_connections: usize) -> Settings {
    let mut settings = Settings::defaults().unwrap();
    settings.connections.header_read_timeout_secs = header_secs;
    settings.connections.idle_timeout_secs = idle_secs;
    settings.connections.keepalive_interval_secs = 1;
    settings.connections.keepalive_timeout_secs = 1;
    settings.connections.max_connections = max_connections;
    settings
}

/// A gRPC port (health, reflection and the slow call) and an HTTP port (`/healthz` and a
/// `/slow` page) on `settings`, until the token is cancelled.
struct Ports {
    grpc: SocketAddr,
    http: SocketAddr,
    stop: CancellationToken,
}

impl Drop for Ports {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start(settings: Settings) -> Ports {
    let stop = CancellationToken::new();
    let slow = axum::Router::new()
        .route(
            "/test.Slow/Sleep",
            axum::routing::post(|request: http::Request<axum::body::Body>| async move {
                let mut grpc = tonic::server::Grpc::new(Raw);
                grpc.unary(Slow, request.map(tonic::body::Body::new)).await
            }),
        )
        .route(
            "/test.Fail/Internal",
            axum::routing::post(|| async {
                tonic::Status::internal("a bug").into_http::<axum::body::Body>()
            }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let grpc = listener.local_addr().unwrap();
    let server = GrpcServer::new(
        "test",
        listener,
        Routes::from(slow),
        &[],
        None,
        None,
        &settings,
    )
    .await
    .unwrap();
    let (token, grpc_settings) = (stop.clone(), settings.clone());
    tokio::spawn(async move { server.serve(&grpc_settings, token).await });

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    let router = xingfu_platform::http::router(&settings).route(
        "/slow",
        axum::routing::get(|| async {
            tokio::time::sleep(SLOW_CALL).await;
            "done"
        }),
    );
    let token = stop.clone();
    tokio::spawn(
        async move { xingfu_platform::http::serve(listener, router, &settings, token).await },
    );
    Ports { grpc, http, stop }
}

async fn channel(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

async fn health_check(channel: &Channel) -> Result<(), tonic::Status> {
    HealthClient::new(channel.clone())
        .check(HealthCheckRequest::default())
        .await
        .map(|_| ())
}

/// How long after `since` the server closed `stream` (EOF or reset), reading and
/// discarding what it sends; `None` if it was still open after `within`.
async fn closed_after(
    stream: &mut TcpStream,
    since: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()
}

/// One HTTP/1.1 GET on an open keep-alive connection: the status line, once the whole
/// answer (headers and `content-length` bytes of body) has come.
async fn get(stream: &mut TcpStream, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().to_owned())
                })
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return head.lines().next().unwrap_or("").to_owned();
            }
        }
        let n = stream.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer: {text:?}");
        answer.extend_from_slice(&buf[..n]);
    }
}

#[tokio::test]
async fn idle_connections_on_both_ports_are_closed_after_the_header_timeout() {
    let ports = start(settings(1, 3, 4096)).await;
    let opened = Instant::now();
    let mut idle = Vec::new();
    for addr in [ports.grpc, ports.http] {
        for _ in 0..200 {
            idle.push(TcpStream::connect(addr).await.unwrap());
        }
    }
    // Calls keep working while 400 idle connections sit on the ports.
    let grpc = channel(ports.grpc).await;
    health_check(&grpc).await.unwrap();
    let mut http = TcpStream::connect(ports.http).await.unwrap();
    assert_eq!(get(&mut http, "/healthz").await, "HTTP/1.1 200 OK");

    for stream in &mut idle {
        let after = closed_after(stream, opened, Duration::from_secs(4))
            .await
            .expect("an idle connection was still open 4 s after a 1 s header timeout");
        assert!(
            after >= Duration::from_millis(900),
            "closed too early: {after:?}"
        );
    }
    // And still afterwards: the gRPC connection made before (its call was activity), and
    // a new HTTP/1 one (hyper gives a keep-alive connection the header timeout to start
    // its next request, so the one above has gone).
    health_check(&grpc).await.unwrap();
    drop(http);
    let mut http = TcpStream::connect(ports.http).await.unwrap();
    assert_eq!(get(&mut http, "/healthz").await, "HTTP/1.1 200 OK");
}

#[tokio::test]
async fn slow_headers_and_half_an_http2_preface_are_closed() {
    let ports = start(settings(1, 30, 4096)).await;
    let started = Instant::now();
    // HTTP/1 headers that never end, a header line every 300 ms.
    let mut slow_headers = TcpStream::connect(ports.http).await.unwrap();
    slow_headers
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let drip = async {
        for i in 0..20 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let line = format!("x-drip-{i}: 1\r\n");
            if slow_headers.write_all(line.as_bytes()).await.is_err() {
                return started.elapsed();
            }
        }
        started.elapsed()
    };
    let dripped_for = drip.await;
    assert!(
        dripped_for < Duration::from_secs(4),
        "slow headers open for {dripped_for:?}"
    );

    // Half a preface, on each port (the HTTP port also speaks HTTP/2).
    for addr in [ports.grpc, ports.http] {
        let mut half = TcpStream::connect(addr).await.unwrap();
        half.write_all(HALF_PREFACE).await.unwrap();
        let sent = Instant::now();
        let after = closed_after(&mut half, sent, Duration::from_secs(4))
            .await
            .expect("half an HTTP/2 preface kept the connection open");
        assert!(after >= Duration::from_millis(900), "{after:?}");
    }

    // A keep-alive connection's second request that trickles its headers is closed by
    // hyper's per-request header timeout (1 s), long before the idle timeout (30 s).
    let mut kept = TcpStream::connect(ports.http).await.unwrap();
    assert_eq!(get(&mut kept, "/healthz").await, "HTTP/1.1 200 OK");
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    let sent = Instant::now();
    let after = closed_after(&mut kept, sent, Duration::from_secs(4))
        .await
        .expect("a second request's slow headers kept the connection open");
    assert!(after < Duration::from_secs(4), "{after:?}");
}

#[tokio::test]
async fn connections_beyond_the_cap_are_closed_at_once_and_the_others_still_work() {
    let ports = start(settings(30, 60, 20)).await;
    for (port, addr) in [("grpc", ports.grpc), ("http", ports.http)] {
        let grpc = channel(ports.grpc).await;
        let mut http = TcpStream::connect(ports.http).await.unwrap();
        // Each port holds 20: the other port's client above counts on that port only.
        let mut held = Vec::new();
        for _ in 0..19 {
            held.push(TcpStream::connect(addr).await.unwrap());
        }
        let mut refused = TcpStream::connect(addr).await.unwrap();
        let now = Instant::now();
        let after = closed_after(&mut refused, now, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("{port}: a connection past the cap stayed open"));
        assert!(after < Duration::from_secs(1), "{port}: {after:?}");
        // The held ones are not closed, and the ones in use still answer.
        let still = closed_after(&mut held[0], Instant::now(), Duration::from_millis(300)).await;
        assert!(
            still.is_none(),
            "{port}: a connection under the cap was closed"
        );
        health_check(&grpc).await.unwrap();
        assert_eq!(get(&mut http, "/healthz").await, "HTTP/1.1 200 OK");

        // Closing some frees their places.
        held.truncate(10);
        tokio::time::sleep(Duration::from_millis(200)).await;
        if port == "grpc" {
            health_check(&channel(ports.grpc).await).await.unwrap();
        } else {
            let mut fresh = TcpStream::connect(ports.http).await.unwrap();
            assert_eq!(get(&mut fresh, "/healthz").await, "HTTP/1.1 200 OK");
        }
    }
}

/// An HTTP/2 connection (prior knowledge, as gRPC speaks it) that a test drives itself,
/// and when the server closed it: no client library reconnects behind the test's back.
async fn h2(addr: SocketAddr) -> (SendRequest<Full<Bytes>>, tokio::task::JoinHandle<Instant>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    let ended = tokio::spawn(async move {
        let _ = connection.await;
        Instant::now()
    });
    (sender, ended)
}

/// Sends `request` on `sender` and reads the whole answer: (status, grpc-status).
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: http::Request<Full<Bytes>>,
) -> (u16, Option<String>) {
    sender.ready().await.unwrap();
    let response = sender.send_request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let collected = response.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let grpc_status = trailers
        .get("grpc-status")
        .or_else(|| headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, grpc_status)
}

#[tokio::test]
async fn a_call_longer_than_the_idle_timeout_is_not_cut_but_idleness_after_it_is() {
    let (header, idle) = (Duration::from_secs(1), Duration::from_secs(2));
    let ports = start(settings(1, 2, 4096)).await;

    // gRPC: the 3 s call outlives both timeouts; then, idle, the connection is closed
    // after the idle timeout, not before.
    let (mut sender, ended) = h2(ports.grpc).await;
    let message = b"still here";
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(message);
    let request = http::Request::post(format!("http://{}/test.Slow/Sleep", ports.grpc))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(Full::new(Bytes::from(frame)))
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        exchange(&mut sender, request).await,
        (200, Some("0".to_owned()))
    );
    assert!(started.elapsed() >= SLOW_CALL);
    let answered = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), ended)
        .await
        .expect("an idle gRPC connection stayed open past the idle timeout")
        .unwrap();
    let after = closed - answered;
    assert!(after >= idle - Duration::from_millis(100), "{after:?}");

    // The HTTP port over HTTP/2: the same.
    let (mut sender, ended) = h2(ports.http).await;
    let request = http::Request::get(format!("http://{}/slow", ports.http))
        .body(Full::new(Bytes::new()))
        .unwrap();
    assert_eq!(exchange(&mut sender, request).await, (200, None));
    let answered = Instant::now();
    let closed = tokio::time::timeout(Duration::from_secs(5), ended)
        .await
        .expect("an idle HTTP/2 connection stayed open past the idle timeout")
        .unwrap();
    assert!(
        closed - answered >= idle - Duration::from_millis(100),
        "{:?}",
        closed - answered
    );

    // HTTP/1: the slow page is answered; then hyper waits for the next request's headers
    // no longer than the header timeout.
    let mut http = TcpStream::connect(ports.http).await.unwrap();
    assert_eq!(get(&mut http, "/slow").await, "HTTP/1.1 200 OK");
    let since = Instant::now();
    let after = closed_after(&mut http, since, Duration::from_secs(4))
        .await
        .expect("an idle keep-alive connection stayed open");
    assert!(after >= header - Duration::from_millis(100), "{after:?}");
}

/// The levels of the "call failed" events logged on this thread.
#[derive(Clone, Default)]
struct FailureLevels(Arc<Mutex<Vec<tracing::Level>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for FailureLevels {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().fields().field("classification").is_some() {
            self.0.lock().unwrap().push(*event.metadata().level());
        }
    }
}

#[tokio::test]
async fn a_request_that_is_not_protobuf_is_invalid_argument_and_logged_below_error() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let levels = FailureLevels::default();
    // The test runtime has one thread: the server's tasks log here too.
    let _logging =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(levels.clone()));
    let ports = start(settings(10, 300, 4096)).await;
    let mut client = tonic::client::Grpc::new(channel(ports.grpc).await);
    client.ready().await.unwrap();
    // An over-long varint: no protobuf message starts like this.
    let garbage = vec![0xff; 11];
    let status = client
        .unary(
            tonic::Request::new(garbage),
            http::uri::PathAndQuery::from_static("/grpc.health.v1.Health/Check"),
            Raw,
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(*levels.0.lock().unwrap(), [tracing::Level::DEBUG]);

    client.ready().await.unwrap();
    let status = client
        .unary(
            tonic::Request::new(Vec::new()),
            http::uri::PathAndQuery::from_static("/test.Fail/Internal"),
            Raw,
        )
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    assert_eq!(
        *levels.0.lock().unwrap(),
        [tracing::Level::DEBUG, tracing::Level::ERROR],
        "a server's fault is still an error"
    );
}
