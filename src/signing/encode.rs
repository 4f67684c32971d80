//! Percent-encoding and the canonical query string both signatures are computed over.
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// RFC 3986 unreserved characters stay; everything else is %XX (space is %20).
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// `k=v` pairs sorted by key (then value), percent-encoded, joined with `&`.
pub fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut v: Vec<(String, String)> = pairs.into_iter().map(|(k, v)| (percent_encode(k), percent_encode(v))).collect();
    v.sort();
    v.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn encodes_like_the_sdks() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
        assert_eq!(canonical_query([("b", "2"), ("a", "1 x")]), "a=1%20x&b=2");
    }
}
