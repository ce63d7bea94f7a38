//! Capturing a message: the group-commit pipeline every message goes through once,
//! the inbox queries the API and the UI read, fault injection for the provider
//! APIs, the list of providers, and retention (deleting what is not kept).

pub mod chaos;
pub mod inbox;
pub mod pipeline;
pub mod provider;
pub mod retention;
