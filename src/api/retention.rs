//! Snapshot deletion and search (`DeleteSnapshot`, `SearchHistoricalSnapshots`), in the Tea
//! model's shape.
use serde::{Deserialize, Serialize};

/// `Paths.Path[]` of a searched snapshot.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct SnapshotPaths {
    pub path: Vec<String>,
}

/// One snapshot found by `SearchHistoricalSnapshots`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct HistoricalSnapshot {
    pub snapshot_id: String,
    /// The backup job that wrote it (empty when its job is unknown, e.g. a vault adopted from
    /// its location).
    pub job_id: String,
    pub vault_id: String,
    pub client_id: String,
    /// The Tea model's name for `ClientId`.
    pub instance_id: String,
    /// FILE or SQLSERVER (as stored).
    pub source_type: String,
    /// COMPLETE (only finished snapshots exist).
    pub status: String,
    /// Days kept from completion (0 = until deleted).
    pub retention: i64,
    /// UNIX seconds (0 = never).
    pub expire_time: i64,
    /// When the backup started (also `StartTime`).
    pub create_time: i64,
    pub start_time: i64,
    pub complete_time: i64,
    /// When it was catalogued here (its completion).
    pub created_time: i64,
    pub updated_time: i64,
    pub bytes_total: i64,
    pub bytes_done: i64,
    /// New packed bytes the backup wrote.
    pub actual_bytes: i64,
    pub items_total: i64,
    pub items_done: i64,
    pub actual_items: i64,
    /// The snapshot it was made incrementally against (empty for the first).
    pub parent_snapshot_hash: String,
    pub plan_id: String,
    pub paths: SnapshotPaths,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoricalSnapshots {
    #[serde(default)]
    pub snapshot: Vec<HistoricalSnapshot>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SearchHistoricalSnapshotsResponse {
    pub snapshots: HistoricalSnapshots,
    /// Pass it back as `NextToken` for the next page; empty on the last page.
    pub next_token: String,
    pub total_count: i64,
    pub limit: i64,
}

// Requests.

crate::action! {
    /// Removes a snapshot from its vault at once (its data becomes garbage that prune frees).
    pub struct DeleteSnapshotRequest: "DeleteSnapshot" -> serde_json::Value {
        vault_id: String = "VaultId" required,
        snapshot_id: String = "SnapshotId" required,
        /// When given: FILE (any case), File, ECS_FILE or SQLSERVER; must be the snapshot's.
        source_type: String = "SourceType" text,
        /// When given, must be the snapshot's client (`InstanceId` is the Tea model's name).
        client_id: String = "ClientId" text,
        instance_id: String = "InstanceId" text,
    }
}

crate::action! {
    pub struct SearchHistoricalSnapshotsRequest: "SearchHistoricalSnapshots" -> SearchHistoricalSnapshotsResponse {
        /// ECS_FILE, File, FILE (any case) or SQLSERVER.
        source_type: String = "SourceType" required,
        /// JSON list of `{"field","value","operation"}`: fields `VaultId`, `InstanceId` (or
        /// `ClientId`), `PlanId`, `SnapshotId`, `CreateTime`, `CompleteTime`, `ExpireTime`;
        /// operations `MATCH_TERM` (default), `IN`, `NOT_IN`, `GREATER_THAN`,
        /// `GREATER_THAN_OR_EQUAL`, `LESS_THAN`, `LESS_THAN_OR_EQUAL`, `BETWEEN` (value
        /// `[low, high]`, inclusive).
        query: Option<String> = "Query" optional,
        /// 0..=1000, default 100; 0 answers only `TotalCount`.
        limit: Option<i64> = "Limit" int_range(0, 1000),
        next_token: Option<String> = "NextToken" optional,
        /// `CompleteTime` (default), `CreateTime`, `ExpireTime`, `SnapshotId`, `BytesTotal`.
        sort_by: Option<String> = "SortBy" optional,
        /// `ASC` (default) or `DESC`.
        order: Option<String> = "Order" optional,
    }
}
