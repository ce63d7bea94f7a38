//! Capturing a message: the group-commit pipeline every message goes through once,
//! the inbox queries the API and the UI read, fault injection for the provider
//! APIs, the list of providers, retention (deleting what is not kept), and filling the search index.

pub mod chaos;
pub mod inbox;
pub mod pipeline;
pub mod provider;
pub mod retention;
mod search_index;
