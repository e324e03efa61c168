//! Waiting for what happens in the background (an event applied, a read model caught up,
//! a reload done) without guessing a sleep: poll until it holds, or fail saying what.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long [`eventually`] waits before it fails.
pub const PATIENCE: Duration = Duration::from_secs(15);
/// How often it asks.
const EVERY: Duration = Duration::from_millis(20);

/// Asks `check` until it answers `Some`, and returns that; panics naming `what` if it
/// has not within [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    eventually_within(PATIENCE, what, check).await
}

/// [`eventually`] with its own patience (a slow recovery, a long replay).
pub async fn eventually_within<T, F, Fut>(patience: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "waited {patience:?} for {what}, in vain"
        );
        tokio::time::sleep(EVERY).await;
    }
}

/// Whether `condition` holds, as [`eventually`] wants it (`Some(())` or `None`).
pub fn holds(condition: bool) -> Option<()> {
    condition.then_some(())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn it_returns_once_the_check_holds() {
        let asked = AtomicU32::new(0);
        let found = eventually("the third answer", || async {
            let n = asked.fetch_add(1, Ordering::SeqCst);
            (n == 2).then_some(n)
        })
        .await;
        assert_eq!(found, 2);
    }

    #[tokio::test]
    #[should_panic(expected = "waited 50ms for nothing, in vain")]
    async fn it_fails_saying_what_it_waited_for() {
        eventually_within(Duration::from_millis(50), "nothing", || async {
            None::<()>
        })
        .await;
    }
}
