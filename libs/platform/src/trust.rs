//! Who may call a service, and who the caller is. External callers reach xingfu only
//! through the gateway; the services behind it trust only a call that carries the
//! deployment's internal token (`x-xingfu-internal`), which the gateway adds after it has
//! authenticated and authorised the caller, together with the caller's identity
//! (`x-xingfu-caller`) and scopes (`x-xingfu-scopes`), or that arrives over mutual TLS
//! from a peer whose certificate names a trusted peer ([`crate::internal_tls`]). Any other
//! call is refused UNAUTHENTICATED before any handler runs; only the health service
//! answers anyone, so Kubernetes probes work.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Request, Response};
use percent_encoding::{NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use tonic::Status;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::acting::{self, ON_BEHALF_OF_HEADER};
use crate::internal_tls::TrustedPeers;
pub use crate::principal::Caller;
use crate::principal::{Grant, normalise};
use crate::settings::Settings;

/// The header that carries the internal token.
pub const INTERNAL_HEADER: &str = "x-xingfu-internal";
/// The standard health service's name: the one service that answers anyone.
pub const HEALTH_SERVICE: &str = "grpc.health.v1.Health";
/// The header that carries the authenticated caller's id.
pub const CALLER_HEADER: &str = "x-xingfu-caller";
/// The header that carries the caller's scopes, space-separated.
pub const SCOPES_HEADER: &str = "x-xingfu-scopes";
/// The header that carries the organisation whose subtree limits the caller, if any.
pub const ORGANISATION_HEADER: &str = "x-xingfu-organisation";
/// The header that carries the caller's role grants, space-separated `role@organisation`
/// (or `role`, programme-wide).
pub const ROLES_HEADER: &str = "x-xingfu-roles";
/// The header that carries the volunteer record of the person calling, if linked.
pub const VOLUNTEER_HEADER: &str = "x-xingfu-volunteer";
/// Header carrying the township (镇 / 街道) the caller's calls are limited to, if any.
pub const TOWNSHIP_HEADER: &str = "x-xingfu-township";

/// The deployment's internal token. `Debug` hides it.
#[derive(Clone)]
pub struct InternalToken(Arc<str>);

impl std::fmt::Debug for InternalToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InternalToken(***)")
    }
}

impl InternalToken {
    /// `auth.internal_token`, or `<data_dir>/internal-token`, generated there on first use
    /// (the embedded default, where every service shares the data folder).
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let token = match &settings.auth.internal_token {
            Some(token) => token.expose().trim().to_owned(),
            None => crate::files::key_file(&settings.data_dir.join("internal-token"))?
                .trim()
                .to_owned(),
        };
        anyhow::ensure!(
            token.len() >= 32,
            "auth.internal_token must be at least 32 characters"
        );
        Ok(Self(token.into()))
    }

    /// A token from its value (tests).
    pub fn from_value(value: &str) -> Self {
        Self(value.into())
    }

    /// Whether `headers` carry this token (compared in constant time).
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(given) = headers.get(INTERNAL_HEADER) else {
            return false;
        };
        let (a, b) = (given.as_bytes(), self.0.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// Puts the token into `headers`.
    pub fn stamp(&self, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&self.0) {
            headers.insert(INTERNAL_HEADER, value);
        }
    }
}

impl Caller {
    /// The caller named in `metadata` (trusted: the internal guard has admitted the call).
    pub fn from_metadata(metadata: &tonic::metadata::MetadataMap) -> Self {
        let text = |name: &str| {
            metadata
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        Self {
            id: text(CALLER_HEADER),
            scopes: text(SCOPES_HEADER)
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            organisation: Some(text(ORGANISATION_HEADER)).filter(|o| !o.is_empty()),
            township: township_of(metadata.get(TOWNSHIP_HEADER)),
            roles: text(ROLES_HEADER)
                .split_whitespace()
                .filter_map(Grant::from_token)
                .collect(),
            volunteer: Some(text(VOLUNTEER_HEADER)).filter(|v| !v.is_empty()),
        }
    }

    /// Whether the caller holds `scope` (or every scope, `*`).
    pub fn holds(&self, scope: &str) -> bool {
        self.scopes.contains(scope) || self.scopes.contains("*")
    }

    /// Writes the caller into `headers` for the service behind.
    pub fn stamp(&self, headers: &mut HeaderMap) {
        let scopes = self.scopes.iter().cloned().collect::<Vec<_>>().join(" ");
        let organisation = self.organisation.clone().unwrap_or_default();
        let roles = self
            .roles
            .iter()
            .map(Grant::to_token)
            .collect::<Vec<_>>()
            .join(" ");
        let volunteer = self.volunteer.clone().unwrap_or_default();
        // A township is UTF-8 (北岙街道): it travels percent-encoded, as header values are
        // ASCII.
        let township = self
            .township
            .as_deref()
            .map(|t| utf8_percent_encode(t, NON_ALPHANUMERIC).to_string())
            .unwrap_or_default();
        for (name, value) in [
            (CALLER_HEADER, &self.id),
            (SCOPES_HEADER, &scopes),
            (ORGANISATION_HEADER, &organisation),
            (ROLES_HEADER, &roles),
            (VOLUNTEER_HEADER, &volunteer),
            (TOWNSHIP_HEADER, &township),
        ] {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(name, value);
            }
        }
    }
}

