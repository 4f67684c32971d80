//! Snapshots removed from a vault (`DeleteSnapshot`, expiry, a mirror's own retention): the row
//! goes, a `deleted_snapshots` row records it. Replication never copies a recorded snapshot to
//! that vault again; prune reads the newest deletion time to know a vault has garbage.
use std::collections::HashSet;

use rusqlite::{params, OptionalExtension};

use super::{now, Catalog, CatalogResult};

/// Why a snapshot was removed (`deleted_snapshots.reason`).
pub const REASON_DELETED: &str = "DELETED";
pub const REASON_EXPIRED: &str = "EXPIRED";

impl Catalog {
    /// Records that `snapshot_id` was removed from `vault_id` (idempotent: the first time stays).
    pub fn record_deleted_snapshot(&self, vault_id: &str, snapshot_id: &str, reason: &str) -> CatalogResult<()> {
        self.conn().execute(
            "INSERT OR IGNORE INTO deleted_snapshots (vault_id, snapshot_id, deleted_time, reason) VALUES (?1, ?2, ?3, ?4)",
            params![vault_id, snapshot_id, now(), reason],
        )?;
        Ok(())
    }

    /// When a snapshot was last removed from the vault (`None`: never).
    pub fn last_snapshot_deletion(&self, vault_id: &str) -> CatalogResult<Option<i64>> {
        Ok(self
            .read()
            .query_row("SELECT MAX(deleted_time) FROM deleted_snapshots WHERE vault_id = ?1", [vault_id], |r| r.get::<_, Option<i64>>(0))
            .optional()?
            .flatten())
    }

    /// The snapshots removed from the vault.
    pub fn deleted_snapshot_ids(&self, vault_id: &str) -> CatalogResult<HashSet<String>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT snapshot_id FROM deleted_snapshots WHERE vault_id = ?1")?;
        let ids = stmt.query_map([vault_id], |r| r.get(0))?.collect::<Result<HashSet<String>, _>>()?;
        Ok(ids)
    }

    /// Removes a snapshot's row and records the removal, in one transaction (after its manifest
    /// left the location). Returns false when the row was already gone.
    pub fn forget_snapshot(&self, vault_id: &str, snapshot_id: &str, reason: &str) -> CatalogResult<bool> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let n = tx.execute("DELETE FROM snapshots WHERE vault_id = ?1 AND snapshot_id = ?2", [vault_id, snapshot_id])?;
        tx.execute(
            "INSERT OR IGNORE INTO deleted_snapshots (vault_id, snapshot_id, deleted_time, reason) VALUES (?1, ?2, ?3, ?4)",
            params![vault_id, snapshot_id, now(), reason],
        )?;
        tx.commit()?;
        Ok(n > 0)
    }
}
