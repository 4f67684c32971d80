//! One job on the agent: claim it, open its vault through the backend with the key the claim
//! handed over, run the backup or restore with the storage engine while a reporter sends the
//! progress every second (and hears of a cancel), then finish it. A COMPLETE backup's manifest
//! is the finish call's body: the backend checks it and commits the snapshot.
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use super::remote::RemoteVault;
use crate::api::agent::*;
use crate::backend::storage::{BackupRequest, DataKey, Location, Progress, Repo, RestoreRequest, SpeedLimit, StorageError};
use crate::client::{Client, ClientError};

/// How often the progress is reported (the backend's job lease is far longer).
const REPORT_EVERY: Duration = Duration::from_secs(1);

/// What a job ended with, for `AgentFinishJob`.
struct End {
    status: &'static str,
    error: String,
    result: serde_json::Value,
    manifest: Bytes,
}

/// Runs the waiting job `j` to its end (errors are reported to the backend, and logged).
pub(super) async fn run(client: &Client, client_id: &str, j: &AgentJobRef, data_dir: &Path) {
    let claim = match client.agent(&AgentClaimJobRequest { client_id: client_id.into(), job_id: j.job_id.clone() }, Bytes::new()).await {
        Ok(c) => c.job,
        Err(e) => {
            // Taken by another agent process of this client, or canceled meanwhile.
            tracing::info!(job_id = %j.job_id, error = %e, "job not claimed");
            return;
        }
    };
    tracing::info!(job_id = %claim.job_id, job_type = %claim.job_type, vault_id = %claim.vault_id, "job started");
    let progress = Arc::new(Progress::default());
    let remote = Arc::new(RemoteVault::new(client.clone(), client_id, &claim.job_id, &claim.vault_id));
    let reporter = tokio::spawn(report_loop(client.clone(), client_id.to_string(), claim.job_id.clone(), progress.clone()));
    let end = match execute(client, client_id, &claim, remote.clone(), progress.clone(), data_dir).await {
        Ok(end) => end,
        Err(StorageError::Canceled) => End { status: "CANCELED", error: "The job was canceled.".into(), result: serde_json::json!({}), manifest: Bytes::new() },
        Err(e) => End { status: "FAILED", error: e.to_string(), result: serde_json::json!({}), manifest: Bytes::new() },
    };
    reporter.abort();
    let _ = report(client, client_id, &claim.job_id, &progress).await;
    let mut result = end.result;
    if let serde_json::Value::Object(m) = &mut result {
        m.insert("UploadedBytes".into(), remote.bytes_sent.load(Ordering::Relaxed).into());
        m.insert("DownloadedBytes".into(), remote.bytes_received.load(Ordering::Relaxed).into());
    }
    let finish = AgentFinishJobRequest {
        client_id: client_id.into(),
        job_id: claim.job_id.clone(),
        status: end.status.into(),
        error_message: (!end.error.is_empty()).then(|| end.error.chars().take(60_000).collect()),
        result: Some(result.to_string()),
    };
    match client.agent(&finish, end.manifest).await {
        Ok(r) => tracing::info!(job_id = %claim.job_id, status = %r.status, snapshot_id = %r.snapshot_id, uploaded = remote.bytes_sent.load(Ordering::Relaxed), "job finished"),
        Err(e) => tracing::error!(job_id = %claim.job_id, error = %e, "the backend did not take the job's end; it fails the job when its lease runs out"),
    }
}

fn complete(result: serde_json::Value) -> End {
    End { status: "COMPLETE", error: String::new(), result, manifest: Bytes::new() }
}

