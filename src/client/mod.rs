//! Async client of the backend, signing every request with ACS3-HMAC-SHA256 exactly as the
//! official Tea-based SDKs do (business parameters in the query string of a POST). Requests are
//! the typed structs of `crate::api` (`Client::send`); the methods in `actions.rs` and
//! `sqlserver.rs` are conveniences that fill them in. Signing is `crate::signing`; `trust.rs`
//! decides which certificates an `https://` endpoint may present (TLS configs from
//! `crate::tls`); nothing here depends on the backend.
mod actions;
mod sqlserver;
mod trust;

pub use actions::VaultQuery;
pub use sqlserver::{InstanceSpec, SqlRestoreSpec};
pub use trust::{check_transport, Trust};

use std::time::{Duration, SystemTime};

use serde::de::DeserializeOwned;

use crate::api::{Action, Envelope, API_VERSION};
use crate::signing::{acs3, canonical_query};
pub use crate::signing::Credentials;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the backend: {0}")]
    Http(String),
    #[error("{code}: {message}")]
    Api { status: u16, code: String, message: String, request_id: String },
    #[error("unexpected response: {0}")]
    Decode(String),
    #[error("invalid endpoint {0:?}")]
    Endpoint(String),
    /// A certificate was refused, or the trust settings are unusable.
    #[error("TLS: {0}")]
    Tls(String),
    /// `check_transport`: plain HTTP to this host:port, which is not a loopback address.
    #[error("refusing plain HTTP to {0}, which is not a loopback address (vault keys and data would cross the network unencrypted): use https://{0}, with --fingerprint HEX as `mirrorvault serve` prints it for its self-signed certificate")]
    PlainHttp(String),
}

/// A failed request in words: the certificate's problem when TLS refused it, else reqwest's.
fn http_error(e: reqwest::Error) -> ClientError {
    match crate::tls::certificate_failure(&e) {
        Some(reason) => ClientError::Tls(reason),
        None => ClientError::Http(e.to_string()),
    }
}

impl ClientError {
    /// The dialect's error code, when the backend answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    host: String,
    credentials: Credentials,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("endpoint", &self.base).field("credentials", &self.credentials).finish()
    }
}

fn iso8601(t: SystemTime) -> String {
    let s = humantime::format_rfc3339_seconds(t).to_string();
    s
}

impl Client {
    /// `endpoint`: `http://host:port` (or `host:port`) or `https://host:port` (public roots).
    pub fn new(endpoint: &str, credentials: Credentials) -> Result<Client, ClientError> {
        Client::with_trust(endpoint, credentials, &Trust::default())
    }

