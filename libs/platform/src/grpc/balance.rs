//! A client channel that uses every replica of a service. One HTTP/2 connection to a
//! ClusterIP Service pins every call to one pod; this one resolves its endpoint's name to
//! all of its addresses (a headless Service gives one per ready pod), spreads calls over
//! them (tower's power-of-two-choices balancer through tonic's `balance_channel`; tonic's
//! connections report no load, so in effect a random pick between ready ones),
//! re-resolves periodically and soon after a failure, and ejects an address that says
//! NOT_SERVING (a draining pod) or cannot be reached, or whose checks time out
//! [`FAILURES_TO_EJECT`] times in a row (a busy replica is not ejected for one slow
//! answer), until it answers SERVING again. With no address known (the name does not
//! resolve yet), calls go to the name itself and fail at once (UNAVAILABLE) instead of
//! waiting for a replica. With the deployment's internal TLS, every connection is mutual
//! TLS checked for the URL's host name, and a reload of the certificates reconnects every
//! address with the new ones.

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

use crate::internal_tls::{InternalTls, Reloads};

/// Checks in a row that may time out before an address leaves the balance: one slow
/// answer from a busy replica does not move its load onto the others.
pub const FAILURES_TO_EJECT: u32 = 3;

/// What one health check found.
enum Checked {
    /// An answer, or a failure that is one (refused, reset): its status.
    Answered(i32),
    /// No answer within the check's timeout.
    Late,
}

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
/// the caller calls, so a replica draining it is left out), over mutual TLS when `tls` is
/// given. Connections are made on first use; the watch stops when the channel and its
/// clones are gone.
pub fn balanced(
    urls: &str,
    health_service: &str,
    watch: Watch,
    tls: Option<InternalTls>,
) -> anyhow::Result<Channel> {
    let targets = urls
        .split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(Target::parse)
        .collect::<anyhow::Result<Vec<_>>>()?;
    anyhow::ensure!(!targets.is_empty(), "no endpoint URL in {urls:?}");
    // A URL or certificate that cannot serve a target fails here, not on every call.
    for target in &targets {
        target.by_name(&watch, tls.as_ref())?;
    }
    let (channel, changes) = Channel::balance_channel::<Key>(64);
    let replicas = Replicas {
        targets,
        health_service: health_service.to_owned(),
        watch,
        changes,
        members: BTreeMap::new(),
        by_name: false,
        reloads: tls.as_ref().map(InternalTls::reloads),
        tls,
    };
    tokio::spawn(replicas.run());
    Ok(channel)
}

/// What the balance holds: one address of a replica, or (while no address is known) the
/// endpoint URL itself, `n`th of the list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Addr(SocketAddr),
    Name(usize),
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
        // Whether a connection is TLS is the deployment's internal TLS's to say.
        anyhow::ensure!(
            scheme == "http" || scheme == "https",
            "{url:?}: only http:// (or https://, with auth.internal_tls) endpoints are supported between the suite's parts"
        );
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
    /// `:authority` the service sees) and, over TLS, as the name its certificate must carry.
    fn endpoint(
        &self,
        addr: SocketAddr,
        watch: &Watch,
        tls: Option<&InternalTls>,
    ) -> anyhow::Result<Endpoint> {
        let scheme = self.scheme(tls);
        let endpoint = Endpoint::from_shared(format!("{scheme}://{addr}"))?
            .origin(self.origin(tls)?)
            .connect_timeout(watch.check_timeout);
        self.secured(endpoint, tls, watch)
    }

    /// The endpoint of the URL as given: what calls go to while no address is known.
    fn by_name(&self, watch: &Watch, tls: Option<&InternalTls>) -> anyhow::Result<Endpoint> {
        let endpoint = Endpoint::from(self.origin(tls)?).connect_timeout(watch.check_timeout);
        self.secured(endpoint, tls, watch)
    }

    /// `https` over the internal TLS, else the URL's own (which is then `http`).
    fn scheme<'a>(&'a self, tls: Option<&InternalTls>) -> &'a str {
        if tls.is_some() { "https" } else { &self.scheme }
    }

    /// The URL with the scheme the connection speaks: the `:scheme` and `:authority` of
    /// every call.
    fn origin(&self, tls: Option<&InternalTls>) -> anyhow::Result<Uri> {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        Ok(format!("{}://{host}:{}", self.scheme(tls), self.port).parse()?)
    }

    /// `endpoint` over mutual TLS when `tls` is given, checking the service's certificate
    /// for the target's host name.
    fn secured(
        &self,
        endpoint: Endpoint,
        tls: Option<&InternalTls>,
        watch: &Watch,
    ) -> anyhow::Result<Endpoint> {
        match tls {
            Some(tls) => endpoint
                .tls_config(tls.client(&self.host, watch.check_timeout))
                .with_context(|| format!("internal TLS for {}", self.host)),
            None => {
                anyhow::ensure!(
                    self.scheme == "http",
                    "{}: https:// needs auth.internal_tls",
                    self.uri
                );
                Ok(endpoint)
            }
        }
    }
}

/// An address being watched.
struct Member {
    /// A channel of its own, for its health checks.
    checks: Channel,
    /// Whether it is in the balance.
    in_balance: bool,
    /// Whether it counts as serving: its last answer said SERVING, and fewer than
    /// [`FAILURES_TO_EJECT`] checks in a row have timed out since.
    healthy: bool,
    /// Checks in a row that timed out (or [`FAILURES_TO_EJECT`] after a refusal).
    failures: u32,
}

