//! `DeleteSnapshot` and `SearchHistoricalSnapshots`.
use rusqlite::types::Value as SqlValue;

use crate::api::backup::{stored_source_type, JOB_COMPLETE};
use crate::api::error as codes;
use crate::api::retention::*;
use crate::backend::catalog::snapshot_search::{SearchColumn, SearchCondition, SnapshotSearch};
use crate::backend::catalog::{JobOp, LogFailure, REASON_DELETED};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::retention::{remove_snapshot, worm};
use crate::backend::state::AppState;

use super::backup::{check_usable, storage_error};
use super::vaults::settled_vault;

pub async fn delete_snapshot(state: &AppState, r: DeleteSnapshotRequest) -> ServerResult<serde_json::Value> {
    type R = DeleteSnapshotRequest;
    let vault = settled_vault(state, &r.vault_id).await?;
    let snapshot_id = r.snapshot_id;
    let not_found = || ServerError::not_found(codes::SNAPSHOT_NOT_FOUND, format!("The snapshot {snapshot_id} is not in the vault {}.", vault.vault_id));
    let snap = state.catalog.snapshot(&vault.vault_id, &snapshot_id)?.ok_or_else(not_found)?;
    let client = if r.client_id.is_empty() { r.instance_id } else { r.client_id };
    if !client.is_empty() && client != snap.client_id {
        return Err(ServerError::not_found(codes::SNAPSHOT_NOT_FOUND, format!("The snapshot {snapshot_id} is not a snapshot of the client {client}.")));
    }
    if !r.source_type.is_empty() && stored_source_type(&r.source_type) != snap.source_type {
        return Err(ServerError::invalid(R::source_type, format!("the snapshot {snapshot_id} is a {} snapshot, not {}", snap.source_type, r.source_type)));
    }
    worm::check_deletable(state, &vault, &snap)?;
    if state.jobs.reads_snapshot(&state.catalog, &vault.vault_id, &snapshot_id) {
        return Err(ServerError::conflict(
            codes::SNAPSHOT_IN_USE,
            format!("A restore or verify of the snapshot {snapshot_id} is running; delete it when that job has ended."),
        ));
    }
    check_usable(state, &vault)?;
    let repo = state.hub.repo(&vault.region_id, &vault.vault_id).await.map_err(storage_error)?;
    remove_snapshot(state, &repo, &vault.vault_id, &snapshot_id, REASON_DELETED).await.map_err(storage_error)?;
    if let Ok(size) = repo.storage_size().await {
        state.catalog.set_storage_size(&vault.vault_id, size as i64).or_log_vault(&vault.vault_id, "storage size after a deletion");
    }
    Ok(serde_json::json!({}))
}

const FIELDS: &str = "VaultId, InstanceId (ClientId), PlanId, SnapshotId, CreateTime, CompleteTime, ExpireTime";
const OPERATIONS: &str = "MATCH_TERM, IN, NOT_IN, GREATER_THAN, GREATER_THAN_OR_EQUAL, LESS_THAN, LESS_THAN_OR_EQUAL, BETWEEN";

fn query_error(why: impl std::fmt::Display) -> ServerError {
    ServerError::invalid(SearchHistoricalSnapshotsRequest::query, why)
}

