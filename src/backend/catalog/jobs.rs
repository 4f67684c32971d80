//! Jobs (backup, restore, verify, SQL Server restore) and catalogued snapshots.
use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Backup,
    Restore,
    Verify,
    SqlRestore,
    Prune,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Backup => "BACKUP",
            JobKind::Restore => "RESTORE",
            JobKind::Verify => "VERIFY",
            JobKind::SqlRestore => "SQLRESTORE",
            JobKind::Prune => "PRUNE",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct JobRow {
    pub job_id: String,
    pub kind: String,
    pub vault_id: String,
    pub client_id: String,
    pub source_type: String,
    pub snapshot_id: String,
    pub params: String,
    pub status: String,
    pub bytes_total: i64,
    pub bytes_done: i64,
    pub items_total: i64,
    pub items_done: i64,
    pub speed: i64,
    pub error_message: String,
    pub result: String,
    pub created_time: i64,
    pub start_time: i64,
    pub complete_time: i64,
    pub updated_time: i64,
    /// The backup plan that started the job (empty without one).
    pub plan_id: String,
    /// `AUTO` / `MANUAL` for backups; empty for other kinds.
    pub trigger_mode: String,
}

const COLS: &str = "job_id, kind, vault_id, client_id, source_type, snapshot_id, params, status, bytes_total, bytes_done, items_total, \
                    items_done, speed, error_message, result, created_time, start_time, complete_time, updated_time, plan_id, trigger_mode";

fn from_row(r: &Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        job_id: r.get(0)?,
        kind: r.get(1)?,
        vault_id: r.get(2)?,
        client_id: r.get(3)?,
        source_type: r.get(4)?,
        snapshot_id: r.get(5)?,
        params: r.get(6)?,
        status: r.get(7)?,
        bytes_total: r.get(8)?,
        bytes_done: r.get(9)?,
        items_total: r.get(10)?,
        items_done: r.get(11)?,
        speed: r.get(12)?,
        error_message: r.get(13)?,
        result: r.get(14)?,
        created_time: r.get(15)?,
        start_time: r.get(16)?,
        complete_time: r.get(17)?,
        updated_time: r.get(18)?,
        plan_id: r.get(19)?,
        trigger_mode: r.get(20)?,
    })
}

#[derive(Default)]
pub struct JobFilter<'a> {
    pub job_id: Option<&'a str>,
    pub vault_id: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub status: Option<&'a str>,
    pub source_type: Option<&'a str>,
    /// Every condition must hold (the wire's `Filters`).
    pub conditions: Vec<JobCondition>,
    /// Oldest first (by `created_time`) instead of newest first.
    pub ascending: bool,
}

/// What a job condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobColumn {
    JobId,
    /// The plan that started the job (empty without one).
    PlanId,
    VaultId,
    ClientId,
    Status,
    CreatedTime,
    CompleteTime,
}