/// The watch over one balanced channel's addresses.
struct Replicas {
    targets: Vec<Target>,
    health_service: String,
    watch: Watch,
    changes: Sender<Change<Key, Endpoint>>,
    members: BTreeMap<SocketAddr, (Target, Member)>,
    /// Whether the URLs themselves are in the balance (no address known).
    by_name: bool,
    /// The internal TLS every connection uses, if on.
    tls: Option<InternalTls>,
    /// Notices its certificates' reloads.
    reloads: Option<Reloads>,
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
            let reloaded = self.reloads.as_mut().is_some_and(Reloads::reloaded);
            if reloaded && self.reconnect().await.is_err() {
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

    /// Replaces every connection, for checks and calls, with one made with the reloaded
    /// certificates (a call in flight finishes on its old connection).
    async fn reconnect(&mut self) -> Result<(), ()> {
        tracing::info!(service = %self.health_service, "internal TLS reloaded; reconnecting to every replica");
        let tls = self.tls.as_ref();
        for (addr, (target, member)) in &mut self.members {
            let Ok(endpoint) = target.endpoint(*addr, &self.watch, tls) else {
                continue;
            };
            member.checks = endpoint.connect_lazy();
            if member.in_balance {
                // The same key replaces the old connection in the balance.
                self.changes
                    .send(Change::Insert(Key::Addr(*addr), endpoint))
                    .await
                    .map_err(|_| ())?;
            }
        }
        if self.by_name {
            for (n, target) in self.targets.iter().enumerate() {
                if let Ok(endpoint) = target.by_name(&self.watch, tls) {
                    self.changes
                        .send(Change::Insert(Key::Name(n), endpoint))
                        .await
                        .map_err(|_| ())?;
                }
            }
        }
        Ok(())
    }

    /// Looks the names up; an address no longer there leaves, a new one joins (in the
    /// balance at once, so the first calls need not wait for a check). A failed look-up
    /// keeps what is known.
    async fn resolve(&mut self) {
        let mut seen = BTreeSet::new();
        for target in &self.targets {
            let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
            // A resolver that hangs must not stop the checks.
            match tokio::time::timeout(self.watch.resolve_every, lookup)
                .await
                .unwrap_or_else(|_| Err(std::io::Error::other("timed out")))
            {
                Ok(addrs) => {
                    for addr in addrs {
                        seen.insert(addr);
                        if self.members.contains_key(&addr) {
                            continue;
                        }
                        let Ok(endpoint) = target.endpoint(addr, &self.watch, self.tls.as_ref())
                        else {
                            continue;
                        };
                        let member = Member {
                            checks: endpoint.connect_lazy(),
                            in_balance: false,
                            healthy: true,
                            failures: 0,
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
                let _ = self.changes.send(Change::Remove(Key::Addr(addr))).await;
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
                let outcome = match answer {
                    Ok(Ok(reply)) => Checked::Answered(reply.into_inner().status),
                    // Refused, reset, or an error instead of an answer: it is not serving.
                    Ok(Err(_)) => Checked::Answered(ServingStatus::Unknown as i32),
                    // Slow: perhaps only busy.
                    Err(_) => Checked::Late,
                };
                (*addr, outcome)
            }
        });
        let results = futures_util::future::join_all(checks).await;
        let mut failed = false;
        for (addr, status) in results {
            let Some((_, member)) = self.members.get_mut(&addr) else {
                continue;
            };
            let was_healthy = member.healthy;
            match status {
                Checked::Answered(status) if status == ServingStatus::Serving as i32 => {
                    member.failures = 0;
                    member.healthy = true;
                }
                // Not SERVING (draining, its database away) or not there at all.
                Checked::Answered(_) => {
                    member.failures = FAILURES_TO_EJECT;
                    member.healthy = false;
                }
                Checked::Late => {
                    member.failures = member.failures.saturating_add(1);
                    member.healthy = member.failures < FAILURES_TO_EJECT;
                }
            }
            if was_healthy && !member.healthy {
                tracing::warn!(upstream = %addr, service = %self.health_service, "an upstream replica stopped serving; it leaves the balance");
            }
            failed |= member.failures > 0;
        }
        failed
    }

    /// Puts the healthy addresses in the balance and takes the others out. When none is
    /// healthy every known address stays in, and when none is known the URLs themselves
    /// go in, so that calls fail at once (UNAVAILABLE) rather than wait for a replica that
    /// may never come.
    async fn apply(&mut self) -> Result<(), ()> {
        let any_healthy = self.members.values().any(|(_, member)| member.healthy);
        for (addr, (target, member)) in &mut self.members {
            let wanted = member.healthy || !any_healthy;
            if wanted == member.in_balance {
                continue;
            }
            let change = if wanted {
                match target.endpoint(*addr, &self.watch, self.tls.as_ref()) {
                    Ok(endpoint) => Change::Insert(Key::Addr(*addr), endpoint),
                    Err(_) => continue,
                }
            } else {
                Change::Remove(Key::Addr(*addr))
            };
            self.changes.send(change).await.map_err(|_| ())?;
            member.in_balance = wanted;
        }
        let by_name = !self.members.values().any(|(_, member)| member.in_balance);
        if by_name != self.by_name {
            for (n, target) in self.targets.iter().enumerate() {
                let change = if by_name {
                    match target.by_name(&self.watch, self.tls.as_ref()) {
                        Ok(endpoint) => Change::Insert(Key::Name(n), endpoint),
                        Err(_) => continue,
                    }
                } else {
                    Change::Remove(Key::Name(n))
                };
                self.changes.send(change).await.map_err(|_| ())?;
            }
            self.by_name = by_name;
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
        assert_eq!(Target::parse("http://example").unwrap().port, 80);
        assert_eq!(Target::parse("https://example").unwrap().port, 443);
        assert!(Target::parse("ftp://example").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
