//! The integration tests: the real app and the real PostgreSQL (a fresh database per test),
//! local fakes of the messengers and real mail servers. One binary, one module per concept.

mod common;

mod api_v1;
mod auth;
mod buttons;
mod channels;
mod cli;
mod dialog_menu;
mod email;
mod emoji;
mod faults;
mod file_store;
mod filters;
mod folders;
mod imap;
mod inbox;
mod ingest;
mod lifecycle;
mod message_menu;
mod outbound;
mod outbound_files;
mod pacing;
mod presence;
mod realtime;
mod search;
mod service;
mod settings;
mod start;
mod tags;
mod whatsapp;
