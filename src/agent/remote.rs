//! The job's vault as the agent sees it: a `storage::RemoteObjects` whose objects are the
//! backend's `AgentGetObject` / `AgentPutObject` / `AgentDeleteObject` / `AgentListObjects` for
//! one claimed job. The storage engine runs unchanged on top of it (`Location::remote`), so a
//! backup on the agent chunks, deduplicates against the vault's index, compresses and encrypts
//! exactly as one in the backend, and sends only the packs the vault lacks.
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::api::agent::*;
use crate::backend::storage::{Ingest, RemoteObjects, StorageError};
use crate::client::{Client, ClientError};

/// One claimed job's view of its vault.
pub struct RemoteVault {
    pub client: Client,
    pub client_id: String,
    pub job_id: String,
    pub vault_id: String,
    /// Request bodies sent (the uploads), for the job's report and the benchmark.
    pub bytes_sent: AtomicU64,
    pub bytes_received: AtomicU64,
    /// Set when the backend refused an upload signed without its body (a backend older than
    /// this agent): every later upload is signed with its SHA-256.
    sign_uploads: AtomicBool,
}

/// How often a call that could not reach the backend is tried.
const ATTEMPTS: u32 = 4;

impl RemoteVault {
    pub fn new(client: Client, client_id: &str, job_id: &str, vault_id: &str) -> RemoteVault {
        RemoteVault {
            client,
            client_id: client_id.into(),
            job_id: job_id.into(),
            vault_id: vault_id.into(),
            bytes_sent: AtomicU64::new(0),
            bytes_received: AtomicU64::new(0),
            sign_uploads: AtomicBool::new(false),
        }
    }

    /// The vault-relative name of a location key (`vaults/<vault>/<rel>`).
    fn rel<'k>(&self, key: &'k str) -> Result<&'k str, StorageError> {
        key.strip_prefix("vaults/")
            .and_then(|r| r.strip_prefix(self.vault_id.as_str()))
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(|| StorageError::Invalid(format!("{key}: not an object of the job's vault {}", self.vault_id)))
    }

    /// Runs `call`, again after a pause when the backend could not be reached.
    async fn retry<T, F, Fut>(&self, key: &str, call: F) -> Result<T, StorageError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        self.retry_client(key, call).await.map_err(|e| storage_error(key, e))
    }

    /// `retry`, with the backend's answer as it came.
    async fn retry_client<T, F, Fut>(&self, key: &str, call: F) -> Result<T, ClientError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match call().await {
                Err(ClientError::Http(m)) if attempt < ATTEMPTS => {
                    tracing::warn!(object = key, error = %m, attempt, "backend unreachable; retrying");
                    tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                }
                other => return other,
            }
        }
    }
}

/// A backend answer as the storage engine's error.
fn storage_error(key: &str, e: ClientError) -> StorageError {
    match &e {
        ClientError::Api { status: 404, code, .. } if code == crate::api::error::PATH_NOT_FOUND => StorageError::NotFound { object: key.to_string() },
        ClientError::Api { code, message, .. } if code == crate::api::error::REGION_UNAVAILABLE => StorageError::Unavailable(message.clone()),
        ClientError::Http(m) => StorageError::Unavailable(format!("the backend: {m}")),
        _ => StorageError::Internal(format!("{key}: {e}")),
    }
}

impl RemoteObjects for RemoteVault {
    fn put<'a>(&'a self, key: &'a str, data: Bytes) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let rel = self.rel(key)?;
            let req = AgentPutObjectRequest { client_id: self.client_id.clone(), job_id: self.job_id.clone(), key: rel.to_string() };
            let n = data.len() as u64;
            // Packs and index files are named by the BLAKE3 of their bytes: signed without the
            // body, unless the backend (older than the agent) wants it signed.
            if Ingest::content_addressed(rel) && !self.sign_uploads.load(Ordering::Relaxed) {
                match self.retry_client(key, || self.client.agent_upload(&req, data.clone())).await {
                    Err(ClientError::Api { code, .. }) if code == crate::api::error::SIGNATURE_DOES_NOT_MATCH => {
                        tracing::info!("the backend wants uploads signed with their SHA-256; signing them from now on");
                        self.sign_uploads.store(true, Ordering::Relaxed);
                    }
                    other => {
                        other.map_err(|e| storage_error(key, e))?;
                        self.bytes_sent.fetch_add(n, Ordering::Relaxed);
                        return Ok(());
                    }
                }
            }
            self.retry(key, || self.client.agent(&req, data.clone())).await?;
            self.bytes_sent.fetch_add(n, Ordering::Relaxed);
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str, range: Option<Range<u64>>) -> BoxFuture<'a, Result<Bytes, StorageError>> {
        Box::pin(async move {
            let rel = self.rel(key)?;
            let req = AgentGetObjectRequest {
                client_id: self.client_id.clone(),
                job_id: self.job_id.clone(),
                key: rel.to_string(),
                offset: range.as_ref().map(|r| r.start as i64),
                length: range.as_ref().map(|r| r.end.saturating_sub(r.start) as i64),
            };
            let data = self.retry(key, || self.client.agent_bytes(&req, Bytes::new())).await?;
            self.bytes_received.fetch_add(data.len() as u64, Ordering::Relaxed);
            Ok(data)
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StorageError>> {
        Box::pin(async move {
            let rel = self.rel(key)?;
            let req = AgentDeleteObjectRequest { client_id: self.client_id.clone(), job_id: self.job_id.clone(), key: rel.to_string() };
            self.retry(key, || self.client.agent(&req, Bytes::new())).await?;
            Ok(())
        })
    }

    fn list<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<(String, u64, i64)>, StorageError>> {
        Box::pin(async move {
            let rel = self.rel(prefix)?;
            let req = AgentListObjectsRequest { client_id: self.client_id.clone(), job_id: self.job_id.clone(), prefix: rel.to_string() };
            let listed = self.retry(prefix, || self.client.agent(&req, Bytes::new())).await?;
            let base = format!("vaults/{}/", self.vault_id);
            Ok(listed.objects.into_iter().map(|o| (format!("{base}{}", o.key), o.size, o.modified_ms)).collect())
        })
    }
}
