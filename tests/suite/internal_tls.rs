//! Trust between pods without a shared secret: the gateway and the projects service in
//! runners of their own, each with a different internal token, so that only their
//! certificates (signed by one CA, from files) let the gateway's calls in. A stranger
//! without a certificate, with another CA's, or with the CA's but not the gateway's name,
//! gets nothing; the token still works beside the certificates. Replacing every file with
//! a new CA's moves both sides over without a restart: the service refuses the old
//! certificates, and the gateway reconnects with its new ones. Probes read `/readyz`, since a gRPC probe cannot speak TLS.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
use xingfu_platform::secret::Secret;
use xingfu_platform::settings::Settings;
use xingfu_platform::trust::InternalToken;
use xingfu_proto::projects as pb;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually_within, principal, spawn_service};

use crate::helpers::{http_get, new_project};

/// The projects side's token: not the gateway's, so that the token cannot be what admits
/// the gateway's calls.
const PROJECTS_TOKEN: &str = "projects-own-internal-token-0000000000000000";

/// A certificate authority of the test.
struct Ca {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate and its key, in PEM.
struct Leaf {
    cert: String,
    key: String,
}

impl Ca {
    fn new(name: &str) -> Self {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let pem = params.self_signed(&key).unwrap().pem();
        Self {
            pem,
            issuer: Issuer::new(params, key),
        }
    }

    /// A pod's certificate for `names`, good for both ends of a connection.
    fn leaf(&self, names: &[&str]) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let cert = params.signed_by(&key, &self.issuer).unwrap().pem();
        Leaf {
            cert,
            key: key.serialize_pem(),
        }
    }
}

/// Writes a pod's three files into `dir` as a Secret's update does: each replaced whole.
fn install(dir: &Path, ca: &Ca, leaf: &Leaf) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in [
        ("ca.crt", &ca.pem),
        ("tls.crt", &leaf.cert),
        ("tls.key", &leaf.key),
    ] {
        let staged = dir.join(format!(".{name}.new"));
        std::fs::write(&staged, text).unwrap();
        std::fs::rename(&staged, dir.join(name)).unwrap();
    }
}

/// `settings` with internal TLS from the files in `dir`, looked at every second.
fn with_files(mut settings: Settings, dir: &Path) -> Settings {
    let tls = &mut settings.auth.internal_tls;
    let file = |name: &str| Some::<PathBuf>(dir.join(name));
    tls.ca_file = file("ca.crt");
    tls.cert_file = file("tls.crt");
    tls.key_file = file("tls.key");
    tls.reload_secs = 1;
    settings
}

/// A client of the projects port presenting `leaf` (if any) and trusting `ca`.
async fn projects_client(
    port: u16,
    ca: &Ca,
    leaf: Option<&Leaf>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(&ca.pem))
        .domain_name("localhost");
    if let Some(leaf) = leaf {
        tls = tls.identity(Identity::from_pem(&leaf.cert, &leaf.key));
    }
    Endpoint::from_shared(format!("https://127.0.0.1:{port}"))?
        .tls_config(tls)?
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
}

/// Lists projects on the projects port directly, vouching for an administrator as the
/// gateway does, with the projects side's token or none.
async fn list_directly(
    channel: tonic::transport::Channel,
    token: Option<&str>,
) -> Result<(), tonic::Status> {
    let caller = principal("ops-1", &["programme_admin"], None);
    let token = token.map(InternalToken::from_value);
    let vouch = move |mut request: tonic::Request<()>| {
        let mut headers = tonic::codegen::http::HeaderMap::new();
        caller.stamp(&mut headers);
        if let Some(token) = &token {
            token.stamp(&mut headers);
        }
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(headers);
        Ok(request)
    };
    let mut client = ProjectsServiceClient::with_interceptor(channel, vouch);
    client
        .list_projects(pb::ListProjectsRequest::default())
        .await
        .map(drop)
}

