//! SQL, and nothing else: one file per group of tables. Every query filters on the account;
//! dialog queries take their scope from `auth::Access`. Callers own transactions.

pub mod access;
pub mod accounts;
pub mod api_tokens;
pub mod attachments;
pub mod clients;
pub mod close_reasons;
pub mod dead_letters;
pub mod dialogs;
pub mod emoji;
pub mod events;
pub mod folders;
pub mod inbound;
pub mod jobs;
pub mod lifecycle;
pub mod lines;
pub mod mail;
pub mod messages;
pub mod outbox;
pub mod pace;
pub mod search;
pub mod sessions;
pub mod tags;
pub mod templates;
pub mod uploads;
pub mod webhooks;

/// Migrations embedded in the binary, applied by `dialogs migrate` and at start-up.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
