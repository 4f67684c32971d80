//! The catalog: one SQLite file (WAL, foreign keys) in the data dir. Every state change is a
//! transaction; rules that must hold under races are constraints, not check-then-insert.
//!
//! Connections: one writer (`conn()`, behind a mutex: every write and every read that must be
//! in the writer's transaction) and a small pool of read-only connections (`read()`) for the
//! SELECT-only methods, which WAL lets run beside the writer. A reader sees what was committed
//! when its statement started: every write here commits before its method returns, so a read
//! made after a write (by the same request or any other) sees it. An in-memory catalog (unit
//! tests) has no file for readers to open and reads through the writer.
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
#[cfg(test)]
mod tests;
mod vaults;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};

use rusqlite::{Connection, OpenFlags};

pub use alerts::{AlertRow, NewAlert};
pub use clients::{AgentInfo, ClientRow};
pub use jobs::{JobColumn, JobCondition, JobFilter, JobKind, JobOp, JobRow, SnapshotRow};
pub use plans::PlanRow;
pub use replication::HistoryRow;
pub use snapshots_deleted::{REASON_DELETED, REASON_EXPIRED};
pub use sqlserver::InstanceRow;
pub use tasks::TaskRow;
pub use vaults::{NewVault, ReplState, VaultFilter, VaultRow, VaultStateRow};
pub use replication::MirrorPair;

pub struct Catalog {
    /// Read-only connections to the same file; empty for an in-memory catalog. Declared before
    /// the writer so they close first: the writer, closing last, removes the WAL files.
    readers: Vec<Mutex<Connection>>,
    conn: Mutex<Connection>,
    /// Where `read()` starts looking for a free reader.
    next_reader: AtomicUsize,
}

/// How many read-only connections a file catalog opens: twice the cores (readers mostly wait on
/// the CPU, a few more cover a page read from disk), between 2 and 8.
fn reader_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4).clamp(2, 8)
}

/// How much of the catalog file each read-only connection maps (`PRAGMA mmap_size`).
const READER_MMAP_BYTES: i64 = 1 << 30;

/// Prepared statements kept per connection (rusqlite's default is 16; the catalog has more
/// distinct statements than that, and a list action's is long to parse).
const STATEMENT_CACHE: usize = 64;

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrations().to_latest(&mut conn)?;
        // After the migrations: a reader never sees an older schema. The writer stays open, so
        // the WAL and its shared-memory file exist for the read-only connections.
        let readers = (0..reader_count())
            .map(|_| {
                let r = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
                r.busy_timeout(std::time::Duration::from_secs(10))?;
                r.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
                // Pages read through a memory map instead of a pread copy each (the catalog's
                // list queries read many index pages; SQLite falls back to reads where it cannot).
                r.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
                Ok(Mutex::new(r))
            })
            .collect::<Result<Vec<_>, CatalogError>>()?;
        Ok(Catalog { conn: Mutex::new(conn), readers, next_reader: AtomicUsize::new(0) })
    }

    pub fn open_in_memory() -> Result<Catalog, CatalogError> {
        let mut conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        schema::migrations().to_latest(&mut conn)?;
        Ok(Catalog { conn: Mutex::new(conn), readers: Vec::new(), next_reader: AtomicUsize::new(0) })
    }

    /// An in-memory catalog holding one CREATED vault `vault_id` (for unit tests).
    #[cfg(test)]
    pub(crate) fn in_memory_with_vault(vault_id: &str) -> Catalog {
        let c = Catalog::open_in_memory().expect("in-memory catalog");
        c.insert_vault(&test_vault(vault_id)).expect("test vault");
        c
    }

    /// The writer connection: every write, and reads inside a write's transaction.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        lock(&self.conn)
    }

    /// A read-only connection for a SELECT (the first free one, else the next in turn), or the
    /// writer for an in-memory catalog. Never hold it across a write: take `conn()` for that.
    pub(crate) fn read(&self) -> MutexGuard<'_, Connection> {
        let n = self.readers.len();
        if n == 0 {
            return self.conn();
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            match self.readers[(start + i) % n].try_lock() {
                Ok(g) => return g,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        lock(&self.readers[start % n])
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
        Ok(self.read().query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
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

/// A CREATED source vault `vault_id` with placeholder fields (for unit tests).
#[cfg(test)]
pub(crate) fn test_vault(vault_id: &str) -> NewVault<'_> {
    NewVault {
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
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}
