//! The gateway's proxy: each call is admitted (load shedding), authenticated
//! (UNAUTHENTICATED), authorised (PERMISSION_DENIED) and rate-limited here, then forwarded
//! with the internal token and the caller's identity and scopes in place of the caller's
//! credentials; a write is audited. The body, the rest of the
//! metadata (`grpc-timeout` included) and the upstream's status and trailers pass through
//! untouched; the trace context is replaced by the gateway's own span, so the trace
//! continues through it. A service running in the same process is called in-process,
//! through the same layers its port serves ([`LocalServices`]).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use anyhow::Context as _;
use futures_util::future::BoxFuture;
use http::{Request, Response};
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TlsConnectInfo;
use tonic::transport::{Channel, Endpoint};
use tower::{Service, ServiceExt as _};
use xingfu_platform::grpc::{LocalService, LocalServices};
use xingfu_platform::net::ConnectionInfo;
use xingfu_platform::settings::Settings;
use xingfu_platform::trust::{self, InternalToken};
use xingfu_platform::{ServiceName, telemetry};
use xingfu_proto::gateway::gateway_service_server::{self, GatewayServiceServer};

use crate::api::GatewayApi;
use crate::audit::Auditor;
use crate::auth::{API_KEY_HEADER, Access, Auth};
use crate::limits::{Limits, grpc_timeout};
use crate::subtree::{self, Subtrees};

/// Forwards calls by gRPC service name to the owning service, or to the gateway's own.
#[derive(Clone)]
pub struct Proxy {
    upstreams: Arc<HashMap<&'static str, (ServiceName, Channel)>>,
    in_process: LocalServices,
    local: Option<GatewayServiceServer<GatewayApi>>,
    auth: Arc<Auth>,
    internal: InternalToken,
    limits: Limits,
    auditor: Option<Auditor>,
    subtrees: Option<Subtrees>,
}

