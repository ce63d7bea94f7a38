//! Integration tests: the real server on an ephemeral port with a real SQLite file,
//! spoken to over HTTP. Nothing here needs Tauri.

mod helpers;

mod actions;
mod capture;
mod chaos;
mod cli;
mod client_credentials;
mod clients;
mod clock;
mod concurrency;
mod connections;
mod durability;
mod encoding;
mod errors;
mod events;
mod forward;
mod health;
mod hostile;
mod inbox_state;
mod isolation;
mod limits;
mod log_search;
mod management;
mod marketplace;
mod metrics;
mod mfa;
mod mfa_api;
mod passwordless;
mod persistence;
mod retention;
mod search;
mod secrets_at_rest;
mod security;
mod settings;
mod signatures;
mod sns;
mod templates;
mod tenant_delivery;
mod tls_fake;
mod twilio;
mod unified_phone;
mod users_api;
mod vonage;
mod wait;
