//! Backup clients. Creating one creates its source vault, as the seed says, unless it is
//! attached to an existing vault.
use crate::api::client::*;
use crate::api::error as codes;
use crate::api::vault::STATUS_INITIALIZING;
use crate::api::{Page, DESCRIPTION_MAX};
use crate::backend::catalog::{now, ClientRow, NewVault};
use crate::backend::locations::host_name;
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::params::{check_bounded, Params};
use crate::backend::state::AppState;

use super::vaults::{check_not_blank, check_region, encryption, spawn_init, KeySource};
use super::{new_id, vault_row};

pub async fn create_client(state: &AppState, r: CreateBackupClientRequest) -> ServerResult<CreateBackupClientResponse> {
    type R = CreateBackupClientRequest;
    let name = r.client_name;
    let client_type = if r.client_type.is_empty() { "FILE".to_string() } else { crate::api::backup::stored_source_type(&r.client_type) };
    if client_type != "FILE" && client_type != "SQLSERVER" {
        return Err(ServerError::invalid(R::client_type, "expected FILE or SQLSERVER"));
    }
    let client_id = new_id("c");
    if let Some(vault_id) = r.vault_id {
        let v = vault_row(state, &vault_id)?;
        if v.is_mirror {
            return Err(mirror_refusal(&vault_id));
        }
        if let Some(region) = r.vault_region_id {
            if region != v.region_id {
                return Err(ServerError::invalid(R::vault_region_id, format!("the vault {vault_id} is in {}", v.region_id)));
            }
        }
        let row = ClientRow { client_id: client_id.clone(), client_name: name, vault_id: vault_id.clone(), client_type, status: "ACTIVATED".into(), ..Default::default() };
        state.catalog.insert_client(&row, None)?;
        return Ok(CreateBackupClientResponse { client_id, vault_id });
    }
    // A new source vault, named after the client.
    check_not_blank(R::client_name, &name)?;
    check_bounded(R::description, &r.description, 0, DESCRIPTION_MAX)?;
    let region = r.vault_region_id.ok_or_else(|| ServerError::missing(R::vault_region_id))?;
    check_region(state, &region)?;
    let (vault_name, description) = (name.clone(), r.description);
    let (encrypt_type, kms_key_id, key) = encryption(state, r.encryption)?;
    let vault_id = new_id("v");
    let vault = NewVault {
        vault_id: &vault_id,
        vault_name: &vault_name,
        description: &description,
        region_id: &region,
        encrypt_type: &encrypt_type,
        kms_key_id: &kms_key_id,
        is_mirror: false,
        source_vault_id: None,
        historical_start_time: 0,
        status: STATUS_INITIALIZING,
    };
    let row = ClientRow { client_id: client_id.clone(), client_name: name, vault_id: vault_id.clone(), client_type, status: "ACTIVATED".into(), ..Default::default() };
    state.catalog.insert_client(&row, Some(&vault))?;
    spawn_init(state, vault_id.clone(), region, KeySource::Key(key), encrypt_type, kms_key_id).await?;
    Ok(CreateBackupClientResponse { client_id, vault_id })
}

pub(crate) fn mirror_refusal(vault_id: &str) -> ServerError {
    ServerError::conflict(
        codes::CANNOT_BACKUP_TO_MIRROR,
        format!("The vault {vault_id} is a mirror vault: you can restore from it but cannot back up into it."),
    )
}

pub fn describe_clients(state: &AppState, r: DescribeBackupClientsRequest) -> ServerResult<DescribeBackupClientsResponse> {
    let (page_number, page_size) = r.paging.resolve(50);
    let mut rows = state.catalog.list_clients(r.vault_id.as_deref())?;
    if let Some(id) = r.client_id {
        rows.retain(|c| c.client_id == id);
    }
    let named: Vec<&String> = r.client_ids.iter().chain(&r.instance_ids).collect();
    if !named.is_empty() {
        rows.retain(|c| named.contains(&&c.client_id));
    }
    let total = rows.len() as i64;
    let rows: Vec<ClientRow> = rows.into_iter().skip(Params::offset(page_number, page_size)).take(page_size as usize).collect();
    let (host, version, t) = (host_name(), env!("CARGO_PKG_VERSION"), now());
    let mut clients = Vec::with_capacity(rows.len());
    for c in &rows {
        let protected = state.catalog.latest_snapshot_for_client(&c.vault_id, &c.client_id, &c.client_type)?.is_some();
        let mut info = ClientInfo {
            client_id: c.client_id.clone(),
            client_type: c.client_type.clone(),
            status: c.status.clone(),
            hostname: host.clone(),
            client_version: version.into(),
            max_client_version: version.into(),
            last_heart_beat_time: t,
            created_time: c.created_time,
            updated_time: c.created_time,
            instance_id: c.client_id.clone(),
            instance_name: c.client_name.clone(),
            backup_status: if protected { "PROTECTED" } else { "UNPROTECTED" }.into(),
            agent_installed: false,
            os_type: std::env::consts::OS.into(),
            arch_type: std::env::consts::ARCH.into(),
        };
        // A client served by an agent: what the agent last said, and whether it still says it.
        if let Some(a) = &c.agent {
            info.agent_installed = true;
            info.status = crate::backend::agents::agent_status(state, a).into();
            info.hostname = a.hostname.clone();
            info.client_version = a.version.clone();
            info.os_type = a.os.clone();
            info.arch_type = a.arch.clone();
            info.last_heart_beat_time = a.heartbeat;
            info.updated_time = a.heartbeat.max(c.created_time);
        }
        clients.push(info);
    }
    let backup_client = rows
        .into_iter()
        .map(|c| BackupClient {
            client_id: c.client_id,
            client_name: c.client_name,
            vault_id: c.vault_id,
            vault_region_id: c.region_id,
            client_type: c.client_type,
            status: c.status,
            created_time: c.created_time,
        })
        .collect();
    Ok(DescribeBackupClientsResponse { page: Page { total_count: total, page_number, page_size }, backup_clients: BackupClients { backup_client }, clients })
}

pub fn delete_client(state: &AppState, r: DeleteBackupClientRequest) -> ServerResult<serde_json::Value> {
    let client_id = r.client_id;
    if state.agents.has_jobs_of(&client_id) {
        return Err(ServerError::conflict(codes::JOB_NOT_CANCELABLE, format!("Jobs of the client {client_id} wait for or run on its agent; cancel them first.")));
    }
    state.auth.remove_agent_keys_of(&client_id);
    if state.catalog.delete_client(&client_id)? == 0 {
        return Err(ServerError::not_found(codes::CLIENT_NOT_FOUND, format!("The backup client {client_id} does not exist.")));
    }
    Ok(serde_json::json!({}))
}
