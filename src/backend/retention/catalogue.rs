//! The retention a snapshot gets when it is catalogued: its manifest's policy (plan or
//! `CreateBackupJob` `Retention`), the long-term rules it qualifies for, or on a mirror the
//! mirror's own retention.
use crate::backend::catalog::{Catalog, CatalogResult, SnapshotRow};

use super::policy::{expire_time, RetentionPolicy};

/// Fills `retention_days`, `expire_time`, `plan_id` and `keep_latest` of a row about to be
/// catalogued from its `meta` (and, on a mirror with its own retention, from the mirror).
///
/// `RetentionRules`: the snapshot gets the longest rule whose period (UTC day, ISO week, month,
/// year) it opens — no other snapshot of its plan (or, without a plan, its client and source
/// type) in the vault completed earlier in that period — when that is longer than its days.
pub fn retention_of(catalog: &Catalog, row: &mut SnapshotRow) -> CatalogResult<()> {
    row.plan_id = row.meta.get("plan_id").and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let policy = RetentionPolicy::from_meta(&row.meta);
    let mut failed = None;
    let mut days = policy.effective_days(row.complete_time, |start| match catalog.first_in_period(row, start) {
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
    if let Some(v) = catalog.vault(&row.vault_id)? {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's worked example: a daily plan at 02:00 UTC, `Retention=7`, WEEKLY 60 days,
    /// MONTHLY 365 days, from Monday 2026-11-30 on.
    #[test]
    fn the_readme_worked_example() {
        let c = Catalog::in_memory_with_vault("v-1");
        let rules =
            super::super::policy::parse_rules(r#"[{"AdvancedRetentionType":"WEEKLY","Retention":60},{"AdvancedRetentionType":"MONTHLY","Retention":365}]"#)
                .unwrap();
        let mut meta = serde_json::json!({"plan_id": "plan-daily"});
        RetentionPolicy { days: Some(7), keep_latest: false, rules }.put_into(&mut meta);
        let monday_nov_30 = 1_795_996_800 + 2 * 3600; // 2026-11-30T02:00Z
        let mut got = Vec::new();
        for day in 0..9 {
            let t = monday_nov_30 + day * 86_400;
            let mut row = SnapshotRow {
                vault_id: "v-1".into(),
                snapshot_id: format!("s-{day}"),
                client_id: "c-1".into(),
                source_type: "FILE".into(),
                start_time: t - 60,
                complete_time: t,
                meta: meta.clone(),
                ..Default::default()
            };
            retention_of(&c, &mut row).unwrap();
            assert_eq!(row.plan_id, "plan-daily");
            assert_eq!(row.expire_time, t + row.retention_days * 86_400);
            c.insert_snapshot(&row).unwrap();
            got.push(row.retention_days);
        }
        // Mon 11-30 opens week and month (November had none before), Tue 12-01 opens December,
        // Mon 12-07 opens a week; the rest keep 7 days.
        assert_eq!(got, vec![365, 365, 7, 7, 7, 7, 7, 60, 7]);
    }
}
