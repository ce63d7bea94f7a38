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
mod marketplace;
mod persistence;
mod security;
mod sns;
mod twilio;
mod vonage;
mod wait;
