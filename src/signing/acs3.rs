//! ACS3-HMAC-SHA256, as the Tea-based SDKs (alibabacloud_tea_openapi) sign:
//! CanonicalRequest = METHOD \n URI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//! StringToSign = "ACS3-HMAC-SHA256" \n Hex(SHA256(CanonicalRequest)); Signature = Hex(HMAC-SHA256(secret, StringToSign)).
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// `x-acs-content-sha256` of a body the signature leaves out. The backend accepts it only where
/// the body is checked against a content address the signature covers: an agent's upload of a
/// pack or index file, whose signed `Key` is the BLAKE3 of its bytes (so the bytes still cannot
/// be swapped in flight, and neither side hashes them twice).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Hex SHA-256 of a body (`x-acs-content-sha256`).
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The canonical request. `headers` are the signed headers in signing order, lower-case names,
/// each with its canonical value (trimmed; several values joined by `,`); `query` is already
/// canonical (`encode::canonical_query`).
pub fn canonical_request(method: &str, path: &str, query: &str, headers: &[(&str, String)], payload_hash: &str) -> String {
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
    format!("{method}\n{}\n{query}\n{canonical_headers}\n{}\n{payload_hash}", if path.is_empty() { "/" } else { path }, signed.join(";"))
}

/// Hex signature of a canonical request.
pub fn sign(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!("{ALGORITHM}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The `Authorization` header value for a signature.
pub fn authorization(access_key_id: &str, signed_headers: &[&str], signature: &str) -> String {
    format!("{ALGORITHM} Credential={access_key_id},SignedHeaders={},Signature={signature}", signed_headers.join(";"))
}
