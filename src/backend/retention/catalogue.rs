//! The retention a snapshot gets when it is catalogued: its manifest's policy (plan or
//! `CreateBackupJob` `Retention`), the long-term rules it qualifies for, or on a mirror the
//! mirror's own retention.
use crate::backend::catalog::{CatalogResult, SnapshotRow};
use crate::backend::state::AppState;

use super::policy::{expire_time, RetentionPolicy};

/// Fills `retention_days`, `expire_time`, `plan_id` and `keep_latest` of a row about to be
/// catalogued from its `meta` (and, on a mirror with its own retention, from the mirror).
///
/// `RetentionRules`: the snapshot gets the longest rule whose period (UTC day, ISO week, month,
/// year) it opens — no other snapshot of its plan (or, without a plan, its client and source
/// type) in the vault completed earlier in that period — when that is longer than its days.
pub fn retention_of(st: &AppState, row: &mut SnapshotRow) -> CatalogResult<()> {
    row.plan_id = row.meta.get("plan_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let policy = RetentionPolicy::from_meta(&row.meta);
    let mut failed = None;
    let mut days = policy.effective_days(row.complete_time, |start| match st.catalog.first_in_period(row, start) {
        Ok(first) => first,
        Err(e) => {
            failed = Some(e);
            true // keep longer rather than shorter
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let mut keep_latest = policy.keep_latest;
    if let Some(v) = st.catalog.vault(&row.vault_id)? {
        if v.is_mirror && v.own_retention_days > 0 {
            days = Some(v.own_retention_days);
        }
        if v.is_mirror {
            keep_latest = v.own_keep_latest.unwrap_or(keep_latest);
        }
    }
    row.retention_days = days.unwrap_or(0);
    row.expire_time = expire_time(row.complete_time, row.retention_days);
    row.keep_latest = keep_latest;
    Ok(())
}
