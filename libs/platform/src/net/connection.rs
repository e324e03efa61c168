//! One accepted connection and the deadline it enforces on itself.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Sleep;
use tonic::transport::server::{Connected, TcpConnectInfo};

use super::Limits;

/// What a connection has been doing, shared between its IO and the calls on it.
#[derive(Debug)]
pub(super) struct Activity {
    accepted: Instant,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// Milliseconds after `accepted` when the last call ended.
    idle_since_ms: AtomicU64,
}

impl Activity {
    /// Counts a call from now until the guard drops (its answer fully sent or dropped).
    pub(super) fn begin(self: &Arc<Self>) -> CallGuard {
        self.served.store(true, Ordering::SeqCst);
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        CallGuard(self.clone())
    }

    /// When the connection should close, seen at `now`; `None` once that has passed.
    /// A call in flight is activity: the deadline moves on while one runs.
    fn deadline(&self, now: Instant) -> Option<Instant> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return Some(now + self.idle_timeout);
        }
        let at = if self.served.load(Ordering::SeqCst) {
            let idle_since = Duration::from_millis(self.idle_since_ms.load(Ordering::SeqCst));
            self.accepted + idle_since + self.idle_timeout
        } else {
            self.accepted + self.header_read_timeout
        };
        (at > now).then_some(at)
    }
}

/// One call in flight on a connection.
#[derive(Debug)]
pub(super) struct CallGuard(Arc<Activity>);

impl Drop for CallGuard {
    fn drop(&mut self) {
        let activity = &self.0;
        let elapsed = u64::try_from(activity.accepted.elapsed().as_millis()).unwrap_or(u64::MAX);
        // Stored before the count falls, so a deadline read at zero sees the new time.
        activity.idle_since_ms.fetch_max(elapsed, Ordering::SeqCst);
        activity.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What a request learns of its connection: the TCP addresses, and the activity that
/// [`super::ActivityLayer`] updates. tonic puts it in every request's extensions.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// The local and remote addresses.
    pub tcp: TcpConnectInfo,
    pub(super) activity: Arc<Activity>,
}

/// An accepted TCP stream that holds a permit of its port's cap and fails its reads and
/// writes once it has been idle past its deadline, which makes the server close it.
#[derive(Debug)]
pub struct Connection {
    tcp: TcpStream,
    activity: Arc<Activity>,
    timer: Pin<Box<Sleep>>,
    expired: bool,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    pub(super) fn new(tcp: TcpStream, permit: OwnedSemaphorePermit, limits: Limits) -> Self {
        let accepted = Instant::now();
        let activity = Arc::new(Activity {
            accepted,
            header_read_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(0),
        });
        let timer = Box::pin(tokio::time::sleep_until(
            (accepted + limits.header_read_timeout).into(),
        ));
        Self {
            tcp,
            activity,
            timer,
            expired: false,
            _permit: permit,
        }
    }

    /// The first bytes waiting to be read, left in place (to tell TLS from plaintext).
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.peek(buf).await
    }

    /// This connection's info, for a server that does not ask [`Connected`] itself.
    pub fn info(&self) -> ConnectionInfo {
        ConnectionInfo {
            tcp: self.tcp.connect_info(),
            activity: self.activity.clone(),
        }
    }

    /// Called when the stream itself is pending: arms the timer, and fails once the
    /// deadline has passed. The timer only moves forward, so checking it lazily (when it
    /// fires) is enough.
    fn watch(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        while !self.expired && self.timer.as_mut().poll(cx).is_ready() {
            match self.activity.deadline(Instant::now()) {
                Some(next) => self.timer.as_mut().reset(next.into()),
                None => {
                    self.expired = true;
                    tracing::debug!(
                        peer = ?self.tcp.peer_addr().ok(),
                        "closing a connection idle past its deadline"
                    );
                }
            }
        }
        if self.expired {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle past its deadline",
            ));
        }
        Ok(())
    }

    /// `polled`, or the deadline's error while it is pending.
    fn guard<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_pending()
            && let Err(err) = self.watch(cx)
        {
            return Poll::Ready(Err(err));
        }
        polled
    }
}

impl Connected for Connection {
    type ConnectInfo = ConnectionInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_read(cx, buf);
        this.guard(cx, polled)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_write(cx, buf);
        this.guard(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_write_vectored(cx, bufs);
        this.guard(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.tcp).poll_flush(cx);
        this.guard(cx, polled)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().tcp).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn activity(header: u64, idle: u64) -> Arc<Activity> {
        Arc::new(Activity {
            accepted: Instant::now(),
            header_read_timeout: Duration::from_secs(header),
            idle_timeout: Duration::from_secs(idle),
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(0),
        })
    }

    #[test]
    fn a_connection_without_a_request_gets_the_header_timeout() {
        let a = activity(2, 60);
        let now = a.accepted;
        assert_eq!(a.deadline(now), Some(now + Duration::from_secs(2)));
        assert_eq!(a.deadline(now + Duration::from_secs(3)), None);
    }

    #[test]
    fn a_call_in_flight_keeps_the_connection_and_its_end_starts_the_idle_time() {
        let a = activity(2, 60);
        let start = a.accepted;
        let call = a.begin();
        let late = start + Duration::from_secs(600);
        assert_eq!(a.deadline(late), Some(late + Duration::from_secs(60)));
        drop(call);
        let deadline = a.deadline(start).expect("open after a call");
        assert!(deadline >= start + Duration::from_secs(60), "{deadline:?}");
        assert_eq!(a.deadline(start + Duration::from_secs(61)), None);
    }
}