impl JobColumn {
    fn sql(self) -> &'static str {
        match self {
            JobColumn::JobId => "job_id",
            JobColumn::PlanId => "plan_id",
            JobColumn::VaultId => "vault_id",
            JobColumn::ClientId => "client_id",
            JobColumn::Status => "status",
            JobColumn::CreatedTime => "created_time",
            JobColumn::CompleteTime => "complete_time",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    /// Two values, inclusive.
    Between,
    In,
    NotIn,
}

/// `column op values`, with the value count the operator takes (checked by the caller).
#[derive(Clone, Debug, PartialEq)]
pub struct JobCondition {
    pub column: JobColumn,
    pub op: JobOp,
    pub values: Vec<rusqlite::types::Value>,
}

impl JobOp {
    /// The SQL condition `col op ?…` for `n` values (the count the operator takes).
    pub(crate) fn clause(self, col: &str, n: usize) -> String {
        let marks = || vec!["?"; n].join(", ");
        match self {
            JobOp::Eq => format!("{col} = ?"),
            JobOp::Ne => format!("{col} <> ?"),
            JobOp::Gt => format!("{col} > ?"),
            JobOp::Ge => format!("{col} >= ?"),
            JobOp::Lt => format!("{col} < ?"),
            JobOp::Le => format!("{col} <= ?"),
            JobOp::Between => format!("{col} BETWEEN ? AND ?"),
            JobOp::In => format!("{col} IN ({})", marks()),
            JobOp::NotIn => format!("{col} NOT IN ({})", marks()),
        }
    }
}

impl JobCondition {
    fn push_sql(&self, sql: &mut String, args: &mut Vec<rusqlite::types::Value>) {
        let clause = self.op.clause(self.column.sql(), self.values.len());
        sql.push_str(" AND ");
        sql.push_str(&clause);
        args.extend(self.values.iter().cloned());
    }
}

/// A snapshot as catalogued (the location holds the manifest itself).
#[derive(Clone, Debug, Default)]
pub struct SnapshotRow {
    pub vault_id: String,
    pub snapshot_id: String,
    pub client_id: String,
    pub source_type: String,
    pub paths: Vec<String>,
    pub bytes_total: i64,
    pub bytes_added: i64,
    pub items_total: i64,
    pub parent_snapshot_id: String,
    pub start_time: i64,
    pub complete_time: i64,
    pub meta: serde_json::Value,
    /// Catalogue order (rowid): tells historical from real-time snapshots for a mirror.
    pub seq: i64,
    /// Days the snapshot is kept (0 = until deleted) and when it expires (0 = never).
    pub retention_days: i64,
    pub expire_time: i64,
    /// The backup plan that made it (empty for a job started by hand).
    pub plan_id: String,
    /// `KeepLatestSnapshots`: expiry keeps it while it is the newest of its plan/client.
    pub keep_latest: bool,
}

pub(crate) fn snapshot_from(r: &Row<'_>) -> rusqlite::Result<SnapshotRow> {
    let paths: String = r.get(4)?;
    let meta: String = r.get(11)?;
    Ok(SnapshotRow {
        vault_id: r.get(0)?,
        snapshot_id: r.get(1)?,
        client_id: r.get(2)?,
        source_type: r.get(3)?,
        paths: serde_json::from_str(&paths).unwrap_or_default(),
        bytes_total: r.get(5)?,
        bytes_added: r.get(6)?,
        items_total: r.get(7)?,
        parent_snapshot_id: r.get(8)?,
        start_time: r.get(9)?,
        complete_time: r.get(10)?,
        meta: serde_json::from_str(&meta).unwrap_or_default(),
        seq: r.get(12)?,
        retention_days: r.get(13)?,
        expire_time: r.get(14)?,
        plan_id: r.get(15)?,
        keep_latest: r.get::<_, i64>(16)? != 0,
    })
}

pub(crate) const SNAP_COLS: &str = "vault_id, snapshot_id, client_id, source_type, paths, bytes_total, bytes_added, items_total, parent_snapshot_id, \
                         start_time, complete_time, meta, rowid, retention_days, expire_time, plan_id, keep_latest";
const SNAP_INSERT_COLS: &str = "vault_id, snapshot_id, client_id, source_type, paths, bytes_total, bytes_added, items_total, parent_snapshot_id, \
                         start_time, complete_time, meta, retention_days, expire_time, plan_id, keep_latest";

impl Catalog {
    /// A new job, `CREATED`. `plan_id` is the plan that started it (empty without one),
    /// `trigger_mode` `AUTO`/`MANUAL` for backups (empty for other kinds).
    #[allow(clippy::too_many_arguments)]
    pub fn insert_job(
        &self, kind: JobKind, job_id: &str, vault_id: &str, client_id: &str, source_type: &str, snapshot_id: &str, params_json: &str, plan_id: &str,
        trigger_mode: &str,
    ) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "INSERT INTO jobs (job_id, kind, vault_id, client_id, source_type, snapshot_id, params, status, created_time, updated_time, plan_id, trigger_mode) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'CREATED', ?8, ?8, ?9, ?10)",
            params![job_id, kind.as_str(), vault_id, client_id, source_type, snapshot_id, params_json, t, plan_id, trigger_mode],
        )?;
        Ok(())
    }

    pub fn job(&self, job_id: &str) -> CatalogResult<Option<JobRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM jobs WHERE job_id = ?1"))?;
        Ok(stmt.query_row([job_id], from_row).optional()?)
    }

    /// One page of the jobs of a kind that match every filter, in SQL (indexed by kind and
    /// creation time, vault or client).
    pub fn list_jobs(&self, kind: JobKind, f: &JobFilter<'_>, page: i64, size: i64) -> CatalogResult<(i64, Vec<JobRow>)> {
        use rusqlite::types::Value;
        let conn = self.read();
        let mut where_sql = String::from("WHERE kind = ?");
        let mut args: Vec<Value> = vec![Value::Text(kind.as_str().into())];
        let equal = [("job_id", f.job_id), ("vault_id", f.vault_id), ("client_id", f.client_id), ("status", f.status), ("source_type", f.source_type)];
        for (col, v) in equal {
            if let Some(v) = v {
                where_sql.push_str(&format!(" AND {col} = ?"));
                args.push(Value::Text(v.into()));
            }
        }
        for c in &f.conditions {
            c.push_sql(&mut where_sql, &mut args);
        }
        // Cached statements, the page bound as parameters: one parse per filter shape, not per request.
        let total: i64 = conn.prepare_cached(&format!("SELECT COUNT(*) FROM jobs {where_sql}"))?.query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        let order = if f.ascending { "created_time ASC, job_id ASC" } else { "created_time DESC, job_id" };
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM jobs {where_sql} ORDER BY {order} LIMIT ? OFFSET ?"))?;
        args.push(Value::Integer(size));
        args.push(Value::Integer((page - 1).saturating_mul(size)));
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }

    /// Deletes up to `limit` finished jobs that completed before `cutoff`; returns how many.
    pub fn trim_job_history(&self, cutoff: i64, limit: i64) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "DELETE FROM jobs WHERE rowid IN (SELECT rowid FROM jobs WHERE complete_time > 0 AND complete_time < ?1 \
             AND status NOT IN ('CREATED', 'RUNNING') LIMIT ?2)",
            params![cutoff, limit],
        )?)
    }

    /// Why a job that has not started yet waits (shown as its `ErrorMessage` while `CREATED`).
    pub fn set_job_message(&self, job_id: &str, message: &str) -> CatalogResult<()> {
        self.conn().execute("UPDATE jobs SET error_message = ?2, updated_time = ?3 WHERE job_id = ?1 AND status = 'CREATED'", params![job_id, message, now()])?;
        Ok(())
    }

    pub fn start_job(&self, job_id: &str) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "UPDATE jobs SET status = 'RUNNING', error_message = '', start_time = ?2, updated_time = ?2 WHERE job_id = ?1 AND status = 'CREATED'",
            params![job_id, t],
        )?;
        Ok(())
    }

    pub fn job_progress(&self, job_id: &str, bytes_total: i64, bytes_done: i64, items_total: i64, items_done: i64, speed: i64) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE jobs SET bytes_total = ?2, bytes_done = ?3, items_total = ?4, items_done = ?5, speed = ?6, updated_time = ?7 WHERE job_id = ?1",
            params![job_id, bytes_total, bytes_done, items_total, items_done, speed, now()],
        )?;
        Ok(())
    }

    pub fn finish_job(&self, job_id: &str, status: &str, error_message: &str, snapshot_id: Option<&str>, result_json: &str) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "UPDATE jobs SET status = ?2, error_message = ?3, snapshot_id = COALESCE(?4, snapshot_id), result = ?5, complete_time = ?6, \
             updated_time = ?6 WHERE job_id = ?1",
            params![job_id, status, error_message, snapshot_id, result_json, t],
        )?;
        Ok(())
    }

    /// Jobs a previous process left unfinished end `FAILED` at start-up.
    pub fn fail_interrupted_jobs(&self) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "UPDATE jobs SET status = 'FAILED', error_message = 'The backend restarted while this job ran; no partial snapshot was kept. Run it again: data already stored is reused.', \
             complete_time = ?1, updated_time = ?1 WHERE status IN ('CREATED', 'RUNNING')",
            [now()],
        )?)
    }

    pub fn insert_snapshot(&self, s: &SnapshotRow) -> CatalogResult<()> {
        self.conn().execute(
            &format!("INSERT OR IGNORE INTO snapshots ({SNAP_INSERT_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"),
            params![
                s.vault_id, s.snapshot_id, s.client_id, s.source_type, serde_json::to_string(&s.paths).unwrap_or_default(),
                s.bytes_total, s.bytes_added, s.items_total, s.parent_snapshot_id, s.start_time, s.complete_time, s.meta.to_string(),
                s.retention_days, s.expire_time, s.plan_id, s.keep_latest as i64
            ],
        )?;
        Ok(())
    }

    pub fn snapshot(&self, vault_id: &str, snapshot_id: &str) -> CatalogResult<Option<SnapshotRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {SNAP_COLS} FROM snapshots WHERE vault_id = ?1 AND snapshot_id = ?2"))?;
        Ok(stmt.query_row([vault_id, snapshot_id], snapshot_from).optional()?)
    }

    /// Snapshots of a vault, oldest first.
    pub fn list_snapshots(&self, vault_id: &str, client_id: Option<&str>, source_type: Option<&str>) -> CatalogResult<Vec<SnapshotRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SNAP_COLS} FROM snapshots WHERE vault_id = ?1 AND (?2 IS NULL OR client_id = ?2) AND (?3 IS NULL OR source_type = ?3) \
             ORDER BY complete_time, snapshot_id"
        ))?;
        let rows = stmt.query_map(params![vault_id, client_id, source_type], snapshot_from)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One page of a vault's snapshots, newest first, and how many match (`DescribeSnapshots`):
    /// counted and paged by SQLite, so only the page's rows are read and decoded.
    pub fn snapshot_page(&self, vault_id: &str, client_id: Option<&str>, source_type: Option<&str>, page: i64, size: i64) -> CatalogResult<(i64, Vec<SnapshotRow>)> {
        const MATCH: &str = "vault_id = ?1 AND (?2 IS NULL OR client_id = ?2) AND (?3 IS NULL OR source_type = ?3)";
        let conn = self.read();
        let total: i64 = conn.prepare_cached(&format!("SELECT COUNT(*) FROM snapshots WHERE {MATCH}"))?.query_row(params![vault_id, client_id, source_type], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(&format!("SELECT {SNAP_COLS} FROM snapshots WHERE {MATCH} ORDER BY complete_time DESC, snapshot_id DESC LIMIT ?4 OFFSET ?5"))?;
        let offset = (page.max(1) - 1).saturating_mul(size);
        let rows = stmt.query_map(params![vault_id, client_id, source_type, size, offset], snapshot_from)?.collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }

    pub fn latest_snapshot_for_client(&self, vault_id: &str, client_id: &str, source_type: &str) -> CatalogResult<Option<SnapshotRow>> {
        Ok(self.list_snapshots(vault_id, Some(client_id), Some(source_type))?.pop())
    }
}
