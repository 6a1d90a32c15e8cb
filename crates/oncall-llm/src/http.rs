//! Sending a request: the [`Transport`] seam (ureq in production, the
//! same in tests against a loopback server), the [`RateLimiter`] shared by
//! every run of an evaluation, and the retry schedule.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use oncall_domain::SeededRandom;

use crate::settings::RetryPolicy;

/// The most bytes of a reply body read.
pub const MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;

/// One POST.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Where to.
    pub url: String,
    /// Headers, auth included.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl fmt::Debug for HttpRequest {
    /// Header values are not shown: one of them is a key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

/// What came back, whatever the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// How long the server asked us to wait (`retry-after-ms`, or
    /// `Retry-After` in seconds).
    pub retry_after: Option<Duration>,
    /// The body, as text (at most [`MAX_REPLY_BYTES`]).
    pub body: String,
}

/// Why a request got no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// A connect or read timeout: retried.
    Timeout(String),
    /// The connection failed or broke: retried.
    Connection(String),
    /// Anything else (a body over the limit, a bad URL): fatal.
    Fatal(String),
}

impl TransportFailure {
    /// Whether trying again may help.
    pub fn is_retryable(&self) -> bool {
        !matches!(self, TransportFailure::Fatal(_))
    }

    /// The message.
    pub fn message(&self) -> &str {
        match self {
            TransportFailure::Timeout(message)
            | TransportFailure::Connection(message)
            | TransportFailure::Fatal(message) => message,
        }
    }
}

/// Sends requests. Shared by the runs of an evaluation, so `Send + Sync`.
pub trait Transport: Send + Sync + fmt::Debug {
    /// Sends `request` and reads the whole answer.
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportFailure>;
}

/// The real transport: ureq, blocking, with connect and read timeouts and
/// a connection pool.
#[derive(Debug)]
pub struct UreqTransport {
    agent: ureq::Agent,
}

impl UreqTransport {
    /// A transport with these timeouts.
    pub fn new(connect_timeout: Duration, read_timeout: Duration) -> UreqTransport {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(connect_timeout))
            .timeout_send_request(Some(read_timeout))
            .timeout_send_body(Some(read_timeout))
            .timeout_recv_response(Some(read_timeout))
            .timeout_recv_body(Some(read_timeout))
            .http_status_as_error(false)
            // A redirect would carry the key (Anthropic's `x-api-key` is
            // not dropped on one) to whatever host it names: answer 3xx
            // as it is, which ends the run.
            .max_redirects(0)
            .user_agent(concat!("oncall-gym/", env!("CARGO_PKG_VERSION")))
            .build();
        UreqTransport {
            agent: config.into(),
        }
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: &HttpRequest) -> Result<HttpResponse, TransportFailure> {
        let mut builder = self.agent.post(&request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.send(&request.body[..]).map_err(classify)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let retry_after = retry_after(
            header("retry-after-ms").as_deref(),
            header("retry-after").as_deref(),
        );
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_string()
            .map_err(classify)?;
        Ok(HttpResponse {
            status,
            retry_after,
            body,
        })
    }
}

/// The wait a server asked for: `retry-after-ms` (OpenAI's), else
/// `Retry-After` in seconds. An HTTP date is not honoured (the backoff
/// applies).
pub fn retry_after(milliseconds: Option<&str>, seconds: Option<&str>) -> Option<Duration> {
    if let Some(ms) = milliseconds.and_then(|text| text.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64((ms / 1000.0).min(86_400.0)));
    }
    let secs = seconds?.trim().parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

fn classify(error: ureq::Error) -> TransportFailure {
    match error {
        ureq::Error::Timeout(which) => TransportFailure::Timeout(format!("timed out ({which})")),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
            TransportFailure::Timeout(format!("timed out: {io}"))
        }
        ureq::Error::Io(io) => TransportFailure::Connection(io.to_string()),
        ureq::Error::ConnectionFailed => {
            TransportFailure::Connection("connection failed".to_owned())
        }
        ureq::Error::HostNotFound => TransportFailure::Connection("host not found".to_owned()),
        ureq::Error::BodyExceedsLimit(limit) => {
            TransportFailure::Fatal(format!("the reply is larger than {limit} bytes"))
        }
        other => TransportFailure::Fatal(other.to_string()),
    }
}