/// Asserts that a connection got no call through, though its calls bring the token: the
/// handshake failed (at connecting, or at the first call under TLS 1.3).
async fn refused_at_handshake(
    connected: Result<tonic::transport::Channel, tonic::transport::Error>,
) {
    let Ok(channel) = connected else {
        return;
    };
    let refused = list_directly(channel, Some(PROJECTS_TOKEN))
        .await
        .expect_err("a connection without a good certificate gets no call through");
    assert_ne!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
}

#[tokio::test]
async fn the_gateway_and_a_service_trust_each_other_by_certificate_alone() {
    let env = TestEnv::postgres();
    let files = tempfile::tempdir().unwrap();
    let (projects_dir, gateway_dir) = (files.path().join("projects"), files.path().join("gateway"));
    let first = Ca::new("xingfu internal CA 1");
    install(
        &projects_dir,
        &first,
        &first.leaf(&["localhost", "projects-replicas"]),
    );
    install(&gateway_dir, &first, &first.leaf(&["gateway"]));

    let mut projects_settings = with_files(env.settings.clone(), &projects_dir);
    projects_settings.auth.internal_token = Some(Secret::new(PROJECTS_TOKEN.to_owned()));
    let (projects, projects_addr) =
        spawn_service(&projects_settings, xingfu_projects::SERVICE).await;
    let port = projects_addr.port();

    let mut gateway_settings = with_files(env.settings.clone(), &gateway_dir);
    gateway_settings.grpc.in_process = false;
    gateway_settings.service_mut(xingfu_projects::NAME).endpoint =
        Some(format!("http://localhost:{port}"));
    let (gateway, gateway_addr) = spawn_service(&gateway_settings, xingfu_gateway::SERVICE).await;
    let mut through_gateway =
        ProjectsServiceClient::new(xingfu_testkit::channel(gateway_addr).await);

    // The gateway's token is not the service's: its certificate is what lets it in.
    let created = eventually_within(
        Duration::from_secs(20),
        "a create through the gateway",
        || {
            let mut client = through_gateway.clone();
            async move {
                client
                    .create_project(new_project("mtls-create-1"))
                    .await
                    .ok()
                    .map(|r| r.into_inner())
            }
        },
    )
    .await;
    let read = through_gateway
        .get_project(pb::GetProjectRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.id, created.id);

    // No certificate, no TLS, another CA's certificate: no connection at all, though each
    // brings the token (which would let a connection's calls in).
    refused_at_handshake(projects_client(port, &first, None).await).await;
    let plain = Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(5));
    refused_at_handshake(plain.connect().await).await;
    let rogue = Ca::new("someone else's CA");
    let rogue_leaf = rogue.leaf(&["gateway"]);
    refused_at_handshake(projects_client(port, &first, Some(&rogue_leaf)).await).await;
    // A wildcard certificate from the CA stands for no peer.
    let wildcard = first.leaf(&["*.localhost"]);
    let channel = projects_client(port, &first, Some(&wildcard))
        .await
        .unwrap();
    let refused = list_directly(channel, None).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");

    // The CA's certificate for another name gets a connection but not a call, unless it
    // brings the token: the token still works beside certificates.
    let sibling = first.leaf(&["volunteers-replicas"]);
    let channel = projects_client(port, &first, Some(&sibling)).await.unwrap();
    let refused = list_directly(channel.clone(), None).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    list_directly(channel, Some(PROJECTS_TOKEN)).await.unwrap();
    let gateway_leaf = first.leaf(&["gateway"]);
    let as_gateway = projects_client(port, &first, Some(&gateway_leaf))
        .await
        .unwrap();
    list_directly(as_gateway, None).await.unwrap();

    // Probes: the HTTP port says the service is ready.
    let ready = http_get(projects.http_addr().port(), "/readyz").await;
    assert!(ready.starts_with("HTTP/1.1 200"), "{ready}");

    // Every file replaced by a new CA's: both sides move over, with no restart.
    let second = Ca::new("xingfu internal CA 2");
    install(
        &projects_dir,
        &second,
        &second.leaf(&["localhost", "projects-replicas"]),
    );
    install(&gateway_dir, &second, &second.leaf(&["gateway"]));
    // The service reloads: a client of the old CA is refused at the handshake, one of the
    // new CA is admitted, before any restart.
    let new_gateway_leaf = second.leaf(&["gateway"]);
    eventually_within(Duration::from_secs(20), "the new CA admitted", || async {
        let channel = projects_client(port, &second, Some(&new_gateway_leaf))
            .await
            .ok()?;
        list_directly(channel, None).await.ok()
    })
    .await;
    refused_at_handshake(projects_client(port, &second, Some(&gateway_leaf)).await).await;
    // The gateway reconnects with its new files: a projects process started afresh on
    // the same port, which knows only the new CA, answers it.
    projects.stop().await.unwrap();
    projects_settings.service_mut(xingfu_projects::NAME).listen = projects_addr;
    let (projects, _) = spawn_service(&projects_settings, xingfu_projects::SERVICE).await;
    eventually_within(
        Duration::from_secs(20),
        "a call through the gateway",
        || {
            let mut client = through_gateway.clone();
            let id = created.id.clone();
            async move {
                client
                    .get_project(pb::GetProjectRequest { id })
                    .await
                    .ok()
                    .map(drop)
            }
        },
    )
    .await;
    gateway.stop().await.unwrap();
    projects.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn half_configured_internal_tls_stops_start_up() {
    let env = TestEnv::postgres();
    let mut settings = env.settings.clone();
    settings.auth.internal_tls.ca_file = Some(PathBuf::from("/nonexistent/ca.crt"));
    let refused = xingfu_platform::runner::Runner::new(settings)
        .await
        .err()
        .expect("start-up refused");
    assert!(
        format!("{refused:#}").contains("go together"),
        "{refused:#}"
    );

    let files = tempfile::tempdir().unwrap();
    std::fs::write(files.path().join("ca.crt"), "not a certificate").unwrap();
    std::fs::write(files.path().join("tls.crt"), "").unwrap();
    std::fs::write(files.path().join("tls.key"), "").unwrap();
    let settings = with_files(env.settings.clone(), files.path());
    let refused = xingfu_platform::runner::Runner::new(settings)
        .await
        .err()
        .expect("start-up refused");
    assert!(
        format!("{refused:#}").contains("auth.internal_tls"),
        "{refused:#}"
    );
    env.cleanup().await.unwrap();
}

