//! `SearchHistoricalSnapshots` in SQL: conditions on the snapshot columns, one sort key, a page
//! by offset (`LIMIT`/`OFFSET`, never every row loaded), each snapshot with the backup job that
//! wrote it.
use rusqlite::types::Value;

use super::jobs::{snapshot_from, JobOp, SnapshotRow, SNAP_COLS};
use super::{Catalog, CatalogResult};

/// A column a search condition compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchColumn {
    VaultId,
    ClientId,
    PlanId,
    SnapshotId,
    /// `CreateTime`: when the backup started.
    StartTime,
    CompleteTime,
    ExpireTime,
    BytesTotal,
}

impl SearchColumn {
    fn sql(self) -> &'static str {
        match self {
            SearchColumn::VaultId => "s.vault_id",
            SearchColumn::ClientId => "s.client_id",
            SearchColumn::PlanId => "s.plan_id",
            SearchColumn::SnapshotId => "s.snapshot_id",
            SearchColumn::StartTime => "s.start_time",
            SearchColumn::CompleteTime => "s.complete_time",
            SearchColumn::ExpireTime => "s.expire_time",
            SearchColumn::BytesTotal => "s.bytes_total",
        }
    }
}

/// `column op values` (the caller checked the value count of the operator).
#[derive(Clone, Debug, PartialEq)]
pub struct SearchCondition {
    pub column: SearchColumn,
    pub op: JobOp,
    pub values: Vec<Value>,
}

#[derive(Clone, Debug)]
pub struct SnapshotSearch {
    /// The stored source type (FILE, SQLSERVER), or any.
    pub source_type: Option<String>,
    pub conditions: Vec<SearchCondition>,
    pub sort_by: SearchColumn,
    pub descending: bool,
    pub offset: i64,
    /// 0 = count only.
    pub limit: i64,
}

/// A snapshot found, with the id of the backup job that wrote it (empty for a mirror's copy
/// adopted from a location without its job).
#[derive(Clone, Debug)]
pub struct FoundSnapshot {
    pub row: SnapshotRow,
    pub job_id: String,
}

impl Catalog {
    /// The total matching and one page of them.
    pub fn search_snapshots(&self, q: &SnapshotSearch) -> CatalogResult<(i64, Vec<FoundSnapshot>)> {
        let mut where_sql = String::from("WHERE 1 = 1");
        let mut args: Vec<Value> = Vec::new();
        if let Some(t) = &q.source_type {
            where_sql.push_str(" AND s.source_type = ?");
            args.push(Value::Text(t.clone()));
        }
        for c in &q.conditions {
            let clause = c.op.clause(c.column.sql(), c.values.len());
            where_sql.push_str(" AND ");
            where_sql.push_str(&clause);
            args.extend(c.values.iter().cloned());
        }
        let conn = self.read();
        let total: i64 = conn.query_row(&format!("SELECT COUNT(*) FROM snapshots s {where_sql}"), rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        if q.limit <= 0 {
            return Ok((total, Vec::new()));
        }
        let dir = if q.descending { "DESC" } else { "ASC" };
        let cols = SNAP_COLS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {cols}, COALESCE((SELECT j.job_id FROM jobs j WHERE j.snapshot_id = s.snapshot_id AND j.kind = 'BACKUP' LIMIT 1), '') \
             FROM snapshots s {where_sql} ORDER BY {} {dir}, s.snapshot_id {dir}, s.vault_id {dir} LIMIT {} OFFSET {}",
            q.sort_by.sql(),
            q.limit,
            q.offset.max(0)
        );
        let mut stmt = conn.prepare(&sql)?;
        let job_col = SNAP_COLS.split(", ").count();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| Ok(FoundSnapshot { row: snapshot_from(r)?, job_id: r.get(job_col)? }))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }
}
