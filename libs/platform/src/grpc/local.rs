//! The services running in this process, callable without the network. In `xingfu serve`
//! the gateway hands a call to the service's own stack (the same layers its port serves
//! behind: request id, span, metrics, concurrency limit, internal guard) instead of
//! encoding it again for a loopback HTTP/2 connection. One service per pod keeps the hop.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use http::{Request, Response};
use tonic::body::Body;
use tower::util::BoxCloneSyncService;

use crate::name::ServiceName;

/// One service's gRPC stack, as its port serves it.
pub type LocalService = BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>;

/// The services of this process, filled as the runner adds them.
#[derive(Clone, Default)]
pub struct LocalServices(Arc<Mutex<HashMap<ServiceName, LocalService>>>);

impl LocalServices {
    /// Makes `service` callable in-process as `name`.
    pub fn insert(&self, name: ServiceName, service: LocalService) {
        if let Ok(mut services) = self.0.lock() {
            services.insert(name, service);
        }
    }

    /// `name`'s stack, when it runs in this process.
    pub fn get(&self, name: ServiceName) -> Option<LocalService> {
        self.0.lock().ok()?.get(&name).cloned()
    }
}

impl std::fmt::Debug for LocalServices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<ServiceName> = self
            .0
            .lock()
            .map(|services| services.keys().copied().collect())
            .unwrap_or_default();
        f.debug_tuple("LocalServices").field(&names).finish()
    }
}
