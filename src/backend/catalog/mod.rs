//! The catalog: one SQLite file (WAL, foreign keys) in the data dir. Every state change is a
//! transaction; rules that must hold under races are constraints, not check-then-insert.
mod alerts;
mod clients;
mod jobs;
mod plans;
mod prune;
mod replication;
mod retention;
mod schema;
pub mod snapshot_search;
mod snapshots_deleted;
mod sqlserver;
mod tasks;
mod vaults;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::Connection;

pub use alerts::{AlertRow, NewAlert};
pub use clients::{AgentInfo, ClientRow};
pub use jobs::{JobColumn, JobCondition, JobFilter, JobKind, JobOp, JobRow, SnapshotRow};
pub use plans::PlanRow;
pub use replication::HistoryRow;
pub use snapshots_deleted::{REASON_DELETED, REASON_EXPIRED};
pub use sqlserver::InstanceRow;
pub use tasks::TaskRow;
pub use vaults::{NewVault, ReplState, VaultFilter, VaultRow, VaultWatchRow};
pub use replication::MirrorPair;

pub struct Catalog {
    conn: Mutex<Connection>,
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("catalog migration: {0}")]
    Migration(#[from] rusqlite_migration::Error),
}

pub type CatalogResult<T> = Result<T, CatalogError>;

impl CatalogError {
    /// True when the error is a UNIQUE / FOREIGN KEY / CHECK constraint failure.
    pub fn is_constraint(&self) -> bool {
        matches!(self, CatalogError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation)
    }
}

/// For catalog writes made by background work (jobs, replication, location checks), where no
/// request is waiting for the error: a failure is logged once, with what it concerned.
pub trait LogFailure {
    /// Logs a failed write about vault `vault_id`.
    fn or_log_vault(self, vault_id: &str, what: &str);
    /// Logs a failed write about job `job_id`.
    fn or_log_job(self, job_id: &str, what: &str);
}

impl<T> LogFailure for CatalogResult<T> {
    fn or_log_vault(self, vault_id: &str, what: &str) {
        if let Err(e) = self {
            tracing::warn!(%vault_id, %e, "catalog write failed: {what}");
        }
    }
    fn or_log_job(self, job_id: &str, what: &str) {
        if let Err(e) = self {
            tracing::warn!(%job_id, %e, "catalog write failed: {what}");
        }
    }
}

impl Catalog {
    pub fn open(path: &Path) -> Result<Catalog, CatalogError> {
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        schema::migrations().to_latest(&mut conn)?;
        Ok(Catalog { conn: Mutex::new(conn) })
    }

    pub fn open_in_memory() -> Result<Catalog, CatalogError> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrations().to_latest(&mut conn)?;
        Ok(Catalog { conn: Mutex::new(conn) })
    }

    /// An in-memory catalog holding one CREATED vault `vault_id` (for unit tests).
    #[cfg(test)]
    pub(crate) fn in_memory_with_vault(vault_id: &str) -> Catalog {
        let c = Catalog::open_in_memory().expect("in-memory catalog");
        c.insert_vault(&NewVault {
            vault_id,
            vault_name: "v",
            description: "",
            region_id: "r",
            encrypt_type: "HBR_PRIVATE",
            kms_key_id: "",
            is_mirror: false,
            source_vault_id: None,
            historical_start_time: 0,
            status: "CREATED",
        })
        .expect("test vault");
        c
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Flushes the WAL into the main file (on clean shutdown).
    pub fn close(&self) {
        let conn = self.conn();
        if let Err(e) = conn.pragma_update(None, "wal_checkpoint", "TRUNCATE") {
            tracing::warn!(%e, "catalog: the WAL checkpoint at close failed; the next open replays the WAL");
        }
    }

    pub fn setting(&self, key: &str) -> CatalogResult<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self.conn().query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> CatalogResult<()> {
        self.conn().execute(
            "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }

    /// The demo's backup speed of `client_id` (a `SpeedLimit` in its wire form): set by
    /// `backend::demo` for the file clients it seeds, never for a client created otherwise.
    pub fn demo_speed_limit(&self, client_id: &str) -> CatalogResult<Option<String>> {
        self.setting(&format!("demo_speed_limit:{client_id}"))
    }

    pub fn set_demo_speed_limit(&self, client_id: &str, limit: &str) -> CatalogResult<()> {
        self.set_setting(&format!("demo_speed_limit:{client_id}"), limit)
    }

    pub fn region_outage(&self, region_id: &str) -> CatalogResult<bool> {
        Ok(self.setting(&format!("outage:{region_id}"))?.as_deref() == Some("1"))
    }

    pub fn set_region_outage(&self, region_id: &str, outage: bool) -> CatalogResult<()> {
        self.set_setting(&format!("outage:{region_id}"), if outage { "1" } else { "0" })
    }
}

/// True when the error is a UNIQUE / FOREIGN KEY / CHECK constraint failure.
pub fn is_constraint(e: &CatalogError) -> bool {
    e.is_constraint()
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
