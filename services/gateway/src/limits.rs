//! What protects the services behind the gateway: a rate per caller (RESOURCE_EXHAUSTED
//! with the time to wait in a `google.rpc.RetryInfo`), a ceiling on calls in flight beyond
//! which new calls are shed at once (UNAVAILABLE) rather than queued, and bounds on how long
//! a call may take (a default when the caller sets no deadline, a maximum when it sets a
//! longer one). Messages larger than 4 MiB are refused by the services' decoders
//! (OUT_OF_RANGE, as tonic reports it) before any handler sees them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::settings::LimitSettings;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// Callers tracked before idle ones are forgotten.
const MAX_BUCKETS: usize = 10_000;

/// The gateway's limits, shared by every call.
#[derive(Debug, Clone)]
pub struct Limits {
    in_flight: Arc<Semaphore>,
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
    settings: LimitSettings,
    rates: Arc<HashMap<String, (f64, f64)>>,
}

/// A caller's token bucket: `tokens` left as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Limits {
    /// Limits from settings, with per-caller rates from the policy (calls a second, burst).
    pub fn new(settings: &LimitSettings, rates: HashMap<String, (f64, f64)>) -> Self {
        Self {
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            buckets: Arc::default(),
            settings: settings.clone(),
            rates: Arc::new(rates),
        }
    }

    /// A place among the calls in flight, or UNAVAILABLE when they are all taken.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, Status> {
        self.in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Status::unavailable("the gateway is at capacity; retry with backoff"))
    }

    /// Takes one call from `caller`'s rate, or RESOURCE_EXHAUSTED saying when to retry.
    pub fn take(&self, caller: &str) -> Result<(), Status> {
        let (rate, burst) = self
            .rates
            .get(caller)
            .copied()
            .unwrap_or((self.settings.rate_per_second, self.settings.burst));
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // A bucket idle long enough to have refilled is the same as no bucket: forget such
        // ones once there are many, so callers that come and go (token subjects) cost
        // nothing for good.
        if buckets.len() > MAX_BUCKETS {
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() * rate < burst);
        }
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + rate * now.duration_since(bucket.at).as_secs_f64()).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            return Ok(());
        }
        let wait = Duration::from_secs_f64((1.0 - bucket.tokens) / rate.max(f64::EPSILON));
        Err(Status::with_error_details(
            Code::ResourceExhausted,
            format!("caller {caller} is over its rate of {rate} calls a second"),
            ErrorDetails::with_retry_info(Some(wait)),
        ))
    }

    /// The deadline a call gets: the caller's (`grpc-timeout`), else the default, never
    /// more than the maximum.
    pub fn deadline(&self, grpc_timeout: Option<&str>) -> Duration {
        let max = Duration::from_millis(self.settings.max_deadline_ms);
        grpc_timeout
            .and_then(parse_grpc_timeout)
            .unwrap_or(Duration::from_millis(self.settings.default_deadline_ms))
            .min(max)
    }
}

/// A body that keeps its call's place among the calls in flight until it ends, so a
/// streamed answer counts for as long as it streams.
struct Held {
    inner: tonic::body::Body,
    _permit: OwnedSemaphorePermit,
}

impl http_body::Body for Held {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Status>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// `response`, holding `permit` until its body ends.
pub fn hold(
    response: http::Response<tonic::body::Body>,
    permit: OwnedSemaphorePermit,
) -> http::Response<tonic::body::Body> {
    response.map(|inner| {
        tonic::body::Body::new(Held {
            inner,
            _permit: permit,
        })
    })
}

/// A `grpc-timeout` value (`100m`, `5S`, …) as a duration.
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at_checked(value.len().checked_sub(1)?)?;
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// A duration as a `grpc-timeout` value, in milliseconds.
pub fn grpc_timeout(duration: Duration) -> String {
    format!("{}m", duration.as_millis().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LimitSettings {
        LimitSettings {
            rate_per_second: 2.0,
            burst: 2.0,
            max_in_flight: 1,
            default_deadline_ms: 10_000,
            max_deadline_ms: 60_000,
        }
    }

    #[test]
    fn a_caller_gets_its_burst_then_waits() {
        let limits = Limits::new(&settings(), HashMap::new());
        assert!(limits.take("a").is_ok() && limits.take("a").is_ok());
        let refused = limits.take("a").unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        let wait = refused
            .get_error_details()
            .retry_info()
            .unwrap()
            .retry_delay;
        assert!(wait.is_some_and(|w| w > Duration::ZERO && w <= Duration::from_millis(500)));
        assert!(limits.take("b").is_ok(), "callers do not share a rate");
        let own = Limits::new(&settings(), [("c".to_owned(), (1.0, 1.0))].into());
        assert!(own.take("c").is_ok());
        assert!(own.take("c").is_err(), "a caller's own rate and burst win");
    }

    #[test]
    fn calls_beyond_the_ceiling_are_shed() {
        let limits = Limits::new(&settings(), HashMap::new());
        let held = limits.admit().unwrap();
        assert_eq!(limits.admit().unwrap_err().code(), Code::Unavailable);
        drop(held);
        assert!(limits.admit().is_ok());
    }

    #[test]
    fn deadlines_have_a_default_and_a_ceiling() {
        let limits = Limits::new(&settings(), HashMap::new());
        assert_eq!(limits.deadline(None), Duration::from_secs(10));
        assert_eq!(limits.deadline(Some("250m")), Duration::from_millis(250));
        assert_eq!(limits.deadline(Some("2H")), Duration::from_secs(60));
        assert_eq!(limits.deadline(Some("garbage")), Duration::from_secs(10));
        assert_eq!(grpc_timeout(Duration::from_millis(250)), "250m");
    }
}
