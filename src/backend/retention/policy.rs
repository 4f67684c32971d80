//! The retention a snapshot carries: its days, "keep the latest" and HBR's long-term rules.
//!
//! A backup writes its policy into the snapshot manifest's `meta` under [`META_KEY`] (so it is
//! stored in the location, survives adoption and reaches a mirror with the copied manifest), and
//! the catalog derives the snapshot's `ExpireTime` from it when it catalogues the snapshot.
//! Plans (`CreateBackupPlan` `Retention`, `KeepLatestSnapshots`, `RetentionRules`) and
//! `CreateBackupJob` `Retention` both produce a `RetentionPolicy`.
use serde::{Deserialize, Serialize};

/// The key of the policy in a snapshot manifest's `meta`.
pub const META_KEY: &str = "retention";

/// The long-term rule kinds (`AdvancedRetentionType`).
pub const RULE_KINDS: [&str; 4] = ["DAILY", "WEEKLY", "MONTHLY", "YEARLY"];

/// Longest retention accepted, in days (100 years).
pub const MAX_DAYS: i64 = 36_500;

/// How long a snapshot is kept. `days: None` = kept until deleted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// `KeepLatestSnapshots=1`: expiry never removes the newest snapshot of the plan/client.
    #[serde(default)]
    pub keep_latest: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RetentionRule>,
}

/// One long-term rule: keep the `which_snapshot`-th (only 1, the first) snapshot of each
/// day/week/month/year for `days` days.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionRule {
    #[serde(rename = "AdvancedRetentionType")]
    pub kind: String,
    #[serde(rename = "Retention")]
    pub days: i64,
    #[serde(rename = "WhichSnapshot", default = "first")]
    pub which_snapshot: i64,
}

fn first() -> i64 {
    1
}

/// Checks a retention in days (`Retention`): 1 ..= [`MAX_DAYS`].
pub fn check_days(days: i64) -> Result<i64, String> {
    if (1..=MAX_DAYS).contains(&days) {
        Ok(days)
    } else {
        Err(format!("must be a number of days from 1 to {MAX_DAYS}, not {days}"))
    }
}

/// Parses `RetentionRules`: a JSON list of `{"AdvancedRetentionType","Retention","WhichSnapshot"}`.
/// Kinds are matched case-insensitively and stored upper-case; each kind at most once.
pub fn parse_rules(json: &str) -> Result<Vec<RetentionRule>, String> {
    if json.trim().is_empty() {
        return Ok(Vec::new());
    }
    let mut rules: Vec<RetentionRule> =
        serde_json::from_str(json).map_err(|e| format!("must be a JSON list of {{\"AdvancedRetentionType\",\"Retention\",\"WhichSnapshot\"}}: {e}"))?;
    let mut seen = Vec::new();
    for r in &mut rules {
        r.kind = r.kind.trim().to_ascii_uppercase();
        if !RULE_KINDS.contains(&r.kind.as_str()) {
            return Err(format!("AdvancedRetentionType {:?} is not one of {}", r.kind, RULE_KINDS.join(", ")));
        }
        if seen.contains(&r.kind) {
            return Err(format!("AdvancedRetentionType {} appears twice", r.kind));
        }
        seen.push(r.kind.clone());
        r.days = check_days(r.days).map_err(|e| format!("Retention of the {} rule {e}", r.kind))?;
        if r.which_snapshot != 1 {
            return Err(format!("WhichSnapshot {} is not supported: only 1 (the first snapshot of each period)", r.which_snapshot));
        }
    }
    Ok(rules)
}

impl RetentionPolicy {
    /// The policy recorded in a manifest's `meta` (absent = kept until deleted).
    pub fn from_meta(meta: &serde_json::Value) -> RetentionPolicy {
        meta.get(META_KEY).and_then(|v| serde_json::from_value(v.clone()).ok()).unwrap_or_default()
    }

    /// Writes the policy into a manifest's `meta` object (nothing when it keeps forever).
    pub fn put_into(&self, meta: &mut serde_json::Value) {
        if *self == RetentionPolicy::default() {
            return;
        }
        if let (Some(obj), Ok(v)) = (meta.as_object_mut(), serde_json::to_value(self)) {
            obj.insert(META_KEY.to_string(), v);
        }
    }
}

/// Seconds in a retention day.
pub const DAY: i64 = 86_400;

/// `ExpireTime` of a snapshot completed at `complete_time` kept `days` days (0 = never).
pub fn expire_time(complete_time: i64, days: i64) -> i64 {
    if days <= 0 {
        0
    } else {
        complete_time.saturating_add(days.saturating_mul(DAY))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month) of a day number since 1970-01-01.
fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m)
}

