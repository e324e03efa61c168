//! Who is calling: a bearer token, an API key or the connection's client certificate
//! authenticates a [`Caller`], kept in the request's extensions with the [`Credential`]
//! it used. Every credential that does not authenticate gets the same UNAUTHENTICATED
//! answer ([`crate::auth::unauthenticated`]).

use std::sync::Arc;

use http::Request;
use tonic::Status;
use tonic::body::Body;
use tonic::transport::server::TlsConnectInfo;
use xingfu_platform::net::ConnectionInfo;
use xingfu_platform::trust::Caller;

use super::Gate;
use crate::auth::Auth;

/// The credential a call was authenticated with, as the audit records it: `key:<id>`,
/// `jwt:<sub>` or `cert:<hash prefix>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential(pub String);

/// Authenticates each call, putting its [`Caller`] and [`Credential`] into its extensions.
#[derive(Clone)]
pub struct Authenticate {
    auth: Arc<Auth>,
}

impl Authenticate {
    /// Authenticates with `auth`'s keys, token checks and certificates.
    pub fn new(auth: Auth) -> Self {
        Self {
            auth: Arc::new(auth),
        }
    }
}

impl Gate for Authenticate {
    fn check(&self, request: &mut Request<Body>) -> Result<(), Status> {
        let client_cert = request
            .extensions()
            .get::<TlsConnectInfo<ConnectionInfo>>()
            .and_then(|info| info.peer_certs())
            .and_then(|certs| certs.first().map(|cert| cert.to_vec()));
        let (caller, credential) = self
            .auth
            .authenticate(request.headers(), client_cert.as_deref())?;
        request.extensions_mut().insert::<Caller>(caller);
        request.extensions_mut().insert(Credential(credential));
        Ok(())
    }
}
