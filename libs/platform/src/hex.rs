//! Hexadecimal text of bytes (keys, digests, page tokens), lower-case.

/// `bytes` as lower-case hex.
pub fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 15)]])
        .map(char::from)
        .collect()
}

/// The bytes `text` spells in hex (either case), if it does and is at most `max_len`
/// characters long (text from outside is bounded before it is decoded).
pub fn decode(text: &str, max_len: usize) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > max_len {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(encode(&[0, 15, 255]), "000fff");
        assert_eq!(decode("000FfF", 64), Some(vec![0, 15, 255]));
        assert_eq!(decode("abc", 64), None);
        assert_eq!(decode("zz", 64), None);
        assert_eq!(decode("abcd", 2), None);
    }
}
