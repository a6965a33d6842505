//! The database's share of ingest, without HTTP: `channels::ingest::store_batch` called
//! directly with batches of known chats' new messages, at several batch sizes and numbers
//! of writers, on a fresh database of the PostgreSQL at `DATABASE_URL`. Shows what a stored
//! message costs the database and how that falls as batches grow.
//!
//! Run: `cargo bench -p server --bench store`
//! Settings (environment): BENCH_SECONDS (3 per row), BENCH_CHATS (200), BENCH_KEEP (set: keep
//! the database to look into afterwards).

use std::time::{Duration, Instant};

use app::domain::inbound::{InboundChat, InboundEvent, InboundMessage};
use app::domain::{ChannelId, LineId};
use app::store::inbound::ChannelRecord;
use server::channels::ingest::{Webhook, store_batch};

mod common;
use common::setting;

fn message(chat: u64, id: u64) -> InboundEvent {
    InboundEvent::Message(InboundMessage {
        external_id: format!("{chat}:{id}"),
        chat: InboundChat {
            external_id: chat.to_string(),
            name: format!("Load {chat}"),
            ..InboundChat::default()
        },
        sender_name: None,
        text: format!("load message {id}"),
        attachments: Vec::new(),
        sent_at: None,
        subject: None,
    })
}

/// One webhook per event list, all to `channel`.
fn webhooks<'a>(
    channel: &'a ChannelRecord,
    line: LineId,
    events: &'a [Vec<InboundEvent>],
) -> Vec<Webhook<'a>> {
    events
        .iter()
        .map(|events| Webhook {
            channel,
            line,
            events,
        })
        .collect()
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    common::in_scratch_database(|db_url| async move { run(&db_url).await }).await
}

async fn run(db_url: &str) -> anyhow::Result<()> {
    let seconds = setting("BENCH_SECONDS", 3);
    let chats = setting("BENCH_CHATS", 200);
    let (pool, account, line) = common::bench_account(db_url).await?;
    let channel: i64 = sqlx::query_scalar(
        "INSERT INTO channels (account_id, line_id, kind, name, credentials)
         VALUES ($1, $2, 'telegram', '@bench_bot', '{\"bot_token\": \"1:x\"}') RETURNING id",
    )
    .bind(account)
    .bind(line)
    .fetch_one(&pool)
    .await?;
    let channel = app::store::inbound::channel(&pool, ChannelId(channel))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the bench channel is missing"))?;
    let line = LineId(line);

    // Every chat gets its client and open dialog first, as in a steady inbox.
    let first: Vec<Vec<InboundEvent>> = (0..chats).map(|c| vec![message(c, 0)]).collect();
    store_batch(&pool, &webhooks(&channel, line, &first)).await?;

    println!("## Storing known chats' messages, no HTTP ({seconds} s a row, {chats} chats)");
    println!();
    println!("| writers | batch | messages/s | ms a batch (mean) | µs a message |");
    println!("|---|---|---|---|---|");
    let mut next_id = 1u64;
    for writers in [1usize, 2] {
        for batch in [1usize, 4, 16, 64, 256] {
            let stop = Instant::now() + Duration::from_secs(seconds);
            let tasks = (0..writers).map(|w| {
                let (pool, channel) = (pool.clone(), channel.clone());
                let start = next_id + w as u64 * 10_000_000;
                tokio::spawn(async move {
                    let (mut n, mut batches, mut id) = (0u64, 0u64, start);
                    while Instant::now() < stop {
                        // One event a webhook, as Telegram sends them; chats spread evenly,
                        // the writers half the chats apart.
                        let events: Vec<Vec<InboundEvent>> = (0..batch)
                            .map(|_| {
                                id += 1;
                                vec![message((id + w as u64 * chats / 2) % chats, id)]
                            })
                            .collect();
                        store_batch(&pool, &webhooks(&channel, line, &events)).await?;
                        n += batch as u64;
                        batches += 1;
                    }
                    anyhow::Ok((n, batches))
                })
            });
            let started = Instant::now();
            let (mut n, mut batches) = (0u64, 0u64);
            for task in futures::future::join_all(tasks).await {
                let (tn, tb) = task??;
                n += tn;
                batches += tb;
            }
            let elapsed = started.elapsed().as_secs_f64();
            next_id += 100_000_000;
            println!(
                "| {writers} | {batch} | {:.0} | {:.2} | {:.0} |",
                n as f64 / elapsed,
                elapsed * 1000.0 * writers as f64 / batches.max(1) as f64,
                elapsed * 1e6 / n.max(1) as f64
            );
        }
    }
    Ok(())
}
