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
}
