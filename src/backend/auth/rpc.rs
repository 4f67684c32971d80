//! Verification of an RPC v1 (HMAC-SHA1) signature carried in the parameters (the signing
//! itself is `crate::signing::rpc`).
use std::time::SystemTime;

use super::{check_key_id, check_time, AuthError, AuthResult, SignedRequest, Verified};
use crate::signing::{rpc::sign, same, Credentials};

pub(super) fn verify(req: &SignedRequest<'_>, creds: &Credentials, now: SystemTime) -> AuthResult<Verified> {
    let p = req.params;
    let key_id = p.raw("AccessKeyId").ok_or_else(|| AuthError::Missing("The request has no AccessKeyId.".into()))?;
    check_key_id(key_id, creds)?;
    match p.raw("SignatureMethod") {
        Some("HMAC-SHA1") | None => {}
        Some(other) => return Err(AuthError::Unsupported(format!("SignatureMethod {other} is not supported; use HMAC-SHA1."))),
    }
    if let Some(v) = p.raw("SignatureVersion") {
        if v != "1.0" {
            return Err(AuthError::Unsupported(format!("SignatureVersion {v} is not supported; use 1.0.")));
        }
    }
    check_time(p.raw("Timestamp"), now)?;
    let nonce = p.raw("SignatureNonce").filter(|n| !n.is_empty()).ok_or_else(|| AuthError::Missing("The request has no SignatureNonce.".into()))?;
    let given = p.raw("Signature").unwrap_or_default();
    let expected = sign(req.method, &creds.access_key_secret, p.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !same(expected.as_bytes(), given.as_bytes()) {
        return Err(AuthError::Mismatch);
    }
    Ok(Verified { nonce: nonce.to_string() })
}
