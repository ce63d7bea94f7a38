//! Phonebox: a local stand-in for Auth0's SMS and voice flows.
//!
//! The core knows nothing of Tauri: `phonebox serve`, the tests and the desktop
//! shell all drive it through [`App`].

pub mod actions;
pub mod app;
pub mod auth0;
pub mod capture;
pub mod cli;
pub mod clock;
pub mod config;
pub mod forward;
pub mod http;
pub mod liquid;
pub mod message;
pub mod metrics;
pub mod outbound;
pub mod random;
pub mod receivers;
pub mod secrets;
pub mod store;
mod ui_types;
pub mod unix_ms;
pub mod xml;

pub use app::{App, StartError};
pub use config::Config;
