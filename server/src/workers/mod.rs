//! Background work that runs inside every app server: delivery of outgoing messages, jobs
//! (fetching files, deleting messages at the client's side), outbound webhooks, housekeeping. Queues live in PostgreSQL, so any number of servers share
//! them; a NOTIFY wakes the workers at once, a short poll covers a missed one.

pub mod deletions;
pub mod delivery;
pub mod files;
pub mod housekeeping;
pub mod mail;
pub mod replay;
pub mod templates;
pub mod webhooks;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};

/// Waits for a NOTIFY on one channel, or for `poll` to pass.
pub(crate) struct Wakeup {
    pool: PgPool,
    channel: &'static str,
    listener: Option<PgListener>,
    poll: Duration,
}

impl Wakeup {
    pub fn new(pool: PgPool, channel: &'static str, poll: Duration) -> Wakeup {
        Wakeup {
            pool,
            channel,
            listener: None,
            poll,
        }
    }

    /// Returns when woken or after the poll interval. A lost listener is reconnected on the
    /// next call; meanwhile the poll interval alone paces the worker.
    pub async fn wait(&mut self) {
        if self.listener.is_none() {
            // Its own connection, outside the app's pool: a listener holds it for good.
            let own = PgPoolOptions::new()
                .max_connections(1)
                .connect_lazy_with((*self.pool.connect_options()).clone());
            self.listener = match PgListener::connect_with(&own).await {
                Ok(mut listener) => match listener.listen(self.channel).await {
                    Ok(()) => Some(listener),
                    Err(_) => None,
                },
                Err(_) => None,
            };
        }
        match self.listener.as_mut() {
            Some(listener) => {
                match tokio::time::timeout(self.poll, listener.try_recv()).await {
                    Ok(Ok(Some(_))) | Err(_) => {}
                    // The connection dropped (try_recv gives None once) or failed.
                    Ok(Ok(None)) | Ok(Err(_)) => {
                        self.listener = None;
                        tokio::time::sleep(self.poll).await;
                    }
                }
            }
            None => tokio::time::sleep(self.poll).await,
        }
    }
}

/// Runs a queue until the pool closes: claims as many due items as there are free slots
/// (`claim(pool, limit)`), handles each in its own task, and waits for a NOTIFY on
/// `channel` (or a poll) whenever the queue had less than a full batch.
pub(crate) fn run_queue<T, C, CF, H, HF>(
    pool: PgPool,
    channel: &'static str,
    in_flight: usize,
    claim: C,
    handle: H,
) where
    T: Send + 'static,
    C: Fn(PgPool, i64) -> CF + Send + 'static,
    CF: std::future::Future<Output = sqlx::Result<Vec<T>>> + Send,
    H: Fn(T) -> HF + Send + Sync + 'static,
    HF: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(in_flight));
        let mut wakeup = Wakeup::new(pool.clone(), channel, Duration::from_secs(1));
        loop {
            if pool.is_closed() {
                break;
            }
            let free = slots.available_permits() as i64;
            let batch = if free == 0 {
                Vec::new()
            } else {
                match claim(pool.clone(), free).await {
                    Ok(batch) => batch,
                    Err(sqlx::Error::PoolClosed) => break,
                    Err(err) => {
                        tracing::warn!(error = %err, queue = channel, "claiming work");
                        Vec::new()
                    }
                }
            };
            let full = !batch.is_empty() && batch.len() as i64 == free;
            for item in batch {
                let Ok(permit) = slots.clone().acquire_owned().await else {
                    break;
                };
                let work = handle(item);
                tokio::spawn(async move {
                    work.await;
                    drop(permit);
                });
            }
            if !full {
                wakeup.wait().await;
            }
        }
    });
}

/// Exponential back-off from half a second, capped, with jitter so retries spread out.
pub fn backoff(attempt: i32, cap: Duration) -> Duration {
    let exp = 2f64.powi(attempt.clamp(1, 20) - 1) * 0.5;
    let secs = exp.min(cap.as_secs_f64());
    Duration::from_secs_f64(secs * (0.8 + fastrand::f64() * 0.4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_stops_at_the_cap() {
        let cap = Duration::from_secs(300);
        let first = backoff(1, cap).as_secs_f64();
        assert!((0.4..=0.6).contains(&first), "{first}");
        let fifth = backoff(5, cap).as_secs_f64();
        assert!((6.4..=9.6).contains(&fifth), "{fifth}");
        assert!(backoff(30, cap) <= Duration::from_secs(360));
    }
}
