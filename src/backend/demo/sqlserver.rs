//! The demo SQL Server client: a demo-engine instance (its databases from `databases.rs`)
//! registered in cn-hangzhou, backed up, and mirrored to cn-shanghai for recovery drills.
use super::{call, wait_job, wait_vault};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

/// Demo: a SQL Server client in cn-hangzhou with a demo instance holding `sales` and `inventory`,
/// full backups taken, and the vault mirrored to cn-shanghai (synced at once, ready for a drill).
pub(super) async fn seed(state: &AppState) -> ServerResult<()> {
    let c = call(state, "CreateBackupClient", &[("ClientName", "sqlserver-cluster-a"), ("VaultRegionId", "cn-hangzhou"), ("ClientType", "SQLSERVER"), ("Description", "SQL Server cluster A")]).await?;
    let vault_id = c["VaultId"].as_str().unwrap_or_default().to_string();
    wait_vault(state, &vault_id).await?;
    let dir = state.settings.data_dir.join("sqlserver-demo").join("cluster-a");
    std::fs::create_dir_all(&dir).map_err(ServerError::internal)?;
    super::databases::seed(&dir).map_err(ServerError::internal)?;
    let dir_s = dir.display().to_string();
    let i = call(state, "CreateSqlServerInstance", &[("VaultId", &vault_id), ("Engine", "DEMO"), ("ServerName", &dir_s), ("InstanceName", "cluster-a (demo)")]).await?;
    let cluster = i["ClusterId"].as_str().unwrap_or_default().to_string();
    let j = call(state, "CreateSqlServerBackupJob", &[("ClusterId", &cluster), ("DatabaseNames", r#"["sales","inventory"]"#)]).await?;
    wait_job(state, j["JobId"].as_str().unwrap_or_default()).await?;
    let m = call(state, "CreateReplicationVault", &[
        ("ReplicationSourceVaultId", &vault_id),
        ("VaultRegionId", "cn-shanghai"),
        ("VaultName", "sqlserver-cluster-a-dr"),
        ("Description", "Mirror for SQL Server disaster-recovery drills"),
    ])
    .await?;
    let mirror = m["VaultId"].as_str().unwrap_or_default().to_string();
    wait_vault(state, &mirror).await?;
    call(state, "SyncReplicationVaultNow", &[("VaultId", &mirror)]).await?;
    Ok(())
}

