//! Alerts the backend raises and clears itself: `DescribeAlerts`, `AcknowledgeAlert`.
use serde::{Deserialize, Serialize};

use super::Page;

pub const ALERT_ACTIVE: &str = "ACTIVE";
pub const ALERT_RESOLVED: &str = "RESOLVED";

/// `Kind` values.
pub const KIND_REGION_OUTAGE: &str = "REGION_OUTAGE";
pub const KIND_VAULT_ERROR: &str = "VAULT_ERROR";
/// A mirror's replication `ERROR` or `PAUSED` for longer than the threshold.
pub const KIND_REPLICATION_STALLED: &str = "REPLICATION_STALLED";
pub const KIND_REPLICATION_LAG: &str = "REPLICATION_LAG";
pub const KIND_JOB_FAILED: &str = "JOB_FAILED";
/// A client's remote agent has not sent a heartbeat for `[agents] offline_after`.
pub const KIND_AGENT_OFFLINE: &str = "AGENT_OFFLINE";

pub const SEVERITY_CRITICAL: &str = "CRITICAL";
pub const SEVERITY_WARNING: &str = "WARNING";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct Alert {
    pub alert_id: String,
    pub kind: String,
    pub severity: String,
    pub vault_id: String,
    pub job_id: String,
    pub client_id: String,
    pub message: String,
    /// Seconds since the epoch.
    pub raised_time: i64,
    /// 0 while active.
    pub resolved_time: i64,
    /// `ACTIVE` or `RESOLVED`.
    pub status: String,
    pub acknowledged: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alerts {
    #[serde(default)]
    pub alert: Vec<Alert>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeAlertsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub alerts: Alerts,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AcknowledgeAlertResponse {
    pub alert_id: String,
}

crate::action! {
    pub struct DescribeAlertsRequest: "DescribeAlerts" -> DescribeAlertsResponse {
        /// `ACTIVE` or `RESOLVED`; absent = both.
        status: Option<String> = "Status" optional,
        paging: crate::api::Paging = "paging" group,
    }
}

crate::action! {
    pub struct AcknowledgeAlertRequest: "AcknowledgeAlert" -> AcknowledgeAlertResponse {
        alert_id: String = "AlertId" required,
    }
}
