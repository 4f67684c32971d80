//! Demo content, seeded once on the first start of a demo backend (`serve --demo`): file-backup
//! clients with real backups of generated trees (`files.rs`, `tree.rs`), one vault already
//! mirrored to another region (its mirror's bandwidth capped so that the historical sync takes
//! about `MIRROR_SYNC_SECONDS`) and one not, and a SQL Server client on a demo instance, backed
//! up and mirrored (`sqlserver.rs`, whose databases `databases.rs` builds).
//!
//! Order: every source vault is created first (the cards are on screen within a second), then
//! the trees are written and backed up while the SQL Server demo is seeded beside them;
//! web-01's mirror is created once web-01's backups are in, so that they are its historical
//! sync. The caller runs this beside the replicator, not before it.
//!
//! Seeding goes through the server's in-process `run` of typed requests (the same handlers a client reaches) and
//! reads the catalog to wait; nothing in `server/` or `sqlserver/` calls back into this module.
pub mod databases;
mod files;
mod sqlserver;
mod tree;

use std::time::Duration;

use super::error::{ServerError, ServerResult};
use super::server::run;
use super::state::AppState;
use crate::api::backup::{JOB_CANCELED, JOB_COMPLETE, JOB_FAILED, JOB_PARTIAL_COMPLETE};
use crate::api::vault::{CreateReplicationVaultRequest, MirrorSource, UpdateVaultRequest, STATUS_CREATED, STATUS_ERROR};

const SEEDED: &str = "demo_seeded";
/// About how long web-01-dr's historical sync takes (its `ReplicationRateLimit` is web-01's
/// storage over this).
pub const MIRROR_SYNC_SECONDS: i64 = 30;

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
    let finance = files::create(state, "finance-fileserver", "cn-hangzhou").await?;
    let web = files::create(state, "web-01", "cn-shanghai").await?;
    let sql_vault = sqlserver::create(state).await?;
    let files = async {
        let (finance_bytes, web_bytes) = tokio::try_join!(files::generate(&finance), files::generate(&web))?;
        files::mark_demo_speed(state, &finance, finance_bytes)?;
        files::mark_demo_speed(state, &web, web_bytes)?;
        let web_and_mirror = async {
            files::back_up(state, &web, 2).await?;
            let mirror = run(state, &mirror_request(&web.vault_id, "cn-beijing", "web-01-dr", "Disaster-recovery mirror of web-01")).await?.vault_id;
            wait_vault(state, &mirror).await?;
            cap_mirror(state, &mirror, &web.vault_id).await
        };
        tokio::try_join!(web_and_mirror, files::back_up(state, &finance, 2)).map(|_| ())
    };
    tokio::try_join!(files, sqlserver::seed(state, sql_vault))?;
    state.catalog.set_setting(SEEDED, "1")?;
    tracing::info!("demo content ready");
    Ok(())
}

/// Caps `mirror_id`'s replication (as `UpdateVault ReplicationRateLimit` does) so that copying
/// its source's storage takes about `MIRROR_SYNC_SECONDS`.
async fn cap_mirror(state: &AppState, mirror_id: &str, source_id: &str) -> ServerResult<()> {
    let stored = state.catalog.vault(source_id)?.map(|v| v.storage_size).unwrap_or(0);
    let rate = (stored / MIRROR_SYNC_SECONDS).max(64 * 1024);
    let update = UpdateVaultRequest { vault_id: mirror_id.into(), replication_rate_limit: Some(rate), ..Default::default() };
    run(state, &update).await?;
    tracing::info!(mirror = %mirror_id, stored, rate, "demo mirror capped");
    Ok(())
}
