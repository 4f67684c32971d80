//! `BrowseFiles`: a page of one directory of a snapshot (source or mirror vault).
use crate::api::browse::*;
use crate::api::error as codes;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;
use crate::backend::storage::browse::{BrowseEntry, BrowseKind, BrowsePage};
use crate::backend::storage::StorageError;

use super::backup::{check_usable, clean_absolute, storage_error};
use super::vault_row;

fn node(e: BrowseEntry) -> Node {
    let node_type = match e.kind {
        BrowseKind::File => NODE_FILE,
        BrowseKind::Directory => NODE_DIRECTORY,
        BrowseKind::Symlink => NODE_SYMLINK,
        BrowseKind::Fifo => NODE_FIFO,
        BrowseKind::Socket => NODE_SOCKET,
        BrowseKind::Chardev => NODE_CHARDEV,
        BrowseKind::Blockdev => NODE_BLOCKDEV,
    };
    Node {
        name: e.name,
        node_type: node_type.into(),
        size: i64::try_from(e.size).unwrap_or(i64::MAX),
        mtime: e.mtime,
        mode: i64::from(e.mode),
        subtree: e.path,
        target: e.target,
        files: i64::try_from(e.files).unwrap_or(i64::MAX),
    }
}

pub async fn browse_files(
    state: &AppState,
    r: BrowseFilesRequest,
) -> ServerResult<BrowseFilesResponse> {
    type R = BrowseFilesRequest;
    let snapshot_id = match (r.snapshot_id, r.snapshot_hash) {
        (Some(id), Some(hash)) if id != hash => {
            return Err(ServerError::invalid(
                R::snapshot_hash,
                format!("names another snapshot than SnapshotId {id}; send one of them"),
            ))
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err(ServerError::missing(R::snapshot_id)),
    };
    let path = if r.absolute_path.is_empty() {
        "/".to_string()
    } else {
        r.absolute_path
    };
    clean_absolute(R::absolute_path, &path)?;
    let offset: usize = match r.next_token.as_deref() {
        None => 0,
        Some(t) => t.parse().map_err(|_| {
            ServerError::invalid(
                R::next_token,
                format!("{t:?} is not a token from a previous BrowseFiles answer"),
            )
        })?,
    };
    let limit = r
        .max_results
        .unwrap_or(BROWSE_DEFAULT_RESULTS)
        .clamp(1, BROWSE_MAX_RESULTS);
    let vault = vault_row(state, &r.vault_id)?;
    let snap = state
        .catalog
        .snapshot(&vault.vault_id, &snapshot_id)?
        .ok_or_else(|| {
            ServerError::not_found(
                codes::SNAPSHOT_NOT_FOUND,
                format!(
                    "The snapshot {snapshot_id} is not in the vault {}.",
                    vault.vault_id
                ),
            )
        })?;
    if let Some(client) = &r.client_id {
        state.catalog.client(client)?.ok_or_else(|| {
            ServerError::not_found(
                codes::CLIENT_NOT_FOUND,
                format!("The backup client {client} does not exist."),
            )
        })?;
        if &snap.client_id != client {
            return Err(ServerError::invalid(
                R::client_id,
                format!(
                    "the snapshot {snapshot_id} was taken by the client {}, not {client}",
                    snap.client_id
                ),
            ));
        }
    }
    if snap.source_type != "FILE" {
        return Err(ServerError::invalid(R::snapshot_id, format!("the snapshot {snapshot_id} holds {} databases, not files; SQL Server snapshots are listed by DescribeSqlServerSnapshots", snap.source_type)));
    }
    check_usable(state, &vault)?;
    let repo = state
        .hub
        .repo(&vault.region_id, &vault.vault_id)
        .await
        .map_err(storage_error)?;
    let page = repo
        .browse(&snapshot_id, &path, offset, limit as usize)
        .await
        .map_err(|e| match e {
            // Catalogued but its manifest is gone (deleted behind the catalog's back).
            StorageError::ObjectStore(object_store::Error::NotFound { .. }) => {
                ServerError::not_found(
                    codes::SNAPSHOT_NOT_FOUND,
                    format!("The snapshot {snapshot_id} is no longer in the vault's storage."),
                )
            }
            other => storage_error(other),
        })?;
    match page {
        BrowsePage::Page { entries, total } => {
            let end = offset.saturating_add(entries.len());
            let next_token = if end < total {
                end.to_string()
            } else {
                String::new()
            };
            Ok(BrowseFilesResponse {
                nodes: Nodes {
                    node: entries.into_iter().map(node).collect(),
                },
                total_count: total as i64,
                max_results: limit,
                next_token,
                snapshot_id,
            })
        }
        BrowsePage::NotADirectory => Err(ServerError::invalid(
            R::absolute_path,
            format!("{path} is not a directory in the snapshot {snapshot_id}"),
        )),
        BrowsePage::NotFound => Err(ServerError::not_found(
            codes::PATH_NOT_FOUND,
            format!("{path} is not in the snapshot {snapshot_id}."),
        )),
    }
}
