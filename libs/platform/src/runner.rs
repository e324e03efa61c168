//! Runs any set of services in one process: binds each listener (port 0 works, for
//! tests), opens and migrates each service's database, builds the service, wires its
//! event subscriptions and outbox relay, and serves until shutdown.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::db::{Database, MigrationSource};
use crate::events::{EventBus, Outbox, Relay, Subscription};
use crate::grpc::GrpcServer;
use crate::service::{ServiceContext, ServiceName, ServiceParts};
use crate::settings::Settings;

/// Builds the runner's services one at a time, then starts them all.
pub struct Runner {
    settings: Settings,
    bus: EventBus,
    shutdown: CancellationToken,
    servers: Vec<(ServiceName, GrpcServer)>,
    subscriptions: Vec<Subscription>,
    relays: Vec<Relay>,
    databases: Vec<Database>,
    addrs: BTreeMap<ServiceName, SocketAddr>,
}

/// Services running in this process.
pub struct RunningSuite {
    addrs: BTreeMap<ServiceName, SocketAddr>,
    http_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: JoinSet<anyhow::Result<()>>,
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
        let bus = EventBus::connect(&settings).await?;
        Ok(Self {
            settings,
            bus,
            shutdown,
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
    pub async fn add<F, Fut>(
        &mut self,
        name: ServiceName,
        migrations: &[MigrationSource],
        build: F,
    ) -> anyhow::Result<SocketAddr>
    where
        F: FnOnce(ServiceContext) -> Fut,
        Fut: Future<Output = anyhow::Result<ServiceParts>>,
    {
        let listen = self.settings.service(name).listen;
        let listener = TcpListener::bind(listen)
            .await
            .with_context(|| format!("binding {name} to {listen} ({name}.listen)"))?;
        let addr = listener.local_addr()?;
        let db = Database::open(&self.settings, name).await?;
        db.migrate(migrations)
            .await
            .with_context(|| format!("migrating the {name} database"))?;
        self.bus.ensure_stream(name).await?;
        let outbox = Outbox::new(name);
        let context = ServiceContext {
            name,
            db: db.clone(),
            outbox: outbox.clone(),
            settings: Arc::new(self.settings.clone()),
        };
        let parts = build(context)
            .await
            .with_context(|| format!("building the {name} service"))?;
        let server =
            GrpcServer::new(name.as_str(), listener, parts.routes, &parts.grpc_services).await?;
        self.servers.push((name, server));
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

    /// Migrates one service's database and stops (`xingfu migrate`).
    pub async fn migrate_only(
        &self,
        name: ServiceName,
        migrations: &[MigrationSource],
    ) -> anyhow::Result<()> {
        let db = Database::open(&self.settings, name).await?;
        db.migrate(migrations).await?;
        db.close().await;
        Ok(())
    }

    /// Starts consumers, then relays (so no in-process event finds no consumer), then
    /// the servers and the HTTP port.
    pub async fn start(self) -> anyhow::Result<RunningSuite> {
        let Runner {
            settings,
            bus,
            shutdown,
            servers,
            subscriptions,
            relays,
            databases,
            addrs,
        } = self;
        let settings = Arc::new(settings);
        let mut tasks = JoinSet::new();
        for subscription in subscriptions {
            let handle = bus.spawn_consumer(subscription, shutdown.child_token());
            tasks.spawn(async move { handle.await.context("consumer task") });
        }
        for relay in relays {
            let token = shutdown.child_token();
            tasks.spawn(async move {
                relay.run(token).await;
                Ok(())
            });
        }
        for (name, server) in servers {
            let settings = settings.clone();
            let token = shutdown.clone();
            tasks.spawn(async move {
                server
                    .serve(&settings, token)
                    .await
                    .with_context(|| format!("{name} server"))
            });
        }
        let http = TcpListener::bind(settings.http.listen)
            .await
            .with_context(|| {
                format!(
                    "binding the HTTP port {} (http.listen)",
                    settings.http.listen
                )
            })?;
        let http_addr = http.local_addr()?;
        tasks.spawn(crate::http::serve(
            http,
            crate::http::router(),
            shutdown.clone(),
        ));
        tracing::info!(
            services = ?addrs.keys().collect::<Vec<_>>(),
            http = %http_addr,
            "xingfu ready"
        );
        Ok(RunningSuite {
            addrs,
            http_addr,
            shutdown,
            tasks,
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

    /// Runs until shutdown is requested or a part fails; then stops everything.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut result = Ok(());
        while let Some(joined) = self.tasks.join_next().await {
            let outcome = joined.context("task panicked").and_then(|r| r);
            if let Err(err) = outcome {
                if result.is_ok() {
                    tracing::error!(error = ?err, "a part of the suite failed; shutting down");
                    result = Err(err);
                }
                self.shutdown.cancel();
            }
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
