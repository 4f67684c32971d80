//! Replication statistics kept in memory: recent copy throughput per mirror, and the ETA of the
//! bytes still pending.
use crate::api::vault::Vault;

use super::Replicator;

impl Replicator {
    /// Records a finished copy's throughput for `mirror_id` (short or empty copies say nothing).
    pub(super) fn record_throughput(&self, mirror_id: &str, bytes: u64, secs: f64) {
        if secs > 0.05 && bytes > 0 {
            self.throughput.lock().unwrap_or_else(|p| p.into_inner()).insert(mirror_id.to_string(), bytes as f64 / secs);
        }
    }

    pub fn eta_seconds(&self, v: &Vault, bytes_pending: i64) -> i64 {
        if bytes_pending <= 0 {
            return 0;
        }
        let mirror = if v.replication { &v.vault_id } else { &v.replication_target_vault_id };
        let rate = self.throughput.lock().unwrap_or_else(|p| p.into_inner()).get(mirror).copied().unwrap_or(0.0);
        let limit = v.replication_rate_limit as f64;
        let rate = if limit > 0.0 && (rate == 0.0 || rate > limit) { limit } else { rate };
        if rate <= 0.0 {
            0
        } else {
            (bytes_pending as f64 / rate).ceil() as i64
        }
    }
}
