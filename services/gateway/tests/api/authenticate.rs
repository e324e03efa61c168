//! Who is calling: the first admin key of a fresh install, bearer tokens (signature,
//! issuer, audience, time, and scopes a token may only narrow), and systems calling with a
//! client certificate over mutual TLS.

use std::path::Path;

use tonic::Code;
use tonic::transport::Channel;
use xingfu_platform::ServiceName;
use xingfu_proto::projects;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_proto::volunteers as vpb;
use xingfu_proto::volunteers::volunteers_service_client::VolunteersServiceClient;
use xingfu_testkit::TestEnv;

use crate::helpers::{
    FUNDS, PROJECTS, VOLUNTEERS, outcome, secret_of, sha256, spawn_app, start, write_auth,
};

#[tokio::test]
async fn a_fresh_install_creates_one_admin_key_readable_by_its_owner_only() {
    let mut env = TestEnv::embedded();
    env.settings.unset("gateway.auth.keys_file").unwrap();
    env.settings.unset("gateway.auth.policy_file").unwrap();
    let app = spawn_app(env, &[FUNDS]).await;
    let path = app.env.settings.data_dir.join("admin-api-key");
    let key = std::fs::read_to_string(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let stored = std::fs::read_to_string(app.env.settings.data_dir.join("api-keys.toml")).unwrap();
    let secret = key.trim().split_once('.').unwrap().1;
    assert!(!stored.contains(secret), "only the hash is stored");
    assert!(stored.contains(&sha256(secret)));
    let gateway = app.raw_channel().await;
    let code = outcome(&gateway, key.trim(), xingfu_funds::NAME, true).await;
    assert_eq!(code, Code::InvalidArgument, "the admin key works at once");
    app.suite.stop().await.unwrap();

    // A restart keeps the key: nothing is regenerated.
    let again = start(&app.env.settings, &[FUNDS]).await;
    assert_eq!(std::fs::read_to_string(&path).unwrap(), key);
    again.stop().await.unwrap();
}

#[tokio::test]
async fn bearer_tokens_are_checked_for_signature_issuer_audience_and_time() {
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/jwt");
    // Token subjects have entries of their own in the policy: `jwt:<sub>`.
    let policy = dir.join("policy.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text += "[[caller]]\nid = \"jwt:volunteers-reader\"\nscopes = [\"volunteers:read\"]\n";
    text += "[[caller]]\nid = \"jwt:workshops-writer\"\nscopes = [\"workshops:write\", \"projects:read\"]\n";
    text += "[[caller]]\nid = \"jwt:wide\"\nscopes = [\"projects:*\"]\n";
    std::fs::write(&policy, text).unwrap();
    env.settings
        .set(
            "gateway.auth.jwks_file",
            fixtures.join("jwks.json").display().to_string(),
        )
        .unwrap();
    env.settings
        .set("gateway.auth.jwt_issuer", "https://id.dongtou.test")
        .unwrap();
    env.settings
        .set("gateway.auth.jwt_audience", "xingfu")
        .unwrap();
    env.settings
        .set("gateway.auth.jwt_leeway_secs", 60)
        .unwrap();
    let app = spawn_app(env, &[PROJECTS, VOLUNTEERS]).await;
    let gateway = app.raw_channel().await;

    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    let der = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let token = |alg: Algorithm, kid: &str, key_file: &str, claims: Value| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        let key = match alg {
            Algorithm::ES256 => EncodingKey::from_ec_der(&der(key_file)),
            _ => EncodingKey::from_rsa_der(&der(key_file)),
        };
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let claims = |overrides: Value| {
        let mut claims = serde_json::json!({
            "sub": "volunteers-reader",
            "iss": "https://id.dongtou.test",
            "aud": "xingfu",
            "exp": now + 600,
        });
        for (k, v) in overrides.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let call = |token: String, service: ServiceName, write: bool| {
        let gateway = gateway.clone();
        async move {
            let mut request = tonic::Request::new(vpb::GetVolunteerRequest::default());
            request
                .metadata_mut()
                .insert("authorization", format!("Bearer {token}").parse().unwrap());
            let status = match (service, write) {
                (xingfu_volunteers::NAME, false) => VolunteersServiceClient::new(gateway)
                    .get_volunteer(request)
                    .await
                    .err(),
                (xingfu_volunteers::NAME, true) => {
                    let mut register =
                        tonic::Request::new(vpb::RegisterVolunteerRequest::default());
                    *register.metadata_mut() = request.metadata().clone();
                    VolunteersServiceClient::new(gateway)
                        .register_volunteer(register)
                        .await
                        .err()
                }
                _ => {
                    let mut get = tonic::Request::new(projects::GetProjectRequest::default());
                    *get.metadata_mut() = request.metadata().clone();
                    ProjectsServiceClient::new(gateway)
                        .get_project(get)
                        .await
                        .err()
                }
            };
            status.map_or(Code::Ok, |s| s.code())
        }
    };
    use serde_json::{Value, json};
    let good_rsa = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({})),
    );
    let good_ec = token(
        Algorithm::ES256,
        "test-ec",
        "ec-private.der",
        claims(json!({})),
    );
    for good in [good_rsa.clone(), good_ec] {
        assert_eq!(
            call(good, xingfu_volunteers::NAME, false).await,
            Code::InvalidArgument
        );
    }
    assert_eq!(
        call(good_rsa, xingfu_volunteers::NAME, true).await,
        Code::PermissionDenied,
        "the policy's scopes hold for tokens too"
    );
    let skewed = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"exp": now - 30})),
    );
    assert_eq!(
        call(skewed, xingfu_volunteers::NAME, false).await,
        Code::InvalidArgument,
        "within the allowed clock skew"
    );
    let refused = [
        (
            "expired",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"exp": now - 120})),
            ),
        ),
        (
            "not yet valid",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"nbf": now + 600})),
            ),
        ),
        (
            "another audience",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"aud": "elsewhere"})),
            ),
        ),
        (
            "another issuer",
            token(
                Algorithm::RS256,
                "test-rsa",
                "rsa-private.der",
                claims(json!({"iss": "https://evil.test"})),
            ),
        ),
        (
            "a stranger's key",
            token(
                Algorithm::RS256,
                "test-rsa",
                "other-private.der",
                claims(json!({})),
            ),
        ),
        (
            "an unknown kid",
            token(
                Algorithm::RS256,
                "nobody",
                "rsa-private.der",
                claims(json!({})),
            ),
        ),
        ("garbage", "not.a.token".to_owned()),
    ];
    for (why, bad) in refused {
        assert_eq!(
            call(bad, xingfu_volunteers::NAME, false).await,
            Code::Unauthenticated,
            "{why}"
        );
    }
    // A token may narrow its subject's scopes, never widen them.
    let narrowed = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "workshops-writer", "scope": "projects:read volunteers:read"})),
    );
    assert_eq!(
        call(narrowed.clone(), xingfu_projects::NAME, false).await,
        Code::InvalidArgument
    );
    assert_eq!(
        call(narrowed, xingfu_volunteers::NAME, false).await,
        Code::PermissionDenied,
        "volunteers:read is not the subject's to ask for"
    );
    let wide = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "wide", "scope": "projects:read"})),
    );
    assert_eq!(
        call(wide, xingfu_projects::NAME, false).await,
        Code::InvalidArgument,
        "projects:* covers the projects:read a token asks for"
    );
    let impostor = token(
        Algorithm::RS256,
        "test-rsa",
        "rsa-private.der",
        claims(json!({"sub": "admin"})),
    );
    assert_eq!(
        call(impostor, xingfu_projects::NAME, false).await,
        Code::PermissionDenied,
        "a token's subject is never an API-key caller"
    );
    app.stop().await;
}

