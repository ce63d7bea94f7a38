//! A Liquid engine for phone templates, bounded by construction: whatever a tenant
//! saves, rendering it cannot overflow the stack, allocate without bound, run
//! forever or panic a runtime worker.
//!
//! Why not the `liquid` crate: its `for` builds a range's whole array before the
//! first iteration, its parser recurses once per nested block with no cap, several
//! of its filters panic on overflow (`plus`, `times`, `abs`, `divided_by`, `slice`,
//! `tablerow cols:0`), `capture`, `replace` and `join` grow without a bound, and it
//! answers an unknown variable with an error where Auth0 renders it empty. Bounding
//! it would have meant replacing most of it.
//!
//! What it covers: Shopify Liquid's tags (`if`/`elsif`/`else`, `unless`, `case`,
//! `for` with `limit`/`offset`/`reversed`/`break`/`continue`, `tablerow`, `assign`,
//! `capture`, `increment`, `decrement`, `cycle`, `ifchanged`, `raw`, `comment`,
//! `echo`) and its standard filters. What it leaves out on purpose: `include` and
//! `render` (a phone template has no other files to read).

mod error;
mod expr;
mod filters;
mod lexer;
mod limits;
mod parser;
mod render;
mod value;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::Semaphore;

pub use error::{Error, Position};
pub use limits::Limits;
pub use value::{Object, Value};

/// A parsed template, ready to render any number of times.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<parser::Node>,
    limits: Limits,
}

/// Parses a template, refusing what could never render (bad syntax, unknown tags
/// and filters, `include`, nesting past the cap, a literal range past the
/// iteration cap, a literal division by zero).
pub fn parse(src: &str, limits: &Limits) -> Result<Template, Error> {
    if src.len() > limits.max_source_bytes {
        return Err(Error::new(format!(
            "the template is {} bytes, more than the {} allowed",
            src.len(),
            limits.max_source_bytes
        )));
    }
    let tokens = lexer::lex(src)?;
    let nodes = parser::Parser::new(src, tokens, limits).parse()?;
    Ok(Template {
        nodes,
        limits: limits.clone(),
    })
}

/// Checks a template with the default caps, as rendering will parse it.
pub fn validate(src: &str) -> Result<(), Error> {
    parse(src, &Limits::default()).map(|_| ())
}

impl Template {
    /// Renders with `globals`; `now` is what `"now" | date` reads. This runs on the
    /// calling thread: from async code, use [`Sandbox::render`].
    pub fn render(&self, globals: &Object, now: OffsetDateTime) -> Result<String, Error> {
        render::Renderer::new(globals, &self.limits, now).render(&self.nodes)
    }
}

/// Renders off the async workers, a few at a time, with panics caught: a hostile
/// template can use at most its time budget on one blocking thread, and health
/// checks and other requests keep being served meanwhile.
#[derive(Debug, Clone)]
pub struct Sandbox {
    limits: Limits,
    permits: Arc<Semaphore>,
}

impl Default for Sandbox {
    fn default() -> Sandbox {
        Sandbox::new(Limits::default())
    }
}

impl Sandbox {
    /// At most half the machine's cores render at once, so one stays free for the
    /// runtime however many renders are asked for.
    pub fn new(limits: Limits) -> Sandbox {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Sandbox {
            limits,
            permits: Arc::new(Semaphore::new((cores / 2).max(1))),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks a template as it would be parsed when rendered.
    pub fn validate(&self, src: &str) -> Result<(), Error> {
        parse(src, &self.limits).map(|_| ())
    }

    /// Parses and renders each template with its globals, in one trip off the
    /// runtime; the first failure ends it.
    pub async fn render(
        &self,
        jobs: Vec<(String, Object)>,
        now: OffsetDateTime,
    ) -> Result<Vec<String>, Error> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::new("the renderer has stopped"))?;
        let limits = self.limits.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            std::panic::catch_unwind(AssertUnwindSafe(|| {
                jobs.iter()
                    .map(|(src, globals)| parse(src, &limits)?.render(globals, now))
                    .collect::<Result<Vec<_>, _>>()
            }))
        });
        match job.await {
            Ok(Ok(rendered)) => rendered,
            Ok(Err(_)) | Err(_) => {
                tracing::error!("a template render panicked; it is reported as a failed render");
                Err(Error::new(
                    "the template could not be rendered (an internal error, logged by Phonebox)",
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
