//! xingfu (幸福): the community well-being programme's services, any set of them in one
//! process. `xingfu serve` runs all five; Kubernetes runs one per pod.

use tokio_util::sync::CancellationToken;
use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_platform::{ServiceName, Settings};

pub use xingfu_platform::ServiceName as Service;

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
    for name in selected(services) {
        match name {
            ServiceName::Projects => {
                runner
                    .add(name, xingfu_projects::MIGRATIONS, xingfu_projects::build)
                    .await?
            }
            ServiceName::Volunteers => {
                runner
                    .add(
                        name,
                        xingfu_volunteers::MIGRATIONS,
                        xingfu_volunteers::build,
                    )
                    .await?
            }
            ServiceName::Funds => {
                runner
                    .add(name, xingfu_funds::MIGRATIONS, xingfu_funds::build)
                    .await?
            }
            ServiceName::Workshops => {
                runner
                    .add(name, xingfu_workshops::MIGRATIONS, xingfu_workshops::build)
                    .await?
            }
            ServiceName::Gateway => {
                runner
                    .add(name, xingfu_gateway::MIGRATIONS, xingfu_gateway::build)
                    .await?
            }
        };
    }
    runner.start().await
}

/// Creates and migrates the databases of `services` (every one when empty), then returns.
pub async fn migrate(settings: Settings, services: &[ServiceName]) -> anyhow::Result<()> {
    let runner = Runner::new(settings).await?;
    for name in selected(services) {
        let migrations = match name {
            ServiceName::Projects => xingfu_projects::MIGRATIONS,
            ServiceName::Volunteers => xingfu_volunteers::MIGRATIONS,
            ServiceName::Funds => xingfu_funds::MIGRATIONS,
            ServiceName::Workshops => xingfu_workshops::MIGRATIONS,
            ServiceName::Gateway => xingfu_gateway::MIGRATIONS,
        };
        runner.migrate_only(name, migrations).await?;
        tracing::info!(service = %name, "migrated");
    }
    Ok(())
}

/// The requested services in start-up order (the gateway last, so it learns where the
/// services in this process listen).
fn selected(services: &[ServiceName]) -> Vec<ServiceName> {
    ServiceName::ALL
        .into_iter()
        .filter(|name| services.is_empty() || services.contains(name))
        .collect()
}