#[tokio::test]
async fn a_port_moving_to_mutual_tls_takes_both_for_a_while() {
    let env = TestEnv::postgres();
    let files = tempfile::tempdir().unwrap();
    let ca = Ca::new("xingfu internal CA");
    install(files.path(), &ca, &ca.leaf(&["localhost"]));
    let mut settings = with_files(env.settings.clone(), files.path());
    settings.auth.internal_token = Some(Secret::new(PROJECTS_TOKEN.to_owned()));
    settings.auth.internal_tls.accept_plaintext = true;
    let (projects, addr) = spawn_service(&settings, xingfu_projects::SERVICE).await;

    // A gateway not moved yet: plaintext with the token, as before.
    let plain = xingfu_testkit::raw_channel(addr).await;
    list_directly(plain.clone(), Some(PROJECTS_TOKEN))
        .await
        .unwrap();
    let refused = list_directly(plain, None).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated, "{refused:?}");
    // A gateway moved: its certificate alone.
    let leaf = ca.leaf(&["gateway"]);
    let tls = projects_client(addr.port(), &ca, Some(&leaf))
        .await
        .unwrap();
    list_directly(tls, None).await.unwrap();
    // Another CA's certificate still gets no connection.
    let rogue = Ca::new("someone else's CA");
    refused_at_handshake(projects_client(addr.port(), &ca, Some(&rogue.leaf(&["gateway"]))).await)
        .await;

    projects.stop().await.unwrap();
    env.cleanup().await.unwrap();
}

#[test]
fn trusted_peers_are_names_not_wildcards() {
    use xingfu_platform::internal_tls::TrustedPeers;
    assert!(TrustedPeers::parse("gateway, Gateway.xingfu.svc").is_ok());
    assert!(TrustedPeers::parse("*.xingfu.svc").is_err());
}
