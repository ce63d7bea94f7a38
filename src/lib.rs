//! Phonebox: a local stand-in for Auth0's SMS and voice flows.
//!
//! The core knows nothing of Tauri: `phonebox serve`, the tests and the desktop
//! shell all drive it through [`App`].

pub mod app;
pub mod auth0;
pub mod callbacks;
pub mod chaos;
pub mod cli;
pub mod client;
pub mod clock;
pub mod code;
pub mod config;
pub mod http;
pub mod inbox;
pub mod limits;
pub mod liquid;
pub mod message;
pub mod phone;
pub mod pipeline;
pub mod provider;
pub mod receivers;
pub mod redact;
pub mod secrets;
pub mod seed;
pub mod sms;
pub mod store;
pub mod twilio_verify;
pub mod unix_ms;

pub use app::{App, StartError};
pub use config::Config;
