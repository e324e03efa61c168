//! Connection hygiene on every port, gRPC and HTTP: a cap on open connections, a deadline
//! for a new connection's first request, an idle timeout and TCP keepalive. Without them
//! an unauthenticated client could hold connections (and file descriptors) for ever.
//!
//! [`incoming`] wraps each accepted stream in a [`Connection`] that carries a permit of
//! the port's semaphore and closes itself (its reads and writes fail) once its deadline
//! passes; [`ActivityLayer`] tells it which calls are in flight, found through the
//! [`ConnectionInfo`] each request carries.

mod activity;
mod connection;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{Stream, StreamExt as _};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tonic::transport::server::TcpIncoming;

pub use activity::{ActivityLayer, ActivityService, CountedBody};
pub use connection::{Connection, ConnectionInfo};

use crate::settings::ConnectionSettings;

/// How often a port says it refuses connections, at most.
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// [`ConnectionSettings`] as durations.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A new connection's time to send its first complete request.
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no call in flight.
    pub idle_timeout: Duration,
    /// Between HTTP/2 pings, and the TCP keepalive idle time.
    pub keepalive_interval: Duration,
    /// How long an HTTP/2 ping may go unanswered.
    pub keepalive_timeout: Duration,
    /// Connections open at once on the port.
    pub max_connections: usize,
}

impl From<&ConnectionSettings> for Limits {
    fn from(s: &ConnectionSettings) -> Self {
        Self {
            header_read_timeout: Duration::from_secs(s.header_read_timeout_secs),
            idle_timeout: Duration::from_secs(s.idle_timeout_secs),
            keepalive_interval: Duration::from_secs(s.keepalive_interval_secs),
            keepalive_timeout: Duration::from_secs(s.keepalive_timeout_secs),
            max_connections: s.max_connections,
        }
    }
}

/// The connections `listener` accepts, with TCP_NODELAY and TCP keepalive, each holding
/// one of `limits.max_connections` permits; a connection beyond the cap is closed at once.
/// `port` names the port in the log.
pub fn incoming(
    listener: TcpListener,
    limits: Limits,
    port: String,
) -> impl Stream<Item = std::io::Result<Connection>> + Send + 'static {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut refusals = Refusals::default();
    // Without TCP_NODELAY an answer written in two segments waits for the peer's delayed
    // ACK: 40 ms on Linux, on every call whose answer is more than a packet.
    TcpIncoming::from(listener)
        .with_nodelay(Some(true))
        .with_keepalive(Some(limits.keepalive_interval))
        .filter_map(move |accepted| {
            let connection = match accepted {
                Ok(tcp) => match permits.clone().try_acquire_owned() {
                    Ok(permit) => Some(Ok(Connection::new(tcp, permit, limits))),
                    // Dropping the stream closes it: refusing costs no more than accepting.
                    Err(_) => {
                        refusals.note(&port, limits.max_connections);
                        None
                    }
                },
                Err(err) => Some(Err(err)),
            };
            std::future::ready(connection)
        })
}

/// Refused connections, logged at most every [`REFUSAL_LOG_EVERY`]: a flood must not
/// become a flood of log lines.
#[derive(Debug, Default)]
struct Refusals {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl Refusals {
    fn note(&mut self, port: &str, cap: usize) {
        self.unlogged += 1;
        let due = self
            .last_logged
            .is_none_or(|at| at.elapsed() >= REFUSAL_LOG_EVERY);
        if due {
            tracing::warn!(
                port,
                max_connections = cap,
                refused = self.unlogged,
                "too many open connections; closing new ones (connections.max_connections)"
            );
            self.last_logged = Some(Instant::now());
            self.unlogged = 0;
        }
    }
}
