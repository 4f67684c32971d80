//! The storage side of SQL Server jobs, shared by the backend (instances it reaches itself) and
//! the agent (instances on its host): a database's snapshot meta, and a restore drill — the
//! backup file read back from the vault into a staging directory, restored as the target
//! database and verified (integrity check and the row counts recorded at backup).
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::{BackupArtifact, Engine, VerificationResult};
use crate::backend::storage::{Progress, Repo, RestoreRequest, RestoreStats, StorageError};

/// The meta of one database's snapshot: `fixed` (the instance, vault and plan fields) with the
/// database, its backup type and its row counts.
pub fn database_meta(fixed: &Value, database: &str, artifact: &BackupArtifact) -> Value {
    let mut meta = fixed.clone();
    if let Value::Object(m) = &mut meta {
        m.insert("DatabaseName".into(), database.into());
        m.insert("BackupType".into(), "FULL".into());
        m.insert("RowCounts".into(), serde_json::to_value(&artifact.table_row_counts).unwrap_or_default());
    }
    meta
}

/// What a restore drill restores: the snapshot holding the backup file of `source_database`
/// (at `artifact_path` in the snapshot), as `target_database`.
#[derive(Clone, Debug)]
pub struct DrillRestore {
    pub snapshot_id: String,
    pub artifact_path: String,
    pub source_database: String,
    pub target_database: String,
    pub replace: bool,
    pub file_destination: Option<PathBuf>,
    pub expected_row_counts: BTreeMap<String, u64>,
}

/// Reads the backup file back under `staging` (emptied first, removed after), restores it and
/// verifies the restored database.
pub async fn restore_and_verify(repo: &Repo, engine: &Engine, d: &DrillRestore, staging: &Path, progress: Arc<Progress>) -> Result<(RestoreStats, VerificationResult), StorageError> {
    let sql = |e: super::SqlError| StorageError::Invalid(e.to_string());
    let _ = std::fs::remove_dir_all(staging);
    std::fs::create_dir_all(staging)?;
    let result = async {
        let stats = repo.restore(RestoreRequest { snapshot_id: d.snapshot_id.clone(), target: staging.to_path_buf(), include: vec![], overwrite: true }, progress).await?;
        if !stats.failed_files.is_empty() {
            return Err(StorageError::Invalid(format!("the backup file could not be read back intact: {}", stats.failed_files.join("; "))));
        }
        let artifact = staging.join(d.artifact_path.trim_start_matches('/'));
        engine.restore_database(&artifact, &d.source_database, &d.target_database, d.replace, d.file_destination.as_deref()).await.map_err(sql)?;
        let v = engine.verify_database(&d.target_database, &d.expected_row_counts).await.map_err(sql)?;
        Ok((stats, v))
    }
    .await;
    let _ = std::fs::remove_dir_all(staging);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_meta_adds_the_database_to_the_fixed_fields() {
        let artifact = BackupArtifact {
            file: "/s/a.bak".into(),
            database: "sales".into(),
            size_bytes: 3,
            table_row_counts: BTreeMap::from([("orders".to_string(), 7)]),
            engine: super::super::EngineKind::Demo,
        };
        let m = database_meta(&serde_json::json!({"ClusterId": "cl-1", "plan_id": "p"}), "sales", &artifact);
        assert_eq!(m, serde_json::json!({"ClusterId": "cl-1", "plan_id": "p", "DatabaseName": "sales", "BackupType": "FULL", "RowCounts": {"orders": 7}}));
    }
}
