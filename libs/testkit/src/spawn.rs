//! Real services for a test: started on a test run's settings, each on port 0, with the
//! runner every deployment uses, so a test talks to what production runs.

use std::net::SocketAddr;

use xingfu_platform::runner::{Runner, RunningSuite};
use xingfu_platform::{ServiceDef, Settings};

/// `services`, started in order on `settings` (a front door last, as the binary starts
/// it, so that it learns where the others listen); their addresses in the same order.
pub async fn spawn_services(
    settings: &Settings,
    services: &[ServiceDef],
) -> (RunningSuite, Vec<SocketAddr>) {
    let mut runner = Runner::new(settings.clone())
        .await
        .expect("the runner starts");
    let mut addrs = Vec::with_capacity(services.len());
    for service in services {
        let addr = runner
            .add(*service)
            .await
            .unwrap_or_else(|err| panic!("the {} service builds: {err:#}", service.name));
        addrs.push(addr);
    }
    let suite = runner.start().await.expect("the services start");
    (suite, addrs)
}

/// One service, started on `settings`; its address.
pub async fn spawn_service(settings: &Settings, service: ServiceDef) -> (RunningSuite, SocketAddr) {
    let (suite, addrs) = spawn_services(settings, &[service]).await;
    (suite, addrs[0])
}
