//! Request authentication: ACS3-HMAC-SHA256 (the Tea-based SDKs) and RPC HMAC-SHA1 v1
//! (`aliyun-python-sdk-core`), with a timestamp window and a nonce store against replays.
pub mod acs3;
pub mod encode;
mod nonce;
pub mod rpc;

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;

pub use encode::percent_encode;
pub use nonce::NonceStore;

use super::error::{ServerError, ServerResult};
use super::params::Params;
use crate::api::error as codes;

/// How far a request's timestamp may be from the server's clock, and how long a nonce is kept.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// The account's access key.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).field("access_key_secret", &"***").finish()
    }
}

/// What the verifier needs of a request.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Decoded query-string pairs, as received.
    pub query: &'a [(String, String)],
    /// Query and form body merged.
    pub params: &'a Params,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

pub struct Authenticator {
    credentials: Credentials,
    nonces: NonceStore,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Authenticator { credentials, nonces: NonceStore::default() }
    }

    pub fn verify(&self, req: &SignedRequest<'_>) -> ServerResult<()> {
        let now = SystemTime::now();
        let signed = if let Some(auth) = req.headers.get("authorization") {
            let auth = auth.to_str().map_err(|_| ServerError::forbidden(codes::UNSUPPORTED_SIGNATURE, "The Authorization header is not valid text."))?;
            acs3::verify(auth, req, &self.credentials, now)?
        } else if req.params.raw("Signature").is_some() {
            rpc::verify(req, &self.credentials, now)?
        } else {
            return Err(ServerError::forbidden(
                codes::MISSING_SIGNATURE,
                "The request is not signed: send an ACS3-HMAC-SHA256 Authorization header or the RPC Signature parameters.",
            ));
        };
        if !self.nonces.insert(&format!("{}/{}", self.credentials.access_key_id, signed.nonce), now) {
            return Err(ServerError::forbidden(codes::SIGNATURE_NONCE_USED, "The request signature nonce has been used."));
        }
        Ok(())
    }
}

/// What a verified signature carries for the replay check.
pub(crate) struct Verified {
    pub nonce: String,
}

/// Parses an ISO 8601 UTC timestamp and checks it is within the window.
pub(crate) fn check_time(value: Option<&str>, now: SystemTime) -> ServerResult<()> {
    let value = value.ok_or_else(|| ServerError::forbidden(codes::MISSING_SIGNATURE, "The request has no timestamp."))?;
    let t = humantime::parse_rfc3339_weak(value)
        .map_err(|_| ServerError::forbidden(codes::INVALID_TIMESTAMP_FORMAT, format!("The timestamp {value:?} is not ISO 8601 UTC.")))?;
    let skew = match now.duration_since(t) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > WINDOW {
        return Err(ServerError::forbidden(codes::TIMESTAMP_EXPIRED, "The request timestamp is more than 15 minutes off the server's clock."));
    }
    Ok(())
}

/// Constant-time comparison of two byte strings.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn check_key_id(given: &str, credentials: &Credentials) -> ServerResult<()> {
    if !same(given.as_bytes(), credentials.access_key_id.as_bytes()) {
        return Err(ServerError::forbidden(codes::INVALID_ACCESS_KEY_ID, "Specified access key is not found."));
    }
    Ok(())
}

pub(crate) fn mismatch() -> ServerError {
    ServerError::forbidden(
        codes::SIGNATURE_DOES_NOT_MATCH,
        "Specified signature is not matched with our calculation.",
    )
}
