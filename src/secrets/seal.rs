//! The sealed file: its envelope format, the key it is sealed with, and sealing
//! and unsealing the map (ChaCha20-Poly1305, a fresh nonce for every write).

use std::collections::BTreeMap;
use std::fmt;
use std::io;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::ChaCha20Poly1305;
use serde::{Deserialize, Serialize};

/// The `format` of a sealed file.
const FORMAT: &str = "phonebox-secrets/1";
/// The keyring service every Phonebox entry is filed under (part of what a seal
/// authenticates).
pub(super) const SERVICE: &str = "phonebox";

/// A file's key, and the keyring entry (user, under [`SERVICE`]) that holds it.
pub(super) struct Seal {
    pub(super) key: SealingKey,
    pub(super) user: String,
}

/// 256 random bits. Shown by `{:?}` as a placeholder only.
pub(super) struct SealingKey(pub(super) [u8; 32]);

impl SealingKey {
    pub(super) fn generate() -> SealingKey {
        let mut key = ChaCha20Poly1305::generate_key(&mut OsRng);
        let mut bytes = [0; 32];
        bytes.copy_from_slice(&key);
        wipe(&mut key);
        SealingKey(bytes)
    }

    pub(super) fn to_base64(&self) -> String {
        BASE64.encode(self.0)
    }

    /// `None` when `text` is not a key this module wrote.
    pub(super) fn from_base64(text: &str) -> Option<SealingKey> {
        let mut bytes = BASE64.decode(text.trim()).ok()?;
        let key = <[u8; 32]>::try_from(bytes.as_slice()).ok().map(SealingKey);
        wipe(&mut bytes);
        key
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new((&self.0).into())
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl Drop for SealingKey {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites `bytes` before they are freed. Best effort: nothing obliges the
/// compiler to keep a store to memory about to be released.
pub(super) fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// A sealed file: the map's JSON, encrypted under the key in keyring entry
/// `phonebox`/`keyring_user`. The entry's name is kept here rather than derived
/// again, so a data directory that moves still finds its key.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Envelope {
    format: String,
    /// Where the key is: always `keyring` in this format.
    sealed: String,
    keyring_user: String,
    /// 96 bits, base64, fresh for every write.
    nonce: String,
    /// Base64; its last 16 bytes are the Poly1305 tag.
    ciphertext: String,
}

impl Envelope {
    /// Reads a file that has a `format` entry: a sealed file, checked for
    /// everything but the key.
    pub(super) fn parse(bytes: &[u8]) -> io::Result<Envelope> {
        let envelope: Envelope = serde_json::from_slice(bytes)
            .map_err(|e| corrupt(format!("not a sealed secrets file: {}", json_problem(&e))))?;
        if envelope.format != FORMAT && envelope.format.starts_with("phonebox-secrets/") {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the secrets file was written by a newer Phonebox (format {:?}); \
                     run that version, or move the file away to start without those secrets",
                    envelope.format
                ),
            ));
        }
        envelope.decoded().map_err(corrupt)?;
        Ok(envelope)
    }

    /// The keyring entry (user, under [`SERVICE`]) that holds the key.
    pub(super) fn keyring_user(&self) -> &str {
        &self.keyring_user
    }

    pub(super) fn seal(seal: &Seal, plain: &[u8]) -> io::Result<Envelope> {
        let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = Envelope::aad(&seal.user);
        let ciphertext = seal
            .key
            .cipher()
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .map_err(|_| io::Error::other("cannot encrypt the secrets"))?;
        Ok(Envelope {
            format: FORMAT.to_owned(),
            sealed: "keyring".to_owned(),
            keyring_user: seal.user.clone(),
            nonce: BASE64.encode(nonce),
            ciphertext: BASE64.encode(ciphertext),
        })
    }

    pub(super) fn unseal(&self, seal: &Seal) -> io::Result<BTreeMap<String, String>> {
        // Checked when the file was read; decoded again here to keep one type.
        let (nonce, ciphertext) = self.decoded().map_err(corrupt)?;
        let aad = Envelope::aad(&self.keyring_user);
        let mut plain = seal
            .key
            .cipher()
            .decrypt(
                (&nonce).into(),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| {
                sealed_unreadable(
                    &format!(
                        "the key in keyring entry {SERVICE}/{} does not open it \
                         (another key, or the file was altered)",
                        self.keyring_user
                    ),
                    "unlock the keyring that holds its key",
                )
            })?;
        let values = serde_json::from_slice(&plain)
            .map_err(|e| corrupt(format!("the sealed map is not valid: {}", json_problem(&e))));
        wipe(&mut plain);
        values
    }

    /// Checks everything but the key: a file that fails here is damaged, whatever
    /// the keyring holds.
    fn decoded(&self) -> Result<([u8; 12], Vec<u8>), String> {
        if self.format != FORMAT {
            return Err(format!("unknown format {:?}", self.format));
        }
        if self.sealed != "keyring" {
            return Err(format!("sealed with {:?}, expected keyring", self.sealed));
        }
        if self.keyring_user.is_empty() {
            return Err("keyring_user is empty".to_owned());
        }
        let nonce = BASE64
            .decode(&self.nonce)
            .ok()
            .and_then(|n| <[u8; 12]>::try_from(n.as_slice()).ok())
            .ok_or("nonce is not 12 bytes of base64")?;
        let ciphertext = BASE64
            .decode(&self.ciphertext)
            .map_err(|_| "ciphertext is not base64")?;
        if ciphertext.len() < 16 {
            return Err("ciphertext is shorter than its tag".to_owned());
        }
        Ok((nonce, ciphertext))
    }

    /// Binds the ciphertext to its format and keyring entry.
    fn aad(user: &str) -> Vec<u8> {
        format!("{FORMAT}\n{SERVICE}/{user}").into_bytes()
    }
}

