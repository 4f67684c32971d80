//! Replication progress on mirror rows and the per-snapshot history.
use rusqlite::params;

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Debug, Default)]
pub struct HistoryRow {
    pub snapshot_id: String,
    pub kind: String,
    pub bytes: i64,
    pub start_time: i64,
    pub end_time: i64,
    pub lag_seconds: f64,
}

/// Mirrors with their sources: (mirror_id, mirror_region, source_id, source_region).
pub type MirrorPair = (String, String, String, String);

impl Catalog {
    pub fn mirror_pairs(&self) -> CatalogResult<Vec<MirrorPair>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT m.vault_id, m.region_id, s.vault_id, s.region_id FROM vaults m JOIN vaults s ON s.vault_id = m.replication_source_vault_id \
             WHERE m.status = 'CREATED' ORDER BY m.vault_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn set_replication_status(&self, mirror_id: &str, status: &str, message: &str) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE vaults SET repl_status = ?2, repl_message = ?3 WHERE vault_id = ?1",
            params![mirror_id, status, message],
        )?;
        Ok(())
    }

    pub fn set_replication_pending(&self, mirror_id: &str, bytes_pending: i64, lag_seconds: i64) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE vaults SET repl_bytes_pending = ?2, repl_lag_seconds = ?3 WHERE vault_id = ?1",
            params![mirror_id, bytes_pending, lag_seconds],
        )?;
        Ok(())
    }

    pub fn set_historical_progress(&self, mirror_id: &str, bytes_total: i64, bytes_done: i64, done: bool) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE vaults SET historical_bytes_total = ?2, historical_bytes_done = ?3, historical_done = ?4 WHERE vault_id = ?1",
            params![mirror_id, bytes_total, bytes_done, done as i64],
        )?;
        Ok(())
    }

    /// Starts the historical sync now ("sync now").
    pub fn start_historical_now(&self, mirror_id: &str) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "UPDATE vaults SET historical_start_time = MIN(historical_start_time, ?2) WHERE vault_id = ?1",
            params![mirror_id, now()],
        )?)
    }

    /// Records one copied snapshot and moves the mirror's replication times.
    pub fn record_replication(&self, mirror_id: &str, h: &HistoryRow, realtime: bool) -> CatalogResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO replication_history (mirror_vault_id, snapshot_id, kind, bytes, start_time, end_time, lag_seconds) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![mirror_id, h.snapshot_id, h.kind, h.bytes, h.start_time, h.end_time, h.lag_seconds],
        )?;
        tx.execute(
            "UPDATE vaults SET latest_replication_time = ?2, new_replication_time = CASE WHEN ?3 THEN ?2 ELSE new_replication_time END \
             WHERE vault_id = ?1",
            params![mirror_id, h.end_time, realtime],
        )?;
        Ok(tx.commit()?)
    }

    pub fn replication_history(&self, mirror_id: &str, page: i64, size: i64) -> CatalogResult<(i64, Vec<HistoryRow>)> {
        let conn = self.read();
        let total: i64 = conn.query_row("SELECT COUNT(*) FROM replication_history WHERE mirror_vault_id = ?1", [mirror_id], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT snapshot_id, kind, bytes, start_time, end_time, lag_seconds FROM replication_history WHERE mirror_vault_id = ?1 \
             ORDER BY id LIMIT {size} OFFSET {}",
            (page - 1).saturating_mul(size)
        ))?;
        let rows = stmt
            .query_map([mirror_id], |r| {
                Ok(HistoryRow { snapshot_id: r.get(0)?, kind: r.get(1)?, bytes: r.get(2)?, start_time: r.get(3)?, end_time: r.get(4)?, lag_seconds: r.get(5)? })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }
}
