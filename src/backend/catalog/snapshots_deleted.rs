//! The record of snapshots removed from a vault (`deleted_snapshots`): written whenever a
//! snapshot is removed (DeleteSnapshot, expiry, a mirror's own retention); automatic prune reads
//! the newest time per vault. (The retain helper owns this table; the lead keeps one copy of
//! these methods at merge — the signatures are the brief's contract.)
use rusqlite::params;

use super::{now, Catalog, CatalogResult};

impl Catalog {
    pub fn record_deleted_snapshot(
        &self,
        vault_id: &str,
        snapshot_id: &str,
        reason: &str,
    ) -> CatalogResult<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO deleted_snapshots (vault_id, snapshot_id, deleted_time, reason) VALUES (?1, ?2, ?3, ?4)",
            params![vault_id, snapshot_id, now(), reason],
        )?;
        Ok(())
    }

    /// The newest deletion in the vault (Unix seconds), if any.
    pub fn last_snapshot_deletion(&self, vault_id: &str) -> CatalogResult<Option<i64>> {
        let t: Option<i64> = self.conn().query_row(
            "SELECT MAX(deleted_time) FROM deleted_snapshots WHERE vault_id = ?1",
            params![vault_id],
            |r| r.get(0),
        )?;
        Ok(t)
    }
}
