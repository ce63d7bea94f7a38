//! Integration tests: the real server on an ephemeral port with a real SQLite file,
//! spoken to over HTTP. Nothing here needs Tauri.

mod helpers;

mod capture;
mod chaos;
mod cli;
mod clock;
mod encoding;
mod errors;
mod events;
mod inbox_state;
mod limits;
mod management;
mod marketplace;
mod mfa;
mod persistence;
mod security;
mod sns;
mod tenant_delivery;
mod twilio;
mod vonage;
mod wait;