/// One `{"field","value","operation"}` of `Query` as a catalog condition.
fn condition(item: &serde_json::Value) -> ServerResult<SearchCondition> {
    // `field` / `Field`, `value` / `Value`, `operation` / `Operation`.
    let text = |k: &str| item.get(k).or_else(|| item.get(format!("{}{}", k[..1].to_ascii_uppercase(), &k[1..]).as_str())).cloned();
    let field = text("field").and_then(|v| v.as_str().map(str::to_string)).ok_or_else(|| query_error("each item needs a \"field\" string"))?;
    let column = match field.to_ascii_lowercase().as_str() {
        "vaultid" => SearchColumn::VaultId,
        "instanceid" | "clientid" => SearchColumn::ClientId,
        "planid" => SearchColumn::PlanId,
        "snapshotid" => SearchColumn::SnapshotId,
        "createtime" | "starttime" => SearchColumn::StartTime,
        "completetime" => SearchColumn::CompleteTime,
        "expiretime" => SearchColumn::ExpireTime,
        _ => return Err(query_error(format!("unknown field {field:?}; expected one of {FIELDS}"))),
    };
    let operation = text("operation").and_then(|v| v.as_str().map(str::to_ascii_uppercase)).unwrap_or_else(|| "MATCH_TERM".into());
    let value = text("value").ok_or_else(|| query_error(format!("the {field} item has no \"value\"")))?;
    // A value is one scalar, a JSON array, or a string holding a JSON array.
    let values: Vec<serde_json::Value> = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::String(s) if s.trim_start().starts_with('[') => {
            serde_json::from_str(&s).map_err(|e| query_error(format!("the {field} value {s:?} is not a JSON array: {e}")))?
        }
        other => vec![other],
    };
    let numeric = matches!(column, SearchColumn::StartTime | SearchColumn::CompleteTime | SearchColumn::ExpireTime);
    let values = values
        .iter()
        .map(|v| {
            let s = match v {
                serde_json::Value::String(s) => s.trim().to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => return Err(query_error(format!("the {field} value {other} is not a string or number"))),
            };
            if numeric {
                s.parse::<i64>().map(SqlValue::Integer).map_err(|_| query_error(format!("{field} takes UNIX seconds, got {s:?}")))
            } else {
                Ok(SqlValue::Text(s))
            }
        })
        .collect::<ServerResult<Vec<_>>>()?;
    let (op, wanted) = match operation.as_str() {
        "MATCH_TERM" | "EQUAL" => (JobOp::Eq, Some(1)),
        "IN" => (JobOp::In, None),
        "NOT_IN" => (JobOp::NotIn, None),
        "GREATER_THAN" => (JobOp::Gt, Some(1)),
        "GREATER_THAN_OR_EQUAL" => (JobOp::Ge, Some(1)),
        "LESS_THAN" => (JobOp::Lt, Some(1)),
        "LESS_THAN_OR_EQUAL" => (JobOp::Le, Some(1)),
        "BETWEEN" => (JobOp::Between, Some(2)),
        _ => return Err(query_error(format!("unknown operation {operation:?}; expected one of {OPERATIONS}"))),
    };
    match wanted {
        Some(w) if values.len() != w => return Err(query_error(format!("{operation} on {field} takes {w} value(s), got {}", values.len()))),
        None if values.is_empty() => return Err(query_error(format!("{operation} on {field} takes at least one value"))),
        _ => {}
    }
    Ok(SearchCondition { column, op, values })
}

pub fn search_historical_snapshots(state: &AppState, r: SearchHistoricalSnapshotsRequest) -> ServerResult<SearchHistoricalSnapshotsResponse> {
    type R = SearchHistoricalSnapshotsRequest;
    let conditions = match r.query.as_deref() {
        None => Vec::new(),
        Some(q) => {
            let items: Vec<serde_json::Value> =
                serde_json::from_str(q).map_err(|e| query_error(format!("must be a JSON list of {{\"field\",\"value\",\"operation\"}}: {e}")))?;
            items.iter().map(condition).collect::<ServerResult<Vec<_>>>()?
        }
    };
    let sort_by = match r.sort_by.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("completetime") => SearchColumn::CompleteTime,
        Some("createtime") | Some("starttime") => SearchColumn::StartTime,
        Some("expiretime") => SearchColumn::ExpireTime,
        Some("snapshotid") => SearchColumn::SnapshotId,
        Some("bytestotal") => SearchColumn::BytesTotal,
        Some(_) => return Err(ServerError::invalid(R::sort_by, "expected CompleteTime, CreateTime, ExpireTime, SnapshotId or BytesTotal")),
    };
    let descending = match r.order.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASC") | Some("ASCEND") => false,
        Some("DESC") | Some("DESCEND") => true,
        Some(_) => return Err(ServerError::invalid(R::order, "expected ASC or DESC")),
    };
    let offset = match r.next_token.as_deref() {
        None => 0,
        Some(t) => t.parse::<i64>().ok().filter(|o| *o >= 0).ok_or_else(|| ServerError::invalid(R::next_token, "not a NextToken this backend gave out"))?,
    };
    let limit = r.limit.unwrap_or(100);
    let q = SnapshotSearch { source_type: Some(stored_source_type(&r.source_type)), conditions, sort_by, descending, offset, limit };
    let (total, found) = state.catalog.search_snapshots(&q)?;
    let next = offset + found.len() as i64;
    let next_token = if limit > 0 && next < total { next.to_string() } else { String::new() };
    let snapshot = found
        .into_iter()
        .map(|f| {
            let s = f.row;
            HistoricalSnapshot {
                job_id: f.job_id,
                instance_id: s.client_id.clone(),
                status: JOB_COMPLETE.into(),
                retention: s.retention_days,
                expire_time: s.expire_time,
                create_time: s.start_time,
                start_time: s.start_time,
                complete_time: s.complete_time,
                created_time: s.complete_time,
                updated_time: s.complete_time,
                bytes_total: s.bytes_total,
                bytes_done: s.bytes_total,
                actual_bytes: s.bytes_added,
                items_total: s.items_total,
                items_done: s.items_total,
                actual_items: s.items_total,
                parent_snapshot_hash: s.parent_snapshot_id,
                plan_id: s.plan_id,
                paths: SnapshotPaths { path: s.paths },
                snapshot_id: s.snapshot_id,
                vault_id: s.vault_id,
                client_id: s.client_id,
                source_type: s.source_type,
            }
        })
        .collect();
    Ok(SearchHistoricalSnapshotsResponse { snapshots: HistoricalSnapshots { snapshot }, next_token, total_count: total, limit })
}