pub(super) fn sealed_unreadable(why: &str, remedy: &str) -> io::Error {
    io::Error::other(format!(
        "the secrets file is sealed with a key in the OS keyring that cannot be read: \
         {why}; {remedy}, or move the file away to start without those secrets"
    ))
}

/// Where serde_json failed, without its message: that can quote the file's text,
/// and the file's text is secrets.
pub(super) fn json_problem(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "cannot read",
        serde_json::error::Category::Syntax => "a syntax error",
        serde_json::error::Category::Data => "an unexpected value",
        serde_json::error::Category::Eof => "it ends too soon",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

pub(super) fn corrupt(what: impl fmt::Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!(
            "the secrets file is damaged ({what}); \
             move it away to start without those secrets"
        ),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::secrets::fixtures::{open, temp_secrets, MemoryKeyring, TOKEN};
    use crate::secrets::keyring::{keyring_user, KeySource as _};
    use crate::secrets::SecretsStore;

    #[test]
    fn every_write_seals_with_a_fresh_nonce() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        let secrets = open(&path, SecretsStore::Auto, &keyring).expect("opens");
        secrets.set("a", "same").expect("writes");
        let first = std::fs::read_to_string(&path).expect("reads");
        secrets.set("a", "same").expect("writes");
        let second = std::fs::read_to_string(&path).expect("reads");
        assert_ne!(first, second);
    }

    #[test]
    fn a_sealed_file_with_another_key_fails_clearly_and_is_left_untouched() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("default/twilio/auth_token", TOKEN)
            .expect("writes");
        let before = std::fs::read(&path).expect("reads");
        let user = keyring_user(&path);
        let wrong = [7; 32];
        keyring.insert(&user, wrong);

        for mode in [SecretsStore::Auto, SecretsStore::Keyring] {
            let e = open(&path, mode, &keyring).expect_err("refused");
            let text = e.to_string();
            assert!(
                text.contains("sealed with a key in the OS keyring that cannot be read"),
                "{text}"
            );
            assert!(text.contains("move the file away"), "{text}");
            assert!(text.contains("does not open it"), "{text}");
            assert!(!text.contains(TOKEN));
            assert!(!text.contains(&BASE64.encode(wrong)));
        }
        assert_eq!(std::fs::read(&path).expect("reads"), before, "untouched");
        assert_eq!(
            keyring.load(&user).expect("loads").map(|k| k.0),
            Some(wrong),
            "the key is not replaced either"
        );
    }

    #[test]
    fn a_moved_data_directory_still_finds_its_key() {
        let (dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("k", TOKEN)
            .expect("writes");
        let moved = dir.path().join("elsewhere.secrets.json");
        std::fs::rename(&path, &moved).expect("moves");
        let secrets = open(&moved, SecretsStore::Keyring, &keyring).expect("opens");
        assert_eq!(secrets.get("k").as_deref(), Some(TOKEN));
    }

    #[test]
    fn a_damaged_file_gives_a_clear_error_without_quoting_it() {
        let (_dir, path) = temp_secrets();
        let keyring = Arc::new(MemoryKeyring::default());
        open(&path, SecretsStore::Auto, &keyring)
            .expect("opens")
            .set("k", TOKEN)
            .expect("writes");
        let good = std::fs::read_to_string(&path).expect("reads");
        let envelope: Envelope = serde_json::from_str(&good).expect("envelope");

        let truncated = envelope.ciphertext[..envelope.ciphertext.len() / 2].to_owned() + "!";
        let damaged = [
            good.replace(&envelope.nonce, "bm9uY2U="),
            good.replace(&envelope.ciphertext, &truncated),
            good.replace("\"keyring\",", "\"tpm\","),
            good[..good.len() / 2].to_owned(),
            format!("{{\"default/twilio/auth_token\": \"{TOKEN}\""),
            format!("[\"{TOKEN}\"]"),
            format!("{{\"default/twilio/auth_token\": [\"{TOKEN}\"]}}"),
        ];
        for text in damaged {
            std::fs::write(&path, &text).expect("writes");
            let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{e}");
            let message = e.to_string();
            assert!(message.contains("the secrets file is damaged"), "{message}");
            assert!(!message.contains(TOKEN), "{message}");
            assert_eq!(std::fs::read_to_string(&path).expect("reads"), text);
        }

        std::fs::write(&path, good.replace(FORMAT, "phonebox-secrets/2")).expect("writes");
        let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
        assert!(e.to_string().contains("written by a newer Phonebox"), "{e}");

        // Intact envelope, altered ciphertext: caught by the tag, not as damage.
        let mut flipped = BASE64.decode(&envelope.ciphertext).expect("base64");
        flipped[0] ^= 1;
        std::fs::write(
            &path,
            good.replace(&envelope.ciphertext, &BASE64.encode(flipped)),
        )
        .expect("writes");
        let e = open(&path, SecretsStore::Auto, &keyring).expect_err("refused");
        assert!(e.to_string().contains("does not open it"), "{e}");
    }
}
