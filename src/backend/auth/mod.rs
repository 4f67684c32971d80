//! Request authentication: verifies ACS3-HMAC-SHA256 (the Tea-based SDKs) and RPC HMAC-SHA1 v1
//! (`aliyun-python-sdk-core`) signatures with the shared `crate::signing` functions, with a
//! timestamp window and a nonce store against replays. Failures are `AuthError`s, turned into
//! the server's `ServerError` in one place (`From<AuthError>`).
mod acs3;
mod nonce;
mod rpc;

use std::time::{Duration, SystemTime};

use axum::http::HeaderMap;

pub use nonce::NonceStore;

use super::error::ServerError;
use super::params::Params;
use crate::api::error as codes;
use crate::signing::{same, Credentials};

/// How far a request's timestamp may be from the server's clock, and how long a nonce is kept.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why a request's signature is refused. Every variant answers 403 with its dialect code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No signature at all, or a signed request without a timestamp, key id or nonce.
    #[error("{0}")]
    Missing(String),
    /// An algorithm, version or header layout this backend does not verify.
    #[error("{0}")]
    Unsupported(String),
    #[error("Specified access key is not found.")]
    UnknownKeyId,
    #[error("Specified signature is not matched with our calculation.")]
    Mismatch,
    #[error("The request signature nonce has been used.")]
    NonceUsed,
    #[error("The request timestamp is more than 15 minutes off the server's clock.")]
    TimestampExpired,
    #[error("{0}")]
    TimestampFormat(String),
}

impl AuthError {
    /// The dialect's error code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Missing(_) => codes::MISSING_SIGNATURE,
            AuthError::Unsupported(_) => codes::UNSUPPORTED_SIGNATURE,
            AuthError::UnknownKeyId => codes::INVALID_ACCESS_KEY_ID,
            AuthError::Mismatch => codes::SIGNATURE_DOES_NOT_MATCH,
            AuthError::NonceUsed => codes::SIGNATURE_NONCE_USED,
            AuthError::TimestampExpired => codes::TIMESTAMP_EXPIRED,
            AuthError::TimestampFormat(_) => codes::INVALID_TIMESTAMP_FORMAT,
        }
    }
}

/// The one place an authentication failure becomes a response: 403, code and message.
impl From<AuthError> for ServerError {
    fn from(e: AuthError) -> Self {
        ServerError::forbidden(e.code(), e.to_string())
    }
}

pub type AuthResult<T> = Result<T, AuthError>;

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
    /// The body is checked later against a content address the signed query names (an agent's
    /// pack or index upload): the signature may leave it out (`acs3::UNSIGNED_PAYLOAD`).
    pub content_addressed: bool,
}

/// Who signed a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Principal {
    /// The account's access key: every action.
    Account,
    /// A client-scoped key minted for an agent (`CreateAgentAccessKey`): only that client's
    /// agent work (`POST /agent`, for that client).
    Agent { client_id: String },
}

pub struct Authenticator {
    credentials: Credentials,
    /// Client-scoped agent keys: key id -> (credentials, client id).
    agents: std::sync::RwLock<std::collections::HashMap<String, (Credentials, String)>>,
    nonces: NonceStore,
}

impl Authenticator {
    pub fn new(credentials: Credentials) -> Self {
        Authenticator { credentials, agents: Default::default(), nonces: NonceStore::default() }
    }

    /// Adds a client-scoped agent key (at start from the catalog, and when one is minted).
    pub fn add_agent_key(&self, access_key_id: &str, access_key_secret: &str, client_id: &str) {
        let creds = Credentials { access_key_id: access_key_id.to_string(), access_key_secret: access_key_secret.to_string() };
        self.agents.write().unwrap_or_else(|p| p.into_inner()).insert(access_key_id.to_string(), (creds, client_id.to_string()));
    }

    /// Forgets the agent keys of a deleted client.
    pub fn remove_agent_keys_of(&self, client_id: &str) {
        self.agents.write().unwrap_or_else(|p| p.into_inner()).retain(|_, (_, c)| c != client_id);
    }

    /// The credentials a key id names, and whom they stand for.
    fn lookup(&self, key_id: Option<&str>) -> (Credentials, Principal) {
        if let Some(id) = key_id {
            if let Some((c, client_id)) = self.agents.read().unwrap_or_else(|p| p.into_inner()).get(id) {
                return (c.clone(), Principal::Agent { client_id: client_id.clone() });
            }
        }
        (self.credentials.clone(), Principal::Account)
    }

    pub fn verify(&self, req: &SignedRequest<'_>) -> AuthResult<Principal> {
        let now = SystemTime::now();
        let (signed, creds, principal) = if let Some(auth) = req.headers.get("authorization") {
            let auth = auth.to_str().map_err(|_| AuthError::Unsupported("The Authorization header is not valid text.".into()))?;
            let (creds, principal) = self.lookup(acs3::key_id(auth));
            (acs3::verify(auth, req, &creds, now)?, creds, principal)
        } else if req.params.raw("Signature").is_some() {
            let (creds, principal) = self.lookup(req.params.raw("AccessKeyId"));
            (rpc::verify(req, &creds, now)?, creds, principal)
        } else {
            return Err(AuthError::Missing(
                "The request is not signed: send an ACS3-HMAC-SHA256 Authorization header or the RPC Signature parameters.".into(),
            ));
        };
        if !self.nonces.insert(&format!("{}/{}", creds.access_key_id, signed.nonce), now) {
            return Err(AuthError::NonceUsed);
        }
        Ok(principal)
    }
}

/// What a verified signature carries for the replay check.
struct Verified {
    nonce: String,
}

/// Parses an ISO 8601 UTC timestamp and checks it is within the window.
fn check_time(value: Option<&str>, now: SystemTime) -> AuthResult<()> {
    let value = value.ok_or_else(|| AuthError::Missing("The request has no timestamp.".into()))?;
    let t = humantime::parse_rfc3339_weak(value).map_err(|_| AuthError::TimestampFormat(format!("The timestamp {value:?} is not ISO 8601 UTC.")))?;
    let skew = match now.duration_since(t) {
        Ok(d) => d,
        Err(e) => e.duration(),
    };
    if skew > WINDOW {
        return Err(AuthError::TimestampExpired);
    }
    Ok(())
}

fn check_key_id(given: &str, credentials: &Credentials) -> AuthResult<()> {
    if !same(given.as_bytes(), credentials.access_key_id.as_bytes()) {
        return Err(AuthError::UnknownKeyId);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_errors_keep_their_codes_and_messages() {
        let e: ServerError = AuthError::Mismatch.into();
        assert_eq!((e.status.as_u16(), e.code.as_str(), e.message.as_str()), (403, codes::SIGNATURE_DOES_NOT_MATCH, "Specified signature is not matched with our calculation."));
        let e: ServerError = AuthError::UnknownKeyId.into();
        assert_eq!((e.code.as_str(), e.message.as_str()), (codes::INVALID_ACCESS_KEY_ID, "Specified access key is not found."));
        let e: ServerError = AuthError::NonceUsed.into();
        assert_eq!(e.code, codes::SIGNATURE_NONCE_USED);
    }
}
