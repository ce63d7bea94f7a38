//! What one template may cost.

use std::time::Duration;

/// What one template may cost. The defaults are far beyond any phone message
/// (an SMS is at most 1,600 characters) and far below what hurts a server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest template accepted.
    pub max_source_bytes: usize,
    /// How deep blocks (`if`, `for`...) may nest.
    pub max_depth: usize,
    /// The longest text a render may produce.
    pub max_output_bytes: usize,
    /// The largest one value (a string built by filters, a capture) may grow.
    pub max_value_bytes: usize,
    /// What all assigned variables may hold together.
    pub max_variables_bytes: usize,
    /// Loop iterations one render may run, all loops together.
    pub max_iterations: u64,
    /// How long one render may take.
    pub time_budget: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_source_bytes: 20_000,
            max_depth: 32,
            max_output_bytes: 16 * 1024,
            max_value_bytes: 64 * 1024,
            max_variables_bytes: 1024 * 1024,
            max_iterations: 10_000,
            time_budget: Duration::from_millis(250),
        }
    }
}
