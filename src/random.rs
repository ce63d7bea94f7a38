//! Every random value Phonebox makes comes from here, and from `rand`: secrets,
//! codes and ids from the OS generator, chaos dice from the thread's generator.
//! Ranges are drawn with `gen_range` (rejection sampling), never by a modulo.

use base64::Engine;
use rand::{Rng, RngCore};

fn bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// `len` random bytes, URL-safe base64 without padding (ids, secrets, tokens).
pub fn token(len: usize) -> String {
    let mut raw = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

/// Lower-case hex of `len` random bytes.
pub fn hex(len: usize) -> String {
    let mut raw = vec![0u8; len];
    rand::rngs::OsRng.fill_bytes(&mut raw);
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// A code of `digits` decimal digits, each value equally likely (`digits` ≤ 19).
pub fn digits(digits: u32) -> String {
    let digits = digits.min(19);
    let n = rand::rngs::OsRng.gen_range(0..10u64.pow(digits));
    format!("{n:0width$}", width = digits as usize)
}

/// `len` characters drawn uniformly from `alphabet`.
pub fn from_alphabet(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..len)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

/// A version 4 UUID, for the providers whose ids are UUIDs.
pub fn uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(bytes::<16>()).into_uuid()
}

/// A version 7 UUID: the millisecond it was made, then random bits. For ids kept
/// in an index (a message's provider id): each new one lands at the index's end,
/// where a random one dirtied a random index page per message, which doubled the
/// capture writer's cost per message (measured by `make bench`).
pub fn ordered_uuid() -> uuid::Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_millis(), &bytes::<10>()).into_uuid()
}

/// A `u64` that grows with time: milliseconds in the high bits, a process-wide
/// counter in the low 20 (Vonage's message ids are 16 hex digits of one; see
/// `ordered_uuid`): random low bits collided within a busy millisecond.
pub fn ordered_u64() -> u64 {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (unix_millis() << 20) | (n & 0xF_FFFF)
}

fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// True with probability `p`: exactly never at 0 and always at 1.
pub fn chance(p: f64) -> bool {
    // `gen::<f64>()` is in [0, 1): `< 1.0` always holds, `< 0.0` never does.
    rand::thread_rng().gen::<f64>() < p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_as_asked_and_values_differ() {
        assert_eq!(hex(12).len(), 24);
        assert_eq!(token(24).len(), 32);
        assert_ne!(token(24), token(24));
        assert_eq!(digits(6).len(), 6);
        assert!(digits(6).bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(uuid().get_version_num(), 4);
        assert_eq!(ordered_uuid().get_version_num(), 7);
        assert_ne!(ordered_uuid(), ordered_uuid());
        assert!(chance(1.0));
        assert!(!chance(0.0));
    }

    #[test]
    fn ordered_ids_made_later_sort_later() {
        let first = (ordered_uuid(), ordered_u64());
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = (ordered_uuid(), ordered_u64());
        assert!(first.0 < later.0 && first.1 < later.1);
    }

    #[test]
    fn every_digit_turns_up_in_every_place() {
        // 2000 draws of 4 digits: a place missing a digit has odds below 1e-80.
        let mut seen = [[false; 10]; 4];
        for _ in 0..2000 {
            for (place, b) in digits(4).bytes().enumerate() {
                seen[place][(b - b'0') as usize] = true;
            }
        }
        assert!(seen.iter().flatten().all(|s| *s), "{seen:?}");
    }
}
