//! Runs any set of services in one process: binds every listener first (port 0 works,
//! for tests), opens and migrates each service's database, builds the service, wires its
//! event subscriptions and outbox relay, and serves until shutdown. Shutdown goes in
//! order: the gateway drains, then the services behind it, then relays make a last pass,
//! then consumers stop, then the HTTP port closes.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::db::Database;
use crate::events::{EventBus, Outbox, Relay, Subscription};
use crate::grpc::{GrpcServer, LocalServices};
use crate::internal_tls::InternalTls;
use crate::pii::Protector;
use crate::service::{Background, ServiceContext, ServiceDef, ServiceName};
use crate::settings::Settings;
use crate::trust::{InternalGuardLayer, InternalToken};

/// Builds the runner's services one at a time, then starts them all.
pub struct Runner {
    settings: Settings,
    bus: EventBus,
    shutdown: CancellationToken,
    http: TcpListener,
    pii: Protector,
    internal: InternalToken,
    internal_tls: Option<InternalTls>,
    local: LocalServices,
    http_routes: axum::Router,
    servers: Vec<Serving>,
    subscriptions: Vec<Subscription>,
    relays: Vec<Relay>,
    databases: Vec<Database>,
    addrs: BTreeMap<ServiceName, SocketAddr>,
}

/// A built service waiting to serve.
struct Serving {
    name: ServiceName,
    /// Whether it is the front door ([`crate::FrontDoor`]).
    is_front: bool,
    server: GrpcServer,
    background: Vec<Background>,
    until_drained: Vec<Background>,
}

/// Services running in this process.
pub struct RunningSuite {
    addrs: BTreeMap<ServiceName, SocketAddr>,
    http_addr: SocketAddr,
    shutdown: CancellationToken,
    servers: JoinSet<anyhow::Result<()>>,
    relays: (CancellationToken, JoinSet<anyhow::Result<()>>),
    consumers: (CancellationToken, JoinSet<anyhow::Result<()>>),
    http: (CancellationToken, JoinSet<anyhow::Result<()>>),
    databases: Vec<Database>,
    bus: EventBus,
}

impl Runner {
    /// A runner on `settings`, connected to the configured event bus.
    pub async fn new(settings: Settings) -> anyhow::Result<Self> {
        Self::with_shutdown(settings, CancellationToken::new()).await
    }

