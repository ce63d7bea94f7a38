//! Capturing a message: the group-commit pipeline every message goes through once,
//! the inbox queries the API and the UI read, fault injection for the provider
//! APIs, and the list of providers.

pub mod chaos;
pub mod inbox;
pub mod pipeline;
pub mod provider;
