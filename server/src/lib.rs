//! The Dialogs server: configuration, start-up, the private PostgreSQL cluster, live event
//! fan-out, and the demo data.

#![recursion_limit = "512"]

pub mod api_v1;
pub mod channels;
pub mod config;
pub mod demo;
pub mod fake_client;
pub mod files;
pub mod outbound;
pub mod pgcluster;
pub mod realtime;
pub mod reports;
pub mod startup;
pub mod telemetry;
pub mod workers;
