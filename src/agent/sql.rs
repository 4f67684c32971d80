//! SQL Server jobs on the agent's host: the instance is reached from here (TDS, or a demo
//! instance in the agent's data dir), `BACKUP DATABASE … TO DISK` writes into a local staging
//! directory that is chunked, encrypted and uploaded like any file, and a restore reads the
//! backup file back here, restores it (`RESTORE … WITH MOVE`) and verifies it — no folder is
//! shared with the backend.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use crate::api::agent::*;
use crate::backend::sqlserver::{drill, ConnectionSpec, Engine, EngineKind};
use crate::backend::storage::{BackupRequest, Progress, Repo, StorageError};
use crate::client::Client;

fn sql_error(e: crate::backend::sqlserver::SqlError) -> StorageError {
    StorageError::Invalid(e.to_string())
}

/// The job's `Sql` field.
pub(super) fn parse(job: &AgentJob) -> Result<AgentSql, StorageError> {
    serde_json::from_str(&job.sql).map_err(|e| StorageError::Invalid(format!("the job's SQL Server fields: {e}")))
}

/// The instance as reached from this host: a demo name is a directory under
/// `DATA/sqlserver-demo/` of the agent.
fn spec(i: &AgentSqlInstance, data_dir: &Path) -> Result<ConnectionSpec, StorageError> {
    let kind: EngineKind = i.engine.parse().map_err(sql_error)?;
    let server_name = match kind {
        EngineKind::Demo if !i.server_name.starts_with('/') => {
            let dir = data_dir.join("sqlserver-demo").join(&i.server_name);
            std::fs::create_dir_all(&dir)?;
            dir.display().to_string()
        }
        EngineKind::Demo => {
            std::fs::create_dir_all(&i.server_name)?;
            i.server_name.clone()
        }
        EngineKind::Tds => i.server_name.clone(),
    };
    Ok(ConnectionSpec {
        engine: kind,
        server_name,
        sql_login: i.sql_login.clone(),
        sql_password: i.sql_password.clone(),
        use_windows_auth: i.use_windows_auth,
        trust_server_certificate: i.trust_server_certificate,
        staging_dir: None,
    })
}

fn engine(i: &AgentSqlInstance, data_dir: &Path) -> Result<Engine, StorageError> {
    Engine::connect(spec(i, data_dir)?).map_err(sql_error)
}

/// Where a job stages its backup file: the instance's `StagingDir`, else the agent's own.
fn staging(i: &AgentSqlInstance, data_dir: &Path, job_id: &str) -> PathBuf {
    match i.staging_dir.as_str() {
        "" => data_dir.join("staging").join(job_id),
        d => Path::new(d).join(job_id),
    }
}

/// A SQL_CALL: its answer, for the finish call's `Result`.
pub(super) async fn call(job: &AgentJob, data_dir: &Path) -> Result<Value, StorageError> {
    let sql = parse(job)?;
    if sql.call == SQL_CALL_PRECHECK {
        let p = crate::backend::sqlserver::run_precheck(spec(&sql.instance, data_dir)?).await;
        return Ok(serde_json::to_value(p).unwrap_or_default());
    }
    let engine = engine(&sql.instance, data_dir)?;
    Ok(match sql.call.as_str() {
        SQL_CALL_LIST_DATABASES => serde_json::to_value(engine.list_databases().await.map_err(sql_error)?).unwrap_or_default(),
        SQL_CALL_DATABASE_EXISTS => serde_json::json!({"Exists": engine.database_exists(&sql.database_name).await.map_err(sql_error)?}),
        other => return Err(StorageError::Invalid(format!("this agent does not know the SQL Server call {other}"))),
    })
}

/// A SQL_BACKUP: each database backed up into the staging directory, its file stored in the
/// vault as a snapshot of its own and committed (`AgentCommitSnapshot`) before the next.
pub(super) async fn backup(client: &Client, client_id: &str, job: &AgentJob, repo: &Repo, progress: Arc<Progress>, data_dir: &Path) -> Result<Value, StorageError> {
    let sql = parse(job)?;
    let engine = engine(&sql.instance, data_dir)?;
    let fixed: Value = serde_json::from_str(&job.meta).map_err(|e| StorageError::Invalid(format!("the job's meta: {e}")))?;
    let staging = staging(&sql.instance, data_dir, &job.job_id);
    std::fs::create_dir_all(&staging)?;
    let result = async {
        let mut committed = vec![];
        for d in &sql.databases {
            progress.check_cancel()?;
            let artifact = engine.backup_database(&d.name, &staging).await.map_err(sql_error)?;
            let req = BackupRequest {
                snapshot_id: d.snapshot_id.clone(),
                client_id: sql.cluster_id.clone(),
                source_type: job.source_type.clone(),
                paths: vec![artifact.file.clone()],
                excludes: vec![],
                parent_snapshot_id: None,
                meta: drill::database_meta(&fixed, &d.name, &artifact),
            };
            let stored = repo.backup_uncommitted(req, None, progress.clone()).await;
            let _ = std::fs::remove_file(&artifact.file);
            let (_, encoded) = stored?;
            progress.next_step();
            let commit = AgentCommitSnapshotRequest { client_id: client_id.into(), job_id: job.job_id.clone(), snapshot_id: d.snapshot_id.clone() };
            client.agent(&commit, Bytes::from(encoded)).await.map_err(|e| StorageError::Unavailable(format!("committing the backup of {}: {e}", d.name)))?;
            tracing::info!(job_id = %job.job_id, database = %d.name, snapshot_id = %d.snapshot_id, "database backed up");
            committed.push(d.snapshot_id.clone());
        }
        Ok(serde_json::json!({"SnapshotIds": committed}))
    }
    .await;
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// A SQL_RESTORE drill on this host: `{"Stats", "Verification"}` for the backend's report.
pub(super) async fn restore(job: &AgentJob, repo: &Repo, progress: Arc<Progress>, data_dir: &Path) -> Result<Value, StorageError> {
    let sql = parse(job)?;
    let engine = engine(&sql.instance, data_dir)?;
    let d = drill::DrillRestore {
        snapshot_id: job.snapshot_id.clone(),
        artifact_path: sql.artifact_path.clone(),
        source_database: sql.source_database_name.clone(),
        target_database: sql.target_database_name.clone(),
        replace: sql.replace,
        file_destination: (!sql.file_destination.is_empty()).then(|| PathBuf::from(&sql.file_destination)),
        expected_row_counts: sql.expected_row_counts.clone(),
    };
    let (stats, v) = drill::restore_and_verify(repo, &engine, &d, &staging(&sql.instance, data_dir, &job.job_id), progress).await?;
    Ok(serde_json::json!({"Stats": stats, "Verification": v}))
}
