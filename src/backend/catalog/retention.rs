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
        let conn = self.read();
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
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT COUNT(*) FROM snapshots n, (SELECT ?1 AS vault_id, ?2 AS plan_id, ?3 AS client_id, ?4 AS source_type) s \
             WHERE {SAME_GROUP} AND n.complete_time >= ?5 AND (n.complete_time, n.snapshot_id) < (?6, ?7)"
        ))?;
        let n: i64 = stmt.query_row(params![s.vault_id, s.plan_id, s.client_id, s.source_type, period_start, s.complete_time, s.snapshot_id], |r| r.get(0))?;
        Ok(n == 0)
    }

    /// Snapshots of the vault not expired at `at` (WORM: they may not be deleted).
    pub fn unexpired_snapshot_count(&self, vault_id: &str, at: i64) -> CatalogResult<i64> {
        Ok(self.read().query_row(
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
        Ok(self.read().query_row(
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
            tx.execute("UPDATE snapshots SET retention_days = ?2, expire_time = complete_time + ?2 * 86400 WHERE vault_id = ?1", params![vault_id, d])?;
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

#[cfg(test)]
mod tests {
    use super::super::{Catalog, SnapshotRow};

    fn snap(id: &str, client: &str, plan: &str, complete: i64, expire: i64, keep_latest: bool) -> SnapshotRow {
        SnapshotRow {
            vault_id: "v-1".into(),
            snapshot_id: id.into(),
            client_id: client.into(),
            source_type: "FILE".into(),
            start_time: complete - 1,
            complete_time: complete,
            meta: serde_json::json!({}),
            expire_time: expire,
            plan_id: plan.into(),
            keep_latest,
            ..Default::default()
        }
    }

    fn catalog() -> Catalog {
        Catalog::in_memory_with_vault("v-1")
    }

    #[test]
    fn expiry_keeps_the_newest_of_a_keep_latest_group_and_what_has_not_expired() {
        let c = catalog();
        for s in [
            snap("a1", "c-a", "", 100, 200, true),
            snap("a2", "c-a", "", 110, 210, true), // newest of c-a: kept although expired
            snap("b1", "c-b", "", 100, 200, false),
            snap("b2", "c-b", "", 120, 220, false), // newest of c-b, no keep-latest: expires
            snap("p1", "c-a", "plan-1", 100, 200, true),
            snap("p2", "c-b", "plan-1", 130, 900, true), // plan group: newest, not expired
            snap("f", "c-c", "", 100, 0, false),         // kept until deleted
        ] {
            c.insert_snapshot(&s).unwrap();
        }
        let ids = |at| c.expired_snapshots("v-1", at).unwrap().into_iter().map(|s| s.snapshot_id).collect::<Vec<_>>();
        assert_eq!(ids(500), vec!["a1", "b1", "p1", "b2"]);
        assert_eq!(ids(205), vec!["a1", "b1", "p1"]);
        assert_eq!(ids(1000), vec!["a1", "b1", "p1", "b2"], "p2 stays: the newest of plan-1 keeps the latest");
        assert!(c.forget_snapshot("v-1", "a1", "EXPIRED").unwrap());
        assert!(!c.forget_snapshot("v-1", "a1", "EXPIRED").unwrap());
        assert!(c.deleted_snapshot_ids("v-1").unwrap().contains("a1"));
        assert!(c.last_snapshot_deletion("v-1").unwrap().is_some());
        assert_eq!(c.last_snapshot_deletion("v-other").unwrap(), None);
        assert_eq!(c.unexpired_snapshot_count("v-1", 500).unwrap(), 2);
    }

    #[test]
    fn the_first_of_a_period_is_the_first_of_its_plan_or_client() {
        let c = catalog();
        c.insert_snapshot(&snap("a1", "c-a", "", 1000, 0, false)).unwrap();
        c.insert_snapshot(&snap("p1", "c-a", "plan-1", 1000, 0, false)).unwrap();
        assert!(!c.first_in_period(&snap("a2", "c-a", "", 1500, 0, false), 900).unwrap());
        assert!(c.first_in_period(&snap("a2", "c-a", "", 1500, 0, false), 1200).unwrap(), "a1 is before the period");
        assert!(c.first_in_period(&snap("b1", "c-b", "", 1500, 0, false), 900).unwrap(), "another client");
        assert!(!c.first_in_period(&snap("p2", "c-z", "plan-1", 1500, 0, false), 900).unwrap(), "the same plan, any client");
        assert!(c.first_in_period(&snap("a0", "c-a", "", 999, 0, false), 900).unwrap(), "earlier than a1");
    }
}
