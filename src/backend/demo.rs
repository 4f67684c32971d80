//! Demo content, seeded once on the first start of a demo backend: file-backup clients with
//! real backups, one vault already mirrored to another region and one not.
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::error::{ServerError, ServerResult};
use super::server::call;
use super::state::AppState;
use crate::api::backup::{JOB_COMPLETE, JOB_FAILED, JOB_CANCELED};
use crate::api::vault::{STATUS_CREATED, STATUS_ERROR};

const SEEDED: &str = "demo_seeded";

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or_default().to_string()
}

pub(crate) async fn wait_vault(state: &AppState, vault_id: &str) -> ServerResult<()> {
    for _ in 0..600 {
        match state.catalog.vault(vault_id)?.map(|v| v.status) {
            Some(st) if st == STATUS_CREATED => return Ok(()),
            Some(st) if st == STATUS_ERROR => return Err(ServerError::internal(format!("demo vault {vault_id} failed to initialise"))),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    Err(ServerError::internal("demo vault did not initialise in time"))
}

pub(crate) async fn wait_job(state: &AppState, job_id: &str) -> ServerResult<()> {
    loop {
        match state.catalog.job(job_id)?.map(|j| (j.status, j.error_message)) {
            Some((st, _)) if st == JOB_COMPLETE => return Ok(()),
            Some((st, msg)) if st == JOB_FAILED || st == JOB_CANCELED => return Err(ServerError::internal(format!("demo job {job_id}: {msg}"))),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// Writes a small, realistic file tree to back up.
fn write_demo_files(root: &Path, flavour: &str, round: u32) -> std::io::Result<()> {
    for dept in ["reports", "invoices", "contracts"] {
        let dir = root.join(dept);
        std::fs::create_dir_all(&dir)?;
        for i in 0..8 {
            let mut text = String::new();
            for line in 0..200 {
                text.push_str(&format!("{flavour} {dept} document {i} line {line}: quarterly figures, customer ledger, approvals\n"));
            }
            std::fs::write(dir.join(format!("{dept}-{i:02}.txt")), text)?;
        }
    }
    std::fs::write(root.join(format!("changes-{round}.log")), format!("round {round} of {flavour}\n").repeat(500))?;
    Ok(())
}

async fn client_with_backups(state: &AppState, name: &str, region: &str, rounds: u32) -> ServerResult<String> {
    let c = call(state, "CreateBackupClient", &[("ClientName", name), ("VaultRegionId", region), ("Description", "Demo file server")]).await?;
    let (client_id, vault_id) = (s(&c, "ClientId"), s(&c, "VaultId"));
    wait_vault(state, &vault_id).await?;
    let root = state.settings.data_dir.join("demo").join(name);
    let include = serde_json::to_string(&[root.display().to_string()]).map_err(ServerError::internal)?;
    for round in 0..rounds {
        write_demo_files(&root, name, round).map_err(ServerError::internal)?;
        let j = call(state, "CreateBackupJob", &[("VaultId", &vault_id), ("ClientId", &client_id), ("SourceType", "FILE"), ("Include", &include)]).await?;
        wait_job(state, &s(&j, "JobId")).await?;
    }
    Ok(vault_id)
}

pub async fn seed(state: &AppState) -> ServerResult<()> {
    if state.catalog.setting(SEEDED)?.is_some() {
        return Ok(());
    }
    tracing::info!("seeding demo content");
    client_with_backups(state, "finance-fileserver", "cn-hangzhou", 2).await?;
    let web = client_with_backups(state, "web-01", "cn-shanghai", 2).await?;
    call(state, "CreateReplicationVault", &[
        ("ReplicationSourceVaultId", &web),
        ("VaultRegionId", "cn-beijing"),
        ("VaultName", "web-01-dr"),
        ("Description", "Disaster-recovery mirror of web-01"),
    ])
    .await?;
    super::server::seed_sqlserver_demo(state).await?;
    state.catalog.set_setting(SEEDED, "1")?;
    tracing::info!("demo content ready");
    Ok(())
}
