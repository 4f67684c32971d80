//! Demo engine: every database is a SQLite file `<instance dir>/<name>.sqlite`.
//! Backups are online copies made with SQLite's backup API; restores are
//! checked in a temporary file and then renamed into place atomically.

use super::demo_artifact;
use super::names::validate_demo_name;
use super::{
    BackupArtifact, ConnectionSpec, DatabaseInfo, EngineKind, PrecheckItem, PrecheckReport, SqlError,
    VerificationResult,
};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const DB_EXT: &str = "sqlite";
/// Pages copied per backup step.
const PAGES_PER_STEP: std::ffi::c_int = 256;
/// After this long of stepped copying (restarted by concurrent writers), the
/// rest is copied in one step under a single read transaction.
const STEPPED_BUDGET: Duration = Duration::from_secs(5);
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// SQLite-backed engine for trying the product without SQL Server.
#[derive(Debug, Clone)]
pub struct DemoEngine {
    dir: PathBuf,
}

impl DemoEngine {
    /// Uses `spec.server_name` as the instance directory. No I/O.
    pub fn new(spec: ConnectionSpec) -> Result<Self, SqlError> {
        let dir = spec.server_name.trim();
        if dir.is_empty() {
            return Err(SqlError::Connect("demo engine needs an instance directory path".into()));
        }
        Ok(DemoEngine { dir: PathBuf::from(dir) })
    }

    /// The instance directory.
    pub fn instance_dir(&self) -> &Path {
        &self.dir
    }

    /// Path of the file holding database `name`.
    pub fn database_path(&self, name: &str) -> Result<PathBuf, SqlError> {
        validate_demo_name(name)?;
        Ok(self.dir.join(format!("{name}.{DB_EXT}")))
    }

    pub async fn precheck(&self) -> Result<PrecheckReport, SqlError> {
        let dir = self.dir.clone();
        Ok(tokio::task::spawn_blocking(move || precheck_blocking(&dir)).await?)
    }

