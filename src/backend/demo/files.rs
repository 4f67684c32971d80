//! Demo file-backup clients: a small, realistic file tree in `DATA/demo/<client>`, backed up
//! a few rounds.
use std::path::Path;

use super::{run, wait_job, wait_vault};
use crate::api::backup::CreateBackupJobRequest;
use crate::api::client::CreateBackupClientRequest;
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
    let client = CreateBackupClientRequest {
        client_name: name.into(),
        vault_region_id: Some(region.into()),
        description: "Demo file server".into(),
        ..Default::default()
    };
    let c = run(state, &client).await?;
    let (client_id, vault_id) = (c.client_id, c.vault_id);
    wait_vault(state, &vault_id).await?;
    let root = state.settings.data_dir.join("demo").join(name);
    for round in 0..rounds {
        write_demo_files(&root, name, round).map_err(ServerError::internal)?;
        let job = CreateBackupJobRequest {
            vault_id: vault_id.clone(),
            client_id: client_id.clone(),
            source_type: "FILE".into(),
            include: vec![root.display().to_string()],
            ..Default::default()
        };
        wait_job(state, &run(state, &job).await?.job_id).await?;
    }
    Ok(vault_id)
}

