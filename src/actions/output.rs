//! Reading a child's output without letting it allocate without bound: console
//! text is kept up to a cap, and the harness's result line is found behind a
//! marker only the parent and the harness know.

use tokio::io::{AsyncRead, AsyncReadExt};

/// The most console text kept per run; the rest is counted, not stored.
pub const MAX_CONSOLE_BYTES: usize = 1024 * 1024;
/// The most a result line may hold (the cache and the returned value are capped
/// well below it by the harness).
const MAX_RESULT_BYTES: usize = 4 * 1024 * 1024;

/// What one stream held.
#[derive(Debug, Default)]
pub struct Collected {
    pub text: Vec<u8>,
    pub truncated: bool,
    /// The harness's result JSON, when the stream carried one.
    pub result: Option<Vec<u8>>,
}

impl Collected {
    /// Appends what fits under the cap; says so when some did not.
    pub(super) fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_CONSOLE_BYTES.saturating_sub(self.text.len());
        if bytes.len() > room {
            self.truncated = true;
        }
        self.text.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }
}

/// Reads `stream` to its end. With a `marker`, a line starting with it is the
/// result, not console text (the harness writes a newline before it).
pub async fn collect(mut stream: impl AsyncRead + Unpin, marker: Option<&[u8]>) -> Collected {
    let mut out = Collected::default();
    let mut line: Vec<u8> = Vec::new();
    // A line too long to be a result is console text from its start.
    let mut overlong = false;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let mut rest = &chunk[..n];
        while !rest.is_empty() {
            match rest.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    push(&mut out, &mut line, &mut overlong, &rest[..end], marker);
                    finish_line(&mut out, &mut line, &mut overlong, marker);
                    rest = &rest[end + 1..];
                }
                None => {
                    push(&mut out, &mut line, &mut overlong, rest, marker);
                    rest = &[];
                }
            }
        }
    }
    if !line.is_empty() {
        finish_line(&mut out, &mut line, &mut overlong, marker);
    }
    out
}

fn push(
    out: &mut Collected,
    line: &mut Vec<u8>,
    overlong: &mut bool,
    bytes: &[u8],
    marker: Option<&[u8]>,
) {
    if *overlong {
        out.keep(bytes);
        return;
    }
    line.extend_from_slice(bytes);
    let could_be_result = marker.is_some_and(|m| {
        let n = line.len().min(m.len());
        line[..n] == m[..n]
    });
    let cap = if could_be_result {
        MAX_RESULT_BYTES
    } else {
        // Plain console text needs no line buffer past what is kept.
        0
    };
    if line.len() > cap {
        // Not a result (or one too large to be one): console text up to the
        // line's end, which is not looked at for the marker again.
        out.keep(line);
        *overlong = true;
        line.clear();
    }
}

fn finish_line(
    out: &mut Collected,
    line: &mut Vec<u8>,
    overlong: &mut bool,
    marker: Option<&[u8]>,
) {
    match marker {
        Some(m) if !*overlong && line.starts_with(m) => {
            out.result = Some(line[m.len()..].to_vec());
        }
        _ => {
            out.keep(line);
            out.keep(b"\n");
        }
    }
    line.clear();
    *overlong = false;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_result_line_is_taken_out_and_the_rest_is_console() {
        let input = b"hello\nworld\n\n\0m:{\"a\":1}\nafter".to_vec();
        let got = collect(&input[..], Some(b"\0m:")).await;
        assert_eq!(got.result.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(String::from_utf8_lossy(&got.text), "hello\nworld\n\nafter");
        assert!(!got.truncated);
    }

    #[tokio::test]
    async fn a_marker_after_the_start_of_a_line_is_console_text() {
        // Two reads: the marker arrives after the line's first bytes were kept.
        let input = AsyncReadExt::chain(&b"text "[..], &b"\0m:{\"a\":1}\nnext"[..]);
        let got = collect(input, Some(b"\0m:")).await;
        assert!(got.result.is_none());
        assert_eq!(got.text, b"text \0m:{\"a\":1}\nnext");
    }

    #[tokio::test]
    async fn endless_output_is_kept_up_to_the_cap() {
        let input = vec![b'x'; MAX_CONSOLE_BYTES * 3];
        let got = collect(&input[..], Some(b"\0m:")).await;
        assert_eq!(got.text.len(), MAX_CONSOLE_BYTES);
        assert!(got.truncated);
        assert!(got.result.is_none());
    }

    #[tokio::test]
    async fn a_line_that_only_starts_like_the_marker_is_console() {
        let got = collect(&b"\0mx\n"[..], Some(b"\0m:")).await;
        assert!(got.result.is_none());
        assert_eq!(got.text, b"\0mx\n");
    }
}