    /// `new`, checking an `https://` endpoint's certificate as `trust` says (a pinned
    /// fingerprint, or a CA file).
    pub fn with_trust(endpoint: &str, credentials: Credentials, trust: &Trust) -> Result<Client, ClientError> {
        let base = if endpoint.contains("://") { endpoint.trim_end_matches('/').to_string() } else { format!("http://{}", endpoint.trim_end_matches('/')) };
        let host = base.split("://").nth(1).and_then(|r| r.split('/').next()).filter(|h| !h.is_empty()).ok_or_else(|| ClientError::Endpoint(endpoint.into()))?.to_string();
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(60)).connect_timeout(Duration::from_secs(5)).no_proxy();
        if let Some(tls) = trust.client_config(&base)? {
            builder = builder.use_preconfigured_tls(tls);
        }
        let http = builder.build().map_err(|e| ClientError::Http(e.to_string()))?;
        Ok(Client { http, base, host, credentials })
    }

    pub fn endpoint(&self) -> &str {
        &self.base
    }

    /// `GET /health` (unsigned).
    pub async fn health(&self) -> Result<(), ClientError> {
        let r = self.http.get(format!("{}/health", self.base)).timeout(Duration::from_secs(3)).send().await.map_err(http_error)?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(ClientError::Http(format!("health check answered {}", r.status())))
        }
    }

    /// Sends a typed request and decodes its response.
    pub async fn send<A: Action>(&self, request: &A) -> Result<A::Response, ClientError> {
        let params = request.to_params();
        self.post(A::NAME, canonical_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))).await
    }

    /// Calls `action` with raw `params` (for probing the dialect: unknown actions, bad values).
    pub async fn call<T: DeserializeOwned>(&self, action: &str, params: &[(&str, String)]) -> Result<T, ClientError> {
        self.post(action, canonical_query(params.iter().map(|(k, v)| (*k, v.as_str())))).await
    }

    /// POSTs `action` with a canonical query, signed with ACS3-HMAC-SHA256, and decodes the answer.
    async fn post<T: DeserializeOwned>(&self, action: &str, query: String) -> Result<T, ClientError> {
        let body = self.post_raw("/", action, query, bytes::Bytes::new(), true).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Decode(format!("{action}: {e}")))
    }

    /// A remote agent's action (`POST /agent`, `api::agent`) with a raw request body (empty for
    /// most), decoded.
    pub async fn agent<A: Action>(&self, request: &A, body: bytes::Bytes) -> Result<A::Response, ClientError> {
        let raw = self.agent_bytes(request, body).await?;
        serde_json::from_slice(&raw).map_err(|e| ClientError::Decode(format!("{}: {e}", A::NAME)))
    }

    /// An agent action by name with raw `params` (for probing the protocol), as raw bytes.
    pub async fn agent_call(&self, action: &str, params: &[(&str, String)], body: bytes::Bytes) -> Result<bytes::Bytes, ClientError> {
        self.post_raw(crate::api::agent::AGENT_PATH, action, canonical_query(params.iter().map(|(k, v)| (*k, v.as_str()))), body, true).await
    }

    /// A remote agent's action whose answer is raw bytes (`AgentGetObject`).
    pub async fn agent_bytes<A: Action>(&self, request: &A, body: bytes::Bytes) -> Result<bytes::Bytes, ClientError> {
        let params = request.to_params();
        let query = canonical_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        self.post_raw(crate::api::agent::AGENT_PATH, A::NAME, query, body, true).await
    }

    /// `AgentPutObject` of a pack or index file, whose signed `Key` is the BLAKE3 of `body`: the
    /// signature leaves the body out (`acs3::UNSIGNED_PAYLOAD`; the backend checks the bytes
    /// against the name), which saves hashing every uploaded byte with SHA-256 on both ends.
    pub async fn agent_upload(&self, request: &crate::api::agent::AgentPutObjectRequest, body: bytes::Bytes) -> Result<(), ClientError> {
        use crate::api::agent::AgentPutObjectRequest as R;
        let params = request.to_params();
        let query = canonical_query(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let raw = self.post_raw(crate::api::agent::AGENT_PATH, R::NAME, query, body, false).await?;
        serde_json::from_slice::<<R as Action>::Response>(&raw).map(drop).map_err(|e| ClientError::Decode(format!("{}: {e}", R::NAME)))
    }

    /// POSTs `action` to `path` with `body`, signed with ACS3-HMAC-SHA256 (the body's SHA-256
    /// is signed too, unless `sign_body` is false); returns the answer's bytes, or the dialect's
    /// error.
    async fn post_raw(&self, path: &str, action: &str, query: String, body: bytes::Bytes, sign_body: bool) -> Result<bytes::Bytes, ClientError> {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let date = iso8601(SystemTime::now());
        let payload = if sign_body { acs3::payload_hash(&body) } else { acs3::UNSIGNED_PAYLOAD.to_string() };
        let headers: Vec<(&str, String)> = vec![
            ("host", self.host.clone()),
            ("x-acs-action", action.to_string()),
            ("x-acs-content-sha256", payload.clone()),
            ("x-acs-date", date),
            ("x-acs-signature-nonce", nonce),
            ("x-acs-version", API_VERSION.to_string()),
        ];
        let headers: Vec<(&str, String)> = headers.into_iter().map(|(k, v)| (k, v.trim().to_string())).collect();
        let signed: Vec<&str> = headers.iter().map(|(k, _)| *k).collect();
        let signature = acs3::sign(&self.credentials.access_key_secret, &acs3::canonical_request("POST", path, &query, &headers, &payload));
        let url = if query.is_empty() { format!("{}{path}", self.base) } else { format!("{}{path}?{query}", self.base) };
        let mut req = self
            .http
            .post(url)
            .header("accept", "application/json")
            .header("authorization", acs3::authorization(&self.credentials.access_key_id, &signed, &signature));
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            req = req.header(*k, v);
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/octet-stream").body(body);
        }
        let resp = req.send().await.map_err(http_error)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| ClientError::Http(e.to_string()))?;
        if !status.is_success() {
            let env: Envelope = serde_json::from_slice(&body).unwrap_or_default();
            return Err(ClientError::Api {
                status: status.as_u16(),
                code: env.code.unwrap_or_else(|| format!("Http{}", status.as_u16())),
                message: env.message.unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(300).collect()),
                request_id: env.request_id,
            });
        }
        Ok(body)
    }
}

