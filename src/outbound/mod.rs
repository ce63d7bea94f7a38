//! The one place Phonebox calls other servers.
