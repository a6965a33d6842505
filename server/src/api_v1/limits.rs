//! How fast one API token may call: a token bucket per token (`governor`), per app server.
//! A bot that goes over gets `429 rate_limited` with `Retry-After`, and other tokens (and
//! the web app) are not slowed by it. Defaults: 20 requests a second, bursts of 100
//! (`DIALOGS_API_RATE`, `DIALOGS_API_BURST`).

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// Requests a second and burst of one token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApiRate {
    pub per_second: NonZeroU32,
    pub burst: NonZeroU32,
}

impl Default for ApiRate {
    fn default() -> Self {
        ApiRate {
            per_second: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            burst: NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN),
        }
    }
}

type Limiter = RateLimiter<Vec<u8>, DefaultKeyedStateStore<Vec<u8>>, DefaultClock>;

/// The buckets of this server's tokens, keyed by the token's hash.
#[derive(Clone)]
pub struct ApiLimits {
    limiter: Arc<Limiter>,
}

impl ApiLimits {
    /// The buckets; a task forgets idle ones every minute so memory follows active tokens.
    pub fn new(rate: ApiRate) -> ApiLimits {
        let quota = Quota::per_second(rate.per_second).allow_burst(rate.burst);
        let limiter = Arc::new(RateLimiter::keyed(quota));
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(limiter) = weak.upgrade() else { break };
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        });
        ApiLimits { limiter }
    }

    /// Takes one request from the token's bucket; when it is empty, how long until the next
    /// one is allowed.
    pub fn check(&self, token_hash: &[u8]) -> Result<(), Duration> {
        self.limiter
            .check_key(&token_hash.to_vec())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}
