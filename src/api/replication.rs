use serde::{Deserialize, Serialize};

use super::Page;

pub const KIND_REALTIME: &str = "REALTIME";
pub const KIND_HISTORICAL: &str = "HISTORICAL";

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct ReplicationRecord {
    pub snapshot_id: String,
    /// REALTIME or HISTORICAL.
    pub kind: String,
    pub bytes: i64,
    pub start_time: i64,
    pub end_time: i64,
    /// Source commit → visible in the mirror, seconds (fractional).
    pub lag_seconds: f64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplicationRecords {
    #[serde(default)]
    pub record: Vec<ReplicationRecord>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeReplicationHistoryResponse {
    #[serde(flatten)]
    pub page: Page,
    pub records: ReplicationRecords,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RepairResponse {
    #[serde(default)]
    pub repaired_objects: Vec<String>,
}

// Requests. `vault_id` names a mirror or its source.

crate::action! {
    pub struct DescribeReplicationHistoryRequest: "DescribeReplicationHistory" -> DescribeReplicationHistoryResponse {
        vault_id: String = "VaultId" required,
        paging: crate::api::Paging = "paging" group,
    }
}

crate::action! {
    /// Starts the historical sync at once.
    pub struct SyncReplicationVaultNowRequest: "SyncReplicationVaultNow" -> serde_json::Value {
        vault_id: String = "VaultId" required,
    }
}

crate::action! {
    /// Re-fetches damaged or missing objects of `vault_id` (a source or a mirror) from the other copy.
    pub struct RepairVaultFromMirrorRequest: "RepairVaultFromMirror" -> RepairResponse {
        vault_id: String = "VaultId" required,
    }
}