/// Whether an HTTP status is worth retrying: 408, 409, 429, 5xx and
/// Anthropic's 529 (overloaded).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429) || (500..=599).contains(&status)
}

/// The wait before retry `retry` (from 0): the server's `Retry-After` when
/// it gave one, else `base × 2^retry` with ±25% jitter from `jitter_seed`
/// (so two runs do not retry in step, and one run retries the same way
/// twice); never more than `max_delay`.
pub fn backoff(
    policy: &RetryPolicy,
    retry: u32,
    server_asked: Option<Duration>,
    jitter_seed: u64,
) -> Duration {
    if let Some(asked) = server_asked {
        return asked.min(policy.max_delay);
    }
    let exponential = policy
        .base_delay
        .saturating_mul(2u32.saturating_pow(retry.min(20)));
    let unit = SeededRandom::new(jitter_seed ^ u64::from(retry)).next_f64();
    let factor = 0.75 + unit * 0.5;
    exponential.mul_f64(factor).min(policy.max_delay)
}

/// At most `max_rps` requests a second across every thread that shares it:
/// each caller gets the next free slot and sleeps until it.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next_slot: Mutex<Option<Instant>>,
}

impl RateLimiter {
    /// A limiter for `max_rps` requests a second; `None` unless it is
    /// finite and at least one request a day.
    pub fn new(max_rps: f64) -> Option<RateLimiter> {
        if !(max_rps.is_finite() && max_rps >= 1.0 / 86_400.0) {
            return None;
        }
        let interval = Duration::try_from_secs_f64(1.0 / max_rps).ok()?;
        Some(RateLimiter {
            interval,
            next_slot: Mutex::new(None),
        })
    }

    /// Waits for this caller's slot.
    pub fn acquire(&self) {
        let slot = {
            let mut next = match self.next_slot.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            let now = Instant::now();
            let slot = next.map_or(now, |next| next.max(now));
            *next = slot.checked_add(self.interval).or(Some(slot));
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_milliseconds_first_then_seconds() {
        assert_eq!(
            retry_after(Some("250"), Some("9")),
            Some(Duration::from_millis(250))
        );
        assert_eq!(retry_after(None, Some(" 2 ")), Some(Duration::from_secs(2)));
        assert_eq!(
            retry_after(Some("soon"), Some("1.5")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(None, Some("Wed, 21 Oct 2026 07:28:00 GMT")),
            None
        );
        assert_eq!(retry_after(None, Some("-1")), None);
        assert_eq!(retry_after(None, None), None);
    }

    #[test]
    fn statuses_are_classified() {
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 413, 422] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn backoff_doubles_with_bounded_jitter_and_honours_the_server() {
        let policy = RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        };
        for retry in 0..4 {
            let wait = backoff(&policy, retry, None, 42);
            let nominal = Duration::from_secs(1 << retry).as_secs_f64();
            assert!(
                wait.as_secs_f64() >= nominal * 0.75 - 1e-9,
                "{retry}: {wait:?}"
            );
            assert!(
                wait.as_secs_f64() <= nominal * 1.25 + 1e-9,
                "{retry}: {wait:?}"
            );
            assert_eq!(wait, backoff(&policy, retry, None, 42));
        }
        assert_eq!(backoff(&policy, 30, None, 1), Duration::from_secs(10));
        assert_eq!(
            backoff(&policy, 0, Some(Duration::from_secs(3)), 1),
            Duration::from_secs(3)
        );
        assert_eq!(
            backoff(&policy, 0, Some(Duration::from_secs(300)), 1),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn the_rate_limiter_spaces_callers_out() {
        assert!(RateLimiter::new(0.0).is_none());
        assert!(RateLimiter::new(f64::NAN).is_none());
        assert!(RateLimiter::new(1e-20).is_none());
        assert!(RateLimiter::new(f64::MAX).is_some());
        let limiter = RateLimiter::new(50.0).unwrap();
        let started = Instant::now();
        for _ in 0..6 {
            limiter.acquire();
        }
        // Five intervals of 20 ms at the least.
        assert!(
            started.elapsed() >= Duration::from_millis(100),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn a_request_never_shows_its_header_values() {
        let request = HttpRequest {
            url: "http://x".to_owned(),
            headers: vec![("authorization".to_owned(), "Bearer sk-secret".to_owned())],
            body: b"{}".to_vec(),
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("sk-secret"), "{shown}");
        assert!(shown.contains("authorization"), "{shown}");
    }
}
