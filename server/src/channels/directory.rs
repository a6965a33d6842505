//! Channels by id as webhooks need them (secrets, line, switch), kept in memory: every
//! webhook names its channel, and reading it from the database each time would cost a
//! round trip per webhook.
//!
//! A change to a channel reaches every app server at once: a trigger on `channels`
//! notifies `dialogs_channels` with the channel's id when the change commits, and each
//! server's listener drops that entry. Until the listener is connected nothing is kept;
//! when it reconnects (notifications may have been missed) everything is dropped; and an
//! entry is read again after `MAX_AGE` whatever happens.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use app::domain::ChannelId;
use app::store::inbound::{self, ChannelRecord};
use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::RwLock;

/// The PostgreSQL channel the `channels_changed` trigger notifies.
pub const CHANNELS_CHANNEL: &str = "dialogs_channels";
/// The longest an entry is used without reading the channel again.
const MAX_AGE: Duration = Duration::from_secs(30);

/// Channels by id, with when each was read.
type Entries = HashMap<ChannelId, (Instant, Arc<ChannelRecord>)>;

#[derive(Clone, Default)]
pub struct Directory {
    entries: Arc<RwLock<Entries>>,
    /// Bumped by every invalidation: a read that raced with one is not kept.
    generation: Arc<AtomicU64>,
    listening: Arc<AtomicBool>,
}

impl Directory {
    /// The channel, from memory when it is known and fresh, else from the database. None
    /// for an unknown id (not remembered: a made-up id costs a read each time).
    pub async fn get(
        &self,
        pool: &PgPool,
        id: ChannelId,
    ) -> sqlx::Result<Option<Arc<ChannelRecord>>> {
        if let Some((at, channel)) = self.entries.read().await.get(&id)
            && at.elapsed() < MAX_AGE
        {
            return Ok(Some(channel.clone()));
        }
        let generation = self.generation.load(Ordering::Acquire);
        let Some(channel) = inbound::channel(pool, id).await?.map(Arc::new) else {
            return Ok(None);
        };
        if self.listening.load(Ordering::Acquire) {
            let mut entries = self.entries.write().await;
            // Kept only when no change was announced while it was read.
            if self.generation.load(Ordering::Acquire) == generation {
                entries.insert(id, (Instant::now(), channel.clone()));
            }
        }
        Ok(Some(channel))
    }

    async fn forget(&self, id: Option<ChannelId>) {
        let mut entries = self.entries.write().await;
        self.generation.fetch_add(1, Ordering::AcqRel);
        match id {
            Some(id) => {
                entries.remove(&id);
            }
            None => entries.clear(),
        }
    }

    /// Starts the listener that drops changed channels; it runs until the pool closes.
    pub async fn listen(&self, pool: PgPool) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(&pool)
            .await
            .context("connecting the channel listener")?;
        listener
            .listen(CHANNELS_CHANNEL)
            .await
            .context("listening for channel changes")?;
        self.listening.store(true, Ordering::Release);
        let directory = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(changed)) => {
                        let id = changed.payload().parse().ok().map(ChannelId);
                        // An unreadable payload drops everything: never keep a stale secret.
                        directory.forget(id).await;
                    }
                    Ok(None) => {
                        tracing::warn!("channel listener reconnecting");
                        directory.forget(None).await;
                    }
                    Err(sqlx::Error::PoolClosed) => break,
                    Err(err) => {
                        tracing::error!(error = %err, "channel listener failed; retrying");
                        directory.listening.store(false, Ordering::Release);
                        directory.forget(None).await;
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        directory.listening.store(true, Ordering::Release);
                    }
                }
            }
            directory.listening.store(false, Ordering::Release);
        });
        Ok(())
    }
}
