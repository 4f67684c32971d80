//! Jobs through the API: start a backup and wait for it, wait for any job to end, error codes.
use std::time::Duration;

use mirrorvault::api::backup::{BackupJob, RestoreJob, VerifyJob};
use mirrorvault::api::sqlserver::Restore;
use mirrorvault::client::{Client, ClientError};

use super::wait::wait_for;

const ENDED: [&str; 4] = ["COMPLETE", "PARTIAL_COMPLETE", "FAILED", "CANCELED"];
const JOB_TIMEOUT: Duration = Duration::from_secs(120);

/// Waits for a backup job to end; returns its row.
pub async fn wait_backup(client: &Client, job_id: &str) -> BackupJob {
    wait_for(JOB_TIMEOUT, format!("backup job {job_id} to end"), || async {
        let j = client.describe_backup_jobs(None, Some(job_id)).await.expect("describe jobs").backup_jobs.backup_job.into_iter().next();
        j.filter(|j| ENDED.contains(&j.job.status.as_str()))
    })
    .await
}

/// Waits for a restore job to end; returns its row.
pub async fn wait_restore(client: &Client, restore_id: &str) -> RestoreJob {
    wait_for(JOB_TIMEOUT, format!("restore job {restore_id} to end"), || async {
        let j = client.describe_restore_jobs(None, Some(restore_id)).await.expect("describe restores").restore_jobs.restore_job.into_iter().next();
        j.filter(|j| ENDED.contains(&j.job.status.as_str()))
    })
    .await
}

/// Waits for a verify job to end; returns its row.
pub async fn wait_verify(client: &Client, job_id: &str) -> VerifyJob {
    wait_for(JOB_TIMEOUT, format!("verify job {job_id} to end"), || async {
        let j = client.describe_verify_jobs(None, Some(job_id)).await.expect("describe verify").verify_jobs.verify_job.into_iter().next();
        j.filter(|j| ENDED.contains(&j.job.status.as_str()))
    })
    .await
}

/// Waits for a SQL Server restore to end; returns its row.
pub async fn wait_sql_restore(client: &Client, restore_id: &str) -> Restore {
    wait_for(JOB_TIMEOUT, format!("SQL Server restore {restore_id} to end"), || async {
        let r = client.describe_sql_server_restores(Some(restore_id), None).await.expect("describe sql restores").restores.restore.into_iter().next();
        r.filter(|r| ENDED.contains(&r.status.as_str()))
    })
    .await
}

/// The dialect's error code and HTTP status of an API error.
pub fn code(e: &ClientError) -> (&str, u16) {
    match e {
        ClientError::Api { code, status, .. } => (code.as_str(), *status),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Backs `paths` up into `vault_id` for `client_id`; returns the snapshot id.
pub async fn backup(client: &Client, vault_id: &str, client_id: &str, paths: &[&std::path::Path]) -> String {
    let include: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let job = client.create_backup_job(vault_id, client_id, &include, &[]).await.expect("create backup job");
    let j = wait_backup(client, &job.job_id).await;
    assert_eq!(j.job.status, "COMPLETE", "backup failed: {}", j.job.error_message);
    j.snapshot_id
}

/// Waits for a prune job to end; returns its row.
pub async fn wait_prune(client: &Client, job_id: &str) -> mirrorvault::api::prune::PruneJob {
    wait_for(JOB_TIMEOUT, format!("prune job {job_id} to end"), || async {
        let j = client.describe_prune_jobs(None, Some(job_id)).await.expect("describe prune jobs").prune_jobs.prune_job.into_iter().next();
        j.filter(|j| ENDED.contains(&j.status.as_str()))
    })
    .await
}
