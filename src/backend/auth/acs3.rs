//! Verification of an ACS3-HMAC-SHA256 `Authorization` header (the signing itself is
//! `crate::signing::acs3`).
use std::time::SystemTime;

use super::{check_key_id, check_time, AuthError, AuthResult, SignedRequest, Verified};
use crate::signing::acs3::{canonical_request, payload_hash, sign, ALGORITHM, UNSIGNED_PAYLOAD};
use crate::signing::{canonical_query, same, Credentials};

struct AuthHeader<'a> {
    credential: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(auth: &str) -> AuthResult<AuthHeader<'_>> {
    let rest = auth
        .strip_prefix(ALGORITHM)
        .map(str::trim_start)
        .ok_or_else(|| AuthError::Unsupported(format!("Only {ALGORITHM} Authorization headers are supported.")))?;
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
    let incomplete = || AuthError::Unsupported("The Authorization header lacks Credential, SignedHeaders or Signature.".into());
    Ok(AuthHeader {
        credential: credential.ok_or_else(incomplete)?,
        signed_headers: signed.ok_or_else(incomplete)?.split(';').filter(|s| !s.is_empty()).collect(),
        signature: signature.ok_or_else(incomplete)?,
    })
}

/// The access key id an Authorization header names (to pick the credentials to verify with).
pub(super) fn key_id(auth: &str) -> Option<&str> {
    parse(auth).ok().map(|h| h.credential)
}

pub(super) fn verify(auth: &str, req: &SignedRequest<'_>, creds: &Credentials, now: SystemTime) -> AuthResult<Verified> {
    let h = parse(auth)?;
    check_key_id(h.credential, creds)?;
    for required in ["x-acs-date", "x-acs-signature-nonce"] {
        if !h.signed_headers.contains(&required) {
            return Err(AuthError::Unsupported(format!("The header {required} must be signed.")));
        }
    }
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    check_time(header("x-acs-date"), now)?;
    let nonce = header("x-acs-signature-nonce").filter(|n| !n.is_empty()).ok_or(AuthError::Mismatch)?.to_string();

    let body_hash;
    let payload = match header("x-acs-content-sha256") {
        Some(UNSIGNED_PAYLOAD) if req.content_addressed => UNSIGNED_PAYLOAD,
        claimed => {
            body_hash = payload_hash(req.body);
            if !same(claimed.unwrap_or(&body_hash).as_bytes(), body_hash.as_bytes()) {
                return Err(AuthError::Mismatch);
            }
            &body_hash
        }
    };
    let headers: Vec<(&str, String)> = h
        .signed_headers
        .iter()
        .map(|name| {
            let mut values: Vec<String> = req.headers.get_all(*name).iter().map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string()).collect();
            values.sort();
            (*name, values.join(","))
        })
        .collect();
    let query = canonical_query(req.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let expected = sign(&creds.access_key_secret, &canonical_request(req.method, req.path, &query, &headers, payload));
    if !same(expected.as_bytes(), h.signature.to_ascii_lowercase().as_bytes()) {
        return Err(AuthError::Mismatch);
    }
    Ok(Verified { nonce })
}
