//! Routing and transport: which service a call is for (by the gRPC service name in its
//! path) and how it gets there — over the network to the owner's endpoint, in-process to
//! a service running in the same process (through the same layers its port serves,
//! [`LocalServices`]), or to the gateway's own API. The body, the metadata and the
//! upstream's status and trailers pass through untouched. Everything a call must pass
//! before it gets here is in [`crate::layers`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tonic::body::Body;
use tonic::transport::Channel;
use tower::{Layer as _, Service, ServiceExt as _};
use xingfu_platform::ServiceName;
use xingfu_platform::grpc::{LocalService, LocalServices, balance};
use xingfu_platform::internal_tls::InternalTls;
use xingfu_platform::rules::{Rules, RulesLayer, RulesService};
use xingfu_platform::settings::Settings;
use xingfu_proto::gateway::gateway_service_server::{self, GatewayServiceServer};

use crate::api::GatewayApi;
use crate::layers::deadline::{self, Deadline};

/// The services behind the gateway: each public gRPC service's owner and the channel to
/// it, balanced over every replica its endpoint's name resolves to ([`balance`]).
/// Connections are made on first use, so the gateway starts before its upstreams.
#[derive(Clone)]
pub struct Upstreams(Arc<HashMap<&'static str, (ServiceName, Channel)>>);

impl Upstreams {
    /// `services`, each at its owner's configured endpoint (`<service>.endpoint`: a URL, or
    /// several separated by commas; else its listening address), over the deployment's
    /// internal mutual TLS when it is on.
    pub fn new(
        settings: &Settings,
        services: &[(&'static str, ServiceName)],
        internal_tls: Option<&InternalTls>,
    ) -> anyhow::Result<Self> {
        let mut upstreams = HashMap::new();
        for (grpc_name, owner) in services {
            let own = settings.service(*owner);
            let url = match &own.endpoint {
                Some(url) => url.clone(),
                None => format!("http://{}", loopback_if_unspecified(own.listen)),
            };
            let channel = balance::balanced(
                &url,
                grpc_name,
                balance::Watch::default(),
                internal_tls.cloned(),
            )
            .with_context(|| format!("{owner}.endpoint {url:?}"))?;
            upstreams.insert(*grpc_name, (*owner, channel));
        }
        Ok(Self(Arc::new(upstreams)))
    }

    /// Each public service with the channel to its owner.
    pub fn channels(&self) -> Vec<(&'static str, Channel)> {
        self.0
            .iter()
            .map(|(name, (_, channel))| (*name, channel.clone()))
            .collect()
    }

    /// The channel to `owner`.
    pub fn channel(&self, owner: ServiceName) -> Option<Channel> {
        self.0
            .values()
            .find(|(name, _)| *name == owner)
            .map(|(_, channel)| channel.clone())
    }

    /// What the request path `path` (`/package.Service/Method`) names, or `None` when no
    /// service behind the gateway has that name.
    pub fn route(&self, path: &str) -> Option<Route> {
        let path = path.trim_start_matches('/');
        let service = path.split_once('/').map_or(path, |(service, _)| service);
        let owner = match self.0.get(service) {
            Some((owner, _)) => Some(*owner),
            None if service == gateway_service_server::SERVICE_NAME => None,
            None => return None,
        };
        Some(Route {
            path: path.to_owned(),
            owner,
        })
    }
}

fn loopback_if_unspecified(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// What a call's path names, resolved once (by [`crate::layers::route`]) and kept in the
/// request's extensions for the layers after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `package.Service/Method`, as the audit records it.
    path: String,
    /// The service that owns it; `None` for the gateway's own API.
    owner: Option<ServiceName>,
}

impl Route {
    /// `package.Service/Method`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The gRPC service, e.g. `xingfu.projects.v1.ProjectsService`.
    pub fn service(&self) -> &str {
        self.path.split_once('/').map_or(&self.path, |(s, _)| s)
    }

    /// The method, e.g. `CreateProject`.
    pub fn method(&self) -> &str {
        self.path.split_once('/').map_or("", |(_, m)| m)
    }

    /// The name its scopes are spelt with: the owner's (`projects` in `projects:write`),
    /// or `gateway`.
    pub fn scope(&self) -> &'static str {
        self.owner.map_or("gateway", ServiceName::as_str)
    }
}

/// Forwards calls by gRPC service name to the owning service, or to the gateway's own API.
#[derive(Clone)]
pub struct Proxy {
    upstreams: Upstreams,
    in_process: LocalServices,
    local: OwnApi,
}

/// The gateway's own API, behind the rules its protos declare (checked here, once the
/// caller is authenticated and authorised, as a service checks them behind the gateway).
type OwnApi = RulesService<GatewayServiceServer<GatewayApi>>;

impl Proxy {
    /// A proxy to `upstreams`, each reached in-process when it runs in `in_process`, and
    /// to the gateway's own `api`.
    pub fn new(upstreams: Upstreams, in_process: LocalServices, api: GatewayApi) -> Self {
        Self {
            upstreams,
            in_process,
            local: RulesLayer::new(Arc::new(
                Rules::global().only(&[gateway_service_server::SERVICE_NAME]),
            ))
            .layer(GatewayServiceServer::new(api)),
        }
    }

    /// Where `route` goes: `None` when nothing behind the gateway serves it.
    fn target(&self, route: &Route) -> Option<Target> {
        if route.owner.is_none() {
            return Some(Target::Local(self.local.clone()));
        }
        let (owner, channel) = self.upstreams.0.get(route.service())?;
        Some(match self.in_process.get(*owner) {
            Some(service) => Target::InProcess(service),
            None => Target::Remote(channel.clone()),
        })
    }
}

/// The refusal of a call of `path` that no service behind the gateway serves.
pub fn no_such_service(path: &str) -> Status {
    let path = path.trim_start_matches('/');
    let service = path.split_once('/').map_or(path, |(service, _)| service);
    Status::unimplemented(format!("no service {service:?} behind this gateway"))
}

/// Where a call goes.
enum Target {
    Remote(Channel),
    InProcess(LocalService),
    Local(OwnApi),
}

impl Service<Request<Body>> for Proxy {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let route = request
            .extensions()
            .get::<Route>()
            .cloned()
            .or_else(|| self.upstreams.route(request.uri().path()));
        let Some(target) = route.and_then(|route| self.target(&route)) else {
            let answer = no_such_service(request.uri().path()).into_http();
            return Box::pin(async move { Ok(answer) });
        };
        let deadline = request.extensions().get::<Deadline>().copied();
        Box::pin(async move {
            let started = Instant::now();
            let failed = match target {
                Target::Remote(channel) => match channel.oneshot(request).await {
                    Ok(response) => return Ok(response),
                    Err(err) => err,
                },
                Target::InProcess(service) => {
                    // What the gateway's connection knew (the caller's certificates, its
                    // address) and what its layers learnt are not the service's to see,
                    // as over the network.
                    request.extensions_mut().clear();
                    return service.oneshot(request).await;
                }
                Target::Local(local) => return local.oneshot(request).await,
            };
            Ok(match deadline {
                // The service holds the same deadline and drops the call when it passes:
                // that is the deadline, not an outage.
                Some(Deadline(deadline)) if started.elapsed() >= deadline => {
                    deadline::exceeded(deadline)
                }
                _ => {
                    tracing::warn!(error = %failed, "upstream unavailable");
                    Status::unavailable("the service behind the gateway is not answering")
                        .into_http()
                }
            })
        })
    }
}