async fn execute(client: &Client, client_id: &str, job: &AgentJob, remote: Arc<RemoteVault>, progress: Arc<Progress>, data_dir: &Path) -> Result<End, StorageError> {
    if job.job_type == JOB_SQL_CALL {
        return Ok(complete(super::sql::call(job, data_dir).await?));
    }
    let key = parse_key(&job.data_key)?;
    let loc = Location::remote(remote, &format!("agent:{}", job.vault_id));
    let repo = Repo::open_with_key(&loc, &job.vault_id, key).await?;
    match job.job_type.as_str() {
        JOB_BACKUP => {
            let meta = if job.meta.is_empty() { serde_json::json!({}) } else { serde_json::from_str(&job.meta).map_err(|e| StorageError::Invalid(format!("the job's meta: {e}")))? };
            let limit = match job.speed_limit.as_str() {
                "" => None,
                s => Some(SpeedLimit::parse(s).map_err(StorageError::Invalid)?),
            };
            let req = BackupRequest {
                snapshot_id: job.snapshot_id.clone(),
                client_id: job.client_id.clone(),
                source_type: job.source_type.clone(),
                paths: job.paths.iter().map(PathBuf::from).collect(),
                excludes: job.exclude.clone(),
                parent_snapshot_id: Some(job.parent_snapshot_id.clone()).filter(|p| !p.is_empty()),
                meta,
            };
            let (m, encoded) = repo.backup_uncommitted(req, limit, progress).await?;
            let result = serde_json::json!({"SkippedEntries": m.skipped, "ChangedEntries": m.changed});
            Ok(End { status: "COMPLETE", error: String::new(), result, manifest: Bytes::from(encoded) })
        }
        JOB_RESTORE => {
            let req = RestoreRequest { snapshot_id: job.snapshot_id.clone(), target: PathBuf::from(&job.target_path), include: job.include.clone(), overwrite: job.overwrite };
            let stats = repo.restore(req, progress).await?;
            let result = serde_json::to_value(&stats).unwrap_or_default();
            if stats.failed_files.is_empty() {
                Ok(End { status: "COMPLETE", error: String::new(), result, manifest: Bytes::new() })
            } else {
                let error = format!("{} file(s) could not be restored: {}", stats.failed_files.len(), stats.failed_files.join("; "));
                Ok(End { status: "FAILED", error, result, manifest: Bytes::new() })
            }
        }
        JOB_SQL_BACKUP => Ok(complete(super::sql::backup(client, client_id, job, &repo, progress, data_dir).await?)),
        JOB_SQL_RESTORE => Ok(complete(super::sql::restore(job, &repo, progress, data_dir).await?)),
        other => Err(StorageError::Invalid(format!("this agent does not run {other} jobs"))),
    }
}

fn parse_key(hex_key: &str) -> Result<DataKey, StorageError> {
    let mut b = [0u8; 32];
    hex::decode_to_slice(hex_key, &mut b).map_err(|_| StorageError::Invalid("the job's data key is not 64 hex digits".into()))?;
    Ok(DataKey::from_bytes(b))
}

/// Sends the counters; `Ok(true)` when the job was canceled (or is no longer the agent's).
async fn report(client: &Client, client_id: &str, job_id: &str, p: &Progress) -> Result<bool, ClientError> {
    let n = |a: &std::sync::atomic::AtomicU64| Some(a.load(Ordering::Relaxed).min(i64::MAX as u64) as i64);
    let req = AgentReportProgressRequest {
        client_id: client_id.into(),
        job_id: job_id.into(),
        bytes_total: n(&p.bytes_total),
        bytes_done: n(&p.bytes_done),
        items_total: n(&p.items_total),
        items_done: n(&p.items_done),
        message: None,
    };
    match client.agent(&req, Bytes::new()).await {
        Ok(r) => Ok(r.canceled),
        // The backend failed the job (its lease ran out) or forgot it: stop working on it.
        Err(ClientError::Api { status: 404 | 409, .. }) => Ok(true),
        Err(e) => Err(e),
    }
}

async fn report_loop(client: Client, client_id: String, job_id: String, p: Arc<Progress>) {
    let mut tick = tokio::time::interval(REPORT_EVERY);
    loop {
        tick.tick().await;
        match report(&client, &client_id, &job_id, &p).await {
            Ok(true) => {
                tracing::info!(%job_id, "the job was canceled");
                p.cancel.store(true, Ordering::SeqCst);
            }
            Ok(false) => {}
            Err(e) => tracing::warn!(%job_id, error = %e, "cannot report progress"),
        }
    }
}
