//! Retention queries: the snapshots whose `ExpireTime` passed (but for the newest of a
//! keep-latest plan/client), whether a snapshot opens a period (`RetentionRules`), WORM flags, a
//! mirror's own retention.
use rusqlite::params;

use super::jobs::{snapshot_from, SnapshotRow, SNAP_COLS};
use super::{now, Catalog, CatalogResult};

/// `n` is in the same retention group as `s`: the same plan, or without a plan the same client
/// and source type (both in the same vault).
const SAME_GROUP: &str = "n.vault_id = s.vault_id AND CASE WHEN s.plan_id <> '' THEN n.plan_id = s.plan_id \
     ELSE n.plan_id = '' AND n.client_id = s.client_id AND n.source_type = s.source_type END";

impl Catalog {
    /// Snapshots of the vault whose `ExpireTime` is at or before `at`, oldest first, except the
    /// newest of its group when it carries `KeepLatestSnapshots`.
    pub fn expired_snapshots(&self, vault_id: &str, at: i64) -> CatalogResult<Vec<SnapshotRow>> {
        let conn = self.conn();
        let cols = SNAP_COLS.split(", ").map(|c| format!("s.{c}")).collect::<Vec<_>>().join(", ");
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {cols} FROM snapshots s WHERE s.vault_id = ?1 AND s.expire_time > 0 AND s.expire_time <= ?2 \
             AND NOT (s.keep_latest = 1 AND NOT EXISTS (SELECT 1 FROM snapshots n WHERE {SAME_GROUP} \
                      AND (n.complete_time, n.snapshot_id) > (s.complete_time, s.snapshot_id))) \
             ORDER BY s.complete_time, s.snapshot_id"
        ))?;
        let rows = stmt.query_map(params![vault_id, at], snapshot_from)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// True when no other snapshot of the group of `s` completed in `[period_start, s)`: `s`
    /// is the first of its period.
    pub fn first_in_period(&self, s: &SnapshotRow, period_start: i64) -> CatalogResult<bool> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT COUNT(*) FROM snapshots n, (SELECT ?1 AS vault_id, ?2 AS plan_id, ?3 AS client_id, ?4 AS source_type) s \
             WHERE {SAME_GROUP} AND n.complete_time >= ?5 AND (n.complete_time, n.snapshot_id) < (?6, ?7)"
        ))?;
        let n: i64 = stmt.query_row(params![s.vault_id, s.plan_id, s.client_id, s.source_type, period_start, s.complete_time, s.snapshot_id], |r| r.get(0))?;
        Ok(n == 0)
    }

    /// Snapshots of the vault not expired at `at` (WORM: they may not be deleted).
    pub fn unexpired_snapshot_count(&self, vault_id: &str, at: i64) -> CatalogResult<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM snapshots WHERE vault_id = ?1 AND (expire_time = 0 OR expire_time > ?2)",
            params![vault_id, at],
            |r| r.get(0),
        )?)
    }

    /// Turns WORM on (never off). Returns false when the vault does not exist.
    pub fn set_worm(&self, vault_id: &str) -> CatalogResult<bool> {
        Ok(self.conn().execute("UPDATE vaults SET worm_enabled = 1, updated_time = ?2 WHERE vault_id = ?1", params![vault_id, now()])? > 0)
    }

    /// Snapshots of the vault whose `ExpireTime` keeping `days` from completion would lower
    /// (kept forever, or expiring later).
    pub fn snapshots_shortened_by(&self, vault_id: &str, days: i64) -> CatalogResult<i64> {
        Ok(self.conn().query_row(
            "SELECT COUNT(*) FROM snapshots WHERE vault_id = ?1 AND (expire_time = 0 OR complete_time + ?2 * 86400 < expire_time)",
            params![vault_id, days],
            |r| r.get(0),
        )?)
    }

    /// A mirror's own retention: `days` (kept from each copy's completion) and/or
    /// `keep_latest`, stored on the vault for future copies and applied to the copies it holds.
    pub fn set_own_retention(&self, vault_id: &str, days: Option<i64>, keep_latest: Option<bool>) -> CatalogResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(d) = days {
            tx.execute("UPDATE vaults SET own_retention_days = ?2 WHERE vault_id = ?1", params![vault_id, d])?;
            tx.execute(
                "UPDATE snapshots SET retention_days = ?2, expire_time = complete_time + ?2 * 86400 WHERE vault_id = ?1",
                params![vault_id, d],
            )?;
        }
        if let Some(k) = keep_latest {
            tx.execute("UPDATE vaults SET own_keep_latest = ?2 WHERE vault_id = ?1", params![vault_id, k as i64])?;
            tx.execute("UPDATE snapshots SET keep_latest = ?2 WHERE vault_id = ?1", params![vault_id, k as i64])?;
        }
        tx.execute("UPDATE vaults SET updated_time = ?2 WHERE vault_id = ?1", params![vault_id, now()])?;
        tx.commit()?;
        Ok(())
    }
}
