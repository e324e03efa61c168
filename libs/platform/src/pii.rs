//! Personal data (phone numbers, names, ID numbers) at rest: sealed with
//! ChaCha20-Poly1305 under a key from configuration, shown masked, never logged or
//! published in clear.

use anyhow::Context as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};

use crate::FieldViolation;
use crate::hex::encode as to_hex;
use crate::settings::Settings;

const NONCE_LEN: usize = 12;

/// Seals and opens personal data with the deployment's key.
#[derive(Clone)]
pub struct Protector {
    cipher: ChaCha20Poly1305,
    digest_key: [u8; 32],
}

impl std::fmt::Debug for Protector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Protector(***)")
    }
}

impl Protector {
    /// The key of `pii.key`, or of `<data_dir>/pii.key`, generated there on first use.
    pub fn load(settings: &Settings) -> anyhow::Result<Self> {
        let hex = match &settings.pii.key {
            Some(key) => key.expose().to_owned(),
            None => crate::files::key_file(&settings.data_dir.join("pii.key"))?,
        };
        let key: [u8; 32] = crate::hex::decode(hex.trim(), usize::MAX)
            .and_then(|b| b.try_into().ok())
            .context("pii.key must be 64 hex digits")?;
        Ok(Self::from_key(&key))
    }

    /// A protector with a 32-byte key.
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(&Key::from(*key)),
            // A key of its own for digests, derived from the deployment's key.
            digest_key: hmac_sha256(key, b"xingfu digest key v1"),
        }
    }

    /// A keyed digest (HMAC-SHA-256) of `parts`, in hex: equal inputs give equal digests,
    /// but without the key nobody can test guesses of personal data against it.
    pub fn digest<'a>(&self, parts: impl IntoIterator<Item = &'a str>) -> String {
        let mut message = Vec::new();
        for part in parts {
            message.extend_from_slice(&part.len().to_le_bytes());
            message.extend_from_slice(part.as_bytes());
        }
        to_hex(&hmac_sha256(&self.digest_key, &message))
    }

    /// Encrypts `clear`: hex of a random nonce followed by the ciphertext and tag.
    pub fn seal(&self, clear: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        crate::files::fill_random(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(&Nonce::from(nonce), clear.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        to_hex(&out)
    }

    /// Decrypts what [`Protector::seal`] produced; `None` for another key or a tampered value.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = crate::hex::decode(sealed, usize::MAX)?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().ok()?;
        let clear = self.cipher.decrypt(&Nonce::from(nonce), body).ok()?;
        String::from_utf8(clear).ok()
    }
}

/// A phone number, mostly hidden: a mobile number (11 or more characters) keeps its first
/// three and last four (138****5678); a shorter one only its last two; a very short one
/// nothing.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    let n = chars.len();
    let (head, tail) = match n {
        11.. => (3, 4),
        7..=10 => (0, 2),
        _ => (0, 0),
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if i < head || i >= n - tail { *c } else { '*' })
        .collect()
}

/// A name with all but its first character hidden (张三丰 → 张**); a one-character name
/// entirely.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match (chars.next(), name.chars().count()) {
        (Some(_), 1) => "*".into(),
        (Some(first), _) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        (None, _) => String::new(),
    }
}

// Resident ID numbers (GB 11643) and phones: the checks on the personal data people give.

/// A phone: 5 to 20 digits, optionally a leading `+`; spaces and dashes are dropped.
pub fn parse_phone(value: &str, field: &str) -> Result<String, FieldViolation> {
    let kept: String = value.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let digits = kept.strip_prefix('+').unwrap_or(&kept);
    if (5..=20).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(kept)
    } else {
        Err(FieldViolation::new(
            field,
            "must be 5 to 20 digits, optionally with a leading +",
        ))
    }
}

/// The check character (GB 11643) of an ID number's first 17 digits; `None` if they are
/// not 17 digits.
pub fn check_character(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECKS: &[u8; 11] = b"10X98765432";
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECKS[(sum % 11) as usize]))
}

