//! The layers together, around a stand-in for the services: each refusal from its layer,
//! in order; what the service is told; what is audited.

use std::sync::{Arc, Mutex};

use http::HeaderMap;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic_types::StatusExt as _;
use tower::ServiceExt as _;
use xingfu_platform::acting::ON_BEHALF_OF_HEADER;
use xingfu_platform::db::Database;
use xingfu_platform::events::Outbox;
use xingfu_platform::trust::{CALLER_HEADER, INTERNAL_HEADER, ORGANISATION_HEADER};
use xingfu_testkit::TestEnv;

use super::*;
use crate::auth::{API_KEY_HEADER, new_key};

const INTERNAL: &str = "an-internal-token-of-at-least-32-characters";

/// The gateway's layers around a stand-in service that keeps the headers it is given
/// and answers OK, naming `person-1` as the person acted for; and the keys of `admin`
/// (`*`), `reader` (`projects:read`, 2 calls in a burst) and `limited` (every scope,
/// limited to organisation `org-a`).
struct Harness {
    gateway: Gateway,
    seen: Arc<Mutex<Vec<HeaderMap>>>,
    auditor: Auditor,
    keys: std::collections::HashMap<&'static str, String>,
    db: Database,
    stop: CancellationToken,
    _env: TestEnv,
}