impl Proxy {
    /// A proxy for `services`, each reached in-process when it runs in `in_process`, else
    /// at its owner's configured endpoint. Connections are made on first use, so the
    /// gateway starts before its upstreams.
    pub fn new(
        settings: &Settings,
        services: &[(&'static str, ServiceName)],
        auth: Auth,
        internal: InternalToken,
        in_process: LocalServices,
    ) -> anyhow::Result<Self> {
        let mut upstreams = HashMap::new();
        for (grpc_name, owner) in services {
            let own = settings.service(*owner);
            let url = match &own.endpoint {
                Some(url) => url.clone(),
                None => format!("http://{}", loopback_if_unspecified(own.listen)),
            };
            let channel = Endpoint::from_shared(url.clone())
                .with_context(|| format!("{owner}.endpoint {url:?} is not a URL"))?
                .connect_lazy();
            upstreams.insert(*grpc_name, (*owner, channel));
        }
        let limits = Limits::new(&settings.limits, auth.rates());
        Ok(Self {
            upstreams: Arc::new(upstreams),
            in_process,
            local: None,
            auth: Arc::new(auth),
            internal,
            limits,
            auditor: None,
            subtrees: None,
        })
    }

    /// Serves the gateway's own API behind the same checks.
    pub fn with_local(mut self, api: GatewayApi) -> Self {
        self.local = Some(GatewayServiceServer::new(api));
        self
    }

    /// Audits write calls into `auditor`.
    pub fn with_auditor(mut self, auditor: Auditor) -> Self {
        self.auditor = Some(auditor);
        self
    }

    /// Checks callers limited to an organisation's subtree against `subtrees`.
    pub fn with_subtrees(mut self, subtrees: Subtrees) -> Self {
        self.subtrees = Some(subtrees);
        self
    }

    /// Each public service with the channel to its owner.
    pub fn upstreams(&self) -> Vec<(&'static str, Channel)> {
        self.upstreams
            .iter()
            .map(|(name, (_, channel))| (*name, channel.clone()))
            .collect()
    }

    /// The channel to `owner`.
    pub fn channel(&self, owner: ServiceName) -> Option<Channel> {
        self.upstreams
            .values()
            .find(|(name, _)| *name == owner)
            .map(|(_, channel)| channel.clone())
    }
}

fn loopback_if_unspecified(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// Where a call goes.
enum Target {
    Remote(Channel),
    InProcess(LocalService),
    Local(GatewayServiceServer<GatewayApi>),
}

impl Service<Request<axum::body::Body>> for Proxy {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<axum::body::Body>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/').to_owned();
        let (service, method) = path.split_once('/').unwrap_or((path.as_str(), ""));
        let (scope, target) = match (self.upstreams.get(service), &self.local) {
            (Some((owner, channel)), _) => {
                let target = match self.in_process.get(*owner) {
                    Some(service) => Target::InProcess(service),
                    None => Target::Remote(channel.clone()),
                };
                (owner.as_str(), target)
            }
            (None, Some(local)) if service == gateway_service_server::SERVICE_NAME => {
                ("gateway", Target::Local(local.clone()))
            }
            _ => {
                let status =
                    Status::unimplemented(format!("no service {service:?} behind this gateway"));
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        // Shed first (it costs least), then who, then what, then how often.
        let client_cert = request
            .extensions()
            .get::<TlsConnectInfo<ConnectionInfo>>()
            .and_then(|info| info.peer_certs())
            .and_then(|certs| certs.first().map(|cert| cert.to_vec()));
        let admitted = self.limits.admit().and_then(|permit| {
            let (caller, credential) = self
                .auth
                .authenticate(request.headers(), client_cert.as_deref())?;
            Auth::authorise(&caller, scope, method)?;
            self.limits.take(&caller.id)?;
            Ok((permit, caller, credential))
        });
        let (permit, caller, credential) = match admitted {
            Ok(admitted) => admitted,
            Err(status) => {
                tracing::info!(code = ?status.code(), %service, %method, "refused a call");
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        let deadline = self.limits.deadline(
            request
                .headers()
                .get("grpc-timeout")
                .and_then(|v| v.to_str().ok()),
        );
        // Writes are audited, and so is every answer that shows personal data in clear.
        let audited = match Access::of(method) {
            Access::Write => true,
            Access::Read => reveals_personal_data(service, method) && caller.holds("pii:read"),
        };
        let audit = match (&self.auditor, audited) {
            (Some(auditor), true) => {
                let trace_id =
                    telemetry::trace_id_of(&tracing::Span::current()).unwrap_or_default();
                Some(auditor.start(&caller.id, &credential, &path, trace_id))
            }
            _ => None,
        };
        let limited = caller
            .organisation
            .clone()
            .zip(self.subtrees.clone())
            .map(|(root, subtrees)| (root, subtrees, path.clone()));
        let mut request = request.map(Body::new);
        if let Some(call) = &audit {
            request = request.map(|body| call.tap_request(body));
        }
        let headers = request.headers_mut();
        // The caller's credentials stop here; the services get the gateway's word instead.
        headers.remove(API_KEY_HEADER);
        headers.remove(http::header::AUTHORIZATION);
        trust::strip(headers);
        self.internal.stamp(headers);
        caller.stamp(headers);
        if let Ok(value) = http::HeaderValue::from_str(&grpc_timeout(deadline)) {
            headers.insert("grpc-timeout", value);
        }
        telemetry::inject_into_headers(&tracing::Span::current(), request.headers_mut());
        Box::pin(async move {
            let request = match limited {
                Some((root, subtrees, path)) => {
                    match within_subtree(request, &root, &subtrees, &path).await {
                        Ok(request) => request,
                        Err(status) => {
                            // A refused write is a write attempt: its record says so.
                            let refused = status.into_http();
                            return Ok(match audit {
                                Some(call) => call.tap_response(refused),
                                None => refused,
                            });
                        }
                    }
                }
                None => request,
            };
            let started = std::time::Instant::now();
            let answer = match target {
                Target::Remote(channel) => tokio::time::timeout(deadline, channel.oneshot(request))
                    .await
                    .map(|r| r.map_err(|e| e.to_string())),
                Target::InProcess(service) => {
                    // What the gateway's connection knew (the caller's certificates, its
                    // address) is not the service's to see, as over the network.
                    let mut request = request;
                    request.extensions_mut().clear();
                    tokio::time::timeout(deadline, service.oneshot(request))
                        .await
                        .map(|r| r.map_err(|never: Infallible| match never {}))
                }
                Target::Local(local) => tokio::time::timeout(deadline, local.oneshot(request))
                    .await
                    .map(|r| r.map_err(|never: Infallible| match never {})),
            };
            let late = || {
                Status::deadline_exceeded(format!("no answer within {} ms", deadline.as_millis()))
                    .into_http()
            };
            let response = match answer {
                Ok(Ok(response)) => response,
                Err(_) => late(),
                // The service holds the same deadline and drops the call when it passes:
                // that is the deadline, not an outage.
                Ok(Err(_)) if started.elapsed() >= deadline => late(),
                Ok(Err(err)) => {
                    tracing::warn!(error = %err, "upstream unavailable");
                    Status::unavailable("the service behind the gateway is not answering")
                        .into_http()
                }
            };
            let response = crate::limits::hold(response, permit);
            Ok(match audit {
                Some(call) => call.tap_response(response),
                None => response,
            })
        })
    }
}

/// Whether a read of `method` on `service` answers with personal data in clear for a
/// caller holding `pii:read` (the volunteer register's phones and ID numbers).
fn reveals_personal_data(service: &str, method: &str) -> bool {
    service == "xingfu.volunteers.v1.VolunteersService"
        && matches!(
            method,
            "GetVolunteer" | "FindVolunteer" | "ExportServiceRecord"
        )
}

/// The request, once every organisation it names is `root` or below it; its body is read
/// whole to check, then handed on.
async fn within_subtree(
    request: Request<Body>,
    root: &str,
    subtrees: &Subtrees,
    path: &str,
) -> Result<Request<Body>, Status> {
    use http_body_util::BodyExt as _;
    let denied = |why: String| Status::permission_denied(why);
    let (service, method) = path.split_once('/').unwrap_or((path, ""));
    let Some(descriptor) = crate::descriptors::method(service, method) else {
        return Ok(request);
    };
    if descriptor.is_client_streaming() {
        return Err(denied(format!(
            "this caller is limited to organisation {root}: streamed imports are not open to it"
        )));
    }
    let input = descriptor.input();
    if !subtree::has_organisation_field(&input) {
        return Ok(request);
    }
    let (parts, body) = request.into_parts();
    let bytes = http_body_util::Limited::new(body, 4 * 1024 * 1024 + 5)
        .collect()
        .await
        .map_err(|_| Status::resource_exhausted("the request is too large to check"))?
        .to_bytes();
    let message = bytes
        .get(5..)
        .and_then(|m| prost_reflect::DynamicMessage::decode(input, m).ok())
        .ok_or_else(|| Status::invalid_argument("the request could not be read"))?;
    // A request naming no organisation (a list without that filter, a create the service
    // places itself) is the service's to judge: it holds the vouched boundary.
    let named = subtree::named_organisations(&message);
    for id in &named {
        let inside = subtrees
            .contains(root, id)
            .await
            .map_err(|_| Status::unavailable("the directory could not be read"))?;
        if !inside {
            return Err(denied(format!(
                "organisation {id} is outside this caller's organisation {root}"
            )));
        }
    }
    Ok(Request::from_parts(
        parts,
        Body::new(http_body_util::Full::new(bytes)),
    ))
}
