//! Demo file-backup clients: a generated tree (`tree.rs`, tens of MiB) in `DATA/demo/<client>`,
//! backed up a few rounds, then marked with the demo's backup speed so that "Back up now" on
//! it shows a progress bar, a speed and an ETA (`Catalog::demo_speed_limit`, applied by `server::backup::start_file_backup`).
use std::path::PathBuf;

use super::{run, tree, wait_job, wait_vault};
use crate::api::backup::CreateBackupJobRequest;
use crate::api::client::CreateBackupClientRequest;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

/// About how long a demo client's later backups ("Back up now") take: its tree at this many
/// seconds' worth of rate.
pub(super) const DEMO_BACKUP_SECONDS: u64 = 6;
/// The seeding's own backups: all day, unlimited.
const FULL_SPEED: &str = "0|24|0";

/// A demo file server: its client, its vault and the folder it backs up.
pub(super) struct FileServer {
    pub name: String,
    pub client_id: String,
    pub vault_id: String,
    pub root: PathBuf,
}

/// Creates the client `name` (and its vault in `region`) and waits for the vault.
pub(super) async fn create(state: &AppState, name: &str, region: &str) -> ServerResult<FileServer> {
    let client = CreateBackupClientRequest {
        client_name: name.into(),
        vault_region_id: Some(region.into()),
        description: "Demo file server".into(),
        ..Default::default()
    };
    let c = run(state, &client).await?;
    wait_vault(state, &c.vault_id).await?;
    let root = state.settings.data_dir.join("demo").join(name);
    Ok(FileServer { name: name.into(), client_id: c.client_id, vault_id: c.vault_id, root })
}

/// Writes the tree of `server` (off the async threads); returns its bytes.
pub(super) async fn generate(server: &FileServer) -> ServerResult<u64> {
    let (root, name) = (server.root.clone(), server.name.clone());
    let started = std::time::Instant::now();
    let bytes = tokio::task::spawn_blocking(move || tree::write_tree(&root, &name)).await.map_err(ServerError::internal)?.map_err(ServerError::internal)?;
    tracing::info!(client = %server.name, bytes, ms = started.elapsed().as_millis() as u64, "demo files written");
    Ok(bytes)
}

/// `rounds` backups of the tree (already written): the first takes it all, each later one the
/// day's changes (`tree::write_changes`). Ordinary backups at full speed: a `SpeedLimit` of
/// their own (0 = unlimited) leaves the demo's speed out.
pub(super) async fn back_up(state: &AppState, server: &FileServer, rounds: u32) -> ServerResult<()> {
    for round in 0..rounds {
        if round > 0 {
            let (root, name) = (server.root.clone(), server.name.clone());
            tokio::task::spawn_blocking(move || tree::write_changes(&root, &name, round)).await.map_err(ServerError::internal)?.map_err(ServerError::internal)?;
        }
        let job = CreateBackupJobRequest {
            vault_id: server.vault_id.clone(),
            client_id: server.client_id.clone(),
            source_type: "FILE".into(),
            include: vec![server.root.display().to_string()],
            speed_limit: Some(FULL_SPEED.into()),
            ..Default::default()
        };
        wait_job(state, &run(state, &job).await?.job_id).await?;
    }
    Ok(())
}

/// Marks `server` as the demo's own: its backups without a `SpeedLimit` of their own read the
/// whole tree (`tree_bytes`) again at a rate that takes about `DEMO_BACKUP_SECONDS`.
pub(super) fn mark_demo_speed(state: &AppState, server: &FileServer, tree_bytes: u64) -> ServerResult<()> {
    let kib_per_sec = tree_bytes.div_ceil(1024 * DEMO_BACKUP_SECONDS).max(64);
    state.catalog.set_demo_speed_limit(&server.client_id, &format!("0|24|{kib_per_sec}"))?;
    tracing::info!(client = %server.name, kib_per_sec, "demo backup speed set");
    Ok(())
}
