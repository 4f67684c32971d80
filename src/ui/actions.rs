//! Multi-step backend actions the console runs in the background. Each returns a sentence for
//! the user: what started, or what failed with the backend's code and message.
use std::path::PathBuf;

use crate::api::backup::CreateRestoreJobRequest;
use crate::client::Client;
use crate::ui::command::RestoreOn;

/// Backs up every file client of `vault_id` again, with the paths of its latest snapshot.
pub async fn back_up_now(client: Client, vault_id: String, vault_name: String) -> Result<String, String> {
    let fail = |e: crate::client::ClientError| format!("Backup of {vault_name} failed: {e}");
    let clients = client.describe_backup_clients(Some(&vault_id)).await.map_err(fail)?.backup_clients.backup_client;
    let file_clients: Vec<_> = clients.into_iter().filter(|c| c.client_type.eq_ignore_ascii_case("FILE")).collect();
    if file_clients.is_empty() {
        return Err(format!("{vault_name} has no file backup client to back up."));
    }
    let snapshots = client.describe_snapshots(&vault_id).await.map_err(fail)?.snapshots.snapshot;
    let mut started = Vec::new();
    let mut skipped = Vec::new();
    for c in &file_clients {
        let latest = snapshots
            .iter()
            .filter(|s| s.client_id == c.client_id && !s.paths.is_empty())
            .max_by_key(|s| (s.complete_time, s.start_time));
        match latest {
            Some(s) => {
                client.create_backup_job(&vault_id, &c.client_id, &s.paths, &[]).await.map_err(fail)?;
                started.push(c.client_name.clone());
            }
            None => skipped.push(c.client_name.clone()),
        }
    }
    if started.is_empty() {
        return Err(format!("Nothing to back up in {vault_name}: {} has no earlier backup to take its paths from.", skipped.join(", ")));
    }
    let mut text = format!("Backup of {} started. Follow it under Jobs.", started.join(", "));
    if !skipped.is_empty() {
        text.push_str(&format!(" Skipped {} (no earlier backup).", skipped.join(", ")));
    }
    Ok(text)
}

/// Restores `snapshot_id` (the latest snapshot when `None`) of `vault_id` into `target` on the
/// host `on`: the `include`d paths only, unless empty.
#[allow(clippy::too_many_arguments)]
pub async fn restore(client: Client, vault_id: String, vault_name: String, snapshot_id: Option<String>, target: PathBuf, include: Vec<String>, overwrite: bool, on: RestoreOn) -> Result<String, String> {
    let fail = |e: crate::client::ClientError| format!("Restore from {vault_name} failed: {e}");
    let snapshot = match (&snapshot_id, &on) {
        (Some(_), RestoreOn::Client(_) | RestoreOn::Backend) => None,
        _ => {
            let snapshots = client.describe_snapshots(&vault_id).await.map_err(fail)?.snapshots.snapshot;
            let row = match &snapshot_id {
                Some(id) => snapshots.into_iter().find(|s| s.snapshot_id == *id),
                None => snapshots.into_iter().filter(|s| s.source_type.is_empty() || s.source_type.eq_ignore_ascii_case("FILE")).max_by_key(|s| (s.complete_time, s.start_time)),
            };
            match row {
                Some(s) => Some(s),
                None if snapshot_id.is_none() => return Err(format!("{vault_name} holds no file snapshot to restore yet.")),
                None => None,
            }
        }
    };
    let Some(snapshot_id) = snapshot_id.or_else(|| snapshot.as_ref().map(|s| s.snapshot_id.clone())) else {
        return Err(format!("{vault_name} holds no file snapshot to restore yet."));
    };
    let client_id = match on {
        RestoreOn::Client(id) => Some(id),
        RestoreOn::Backend => None,
        // The snapshot's own client, while it exists; else the backend.
        RestoreOn::Original => match snapshot.map(|s| s.client_id).filter(|id| !id.is_empty()) {
            Some(id) => {
                let clients = client.describe_backup_clients(None).await.map_err(fail)?.backup_clients.backup_client;
                clients.iter().any(|c| c.client_id == id).then_some(id)
            }
            None => None,
        },
    };
    let target_text = target.display().to_string();
    let request = CreateRestoreJobRequest {
        vault_id: vault_id.clone(),
        snapshot_id: snapshot_id.clone(),
        restore_type: "FILE".into(),
        target_path: target_text.clone(),
        include: include.clone(),
        overwrite,
        client_id,
        ..Default::default()
    };
    let r = client.send(&request).await.map_err(fail)?;
    let what = if include.is_empty() { snapshot_id } else { format!("{} of {snapshot_id}", crate::ui::widgets::format::plural(include.len() as i64, "item")) };
    Ok(format!("Restore {} of {what} into {target_text} started. Follow it under Jobs.", r.restore_id))
}

/// Backs up every database of the SQL Server instance `cluster_id` (one full backup each).
pub async fn back_up_sql_instance(client: Client, cluster_id: String, title: String) -> Result<String, String> {
    let fail = |e: crate::client::ClientError| format!("Backup of {title} failed: {e}");
    let mut names: Vec<String> = client.describe_sql_server_databases(&cluster_id).await.map_err(fail)?.databases.database.into_iter().map(|d| d.database_name).collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("{title} has no database to back up."));
    }
    client.create_sql_server_backup_job(&cluster_id, &names).await.map_err(fail)?;
    Ok(format!("Backup of {} on {title} started. Follow it under Jobs.", names.join(", ")))
}
