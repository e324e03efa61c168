//! Who a change is made by, kept for the length of one call: the authenticated caller
//! and, when a delegate named another person as the actor, that person ("on behalf of").
//!
//! The gRPC stack opens the scope ([`ActingLayer`]); [`Caller::actor`] notes a delegation
//! in it; the outbox writes both beside every event the call causes (so they travel as
//! the CloudEvents attributes `xingfucaller` and `xingfuonbehalfof`); and the answer
//! carries the person in [`ON_BEHALF_OF_HEADER`] for the gateway's audit trail. Outside a
//! call (a consumer, a background job) there is no scope and nothing is recorded.
//!
//! [`Caller::actor`]: crate::trust::Caller::actor

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use http::{HeaderValue, Request, Response};
use tower::{Layer, Service};

use crate::principal::normalise;
use crate::trust::CALLER_HEADER;

/// The answer's header naming the person a delegate acted for.
pub const ON_BEHALF_OF_HEADER: &str = "x-xingfu-on-behalf-of";

/// Who a call acts as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acting {
    /// The authenticated caller, normalised; empty when the call names none.
    pub caller: String,
    /// The person a delegate named as the actor, if it named one.
    pub on_behalf_of: Option<String>,
}

tokio::task_local! {
    static ACTING: Arc<Mutex<Acting>>;
}

/// Runs `future` as a call by `caller`; returns its output and who it acted as.
pub async fn scope<F: Future>(caller: &str, future: F) -> (F::Output, Acting) {
    let cell = Arc::new(Mutex::new(Acting {
        caller: normalise(caller),
        on_behalf_of: None,
    }));
    let output = ACTING.scope(cell.clone(), future).await;
    let acting = cell.lock().map(|a| a.clone()).unwrap_or_default();
    (output, acting)
}

/// Who the running call acts as; `None` outside a call.
pub fn current() -> Option<Acting> {
    ACTING
        .try_with(|cell| cell.lock().map(|a| a.clone()).ok())
        .ok()
        .flatten()
}

/// Notes that the running call acts on behalf of `person` (a no-op outside a call).
pub fn note_on_behalf_of(person: &str) {
    let _ = ACTING.try_with(|cell| {
        if let Ok(mut acting) = cell.lock() {
            acting.on_behalf_of = Some(person.to_owned());
        }
    });
}

/// Opens an [`Acting`] scope around every call, from the vouched caller header, and
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
        let caller = request
            .headers()
            .get(CALLER_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let future = self.inner.call(request);
        Box::pin(async move {
            let (result, acting) = scope(&caller, future).await;
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

    #[tokio::test]
    async fn a_delegation_noted_in_a_call_is_seen_by_it_and_after_it() {
        let (seen, acting) = scope(" Importer ", async {
            note_on_behalf_of("alice");
            current()
        })
        .await;
        let expected = Acting {
            caller: "importer".into(),
            on_behalf_of: Some("alice".into()),
        };
        assert_eq!(seen.as_ref(), Some(&expected));
        assert_eq!(acting, expected);
        // Outside a call nothing is recorded and nothing fails.
        note_on_behalf_of("bob");
        assert_eq!(current(), None);
    }
}