/// The SHA-256 of `tests/fixtures/tls/client.pem`'s certificate (its DER).
const CLIENT_CERT_SHA256: &str = "de2b14db5190e4a45c3a47247dfb50f42438675d26121a7af1929deca627edc9";

#[tokio::test]
async fn systems_with_a_client_certificate_call_over_mutual_tls() {
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
    let read = |name: &str| std::fs::read(fixtures.join(name)).unwrap();
    let mut env = TestEnv::embedded();
    let dir = env.settings.data_dir.clone();
    write_auth(&mut env, &dir);
    let keys = dir.join("keys.toml");
    let mut text = std::fs::read_to_string(&keys).unwrap();
    text += &format!("[[cert]]\ncaller = \"projects-reader\"\nsha256 = \"{CLIENT_CERT_SHA256}\"\n");
    std::fs::write(&keys, text).unwrap();
    env.settings
        .set(
            "gateway.tls.cert_file",
            fixtures.join("server.pem").display().to_string(),
        )
        .unwrap();
    env.settings
        .set(
            "gateway.tls.key_file",
            fixtures.join("server-key.pem").display().to_string(),
        )
        .unwrap();
    env.settings
        .set(
            "gateway.tls.client_ca_file",
            fixtures.join("ca.pem").display().to_string(),
        )
        .unwrap();
    let app = spawn_app(env, &[PROJECTS, FUNDS]).await;
    let addr = app.addr();

    let connect = |identity: Option<(&str, &str)>| {
        let mut tls = ClientTlsConfig::new()
            .ca_certificate(Certificate::from_pem(read("ca.pem")))
            .domain_name("localhost");
        if let Some((cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(read(cert), read(key)));
        }
        Endpoint::from_shared(format!("https://{addr}"))
            .unwrap()
            .tls_config(tls)
            .unwrap()
            .connect_lazy()
    };
    let get = |channel: Channel| async move {
        ProjectsServiceClient::new(channel)
            .get_project(projects::GetProjectRequest::default())
            .await
            .unwrap_err()
            .code()
    };
    let with_cert = connect(Some(("client.pem", "client-key.pem")));
    assert_eq!(
        get(with_cert.clone()).await,
        Code::InvalidArgument,
        "the certificate is the caller"
    );
    let write = ProjectsServiceClient::new(with_cert)
        .create_project(projects::CreateProjectRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        write.code(),
        Code::PermissionDenied,
        "with its caller's scopes"
    );

    assert_eq!(
        get(connect(None)).await,
        Code::Unauthenticated,
        "TLS alone is no identity"
    );
    let key = format!("admin.{}", secret_of("admin"));
    assert_eq!(
        outcome(&connect(None), &key, xingfu_funds::NAME, true).await,
        Code::InvalidArgument,
        "an API key still works over TLS"
    );
    let stranger = get(connect(Some(("stranger.pem", "stranger-key.pem")))).await;
    assert_ne!(
        stranger,
        Code::InvalidArgument,
        "another CA's certificate is refused"
    );
    let plaintext = Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_lazy();
    assert_ne!(
        get(plaintext).await,
        Code::InvalidArgument,
        "the port speaks TLS only"
    );
    app.stop().await;
}
