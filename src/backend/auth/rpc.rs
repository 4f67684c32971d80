//! RPC signature v1 (HMAC-SHA1), as aliyun-python-sdk-core's CommonRequest signs:
//! StringToSign = METHOD & %2F & encode(sorted k=v of all parameters but Signature);
//! Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).
use std::time::SystemTime;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::encode::{canonical_query, percent_encode};
use super::{check_key_id, check_time, mismatch, same, Credentials, SignedRequest, Verified};
use crate::api::error as codes;
use crate::backend::error::{ServerError, ServerResult};

pub(super) fn verify(req: &SignedRequest<'_>, creds: &Credentials, now: SystemTime) -> ServerResult<Verified> {
    let p = req.params;
    let key_id = p.raw("AccessKeyId").ok_or_else(|| ServerError::forbidden(codes::MISSING_SIGNATURE, "The request has no AccessKeyId."))?;
    check_key_id(key_id, creds)?;
    match p.raw("SignatureMethod") {
        Some("HMAC-SHA1") | None => {}
        Some(other) => return Err(ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, format!("SignatureMethod {other} is not supported; use HMAC-SHA1."))),
    }
    if let Some(v) = p.raw("SignatureVersion") {
        if v != "1.0" {
            return Err(ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, format!("SignatureVersion {v} is not supported; use 1.0.")));
        }
    }
    check_time(p.raw("Timestamp"), now)?;
    let nonce = p.raw("SignatureNonce").filter(|n| !n.is_empty()).ok_or_else(|| ServerError::forbidden(codes::MISSING_SIGNATURE, "The request has no SignatureNonce."))?;
    let given = p.raw("Signature").unwrap_or_default();
    let expected = sign(req.method, &creds.access_key_secret, p.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if !same(expected.as_bytes(), given.as_bytes()) {
        return Err(mismatch());
    }
    Ok(Verified { nonce: nonce.to_string() })
}

/// The Base64 signature of a parameter set (`Signature` itself is skipped).
pub fn sign<'a>(method: &str, secret: &str, params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let canonical = canonical_query(params.into_iter().filter(|(k, _)| *k != "Signature"));
    let string_to_sign = format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical));
    let mut mac = Hmac::<Sha1>::new_from_slice(format!("{secret}&").as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