/// A resident ID number (GB 11643): 17 digits and a check character, upper-cased.
pub fn parse_id_number(value: &str, field: &str) -> Result<String, FieldViolation> {
    let upper = value.trim().to_ascii_uppercase();
    let (first17, check) = upper.split_at_checked(17).unwrap_or((&upper, ""));
    let Some(expected) = check_character(first17).filter(|_| check.len() == 1) else {
        return Err(FieldViolation::new(
            field,
            "must be 17 digits and a check character",
        ));
    };
    if !check.starts_with(expected) {
        return Err(FieldViolation::new(
            field,
            "the check character does not match",
        ));
    }
    Ok(upper)
}

/// An ID number with all but its first six and last two characters hidden.
pub fn mask_id_number(id_number: &str) -> String {
    id_number
        .chars()
        .enumerate()
        .map(|(i, c)| if (6..16).contains(&i) { '*' } else { c })
        .collect()
}

/// The year of birth an ID number (already checked by [`parse_id_number`]) records.
pub fn birth_year(id_number: &str) -> Option<i32> {
    id_number.get(6..10)?.parse().ok()
}

/// HMAC-SHA-256 (RFC 2104) over `sha2`, which the workspace already has.
fn hmac_sha256(key: &[u8; 32], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    let inner_pad: Vec<u8> = block.iter().map(|b| b ^ 0x36).collect();
    let outer_pad: Vec<u8> = block.iter().map(|b| b ^ 0x5c).collect();
    let inner = Sha256::new()
        .chain_update(&inner_pad)
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(&outer_pad)
        .chain_update(inner)
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_need_their_check_character() {
        // 11010519491231002X is the standard's worked example.
        assert_eq!(
            parse_id_number("11010519491231002x", "f").unwrap(),
            "11010519491231002X"
        );
        assert!(parse_id_number("110105194912310021", "f").is_err());
        assert!(parse_id_number("1101051949123100", "f").is_err());
        assert_eq!(mask_id_number("11010519491231002X"), "110105**********2X");
        assert_eq!(birth_year("11010519491231002X"), Some(1949));
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(parse_phone("138-0000 5678", "f").unwrap(), "13800005678");
        assert_eq!(parse_phone("+86 138", "f").unwrap(), "+86138");
        assert!(parse_phone("12ab5", "f").is_err());
        assert!(parse_phone("1234", "f").is_err());
    }

    #[test]
    fn sealed_values_open_with_the_key_only() {
        let protector = Protector::from_key(&[7; 32]);
        let sealed = protector.seal("13812345678");
        assert!(!sealed.contains("13812345678"));
        assert_ne!(
            sealed,
            protector.seal("13812345678"),
            "a fresh nonce each time"
        );
        assert_eq!(protector.open(&sealed).as_deref(), Some("13812345678"));
        assert_eq!(Protector::from_key(&[8; 32]).open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "11" } else { "00" });
        assert_eq!(protector.open(&tampered), None);
    }

    #[test]
    fn masks_hide_most_of_it() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("87654321"), "******21");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("张"), "*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn hmac_matches_rfc_4231_and_digests_need_the_key() {
        // RFC 4231 test case 2 uses a 4-byte key; pad ours the same way HMAC does.
        let mut key = [0u8; 32];
        key[..4].copy_from_slice(b"Jefe");
        assert_eq!(
            to_hex(&hmac_sha256(&key, b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let a = Protector::from_key(&[1; 32]);
        let b = Protector::from_key(&[2; 32]);
        assert_eq!(a.digest(["13812345678"]), a.digest(["13812345678"]));
        assert_ne!(a.digest(["13812345678"]), b.digest(["13812345678"]));
        assert_ne!(a.digest(["ab", "c"]), a.digest(["a", "bc"]));
    }

    #[test]
    fn a_generated_key_is_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pii.key");
        let first = crate::files::key_file(&path).unwrap();
        assert_eq!(crate::files::key_file(&path).unwrap(), first);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
