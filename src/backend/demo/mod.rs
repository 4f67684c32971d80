//! Demo content, seeded once on the first start of a demo backend (`serve --demo`): file-backup
//! clients with real backups, one vault already mirrored to another region and one not
//! (`files.rs`), and a SQL Server client on a demo instance, backed up and mirrored
//! (`sqlserver.rs`, whose databases `databases.rs` builds).
//!
//! Seeding goes through the server's in-process `run` of typed requests (the same handlers a client reaches) and
//! reads the catalog to wait; nothing in `server/` or `sqlserver/` calls back into this module.
pub mod databases;
mod files;
mod sqlserver;

use std::time::Duration;

use super::error::{ServerError, ServerResult};
use super::server::run;
use super::state::AppState;
use crate::api::backup::{JOB_CANCELED, JOB_COMPLETE, JOB_FAILED, JOB_PARTIAL_COMPLETE};
use crate::api::vault::{CreateReplicationVaultRequest, MirrorSource, STATUS_CREATED, STATUS_ERROR};

const SEEDED: &str = "demo_seeded";

async fn wait_vault(state: &AppState, vault_id: &str) -> ServerResult<()> {
    for _ in 0..600 {
        match state.catalog.vault(vault_id)?.map(|v| v.status) {
            Some(st) if st == STATUS_CREATED => return Ok(()),
            Some(st) if st == STATUS_ERROR => return Err(ServerError::internal(format!("demo vault {vault_id} failed to initialise"))),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    Err(ServerError::internal("demo vault did not initialise in time"))
}

async fn wait_job(state: &AppState, job_id: &str) -> ServerResult<()> {
    loop {
        match state.catalog.job(job_id)?.map(|j| (j.status, j.error_message)) {
            Some((st, _)) if st == JOB_COMPLETE || st == JOB_PARTIAL_COMPLETE => return Ok(()),
            Some((st, msg)) if st == JOB_FAILED || st == JOB_CANCELED => return Err(ServerError::internal(format!("demo job {job_id}: {msg}"))),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// A one-step mirror of `source` in `region`.
fn mirror_request(source: &str, region: &str, name: &str, description: &str) -> CreateReplicationVaultRequest {
    CreateReplicationVaultRequest {
        vault_name: name.into(),
        description: description.into(),
        vault_region_id: region.into(),
        source: MirrorSource { replication_source_vault_id: source.into(), ..Default::default() },
        ..Default::default()
    }
}

pub async fn seed(state: &AppState) -> ServerResult<()> {
    if state.catalog.setting(SEEDED)?.is_some() {
        return Ok(());
    }
    tracing::info!("seeding demo content");
    files::client_with_backups(state, "finance-fileserver", "cn-hangzhou", 2).await?;
    let web = files::client_with_backups(state, "web-01", "cn-shanghai", 2).await?;
    run(state, &mirror_request(&web, "cn-beijing", "web-01-dr", "Disaster-recovery mirror of web-01")).await?;
    sqlserver::seed(state).await?;
    state.catalog.set_setting(SEEDED, "1")?;
    tracing::info!("demo content ready");
    Ok(())
}
