//! The engine-agnostic entry point: dispatches to the TDS or demo engine.

use super::demo::DemoEngine;
use super::tds::TdsEngine;
use super::{
    BackupArtifact, ConnectionSpec, DatabaseInfo, EngineKind, PrecheckReport, SqlError, VerificationResult,
};
use std::collections::BTreeMap;
use std::path::Path;

/// One registered instance, served by the engine its spec names.
#[derive(Debug)]
pub enum Engine {
    Tds(TdsEngine),
    Demo(DemoEngine),
}

impl Engine {
    /// Builds the engine for `spec`. Validates the spec but does no I/O.
    pub fn connect(spec: ConnectionSpec) -> Result<Engine, SqlError> {
        Ok(match spec.engine {
            EngineKind::Tds => Engine::Tds(TdsEngine::new(spec)?),
            EngineKind::Demo => Engine::Demo(DemoEngine::new(spec)?),
        })
    }

    pub fn kind(&self) -> EngineKind {
        match self {
            Engine::Tds(_) => EngineKind::Tds,
            Engine::Demo(_) => EngineKind::Demo,
        }
    }

    /// Checks that the instance is reachable and usable for backup/restore.
    pub async fn precheck(&self) -> Result<PrecheckReport, SqlError> {
        match self {
            Engine::Tds(e) => e.precheck().await,
            Engine::Demo(e) => e.precheck().await,
        }
    }

    /// User databases on the instance.
    pub async fn list_databases(&self) -> Result<Vec<DatabaseInfo>, SqlError> {
        match self {
            Engine::Tds(e) => e.list_databases().await,
            Engine::Demo(e) => e.list_databases().await,
        }
    }

    pub async fn database_exists(&self, name: &str) -> Result<bool, SqlError> {
        match self {
            Engine::Tds(e) => e.database_exists(name).await,
            Engine::Demo(e) => e.database_exists(name).await,
        }
    }

    /// Writes a consistent backup of `name` into `staging_dir`.
    pub async fn backup_database(&self, name: &str, staging_dir: &Path) -> Result<BackupArtifact, SqlError> {
        match self {
            Engine::Tds(e) => e.backup_database(name, staging_dir).await,
            Engine::Demo(e) => e.backup_database(name, staging_dir).await,
        }
    }

    /// Restores `artifact_file` (a backup of `source_database`) as `target_name`.
    /// An existing target is only overwritten when `replace` is true; otherwise
    /// [`SqlError::AlreadyExists`] is returned and the target is untouched.
    pub async fn restore_database(
        &self,
        artifact_file: &Path,
        source_database: &str,
        target_name: &str,
        replace: bool,
        file_destination: Option<&Path>,
    ) -> Result<(), SqlError> {
        match self {
            Engine::Tds(e) => {
                e.restore_database(artifact_file, source_database, target_name, replace, file_destination)
                    .await
            }
            Engine::Demo(e) => {
                e.restore_database(artifact_file, source_database, target_name, replace, file_destination)
                    .await
            }
        }
    }

    /// Integrity check plus per-table row counts compared with `expected_row_counts`.
    pub async fn verify_database(
        &self,
        name: &str,
        expected_row_counts: &BTreeMap<String, u64>,
    ) -> Result<VerificationResult, SqlError> {
        match self {
            Engine::Tds(e) => e.verify_database(name, expected_row_counts).await,
            Engine::Demo(e) => e.verify_database(name, expected_row_counts).await,
        }
    }
}
