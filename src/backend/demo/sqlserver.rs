//! The demo SQL Server client: a demo-engine instance (its databases from `databases.rs`)
//! registered in cn-hangzhou, backed up, and mirrored to cn-shanghai for recovery drills.
use super::{mirror_request, run, wait_job, wait_vault};
use crate::api::client::CreateBackupClientRequest;
use crate::api::replication::SyncReplicationVaultNowRequest;
use crate::api::sqlserver::{CreateSqlServerBackupJobRequest, CreateSqlServerInstanceRequest};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

/// Demo: a SQL Server client in cn-hangzhou; returns its vault (initialised).
pub(super) async fn create(state: &AppState) -> ServerResult<String> {
    let client = CreateBackupClientRequest {
        client_name: "sqlserver-cluster-a".into(),
        vault_region_id: Some("cn-hangzhou".into()),
        client_type: "SQLSERVER".into(),
        description: "SQL Server cluster A".into(),
        ..Default::default()
    };
    let vault_id = run(state, &client).await?.vault_id;
    wait_vault(state, &vault_id).await?;
    Ok(vault_id)
}

/// Demo: the client's vault `vault_id` gets a demo instance holding `sales` and `inventory`,
/// full backups taken, and is mirrored to cn-shanghai (synced at once, ready for a drill).
pub(super) async fn seed(state: &AppState, vault_id: String) -> ServerResult<()> {
    let dir = state.settings.data_dir.join("sqlserver-demo").join("cluster-a");
    std::fs::create_dir_all(&dir).map_err(ServerError::internal)?;
    super::databases::seed(&dir).map_err(ServerError::internal)?;
    let instance = CreateSqlServerInstanceRequest {
        vault_id: vault_id.clone(),
        engine: "DEMO".into(),
        server_name: dir.display().to_string(),
        instance_name: "cluster-a (demo)".into(),
        ..Default::default()
    };
    let cluster_id = run(state, &instance).await?.cluster_id;
    let backup = CreateSqlServerBackupJobRequest { cluster_id, database_names: vec!["sales".into(), "inventory".into()] };
    wait_job(state, &run(state, &backup).await?.job_id).await?;
    let mirror = mirror_request(&vault_id, "cn-shanghai", "sqlserver-cluster-a-dr", "Mirror for SQL Server disaster-recovery drills");
    let mirror_id = run(state, &mirror).await?.vault_id;
    wait_vault(state, &mirror_id).await?;
    run(state, &SyncReplicationVaultNowRequest { vault_id: mirror_id }).await?;
    Ok(())
}