    /// As [`Runner::new`], stopping when `shutdown` is cancelled (a signal handler's token).
    pub async fn with_shutdown(
        settings: Settings,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Self> {
        let http = TcpListener::bind(settings.http.listen)
            .await
            .with_context(|| {
                format!(
                    "binding the HTTP port {} (http.listen)",
                    settings.http.listen
                )
            })?;
        let pii = Protector::load(&settings)?;
        // The services trust the declared rules and no longer repeat them: without them
        // (a descriptor set built without its options) nothing may serve.
        anyhow::ensure!(
            crate::rules::Rules::global().methods_checked() > 0,
            "the built-in descriptor set declares no field rules; the build lost its options"
        );
        let internal = InternalToken::load(&settings)?;
        let internal_tls = InternalTls::load(&settings)?;
        let bus = EventBus::connect(&settings).await?;
        let http_routes = crate::http::router(&settings);
        Ok(Self {
            settings,
            bus,
            shutdown,
            http,
            pii,
            internal,
            internal_tls,
            local: LocalServices::default(),
            http_routes,
            servers: Vec::new(),
            subscriptions: Vec::new(),
            relays: Vec::new(),
            databases: Vec::new(),
            addrs: BTreeMap::new(),
        })
    }

    /// The token that stops everything this runner starts.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Binds, migrates and builds one service. Services that others call (the domain
    /// services) must be added before the gateway, which learns their bound addresses.
    pub async fn add(&mut self, service: ServiceDef) -> anyhow::Result<SocketAddr> {
        let name = service.name;
        let listen = self.settings.service(name).listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {name} to {listen} ({name}.listen)"))?;
        let addr = listener.local_addr()?;
        let db = Database::open(&self.settings, name).await?;
        db.migrate(service.migrations)
            .await
            .with_context(|| format!("migrating the {name} database"))?;
        self.bus.ensure_stream(name).await?;
        let outbox = Outbox::new(name);
        let context = ServiceContext {
            name,
            db: db.clone(),
            outbox: outbox.clone(),
            pii: self.pii.clone(),
            internal: self.internal.clone(),
            internal_tls: self.internal_tls.clone(),
            local: self.local.clone(),
            settings: Arc::new(self.settings.clone()),
        };
        let mut parts = (service.build)(context)
            .await
            .with_context(|| format!("building the {name} service"))?;
        let front_door = parts.front_door.take();
        let is_front = front_door.is_some();
        // The front door's answers per API follow the services behind it (its own
        // watch); its own database only decides its overall health.
        let names = if is_front {
            Vec::new()
        } else {
            parts.grpc_services.clone()
        };
        let watched = db.clone();
        parts.background.push(Box::new(move |reporter, shutdown| {
            Box::pin(watched.watch_health(names, reporter, shutdown))
        }));
        // The front door authenticates its callers itself; the services behind it admit
        // it (and each other) only: by the internal token, or by its certificate.
        let peers = self.internal_tls.as_ref().map(InternalTls::peers);
        let guard =
            (!is_front).then(|| InternalGuardLayer::new(self.internal.clone()).trusting(peers));
        let mut server = GrpcServer::new(
            name.as_str(),
            listener,
            parts.routes,
            &parts.grpc_services,
            guard,
            // The front door forwards calls whole; the service behind checks them.
            (!is_front).then(crate::rules::Rules::global),
            &self.settings,
        )
        .await?;
        if let Some(tls) = front_door.and_then(|door| door.tls) {
            server = server.with_tls(tls);
        }
        if !is_front {
            server = server.with_internal_tls(self.internal_tls.clone());
        }
        if !is_front && self.settings.grpc.in_process {
            self.local.insert(name, server.local());
        }
        if let Some(routes) = parts.http {
            self.http_routes = self.http_routes.clone().merge(routes);
        }
        self.servers.push(Serving {
            name,
            is_front,
            server,
            background: parts.background,
            until_drained: parts.until_drained,
        });
        self.subscriptions.extend(parts.subscriptions);
        self.relays
            .push(Relay::new(db.clone(), outbox, self.bus.clone()));
        self.databases.push(db);
        self.addrs.insert(name, addr);
        let endpoint = &mut self.settings.service_mut(name).endpoint;
        if endpoint.is_none() {
            *endpoint = Some(format!("http://{addr}"));
        }
        tracing::info!(service = %name, %addr, "service ready");
        Ok(addr)
    }

    /// Creates and migrates one service's database, then closes it (`xingfu migrate`).
    pub async fn migrate_only(&self, service: ServiceDef) -> anyhow::Result<()> {
        let db = Database::open(&self.settings, service.name).await?;
        db.migrate(service.migrations).await?;
        db.close().await;
        Ok(())
    }

    /// Starts consumers, then relays (so no in-process event finds no consumer), then the
    /// servers, their background tasks and the HTTP port.
    pub async fn start(self) -> anyhow::Result<RunningSuite> {
        let Runner {
            settings,
            bus,
            shutdown,
            http,
            servers,
            subscriptions,
            relays,
            databases,
            addrs,
            pii: _,
            internal: _,
            internal_tls: _,
            local: _,
            http_routes,
        } = self;
        let settings = Arc::new(settings);

        // The streams a service consumes exist before start() returns, so a producer in
        // another process can publish at once.
        for subscription in &subscriptions {
            bus.ensure_stream(subscription.source).await?;
        }
        let consumers_token = CancellationToken::new();
        let mut consumers = JoinSet::new();
        for subscription in subscriptions {
            let handle = bus.spawn_consumer(subscription, consumers_token.clone());
            consumers.spawn(async move { handle.await.context("consumer task") });
        }
        let relays_token = CancellationToken::new();
        let mut relay_tasks = JoinSet::new();
        for relay in relays {
            let token = relays_token.clone();
            relay_tasks.spawn(async move {
                relay.run(token).await;
                Ok(())
            });
        }
        let stacks = servers
            .iter()
            .map(|serving| (serving.name, serving.server.local()))
            .collect();
        let mut server_tasks = JoinSet::new();
        // The services behind the gateway stop only once the gateway has drained, so a
        // call in flight through it finds its service still answering.
        let behind = CancellationToken::new();
        if !servers.iter().any(|serving| serving.is_front) {
            let (shutdown, behind) = (shutdown.clone(), behind.clone());
            server_tasks.spawn(async move {
                shutdown.cancelled().await;
                behind.cancel();
                Ok(())
            });
        }
        for Serving {
            name,
            is_front,
            server,
            background,
            until_drained,
        } in servers
        {
            for task in background {
                let (health, token) = (server.health(), shutdown.clone());
                server_tasks.spawn(async move {
                    task(health, token).await;
                    Ok(())
                });
            }
            let drained = CancellationToken::new();
            for task in until_drained {
                let (health, token) = (server.health(), drained.clone());
                server_tasks.spawn(async move {
                    task(health, token).await;
                    Ok(())
                });
            }
            let settings = settings.clone();
            let (token, after) = if is_front {
                (shutdown.clone(), Some(behind.clone()))
            } else {
                // A failure anywhere still stops everything: `behind` follows `shutdown`
                // once the gateway is done.
                (behind.clone(), None)
            };
            server_tasks.spawn(async move {
                // Cancelled however serving ends, a panic included.
                let _drained = drained.drop_guard();
                let served = server
                    .serve(&settings, token)
                    .await
                    .with_context(|| format!("{name} server"));
                if let Some(after) = after {
                    after.cancel();
                }
                served
            });
        }
        let http_routes = http_routes.merge(crate::http::readiness(stacks));
        let http_addr = http.local_addr()?;
        let http_token = CancellationToken::new();
        let mut http_task = JoinSet::new();
        let (http_settings, http_stop) = (settings.clone(), http_token.clone());
        http_task.spawn(async move {
            crate::http::serve(http, http_routes, &http_settings, http_stop).await
        });
        tracing::info!(
            services = ?addrs.keys().collect::<Vec<_>>(),
            http = %http_addr,
            "xingfu ready"
        );
        Ok(RunningSuite {
            addrs,
            http_addr,
            shutdown,
            servers: server_tasks,
            relays: (relays_token, relay_tasks),
            consumers: (consumers_token, consumers),
            http: (http_token, http_task),
            databases,
            bus,
        })
    }
}

impl RunningSuite {
    /// Where `name` listens, if it runs here.
    pub fn addr(&self, name: ServiceName) -> Option<SocketAddr> {
        self.addrs.get(&name).copied()
    }

    /// Where the HTTP port listens.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// The event bus the suite uses.
    pub fn bus(&self) -> &EventBus {
        &self.bus
    }

    /// A token that, cancelled, shuts everything down.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Runs until shutdown is requested or a server fails; then stops everything in order.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut result = Ok(());
        join_all(&mut self.servers, &self.shutdown, &mut result).await;
        for (token, tasks) in [&mut self.relays, &mut self.consumers, &mut self.http] {
            token.cancel();
            join_all(tasks, &self.shutdown, &mut result).await;
        }
        for db in &self.databases {
            db.close().await;
        }
        result
    }

    /// Requests shutdown and waits for it.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }
}

/// Joins every task; the first failure is kept and shuts the rest down.
async fn join_all(
    tasks: &mut JoinSet<anyhow::Result<()>>,
    shutdown: &CancellationToken,
    result: &mut anyhow::Result<()>,
) {
    while let Some(joined) = tasks.join_next().await {
        if let Err(err) = joined.context("task panicked").and_then(|r| r) {
            tracing::error!(error = %format!("{err:#}"), "a part of the suite failed; shutting down");
            if result.is_ok() {
                *result = Err(err);
            }
            shutdown.cancel();
        }
    }
}
