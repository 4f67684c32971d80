//! Demo file-backup clients: a small, realistic file tree in `DATA/demo/<client>`, backed up
//! a few rounds.
use std::path::Path;

use super::{call, s, wait_job, wait_vault};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;

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

pub(super) async fn client_with_backups(state: &AppState, name: &str, region: &str, rounds: u32) -> ServerResult<String> {
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

