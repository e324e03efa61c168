//! Keyset paging: a page token records the sort key where the previous page stopped and a
//! fingerprint of the query's filters, so a page costs the same at any depth and a token
//! cannot be replayed against a different query.

use sha2::{Digest, Sha256};
use xingfu_proto::common::PageRequest;

use crate::error::Error;

/// Page size when the caller asks for none.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page served; larger requests are served this many.
pub const MAX_PAGE_SIZE: usize = 500;

const TOKEN_VERSION: u8 = 1;

/// A validated page request: how many items, and after which key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Items to return.
    pub size: usize,
    /// The sort key of the last item of the previous page, if any.
    pub after: Option<String>,
}

/// Checks a page request against the fingerprint of the query's filters (any stable
/// text naming them, e.g. `"category=3"`). Field paths in errors start with `field`.
pub fn parse(request: Option<&PageRequest>, filters: &str, field: &str) -> Result<Page, Error> {
    let default = PageRequest::default();
    let request = request.unwrap_or(&default);
    let size = match request.page_size {
        0 => DEFAULT_PAGE_SIZE,
        n if n < 0 => {
            return Err(Error::invalid(
                format!("{field}.page_size"),
                "must not be negative",
            ));
        }
        n => usize::try_from(n)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE),
    };
    let after = if request.page_token.is_empty() {
        None
    } else {
        Some(decode(&request.page_token, filters).ok_or_else(|| {
            Error::invalid(
                format!("{field}.page_token"),
                "is not a token this query returned; start again without one",
            )
        })?)
    };
    Ok(Page { size, after })
}

/// Cuts `items` (fetched with one extra row, see [`Page::fetch_limit`]) to the page and
/// returns the token of the next page, empty when there is none.
pub fn finish<T>(
    items: &mut Vec<T>,
    page: &Page,
    filters: &str,
    key: impl Fn(&T) -> &str,
) -> String {
    if items.len() > page.size {
        items.truncate(page.size);
        items
            .last()
            .map(|last| next_token(key(last), filters))
            .unwrap_or_default()
    } else {
        String::new()
    }
}

impl Page {
    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::try_from(self.size + 1).unwrap_or(i64::MAX)
    }
}

/// The token for the page after an item whose sort key is `last_key`.
pub fn next_token(last_key: &str, filters: &str) -> String {
    let mut bytes = Vec::with_capacity(9 + last_key.len());
    bytes.push(TOKEN_VERSION);
    bytes.extend_from_slice(&fingerprint(filters));
    bytes.extend_from_slice(last_key.as_bytes());
    crate::hex::encode(&bytes)
}

fn decode(token: &str, filters: &str) -> Option<String> {
    let bytes = crate::hex::decode(token, 1024)?;
    let (&version, rest) = bytes.split_first()?;
    if version != TOKEN_VERSION || rest.len() < 8 || rest[..8] != fingerprint(filters) {
        return None;
    }
    String::from_utf8(rest[8..].to_vec())
        .ok()
        .filter(|key| !key.is_empty())
}

fn fingerprint(filters: &str) -> [u8; 8] {
    let digest = Sha256::digest(filters.as_bytes());
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(size: i32, token: &str) -> PageRequest {
        PageRequest {
            page_size: size,
            page_token: token.into(),
        }
    }

    #[test]
    fn a_token_round_trips_for_the_same_filters() {
        let token = next_token("0199-abc", "category=2");
        let page = parse(Some(&request(10, &token)), "category=2", "page").unwrap();
        assert_eq!(
            page,
            Page {
                size: 10,
                after: Some("0199-abc".into())
            }
        );
    }

    #[test]
    fn a_token_from_other_filters_is_refused() {
        let token = next_token("0199-abc", "category=2");
        let err = parse(Some(&request(10, &token)), "category=3", "page").unwrap_err();
        assert!(matches!(err, Error::Invalid(v) if v[0].field == "page.page_token"));
    }

    #[test]
    fn malformed_tokens_are_invalid() {
        for token in ["zz", "abc", "00", &"a".repeat(2000), "01ffffffffffffffff"] {
            assert!(
                parse(Some(&request(1, token)), "", "page").is_err(),
                "{token}"
            );
        }
    }

    #[test]
    fn sizes_default_clamp_and_reject_negatives() {
        assert_eq!(parse(None, "", "page").unwrap().size, DEFAULT_PAGE_SIZE);
        assert_eq!(
            parse(Some(&request(100_000, "")), "", "page").unwrap().size,
            MAX_PAGE_SIZE
        );
        assert!(parse(Some(&request(-1, "")), "", "page").is_err());
    }
}