/// The township a vouched header names (percent-decoded); `None` when empty or unreadable.
fn township_of(
    value: Option<&tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
) -> Option<String> {
    let raw = value?.to_str().ok()?;
    let township = percent_decode_str(raw)
        .decode_utf8()
        .ok()?
        .trim()
        .to_owned();
    Some(township).filter(|t| !t.is_empty())
}

/// Removes every `x-xingfu-*` header, so a caller cannot pass as the gateway.
pub fn strip(headers: &mut HeaderMap) {
    let ours: Vec<_> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("x-xingfu-"))
        .cloned()
        .collect();
    for name in ours {
        headers.remove(&name);
    }
}

/// Refuses every call but health checks that lacks the internal token, unless it came over
/// mutual TLS from a trusted peer ([`TrustedPeers`]).
#[derive(Clone, Debug)]
pub struct InternalGuardLayer {
    token: InternalToken,
    peers: Option<TrustedPeers>,
}

impl InternalGuardLayer {
    /// A guard admitting calls that carry `token`.
    pub fn new(token: InternalToken) -> Self {
        Self { token, peers: None }
    }

    /// Admits, too, calls whose verified client certificate names one of `peers`.
    pub fn trusting(mut self, peers: Option<TrustedPeers>) -> Self {
        self.peers = peers;
        self
    }
}

impl<S> Layer<S> for InternalGuardLayer {
    type Service = InternalGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InternalGuard {
            inner,
            admits: self.clone(),
        }
    }
}

/// See [`InternalGuardLayer`].
#[derive(Clone, Debug)]
pub struct InternalGuard<S> {
    inner: S,
    admits: InternalGuardLayer,
}

impl<S, B> Service<Request<B>> for InternalGuard<S>
where
    S: Service<Request<B>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let health = request
            .uri()
            .path()
            .starts_with(&format!("/{}/", HEALTH_SERVICE));
        let admitted = self.admits.token.admits(request.headers())
            || self
                .admits
                .peers
                .as_ref()
                .is_some_and(|peers| peers.admit(request.extensions()));
        if !health && !admitted {
            tracing::warn!(path = %request.uri().path(), "refused a call without the internal credential");
            let status = Status::unauthenticated(
                "this service answers the gateway only; call xingfu through the gateway",
            );
            return Box::pin(async move { Ok(status.into_http()) });
        }
        let future = self.inner.call(request);
        Box::pin(future)
    }
}

/// Opens an [`acting::Acting`] scope around every call, from the vouched caller header, and
/// names the person acted for in the answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct ActingLayer;

impl<S> Layer<S> for ActingLayer {
    type Service = ActingService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ActingService { inner }
    }
}

/// The service of [`ActingLayer`].
#[derive(Debug, Clone)]
pub struct ActingService<S> {
    inner: S,
}

impl<S, B, R> Service<Request<B>> for ActingService<S>
where
    S: Service<Request<B>, Response = Response<R>> + Send,
    S::Future: Send + 'static,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<R>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let caller = normalise(
            request
                .headers()
                .get(CALLER_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
        );
        let future = self.inner.call(request);
        Box::pin(async move {
            let (result, acting) = acting::scope(&caller, future).await;
            let mut response = result?;
            if let Some(value) = acting
                .on_behalf_of
                .and_then(|person| HeaderValue::from_str(&person).ok())
            {
                response.headers_mut().insert(ON_BEHALF_OF_HEADER, value);
            }
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_compared_whole_and_stripped_from_callers() {
        let token = InternalToken::from_value("0123456789abcdef0123456789abcdef");
        let mut headers = HeaderMap::new();
        assert!(!token.admits(&headers));
        headers.insert(
            INTERNAL_HEADER,
            HeaderValue::from_static("0123456789abcdef"),
        );
        assert!(!token.admits(&headers));
        token.stamp(&mut headers);
        assert!(token.admits(&headers));
        strip(&mut headers);
        assert!(!token.admits(&headers));
        assert_eq!(format!("{token:?}"), "InternalToken(***)");
    }

    #[test]
    fn callers_round_trip_through_headers() {
        let caller = Caller {
            id: "civil-affairs".into(),
            scopes: ["example:read".to_owned(), "pii:read".to_owned()].into(),
            organisation: Some("beiao-party".into()),
            roles: vec![
                Grant::from_token("grant_approver@beiao-party").unwrap(),
                Grant::from_token("auditor").unwrap(),
            ],
            volunteer: Some("v-1".into()),
            township: Some("北岙街道".into()),
        };
        let mut headers = HeaderMap::new();
        caller.stamp(&mut headers);
        let metadata = tonic::metadata::MetadataMap::from_headers(headers);
        let read = Caller::from_metadata(&metadata);
        assert_eq!(read, caller);
        assert!(read.holds("pii:read") && !read.holds("other:write"));
    }
}
