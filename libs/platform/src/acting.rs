//! Who a change is made by, kept for the length of one call: the authenticated caller
//! and, when a delegate named another person as the actor, that person ("on behalf of").
//!
//! The gRPC stack opens the scope (`trust::ActingLayer`); [`Caller::actor`] notes a delegation
//! in it; the outbox writes both beside every event the call causes (so they travel as
//! the CloudEvents attributes `xingfucaller` and `xingfuonbehalfof`); and the answer
//! carries the person in [`ON_BEHALF_OF_HEADER`] for the gateway's audit trail. Outside a
//! call (a consumer, a background job) there is no scope and nothing is recorded.
//!
//! [`Caller::actor`]: crate::principal::Caller::actor

use std::future::Future;
use std::sync::{Arc, Mutex};

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

/// Runs `future` as a call by `caller` (normalised); returns its output and who it acted
/// as.
pub async fn scope<F: Future>(caller: &str, future: F) -> (F::Output, Acting) {
    let cell = Arc::new(Mutex::new(Acting {
        caller: caller.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_delegation_noted_in_a_call_is_seen_by_it_and_after_it() {
        let (seen, acting) = scope("importer", async {
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
