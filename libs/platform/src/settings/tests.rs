//! The settings' rules, on fabricated service sections (`example`, `other`).

use std::collections::HashMap;
use std::net::SocketAddr;

use super::*;

fn env(vars: &[(&str, &str)]) -> Environment {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Environment::with_prefix("XINGFU")
        .separator("__")
        .source(Some(map))
}

/// A service's defaults, as its crate's `settings.toml` would give them.
const EXAMPLE: &str = "# The example service.\n[example]\nlisten = \"127.0.0.1:50099\"\n\
    # endpoint = \"http://example:50099\"\n# database.url = \"postgres://x@y/z\"\n\n\
    [example.things]\n# How many.\nsize = 3\n# What of.\n# kind = \"apples\"\n";
const OTHER: &str = "[other]\nlisten = \"127.0.0.1:50098\"\n";

/// The example service's own settings.
#[derive(Debug, Deserialize)]
struct Example {
    things: Things,
}

#[derive(Debug, Deserialize)]
struct Things {
    size: u32,
    kind: Option<String>,
}

impl OwnSettings for Example {
    const SECTION: &'static str = "example";
    const DEFAULTS: &'static str = EXAMPLE;
}

fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::load_with(None, &[EXAMPLE, OTHER], env(vars))
}

#[test]
fn defaults_are_the_embedded_setup() {
    let s = load(&[]).unwrap();
    assert_eq!(s.data_dir, PathBuf::from("./data"));
    assert!(s.database.url.is_none());
    assert!(s.nats.url.is_none());
    assert_eq!(s.services["example"].listen.port(), 50099);
    assert_eq!(s.services["other"].listen.port(), 50098);
    assert_eq!(s.http.listen.port(), 8080);
    // A service given no defaults listens on a free loopback port.
    let bare = Settings::defaults().unwrap();
    assert!(bare.services.is_empty());
    let unconfigured = bare.service(ServiceName::new("example")).listen;
    assert_eq!(unconfigured, SocketAddr::from(([127, 0, 0, 1], 0)));
}

#[test]
fn environment_overrides_nested_keys() {
    let s = load(&[
        ("XINGFU__DATA_DIR", "/var/lib/xingfu"),
        ("XINGFU__DATABASE__URL", "postgres://root@127.0.0.1:5432"),
        ("XINGFU__OTHER__DATABASE__URL", "postgres://root@db/other"),
        ("XINGFU__NATS__URL", "nats://127.0.0.1:4222"),
        ("XINGFU__EXAMPLE__LISTEN", "0.0.0.0:9000"),
    ])
    .unwrap();
    assert_eq!(s.data_dir, PathBuf::from("/var/lib/xingfu"));
    assert_eq!(
        s.services["other"].database.url.as_ref().unwrap().expose(),
        "postgres://root@db/other"
    );
    assert_eq!(s.services["example"].listen.port(), 9000);
    assert!(s.nats.url.is_some());
}

#[test]
fn a_file_sits_between_defaults_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("xingfu.toml");
    std::fs::write(
        &path,
        "[grpc]\nconcurrency_limit = 7\nrequest_timeout_secs = 9\n\
         [example.things]\nsize = 5\n",
    )
    .unwrap();
    let s = Settings::load_with(
        Some(&path),
        &[EXAMPLE],
        env(&[("XINGFU__GRPC__REQUEST_TIMEOUT_SECS", "3")]),
    )
    .unwrap();
    assert_eq!(s.grpc.concurrency_limit, 7);
    assert_eq!(s.grpc.request_timeout_secs, 3);
    assert_eq!(s.own::<Example>().unwrap().things.size, 5);
}

#[test]
fn a_service_reads_its_own_keys_over_its_defaults() {
    let s = load(&[("XINGFU__EXAMPLE__THINGS__KIND", "pears")]).unwrap();
    let own: Example = s.own().unwrap();
    assert_eq!(
        (own.things.size, own.things.kind.as_deref()),
        (3, Some("pears"))
    );

    // Without the service's defaults loaded (a test's settings), its own still apply.
    let mut bare = Settings::defaults().unwrap();
    assert_eq!(bare.own::<Example>().unwrap().things.size, 3);
    bare.set("example.things.size", 8).unwrap();
    assert_eq!(bare.own::<Example>().unwrap().things.size, 8);
    bare.set("example.things.size", "many").unwrap();
    let err = bare.own::<Example>().unwrap_err().to_string();
    assert!(err.contains("example.things.size"), "{err}");
    // The typed fields are set as fields.
    assert!(bare.set("grpc.concurrency_limit", 3).is_err());
    assert!(bare.set("example.listen", "127.0.0.1:1").is_err());
}

#[test]
fn a_section_nobody_reads_is_refused() {
    let err = load(&[("XINGFU__LIMITS__BURST", "3")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("limits") && err.contains("example"), "{err}");
    let err = load(&[("XINGFU__EXAMPLE__LISTN", "127.0.0.1:1")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("example.listn"), "{err}");
    // Its own tables are its; what is inside them its type checks.
    assert!(load(&[("XINGFU__EXAMPLE__THINGS__SIZE", "4")]).is_ok());
    let err = load(&[("XINGFU__AUTH__KEYS_FILE", "/k.toml")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("keys_file"), "{err}");
}

#[test]
fn a_bad_value_names_its_key() {
    let err = load(&[("XINGFU__EXAMPLE__LISTEN", "nowhere")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("example.listen"), "{err}");

    let err = load(&[("XINGFU__GRPC__CONCURRENCY_LIMIT", "lots")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("grpc.concurrency_limit"), "{err}");

    let err = load(&[("XINGFU__NATS__PREFIX", "a.b")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("nats.prefix"), "{err}");

    let err = load(&[("XINGFU__DATABASE__URL", "mysql://x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("database.url"), "{err}");
}

#[test]
fn every_documented_key_is_a_real_setting() {
    let keys = documented_keys(&[EXAMPLE, OTHER]);
    let names: Vec<&str> = keys.iter().map(|k| k.key.as_str()).collect();
    for expected in [
        "data_dir",
        "database.url",
        "nats.url",
        "pii.key",
        "auth.internal_token",
        "otel.endpoint",
        "<service>.listen",
        "<service>.endpoint",
        "<service>.database.url",
        "example.things.size",
        "example.things.kind",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let listen = keys.iter().find(|k| k.key == "<service>.listen").unwrap();
    assert_eq!(
        listen.default,
        "example=127.0.0.1:50099, other=127.0.0.1:50098"
    );
    // Setting each through the environment must be accepted (or fail on its value,
    // naming the key), which proves the key exists.
    for doc in &keys {
        let env_name = doc.env.replace("<SERVICE>", "EXAMPLE");
        let value = match doc.default.split_once('=') {
            _ if doc.default.is_empty() => "postgres://x@y/z".to_owned(),
            Some((_, first)) if doc.key.starts_with("<service>") => {
                first.split(',').next().unwrap_or("").to_owned()
            }
            _ => doc.default.clone(),
        };
        let result = load(&[(&env_name, &value)]).and_then(|s| s.own::<Example>().map(|_| ()));
        if let Err(err) = result {
            assert!(
                err.to_string()
                    .contains(&doc.key.replace("<service>", "example")),
                "{}: {err}",
                doc.key
            );
        }
    }
}

#[test]
fn a_missing_config_file_is_an_error() {
    let err = Settings::load_with(Some(Path::new("/nonexistent/xingfu.toml")), &[], env(&[]));
    assert!(err.is_err());
}