/// The UTC start of the day/week (ISO: from Monday)/month/year of `kind` that holds `t`.
pub fn period_start(kind: &str, t: i64) -> i64 {
    let day = t.div_euclid(DAY);
    let start_day = match kind {
        "WEEKLY" => day - (day + 3).rem_euclid(7), // 1970-01-01 was a Thursday
        "MONTHLY" => {
            let (y, m) = year_month(day);
            days_from_civil(y, m, 1)
        }
        "YEARLY" => days_from_civil(year_month(day).0, 1, 1),
        _ => day,
    };
    start_day * DAY
}

impl RetentionPolicy {
    /// The days a snapshot keeps: the policy's `days`, or the longest rule whose period the
    /// snapshot opens (`first_of` says whether it is the first of its group in a period that
    /// starts at the given time). `None` = kept until deleted.
    pub fn effective_days(&self, complete_time: i64, mut first_of: impl FnMut(i64) -> bool) -> Option<i64> {
        let mut days = self.days;
        for r in &self.rules {
            if days.is_some_and(|d| d >= r.days) {
                continue;
            }
            if first_of(period_start(&r.kind, complete_time)) {
                days = Some(r.days);
            }
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_case_insensitively_and_refuse_nonsense() {
        let r = parse_rules(r#"[{"AdvancedRetentionType":"weekly","Retention":60,"WhichSnapshot":1},{"AdvancedRetentionType":"YEARLY","Retention":3650}]"#).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].kind, "WEEKLY");
        assert_eq!(r[1].which_snapshot, 1);
        assert!(parse_rules(r#"[{"AdvancedRetentionType":"HOURLY","Retention":1}]"#).is_err());
        assert!(parse_rules(r#"[{"AdvancedRetentionType":"DAILY","Retention":0}]"#).is_err());
        assert!(parse_rules(r#"[{"AdvancedRetentionType":"DAILY","Retention":3,"WhichSnapshot":2}]"#).is_err());
        assert!(parse_rules(r#"[{"AdvancedRetentionType":"DAILY","Retention":3},{"AdvancedRetentionType":"daily","Retention":4}]"#).is_err());
        assert!(parse_rules("not json").is_err());
        assert!(parse_rules("").unwrap().is_empty());
    }

    #[test]
    fn policy_round_trips_through_manifest_meta() {
        let p = RetentionPolicy { days: Some(7), keep_latest: true, rules: parse_rules(r#"[{"AdvancedRetentionType":"MONTHLY","Retention":365}]"#).unwrap() };
        let mut meta = serde_json::json!({"plan_id": "plan-1"});
        p.put_into(&mut meta);
        assert_eq!(RetentionPolicy::from_meta(&meta), p);
        let mut empty = serde_json::json!({});
        RetentionPolicy::default().put_into(&mut empty);
        assert_eq!(empty, serde_json::json!({}));
        assert_eq!(RetentionPolicy::from_meta(&empty), RetentionPolicy::default());
    }

    #[test]
    fn periods_start_at_utc_day_iso_week_month_and_year() {
        // 2026-12-01T10:00:00Z is a Tuesday.
        let t = 1_796_119_200;
        assert_eq!(period_start("DAILY", t), 1_796_083_200); // 2026-12-01T00:00Z
        assert_eq!(period_start("WEEKLY", t), 1_795_996_800); // Monday 2026-11-30
        assert_eq!(period_start("MONTHLY", t), 1_796_083_200); // 2026-12-01
        assert_eq!(period_start("YEARLY", t), 1_767_225_600); // 2026-01-01
        assert_eq!(period_start("MONTHLY", 1_709_208_000), 1_709_251_200 - 29 * DAY); // 2024-02-29 → 2024-02-01
        assert_eq!(period_start("WEEKLY", 0), -3 * DAY); // Thursday 1970-01-01 → Monday 1969-12-29
        assert_eq!(expire_time(100, 0), 0);
        assert_eq!(expire_time(100, 2), 100 + 2 * DAY);
    }

    #[test]
    fn the_first_snapshot_of_a_period_keeps_the_longest_rule() {
        let p = RetentionPolicy { days: Some(7), keep_latest: false, rules: parse_rules(r#"[{"AdvancedRetentionType":"WEEKLY","Retention":60},{"AdvancedRetentionType":"MONTHLY","Retention":365}]"#).unwrap() };
        let t = 1_796_119_200;
        assert_eq!(p.effective_days(t, |_| true), Some(365));
        assert_eq!(p.effective_days(t, |start| start == period_start("WEEKLY", t)), Some(60));
        assert_eq!(p.effective_days(t, |_| false), Some(7));
        assert_eq!(RetentionPolicy::default().effective_days(t, |_| true), None);
    }
}
