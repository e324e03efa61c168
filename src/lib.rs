//! xingfu (幸福): the community well-being programme's services, any set of them in one
//! process. `xingfu serve` runs all five; Kubernetes runs one per pod.

pub mod demo;
pub mod events_cli;
pub mod import;

use tokio_util::sync::CancellationToken;
use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_platform::{ServiceDef, ServiceName, Settings};

pub use xingfu_platform::ServiceName as Service;

/// Every service, in start-up order: the gateway last, so that it learns where the
/// services in this process listen.
pub const SERVICES: [ServiceDef; 5] = [
    xingfu_projects::SERVICE,
    xingfu_volunteers::SERVICE,
    xingfu_funds::SERVICE,
    xingfu_workshops::SERVICE,
    xingfu_gateway::SERVICE,
];

/// Every service's settings' defaults, as [`Settings::load`] layers them.
pub fn service_settings() -> Vec<&'static str> {
    SERVICES.iter().map(|service| service.settings).collect()
}

/// The service of this binary called `name` (`projects`), for the command line.
pub fn service_named(name: &str) -> Result<ServiceName, String> {
    SERVICES
        .iter()
        .map(|service| service.name)
        .find(|service| service.as_str() == name)
        .ok_or_else(|| {
            let known: Vec<&str> = SERVICES.iter().map(|s| s.name.as_str()).collect();
            format!(
                "unknown service {name:?}; expected one of {}",
                known.join(", ")
            )
        })
}

/// Starts `services` (every one when empty) on `settings` and returns once all listen.
pub async fn start(settings: Settings, services: &[ServiceName]) -> anyhow::Result<RunningSuite> {
    start_with_shutdown(settings, services, CancellationToken::new()).await
}

/// As [`start`]; cancelling `shutdown` (from a signal handler) stops the suite.
pub async fn start_with_shutdown(
    settings: Settings,
    services: &[ServiceName],
    shutdown: CancellationToken,
) -> anyhow::Result<RunningSuite> {
    let mut runner = Runner::with_shutdown(settings, shutdown).await?;
    for service in selected(services) {
        runner.add(service).await?;
    }
    runner.start().await
}

/// Creates and migrates the databases of `services` (every one when empty), then returns.
/// It needs nothing but the databases: no port, no NATS, no key.
pub async fn migrate(settings: Settings, services: &[ServiceName]) -> anyhow::Result<()> {
    for service in selected(services) {
        let db = xingfu_platform::db::Database::open(&settings, service.name).await?;
        db.migrate(service.migrations).await?;
        db.close().await;
        tracing::info!(service = %service.name, "migrated");
    }
    Ok(())
}

/// `xingfu funds verify`: verifies the funds database named by `settings`; an error when
/// the ledger does not verify.
pub async fn funds_verify(settings: Settings) -> anyhow::Result<()> {
    use std::io::Write as _;
    // It only reads: no migration, and no key (verification never touches personal data).
    let db = xingfu_platform::db::Database::open_existing(&settings, xingfu_funds::NAME).await?;
    let pii = xingfu_platform::pii::Protector::from_key(&[0; 32]);
    let outbox = xingfu_platform::events::Outbox::new(xingfu_funds::NAME);
    let rules = xingfu_funds::settings::FundsSettings::of(&settings)?.ledger;
    let ledger = xingfu_funds::ops::Ledger::new(db.clone(), outbox, pii, rules.dual_approval_fen);
    let found = ledger.verify().await?;
    db.close().await;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "entries {}, transactions {}",
        found.entries, found.transactions
    )?;
    match found.first_break {
        None => {
            writeln!(
                out,
                "the ledger verifies: every transaction sums to zero, every balance matches, the chain holds"
            )?;
            Ok(())
        }
        Some(what) => anyhow::bail!("the ledger does not verify: {what}"),
    }
}

fn selected(services: &[ServiceName]) -> impl Iterator<Item = ServiceDef> {
    SERVICES
        .into_iter()
        .filter(move |def| services.is_empty() || services.contains(&def.name))
}

/// The API key to load demo data with: `given`, else `$XINGFU_API_KEY`, else the first
/// admin key the gateway wrote to `<data_dir>/admin-api-key`.
pub fn demo_key(settings: &Settings, given: Option<String>) -> anyhow::Result<String> {
    if let Some(key) = given.or_else(|| std::env::var("XINGFU_API_KEY").ok()) {
        return Ok(key.trim().to_owned());
    }
    let path = settings.data_dir.join("admin-api-key");
    std::fs::read_to_string(&path)
        .map(|key| key.trim().to_owned())
        .map_err(|e| {
            anyhow::anyhow!(
                "no API key: give --api-key or XINGFU_API_KEY ({}: {e})",
                path.display()
            )
        })
}

/// Loads the demo programme through the gateway at `endpoint` as the holder of `key`.
pub async fn seed_demo(endpoint: &str, key: &str, seed: u64) -> anyhow::Result<demo::Loaded> {
    use anyhow::Context as _;
    let channel = tonic::transport::Endpoint::from_shared(endpoint.to_owned())
        .with_context(|| format!("{endpoint} is not a URL"))?
        .connect()
        .await
        .with_context(|| format!("connecting to {endpoint}"))?;
    demo::load(channel, key, seed).await
}
