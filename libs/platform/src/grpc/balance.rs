//! A client channel that uses every replica of a service. One HTTP/2 connection to a
//! ClusterIP Service pins every call to one pod; this one resolves its endpoint's name to
//! all of its addresses (a headless Service gives one per ready pod), spreads calls over
//! them (tower's power-of-two-choices balancer, through tonic's `balance_channel`),
//! re-resolves periodically and at once after a failure, and ejects an address whose
//! health check fails or says NOT_SERVING (a draining pod) until it answers SERVING again.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::sync::mpsc::Sender;
use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint, Uri};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// How often the replicas are looked for and checked.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    /// Between two resolutions of the endpoint's names (sooner after a failed check).
    pub resolve_every: Duration,
    /// Between two health checks of each address.
    pub check_every: Duration,
    /// How long a health check (or a connection) may take before it counts as failed.
    pub check_timeout: Duration,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            resolve_every: Duration::from_secs(5),
            check_every: Duration::from_secs(1),
            check_timeout: Duration::from_secs(1),
        }
    }
}

/// A channel balanced over every address of `urls` (one URL, or several separated by
/// commas, `http://projects:50061`), health-checked as `health_service` (the gRPC service
/// the caller calls, so a replica draining it is left out). Connections are made on first
/// use; the watch stops when the channel and its clones are gone.
pub fn balanced(urls: &str, health_service: &str, watch: Watch) -> anyhow::Result<Channel> {
    let targets = urls
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(Target::parse)
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!targets.is_empty(), "no endpoint URL in {urls:?}");
    let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
    let replicas = Replicas {
        targets,
        health_service: health_service.to_owned(),
        watch,
        changes,
        members: BTreeMap::new(),
    };
    tokio::spawn(replicas.run());
    Ok(channel)
}

/// One endpoint URL, split into what resolution needs.
#[derive(Debug, Clone)]
struct Target {
    uri: Uri,
    scheme: String,
    host: String,
    port: u16,
}

impl Target {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("{url:?} is not a URL"))?;
        let scheme = uri.scheme_str().unwrap_or("http").to_owned();
        let host = uri
            .host()
            .with_context(|| format!("{url:?} names no host"))?
            .trim_matches(['[', ']'])
            .to_owned();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(Self {
            uri,
            scheme,
            host,
            port,
        })
    }

    /// The endpoint of one of its addresses, keeping the name as the origin (the
    /// `:authority` and, with TLS, the name the certificate must carry).
    fn endpoint(&self, addr: SocketAddr, watch: &Watch) -> anyhow::Result<Endpoint> {
        Ok(Endpoint::from_shared(format!("{}://{addr}", self.scheme))?
            .origin(self.uri.clone())
            .connect_timeout(watch.check_timeout))
    }
}

/// An address being watched.
struct Member {
    /// A channel of its own, for its health checks.
    checks: Channel,
    /// Whether it is in the balance.
    in_balance: bool,
    /// Whether its last check said SERVING.
    healthy: bool,
}

/// The watch over one balanced channel's addresses.
struct Replicas {
    targets: Vec<Target>,
    health_service: String,
    watch: Watch,
    changes: Sender<Change<SocketAddr, Endpoint>>,
    members: BTreeMap<SocketAddr, (Target, Member)>,
}

impl Replicas {
    async fn run(mut self) {
        let mut resolved_at: Option<Instant> = None;
        let mut interval = tokio::time::interval(self.watch.check_every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if self.changes.is_closed() {
                return;
            }
            let due = resolved_at.is_none_or(|at| at.elapsed() >= self.watch.resolve_every);
            if due {
                self.resolve().await;
                resolved_at = Some(Instant::now());
            }
            let failed = self.check().await;
            if failed {
                // A replica may have been replaced: look again at the next tick.
                resolved_at = None;
            }
            if self.apply().await.is_err() {
                return;
            }
        }
    }

    /// Looks the names up; an address no longer there leaves, a new one joins (in the
    /// balance at once, so the first calls need not wait for a check). A failed look-up
    /// keeps what is known.
    async fn resolve(&mut self) {
        let mut seen = BTreeSet::new();
        for target in &self.targets {
            match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
                Ok(addrs) => {
                    for addr in addrs {
                        seen.insert(addr);
                        if self.members.contains_key(&addr) {
                            continue;
                        }
                        let Ok(endpoint) = target.endpoint(addr, &self.watch) else {
                            continue;
                        };
                        let member = Member {
                            checks: endpoint.connect_lazy(),
                            in_balance: false,
                            healthy: true,
                        };
                        self.members.insert(addr, (target.clone(), member));
                    }
                }
                Err(err) => {
                    tracing::warn!(host = %target.host, error = %err, "cannot resolve an upstream; keeping its known addresses");
                    return;
                }
            }
        }
        let gone: Vec<SocketAddr> = self
            .members
            .keys()
            .filter(|addr| !seen.contains(addr))
            .copied()
            .collect();
        for addr in gone {
            if let Some((_, member)) = self.members.remove(&addr)
                && member.in_balance
            {
                let _ = self.changes.send(Change::Remove(addr)).await;
            }
        }
    }

    /// Checks every address at once; true when one failed.
    async fn check(&mut self) -> bool {
        let checks = self.members.iter().map(|(addr, (_, member))| {
            let mut client = HealthClient::new(member.checks.clone());
            let request = HealthCheckRequest {
                service: self.health_service.clone(),
            };
            let timeout = self.watch.check_timeout;
            async move {
                let answer = tokio::time::timeout(timeout, client.check(request)).await;
                let serving = matches!(
                    answer,
                    Ok(Ok(ref reply)) if reply.get_ref().status == ServingStatus::Serving as i32
                );
                (*addr, serving)
            }
        });
        let results = futures_util::future::join_all(checks).await;
        let mut failed = false;
        for (addr, serving) in results {
            if let Some((_, member)) = self.members.get_mut(&addr) {
                if member.healthy && !serving {
                    tracing::warn!(upstream = %addr, service = %self.health_service, "an upstream replica stopped serving; it leaves the balance");
                }
                member.healthy = serving;
                failed |= !serving;
            }
        }
        failed
    }

    /// Puts the healthy addresses in the balance and takes the others out. When none is
    /// healthy every known address stays in, so that calls fail at once (UNAVAILABLE)
    /// rather than wait for a replica that may never come.
    async fn apply(&mut self) -> Result<(), ()> {
        let any_healthy = self.members.values().any(|(_, member)| member.healthy);
        for (addr, (target, member)) in &mut self.members {
            let wanted = member.healthy || !any_healthy;
            if wanted == member.in_balance {
                continue;
            }
            let change = if wanted {
                match target.endpoint(*addr, &self.watch) {
                    Ok(endpoint) => Change::Insert(*addr, endpoint),
                    Err(_) => continue,
                }
            } else {
                Change::Remove(*addr)
            };
            self.changes.send(change).await.map_err(|_| ())?;
            member.in_balance = wanted;
        }
        metrics::gauge!("xingfu_upstream_replicas", "service" => self.health_service.clone())
            .set(self.members.values().filter(|(_, m)| m.in_balance).count() as f64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_target_keeps_its_name_and_port() {
        let target = Target::parse("http://example-replicas:50099").unwrap();
        assert_eq!(
            (target.host.as_str(), target.port),
            ("example-replicas", 50099)
        );
        let target = Target::parse("http://[::1]:7").unwrap();
        assert_eq!((target.host.as_str(), target.port), ("::1", 7));
        assert_eq!(Target::parse("https://example").unwrap().port, 443);
        assert!(Target::parse("not a url").is_err());
    }
}
