//! Shutdown on SIGTERM or SIGINT, shared by every task of the process.

use tokio_util::sync::CancellationToken;

/// Cancels `token` when the process receives SIGTERM or SIGINT. The handlers are in
/// place when this returns, so a signal sent during start-up is not lost. Must be called
/// within a Tokio runtime.
#[cfg(unix)]
pub fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::spawn(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        tracing::info!("shutdown signal received");
        token.cancel();
    });
    Ok(())
}

/// Cancels `token` on ctrl-c.
#[cfg(not(unix))]
pub fn cancel_on_signal(token: CancellationToken) -> std::io::Result<()> {
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        token.cancel();
    });
    Ok(())
}
