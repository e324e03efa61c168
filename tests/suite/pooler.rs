//! The suite behind PgBouncer in session pooling mode, the setting docs/operations.md
//! names: every service creates its database, migrates, writes from many callers at
//! once, relays its outbox (its leadership an advisory lock) and consumes, all through
//! the pooler.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use xingfu_platform::db::Database;
use xingfu_platform::secret::Secret;
use xingfu_proto::projects::projects_service_client::ProjectsServiceClient;
use xingfu_testkit::{TestEnv, eventually_within};

use crate::helpers::{assert_all_serving, gateway, new_project, wait_for_known_project};

/// The `pgbouncer` binary: the Debian package's, else the one on `PATH`.
fn pgbouncer() -> &'static str {
    if std::path::Path::new("/usr/sbin/pgbouncer").exists() {
        "/usr/sbin/pgbouncer"
    } else {
        "pgbouncer"
    }
}

/// A PgBouncer of this test's own in front of the test PostgreSQL server.
struct Bouncer {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Bouncer {
    /// PgBouncer (`scripts/services.sh` installs it) with `pool_mode`, trusting every
    /// user, `pool_size` server connections per database and user. It refuses to run as
    /// root: as root it runs as the `postgres` user.
    async fn start(pool_mode: &str, pool_size: u32) -> Self {
        let dir =
            std::env::temp_dir().join(format!("xingfu-bouncer-{}", xingfu_testkit::unique_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // The server the tests use, by host and port (`postgres://user@host:port`).
        let server = xingfu_testkit::postgres_url();
        let authority = server.rsplit('@').next().unwrap_or("127.0.0.1:5432");
        let (host, server_port) = authority
            .trim_end_matches('/')
            .rsplit_once(':')
            .unwrap_or((authority, "5432"));
        let ini = dir.join("pgbouncer.ini");
        std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
        std::fs::write(
            &ini,
            format!(
                "[databases]\n* = host={} port={}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\n\
                 listen_port = {port}\nunix_socket_dir =\nauth_type = trust\n\
                 auth_file = {users}\npool_mode = {pool_mode}\ndefault_pool_size = {pool_size}\n\
                 max_client_conn = 500\nignore_startup_parameters = extra_float_digits,options\n\
                 admin_users = postgres\nserver_login_retry = 1\nlogfile = {log}\n",
                host,
                server_port,
                users = dir.join("users.txt").display(),
                log = dir.join("pgbouncer.log").display(),
            ),
        )
        .unwrap();
        let as_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let mut command = if as_root {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", "postgres", "--"]).arg(pgbouncer());
            runuser
        } else {
            Command::new(pgbouncer())
        };
        let child = command
            .arg(&ini)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pgbouncer starts (scripts/services.sh installs it)");
        let bouncer = Self { child, port, dir };
        eventually_within(Duration::from_secs(20), "PgBouncer listening", || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()
        })
        .await;
        bouncer
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        // runuser passes the signal on to PgBouncer.
        self.child.kill().ok();
        self.child.wait().ok();
        Command::new("pkill")
            .args(["-f", &self.dir.join("pgbouncer.ini").display().to_string()])
            .status()
            .ok();
        if !std::thread::panicking() {
            std::fs::remove_dir_all(&self.dir).ok();
        }
    }
}

#[tokio::test]
async fn the_suite_runs_behind_pgbouncer_in_session_mode() {
    let bouncer = Bouncer::start("session", 20).await;
    let mut env = TestEnv::postgres_jetstream();
    env.settings.database.url = Some(Secret::new(bouncer.url()));
    let suite = xingfu::start(env.settings.clone(), &[]).await.unwrap();
    assert_all_serving(&suite).await;

    // Writes from many callers at once, each with its outbox row, relayed and consumed.
    let client = ProjectsServiceClient::new(gateway(&suite).await);
    let creates = (0..40).map(|n| {
        let mut client = client.clone();
        tokio::spawn(async move {
            client
                .create_project(new_project(&format!("pooled-{n}")))
                .await
                .unwrap()
                .into_inner()
                .id
        })
    });
    let mut ids = Vec::new();
    for create in creates {
        ids.push(create.await.unwrap());
    }
    let funds = Database::open(&env.settings, xingfu_funds::NAME)
        .await
        .unwrap();
    for id in &ids {
        wait_for_known_project(&funds, id).await;
    }
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM known_projects")
        .fetch_one(funds.pool())
        .await
        .unwrap();
    assert_eq!(known, ids.len() as i64);

    // The connections really go through the pooler: it lists a pool per service database.
    let admin = format!("{}/pgbouncer", bouncer.url());
    let mut console = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    let pools: Vec<String> = sqlx::raw_sql("SHOW POOLS")
        .fetch_all(&mut console)
        .await
        .unwrap()
        .iter()
        .map(|row| sqlx::Row::get::<String, _>(row, "database"))
        .collect();
    for service in ["projects", "funds", "volunteers", "workshops", "gateway"] {
        let database = format!("{}_{service}", env.settings.database.name_prefix);
        assert!(pools.contains(&database), "{database} in {pools:?}");
    }
    drop(console);

    funds.close().await;
    suite.stop().await.unwrap();
    drop(bouncer);
    env.cleanup().await.unwrap();
}
