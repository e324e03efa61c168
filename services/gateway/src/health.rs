//! The gateway's health per public service mirrors its upstream's: SERVING only while the
//! service behind it says so, so a load balancer or a caller can ask the gateway alone.

use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;
use tonic_health::ServingStatus;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus as Answer;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::server::HealthReporter;

/// How often upstreams are asked.
const INTERVAL: Duration = Duration::from_secs(2);
/// How long one answer may take.
const TIMEOUT: Duration = Duration::from_secs(1);

/// Checks every upstream each [`INTERVAL`] and reports its status as the gateway's, until
/// `shutdown`.
pub async fn watch_upstreams(
    upstreams: Vec<(&'static str, Channel)>,
    reporter: HealthReporter,
    shutdown: CancellationToken,
) {
    loop {
        for (service, channel) in &upstreams {
            let status = check(service, channel.clone()).await;
            if shutdown.is_cancelled() {
                return;
            }
            reporter.set_service_status(*service, status).await;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(INTERVAL) => {}
        }
    }
}

async fn check(service: &str, channel: Channel) -> ServingStatus {
    let request = HealthCheckRequest {
        service: service.to_owned(),
    };
    let answer = tokio::time::timeout(TIMEOUT, HealthClient::new(channel).check(request)).await;
    match answer {
        Ok(Ok(response)) if response.get_ref().status == Answer::Serving as i32 => {
            ServingStatus::Serving
        }
        _ => ServingStatus::NotServing,
    }
}