    pub async fn list_databases(&self) -> Result<Vec<DatabaseInfo>, SqlError> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || list_blocking(&dir)).await?
    }

    pub async fn database_exists(&self, name: &str) -> Result<bool, SqlError> {
        let path = self.database_path(name)?;
        Ok(tokio::fs::metadata(&path).await.map(|m| m.is_file()).unwrap_or(false))
    }

    pub async fn backup_database(&self, name: &str, staging_dir: &Path) -> Result<BackupArtifact, SqlError> {
        let src = self.database_path(name)?;
        let (name, staging) = (name.to_string(), staging_dir.to_path_buf());
        tokio::task::spawn_blocking(move || backup_blocking(&src, &name, &staging)).await?
    }

    pub async fn restore_database(
        &self,
        artifact_file: &Path,
        source_database: &str,
        target_name: &str,
        replace: bool,
        file_destination: Option<&Path>,
    ) -> Result<(), SqlError> {
        let target = self.database_path(target_name)?;
        if let Some(dest) = file_destination {
            if !same_dir(dest, &self.dir) {
                return Err(SqlError::Engine(format!(
                    "the demo engine restores only into its instance directory {}",
                    self.dir.display()
                )));
            }
        }
        tracing::info!(source_database, target_name, replace, "demo restore");
        let (dir, artifact, target_name) = (self.dir.clone(), artifact_file.to_path_buf(), target_name.to_string());
        tokio::task::spawn_blocking(move || restore_blocking(&dir, &artifact, &target_name, &target, replace)).await?
    }

    pub async fn verify_database(
        &self,
        name: &str,
        expected_row_counts: &BTreeMap<String, u64>,
    ) -> Result<VerificationResult, SqlError> {
        let path = self.database_path(name)?;
        let (name, expected) = (name.to_string(), expected_row_counts.clone());
        tokio::task::spawn_blocking(move || {
            if !path.is_file() {
                return Err(SqlError::NotFound(name));
            }
            let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            conn.busy_timeout(BUSY_TIMEOUT)?;
            let (ok, message) = integrity_check(&conn)?;
            let actual = table_row_counts(&conn)?;
            Ok(VerificationResult::new(ok, message, &expected, actual))
        })
        .await?
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn precheck_blocking(dir: &Path) -> PrecheckReport {
    let mut checks = Vec::new();
    let is_dir = dir.is_dir();
    checks.push(PrecheckItem::new(
        "instance_directory",
        is_dir,
        if is_dir { format!("{} exists", dir.display()) } else { format!("{} does not exist or is not a directory", dir.display()) },
    ));
    if is_dir {
        let probe = dir.join(format!(".mirrorvault-probe-{}", uuid::Uuid::new_v4()));
        let writable = std::fs::write(&probe, b"probe").and_then(|_| std::fs::remove_file(&probe));
        checks.push(match writable {
            Ok(()) => PrecheckItem::new("writable", true, "instance directory is writable"),
            Err(e) => PrecheckItem::new("writable", false, format!("instance directory is not writable: {e}")),
        });
        match list_blocking(dir) {
            Ok(dbs) => checks.push(PrecheckItem::new("databases", true, format!("{} database(s) found", dbs.len()))),
            Err(e) => checks.push(PrecheckItem::new("databases", false, e.to_string())),
        }
    }
    PrecheckReport {
        ok: checks.iter().all(|c| c.passed),
        version: format!("SQLite {} (mirrorvault demo engine)", rusqlite::version()),
        checks,
    }
}

fn list_blocking(dir: &Path) -> Result<Vec<DatabaseInfo>, SqlError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        SqlError::Connect(format!("cannot read demo instance directory {}: {e}", dir.display()))
    })?;
    let mut out = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(DB_EXT) {
            continue;
        }
        let Some(name) = path.file_stem().and_then(|s| s.to_str()) else { continue };
        if validate_demo_name(name).is_err() || !path.is_file() {
            continue;
        }
        let size = file_len(&path) + file_len(&sidecar(&path, "-wal"));
        out.push(DatabaseInfo { name: name.to_string(), size_bytes: size, status: "ONLINE".into() });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn sidecar(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Removes the listed files when dropped unless disarmed.
struct Cleanup(Vec<PathBuf>);

impl Cleanup {
    fn for_db(path: &Path) -> Self {
        Cleanup(vec![path.to_path_buf(), sidecar(path, "-journal"), sidecar(path, "-wal"), sidecar(path, "-shm")])
    }
    fn disarm(&mut self) {
        self.0.clear();
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn backup_blocking(src: &Path, name: &str, staging: &Path) -> Result<BackupArtifact, SqlError> {
    if !src.is_file() {
        return Err(SqlError::NotFound(name.to_string()));
    }
    std::fs::create_dir_all(staging)?;
    let id = uuid::Uuid::new_v4();
    let final_path = staging.join(format!("{name}_{id}.bak"));
    let part = staging.join(format!(".{name}_{id}.part"));
    let mut cleanup = Cleanup::for_db(&part);

    let source = Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_WRITE)?;
    source.busy_timeout(BUSY_TIMEOUT)?;
    let mut copy = Connection::open(&part)?;
    online_copy(&source, &mut copy, PAGES_PER_STEP, STEPPED_BUDGET)?;
    drop(source);

    // Make the copy a self-contained rollback-journal file, check it, count it.
    copy.busy_timeout(BUSY_TIMEOUT)?;
    let _mode: String = copy.query_row("PRAGMA journal_mode=DELETE", [], |r| r.get(0))?;
    let (ok, message) = integrity_check(&copy)?;
    if !ok {
        return Err(SqlError::Engine(format!("backup copy of {name} failed its integrity check: {message}")));
    }
    let table_row_counts = table_row_counts(&copy)?;
    copy.close().map_err(|(_, e)| SqlError::from(e))?;

    let size_bytes = demo_artifact::seal(&part)?;
    std::fs::rename(&part, &final_path)?;
    cleanup.disarm();
    sync_dir(staging);
    Ok(BackupArtifact { file: final_path, database: name.to_string(), size_bytes, table_row_counts, engine: EngineKind::Demo })
}

/// Copies `source` into `dest` with the backup API in steps; if concurrent
/// writers keep restarting it past the budget, finishes with one full step
/// (a single read transaction, so still consistent, and writers in WAL mode
/// are not blocked).
fn online_copy(
    source: &Connection,
    dest: &mut Connection,
    pages_per_step: std::ffi::c_int,
    budget: Duration,
) -> Result<(), SqlError> {
    let backup = Backup::new(source, dest)?;
    let started = Instant::now();
    loop {
        let pages = if started.elapsed() < budget { pages_per_step } else { -1 };
        match backup.step(pages)? {
            StepResult::Done => return Ok(()),
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => std::thread::sleep(Duration::from_millis(20)),
            _ => std::thread::sleep(Duration::from_millis(20)),
        }
        if started.elapsed() > budget * 6 + Duration::from_secs(30) {
            return Err(SqlError::Engine("online backup did not complete (source kept locked)".into()));
        }
    }
}

fn restore_blocking(dir: &Path, artifact: &Path, target_name: &str, target: &Path, replace: bool) -> Result<(), SqlError> {
    if !artifact.is_file() {
        return Err(SqlError::Engine(format!("backup artifact {} not found", artifact.display())));
    }
    if !dir.is_dir() {
        return Err(SqlError::Connect(format!("demo instance directory {} does not exist", dir.display())));
    }
    if target.exists() && !replace {
        return Err(SqlError::AlreadyExists(target_name.to_string()));
    }
    let tmp = dir.join(format!(".restore-{target_name}-{}.tmp", uuid::Uuid::new_v4()));
    let cleanup = Cleanup::for_db(&tmp);
    demo_artifact::unseal_to(artifact, &tmp)?;
    {
        let conn = Connection::open(&tmp)
            .map_err(|e| SqlError::Engine(format!("restored copy cannot be opened: {e}")))?;
        let (ok, message) = integrity_check(&conn)
            .map_err(|e| SqlError::Engine(format!("restored copy failed its integrity check: {e}")))?;
        if !ok {
            return Err(SqlError::Engine(format!("restored copy failed its integrity check: {message}")));
        }
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.close().map_err(|(_, e)| SqlError::from(e))?;
    }
    if replace {
        retire_existing(target)?;
        std::fs::rename(&tmp, target)?;
    } else {
        // hard_link fails if the target appeared meanwhile: never clobbers.
        match std::fs::hard_link(&tmp, target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(SqlError::AlreadyExists(target_name.to_string()));
            }
            Err(_) if !target.exists() => std::fs::rename(&tmp, target)?,
            Err(e) => return Err(e.into()),
        }
    }
    drop(cleanup); // removes the tmp name (the data lives on under `target`)
    sync_dir(dir);
    Ok(())
}

/// Before replacing `target`: checkpoint it and remove its journal/WAL
/// side files so they can never be applied to the new file.
fn retire_existing(target: &Path) -> Result<(), SqlError> {
    if target.exists() {
        if let Ok(conn) = Connection::open(target) {
            let _ = conn.busy_timeout(BUSY_TIMEOUT);
            let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
            let _ = conn.close();
        }
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        match std::fs::remove_file(sidecar(target, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Runs `PRAGMA integrity_check`; returns (ok, message).
fn integrity_check(conn: &Connection) -> Result<(bool, String), SqlError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let lines: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
    let message = lines.join("; ");
    Ok((message == "ok", message))
}

/// `COUNT(*)` of every user table.
fn table_row_counts(conn: &Connection) -> Result<BTreeMap<String, u64>, SqlError> {
    let mut stmt =
        conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")?;
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    let mut counts = BTreeMap::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM \"{}\"", t.replace('"', "\"\""));
        let n: i64 = conn.query_row(&sql, [], |r| r.get(0))?;
        counts.insert(t, u64::try_from(n).unwrap_or(0));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Tiny steps plus a constant writer force restarts; the copy must still
    /// finish (via the one-step fallback) and be internally consistent.
    #[test]
    fn online_copy_finishes_under_constant_writes() {
        let dir = tempfile::tempdir().unwrap();
        crate::backend::demo::databases::seed(dir.path()).unwrap();
        let src = dir.path().join("sales.sqlite");
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (stop, src) = (stop.clone(), src.clone());
            std::thread::spawn(move || {
                let c = Connection::open(&src).unwrap();
                c.busy_timeout(BUSY_TIMEOUT).unwrap();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    c.execute(
                        "INSERT INTO orders (customer_id, order_date, status, total_cents, currency) \
                         VALUES (1, '2024-01-01', 'paid', 100, 'EUR')",
                        [],
                    )
                    .unwrap();
                    n += 1;
                }
                n
            })
        };
        std::thread::sleep(Duration::from_millis(20));
        let source = Connection::open(&src).unwrap();
        let mut copy = Connection::open(dir.path().join("copy.sqlite")).unwrap();
        online_copy(&source, &mut copy, 1, Duration::from_millis(200)).unwrap();
        stop.store(true, Ordering::Relaxed);
        let inserted = writer.join().unwrap();
        let (ok, msg) = integrity_check(&copy).unwrap();
        assert!(ok, "{msg}");
        let counts = table_row_counts(&copy).unwrap();
        assert_eq!(counts["customers"], 200);
        assert!(counts["orders"] >= 2000 && counts["orders"] <= 2000 + inserted);
    }

    #[test]
    fn new_requires_directory() {
        let spec = ConnectionSpec {
            engine: EngineKind::Demo,
            server_name: "  ".into(),
            sql_login: String::new(),
            sql_password: String::new(),
            use_windows_auth: false,
            trust_server_certificate: false,
            staging_dir: None,
        };
        assert!(matches!(DemoEngine::new(spec), Err(SqlError::Connect(_))));
    }
}
