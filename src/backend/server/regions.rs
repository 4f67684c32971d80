//! Regions, the outage drill, settings and tasks.
use crate::api::error as codes;
use crate::api::region::*;
use crate::api::task::{DescribeTaskRequest, DescribeTaskResponse, Task};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

use super::vault_row;

pub fn describe_regions(state: &AppState, _: DescribeRegionsRequest) -> ServerResult<DescribeRegionsResponse> {
    let mut region = Vec::new();
    for r in state.hub.regions() {
        region.push(Region {
            region_id: r.region_id.clone(),
            local_name: r.local_name.clone(),
            storage_location: r.location.describe(),
            outage: r.location.is_offline(),
        });
    }
    Ok(DescribeRegionsResponse { regions: Regions { region } })
}

/// The regions a mirror of `VaultId` may go to: every region but the vault's own.
pub fn replication_regions(state: &AppState, r: DescribeVaultReplicationRegionsRequest) -> ServerResult<DescribeVaultReplicationRegionsResponse> {
    let mut region_id: Vec<String> = state.hub.regions().iter().map(|r| r.region_id.clone()).collect();
    if let Some(vault_id) = r.vault_id {
        let v = vault_row(state, &vault_id)?;
        region_id.retain(|r| *r != v.region_id);
    }
    region_id.sort();
    Ok(DescribeVaultReplicationRegionsResponse { regions: RegionIds { region_id } })
}

pub async fn set_outage(state: &AppState, r: SetRegionOutageRequest) -> ServerResult<serde_json::Value> {
    let SetRegionOutageRequest { region_id, outage } = r;
    if state.hub.region(&region_id).is_none() {
        return Err(ServerError::not_found(codes::REGION_NOT_FOUND, format!("The region {region_id} does not exist.")));
    }
    state.catalog.set_region_outage(&region_id, outage)?;
    state.hub.set_offline(&region_id, outage).map_err(ServerError::internal)?;
    crate::backend::alerts::region_outage(state, &region_id, outage);
    tracing::info!(%region_id, outage, "region outage drill switched");
    state.replicator.retry_now();
    Ok(serde_json::json!({ "RegionId": region_id, "Outage": outage }))
}

pub fn describe_settings(state: &AppState, _: DescribeSettingsRequest) -> DescribeSettingsResponse {
    DescribeSettingsResponse {
        historical_sync_delay_seconds: state.settings.historical_sync_delay.as_secs() as i64,
        data_dir: state.settings.data_dir.display().to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        demo: state.settings.demo,
    }
}

pub fn describe_task(state: &AppState, r: DescribeTaskRequest) -> ServerResult<DescribeTaskResponse> {
    let task_id = r.task_id;
    let t = state
        .catalog
        .task(&task_id)?
        .ok_or_else(|| ServerError::not_found(codes::TASK_NOT_FOUND, format!("The task {task_id} does not exist.")))?;
    Ok(DescribeTaskResponse {
        task: Task {
            name: t.description.split(' ').next().unwrap_or_default().to_string(),
            task_id: t.task_id,
            description: t.description,
            status: t.status,
            progress: t.progress,
            result: t.result,
            created_time: t.created_time,
            updated_time: t.updated_time,
            completed_time: t.completed_time,
        },
    })
}
