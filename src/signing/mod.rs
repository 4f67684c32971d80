//! Request signing as the official SDKs do it, shared by the client (which signs) and the
//! backend's verifier (`backend::auth`, which recomputes and compares):
//! - `encode`: RFC 3986 percent-encoding and the canonical (sorted) query string;
//! - `acs3`: ACS3-HMAC-SHA256, the Tea-based SDKs' header signature;
//! - `rpc`: RPC signature v1 (HMAC-SHA1), `aliyun-python-sdk-core`'s parameter signature;
//! - `Credentials`: the account's access key.
//!
//! Pure functions over strings and bytes: nothing here names the server, axum or reqwest, so
//! an agent can sign requests without linking the backend.
pub mod acs3;
pub mod encode;
pub mod rpc;

pub use encode::{canonical_query, percent_encode};

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

/// Constant-time comparison of two byte strings (for signatures and key ids).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