impl Harness {
    async fn new() -> Self {
        let mut env = TestEnv::embedded();
        let mut keys = std::collections::HashMap::new();
        let mut stored = String::new();
        for caller in ["admin", "reader", "limited"] {
            let (key, hash) = new_key(caller);
            stored += &format!(
                "[[key]]\nid = \"{caller}\"\ncaller = \"{caller}\"\nsha256 = \"{hash}\"\n"
            );
            keys.insert(caller, key);
        }
        let dir = env.settings.data_dir.clone();
        std::fs::write(dir.join("keys.toml"), stored).unwrap();
        std::fs::write(
            dir.join("policy.toml"),
            "[[caller]]\nid = \"admin\"\nscopes = [\"*\"]\n\
             [[caller]]\nid = \"reader\"\nscopes = [\"projects:read\"]\n\
             rate_per_second = 0.001\nburst = 2\n\
             [[caller]]\nid = \"limited\"\nscopes = [\"*\"]\norganisation = \"org-a\"\n",
        )
        .unwrap();
        env.settings
            .set(
                "gateway.auth.keys_file",
                dir.join("keys.toml").display().to_string(),
            )
            .unwrap();
        env.settings
            .set(
                "gateway.auth.policy_file",
                dir.join("policy.toml").display().to_string(),
            )
            .unwrap();
        env.settings.set("gateway.limits.max_in_flight", 1).unwrap();
        env.settings
            .set("gateway.limits.max_deadline_ms", 60_000)
            .unwrap();
        let db = Database::open(&env.settings, crate::NAME).await.unwrap();
        db.migrate(crate::MIGRATIONS).await.unwrap();
        let own = crate::settings::GatewaySettings::of(&env.settings).unwrap();
        let auth = Auth::load(&env.settings.data_dir, &own.auth).unwrap();
        let (auditor, writer) = Auditor::new(db.clone(), Outbox::new(crate::NAME));
        let stop = CancellationToken::new();
        tokio::spawn(writer.run(stop.clone()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kept = seen.clone();
        let service = tower::service_fn(move |request: Request<Body>| {
            kept.lock().unwrap().push(request.headers().clone());
            // An empty message: a body that has not ended until it is read, so the
            // answer holds its place while it is kept.
            let mut answer: Response<Body> =
                Status::new(Code::Ok, "").into_http().map(|_: Body| {
                    Body::new(http_body_util::Full::new(bytes::Bytes::from_static(
                        &[0; 5],
                    )))
                });
            answer.headers_mut().insert(
                ON_BEHALF_OF_HEADER,
                http::HeaderValue::from_static("person-1"),
            );
            async move { Ok::<_, Infallible>(answer) }
        });
        let gateway = Layers {
            upstreams: Upstreams::new(&env.settings, crate::PUBLIC_SERVICES, None).unwrap(),
            limits: Limits::new(&own.limits, auth.rates()),
            auth,
            internal: InternalToken::from_value(INTERNAL),
            auditor: auditor.clone(),
            subtrees: Subtrees::new(db.clone()),
        }
        .around(service);
        Self {
            gateway,
            seen,
            auditor,
            keys,
            db,
            stop,
            _env: env,
        }
    }

    /// The answer to a call of `path` by `caller` (none when empty) with `headers`
    /// and `message`.
    async fn call(
        &self,
        path: &str,
        caller: &str,
        headers: &[(&'static str, &str)],
        message: &impl prost::Message,
    ) -> Response<Body> {
        let encoded = message.encode_to_vec();
        let mut frame = vec![0];
        frame.extend_from_slice(&u32::try_from(encoded.len()).unwrap().to_be_bytes());
        frame.extend(encoded);
        let mut request = Request::post(path)
            .header("content-type", "application/grpc")
            .body(axum::body::Body::from(frame))
            .unwrap();
        if let Some(key) = self.keys.get(caller) {
            request
                .headers_mut()
                .insert(API_KEY_HEADER, key.parse().unwrap());
        }
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().unwrap());
        }
        let Ok(answer) = self.gateway.clone().oneshot(request).await;
        answer
    }

    /// The status of a call, its answer dropped (so its place and its audit end).
    async fn status(&self, path: &str, caller: &str) -> Status {
        let answer = self.call(path, caller, &[], &()).await;
        Status::from_header_map(answer.headers()).unwrap()
    }

    fn calls(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    async fn close(self) {
        self.stop.cancel();
        self.db.close().await;
    }
}

const LIST: &str = "/xingfu.projects.v1.ProjectsService/ListProjects";
const CREATE: &str = "/xingfu.projects.v1.ProjectsService/CreateProject";
const FORM_TEAM: &str = "/xingfu.volunteers.v1.VolunteersService/FormTeam";

#[tokio::test]
async fn each_refusal_comes_from_its_layer_in_order() {
    let h = Harness::new().await;
    let nowhere = h.status("/xingfu.nothing.v1.Nothing/Get", "").await;
    assert_eq!(
        nowhere.code(),
        Code::Unimplemented,
        "routed before anything"
    );

    let anonymous = h.status(LIST, "").await;
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    let wrong = h
        .call(LIST, "", &[(API_KEY_HEADER, "admin.wrong")], &())
        .await;
    let wrong = Status::from_header_map(wrong.headers()).unwrap();
    assert_eq!(
        (wrong.code(), wrong.message()),
        (Code::Unauthenticated, anonymous.message()),
        "one message for every bad credential"
    );

    let denied = h.status(CREATE, "reader").await;
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert!(denied.message().contains("projects:write"), "{denied:?}");

    // The refused call took nothing from the reader's burst of two.
    assert_eq!(h.status(LIST, "reader").await.code(), Code::Ok);
    assert_eq!(h.status(LIST, "reader").await.code(), Code::Ok);
    let over = h.status(LIST, "reader").await;
    assert_eq!(over.code(), Code::ResourceExhausted);
    assert!(over.get_error_details().retry_info().is_some());
    assert_eq!(h.calls(), 2, "only the admitted calls reached the service");

    // One call in flight at most: while an answer is held, the next is shed before
    // its credential is even read.
    let held = h.call(LIST, "admin", &[], &()).await;
    let shed = h.status(LIST, "").await;
    assert_eq!(shed.code(), Code::Unavailable);
    drop(held);
    assert_eq!(h.status(LIST, "admin").await.code(), Code::Ok);
    h.close().await;
}

#[tokio::test]
async fn the_service_gets_the_gateways_word_and_a_clamped_deadline() {
    let h = Harness::new().await;
    let answer = h
        .call(
            LIST,
            "admin",
            &[
                (CALLER_HEADER, "someone-else"),
                ("x-xingfu-anything", "forged"),
                ("grpc-timeout", "2H"),
            ],
            &(),
        )
        .await;
    assert_eq!(
        Status::from_header_map(answer.headers()).unwrap().code(),
        Code::Ok
    );
    let seen = h.seen.lock().unwrap().pop().unwrap();
    assert!(!seen.contains_key(API_KEY_HEADER), "the key stops here");
    assert!(!seen.contains_key("x-xingfu-anything"));
    assert_eq!(seen[CALLER_HEADER], "admin");
    assert_eq!(seen[INTERNAL_HEADER], INTERNAL);
    assert_eq!(seen["grpc-timeout"], "60000m", "clamped to the maximum");
    // What the service told the gateway stays inside.
    assert!(
        !answer.headers().contains_key(ON_BEHALF_OF_HEADER),
        "{:?}",
        answer.headers()
    );
    h.close().await;
}

#[tokio::test]
async fn writes_and_refused_writes_are_audited_reads_are_not() {
    use xingfu_proto::volunteers::FormTeamRequest;
    let h = Harness::new().await;
    assert_eq!(h.status(LIST, "admin").await.code(), Code::Ok);
    assert_eq!(h.status(CREATE, "admin").await.code(), Code::Ok);

    let outside = FormTeamRequest {
        organisation_id: "org-b".into(),
        ..Default::default()
    };
    let refused = {
        let answer = h.call(FORM_TEAM, "limited", &[], &outside).await;
        Status::from_header_map(answer.headers()).unwrap()
    };
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(refused.message().contains("org-b"), "{refused:?}");
    let placed_by_the_service = FormTeamRequest {
        name: "team".into(),
        ..Default::default()
    };
    let answer = h
        .call(FORM_TEAM, "limited", &[], &placed_by_the_service)
        .await;
    assert_eq!(
        Status::from_header_map(answer.headers()).unwrap().code(),
        Code::Ok,
        "a request naming no organisation goes on"
    );
    drop(answer);
    assert_eq!(
        h.seen.lock().unwrap().last().unwrap()[ORGANISATION_HEADER],
        "org-a"
    );

    let mut records = Vec::new();
    for _ in 0..200 {
        records = h.auditor.list(None, None, 10).await.unwrap();
        if records.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let seen: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .rev()
        .map(|r| {
            (
                r.method.as_str(),
                r.credential.as_str(),
                r.outcome.as_str(),
                r.on_behalf_of.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "xingfu.projects.v1.ProjectsService/CreateProject",
                "key:admin",
                "OK",
                "person-1"
            ),
            (
                "xingfu.volunteers.v1.VolunteersService/FormTeam",
                "key:limited",
                "PERMISSION_DENIED",
                ""
            ),
            (
                "xingfu.volunteers.v1.VolunteersService/FormTeam",
                "key:limited",
                "OK",
                "person-1"
            ),
        ]
    );
    h.close().await;
}
