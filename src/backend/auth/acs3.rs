//! ACS3-HMAC-SHA256, as the Tea-based SDKs (alibabacloud_tea_openapi) sign:
//! CanonicalRequest = METHOD \n URI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HexSHA256(body)
//! StringToSign = "ACS3-HMAC-SHA256" \n Hex(SHA256(CanonicalRequest)); Signature = Hex(HMAC-SHA256(secret, StringToSign)).
use std::time::SystemTime;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::encode::canonical_query;
use super::{check_key_id, check_time, mismatch, same, Credentials, SignedRequest, Verified};
use crate::api::error as codes;
use crate::backend::error::{ServerError, ServerResult};

pub const ALGORITHM: &str = "ACS3-HMAC-SHA256";

struct AuthHeader<'a> {
    credential: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(auth: &str) -> ServerResult<AuthHeader<'_>> {
    let rest = auth
        .strip_prefix(ALGORITHM)
        .map(str::trim_start)
        .ok_or_else(|| ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, format!("Only {ALGORITHM} Authorization headers are supported.")))?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=').unwrap_or((part.trim(), ""));
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let incomplete = || ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, "The Authorization header lacks Credential, SignedHeaders or Signature.");
    Ok(AuthHeader {
        credential: credential.ok_or_else(incomplete)?,
        signed_headers: signed.ok_or_else(incomplete)?.split(';').filter(|s| !s.is_empty()).collect(),
        signature: signature.ok_or_else(incomplete)?,
    })
}

pub(super) fn verify(auth: &str, req: &SignedRequest<'_>, creds: &Credentials, now: SystemTime) -> ServerResult<Verified> {
    let h = parse(auth)?;
    check_key_id(h.credential, creds)?;
    for required in ["x-acs-date", "x-acs-signature-nonce"] {
        if !h.signed_headers.contains(&required) {
            return Err(ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, format!("The header {required} must be signed.")));
        }
    }
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    check_time(header("x-acs-date"), now)?;
    let nonce = header("x-acs-signature-nonce").filter(|n| !n.is_empty()).ok_or_else(mismatch)?.to_string();

    let body_hash = hex::encode(Sha256::digest(req.body));
    let payload = header("x-acs-content-sha256").unwrap_or(&body_hash);
    if !same(payload.as_bytes(), body_hash.as_bytes()) {
        return Err(mismatch());
    }
    let mut canonical_headers = String::new();
    for name in &h.signed_headers {
        let mut values: Vec<String> = req
            .headers
            .get_all(*name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect();
        values.sort();
        canonical_headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        if req.path.is_empty() { "/" } else { req.path },
        canonical_query(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        canonical_headers,
        h.signed_headers.join(";"),
        payload
    );
    let expected = sign(&creds.access_key_secret, &canonical_request);
    if !same(expected.as_bytes(), h.signature.to_ascii_lowercase().as_bytes()) {
        return Err(mismatch());
    }
    Ok(Verified { nonce })
}

/// Hex signature of a canonical request (also used by our client).
pub fn sign(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!("{ALGORITHM}\n{}", hex::encode(Sha256::digest(canonical_request.as_bytes())));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}
