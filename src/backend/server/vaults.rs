//! Vault actions, including the mirror-vault rules of the seed.
use crate::api::error as codes;
use crate::api::vault::*;
use crate::api::Page;
use crate::backend::catalog::{is_constraint, now, NewVault, ReplState, VaultFilter, VaultRow};
use crate::backend::error::{ServerError, ServerResult};
use crate::backend::state::AppState;
use crate::backend::storage::DataKey;

use super::{new_id, vault_row};

/// How long a call that creates a vault waits for its initialisation before answering (a
/// reachable location takes milliseconds), and how long a job aimed at a vault that is still
/// `INITIALIZING` waits for it. After that the call answers as before (`INITIALIZING`,
/// `VaultNotReady`).
pub(crate) const INIT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// The vault's row once it is no longer `INITIALIZING`, or as it is after `INIT_WAIT`; 404 when
/// it does not exist.
pub(crate) async fn settled_vault(state: &AppState, vault_id: &str) -> ServerResult<VaultRow> {
    let deadline = tokio::time::Instant::now() + INIT_WAIT;
    loop {
        let v = vault_row(state, vault_id)?;
        if v.status != STATUS_INITIALIZING || tokio::time::Instant::now() >= deadline {
            return Ok(v);
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// A new vault's name must not be blank.
pub(crate) fn check_not_blank(wire: &str, name: &str) -> ServerResult<()> {
    if name.trim().is_empty() {
        return Err(ServerError::invalid(wire, "must not be blank"));
    }
    Ok(())
}

/// The region exists.
pub(crate) fn check_region(state: &AppState, region: &str) -> ServerResult<()> {
    if state.hub.region(region).is_none() {
        return Err(ServerError::not_found(codes::REGION_NOT_FOUND, format!("The region {region} does not exist.")));
    }
    Ok(())
}

/// `EncryptType` / `KmsKeyId` → the vault's data key.
pub(crate) fn encryption(state: &AppState, e: Encryption) -> ServerResult<(String, String, DataKey)> {
    let encrypt_type = if e.encrypt_type.is_empty() { ENCRYPT_HBR_PRIVATE.to_string() } else { e.encrypt_type };
    match encrypt_type.as_str() {
        ENCRYPT_HBR_PRIVATE => Ok((encrypt_type, String::new(), DataKey::generate())),
        ENCRYPT_KMS => {
            let key_id = e.kms_key_id.ok_or_else(|| ServerError::missing(Encryption::kms_key_id))?;
            let key = state
                .hub
                .keystore()
                .get(&key_id)
                .map_err(|_| ServerError::not_found(codes::KMS_KEY_NOT_FOUND, format!("The KMS key {key_id} is not in the backend's key store.")))?;
            Ok((encrypt_type, key_id, key))
        }
        other => Err(ServerError::invalid(Encryption::encrypt_type, format!("{other:?} is not HBR_PRIVATE or KMS"))),
    }
}

/// Initialises a vault's repository in its region's location: `INITIALIZING` → `CREATED`, or
/// `ERROR` with the reason; the task reports the same. Waits for it up to `INIT_WAIT`, so the
/// vault is usable when the creating call answers; a slower location finishes in the background.
pub(crate) async fn spawn_init(state: &AppState, vault_id: String, region: String, key: KeySource, encrypt_type: String, kms_key_id: String) -> ServerResult<String> {
    let task_id = new_id("t");
    state.catalog.insert_task(&task_id, &format!("initialize vault {vault_id}"))?;
    let st = state.clone();
    let tid = task_id.clone();
    let init = tokio::spawn(async move {
        let result = async {
            let data_key = match key {
                KeySource::Key(k) => k,
                KeySource::SourceVault { region, vault_id } => st.hub.repo(&region, &vault_id).await?.data_key(),
            };
            let kms = (!kms_key_id.is_empty()).then_some(kms_key_id.as_str());
            st.hub.create(&region, &vault_id, data_key, &encrypt_type, kms).await.map(|_| ())
        }
        .await;
        if result.is_ok() {
            crate::backend::locations::record_identity(&st, &vault_id).await;
        }
        let (status, message) = match &result {
            Ok(()) => (STATUS_CREATED, String::new()),
            Err(e) => (STATUS_ERROR, format!("The storage location of region {region} is not usable: {e}")),
        };
        if let Err(e) = st.catalog.set_vault_status(&vault_id, status, &message) {
            tracing::error!(%vault_id, %e, "cannot record vault status");
        }
        if let Err(e) = st.catalog.finish_task(&tid, result.is_ok(), &message) {
            tracing::warn!(%vault_id, task_id = %tid, %e, "cannot record the end of the vault's creation task");
        }
        st.replicator.wake();
    });
    if tokio::time::timeout(INIT_WAIT, init).await.is_err() {
        tracing::info!(task_id = %task_id, "vault initialisation still running; answering with INITIALIZING");
    }
    Ok(task_id)
}

pub(crate) enum KeySource {
    Key(DataKey),
    /// A mirror shares its source's data key (replication copies ciphertext).
    SourceVault { region: String, vault_id: String },
}

pub async fn create_vault(state: &AppState, r: CreateVaultRequest) -> ServerResult<CreateVaultResponse> {
    type R = CreateVaultRequest;
    check_not_blank(R::vault_name, &r.vault_name)?;
    check_region(state, &r.vault_region_id)?;
    let worm = r.worm_enabled == Some(true);
    let (name, description, region) = (r.vault_name, r.description, r.vault_region_id);
    if !r.vault_type.is_empty() && r.vault_type != "STANDARD" {
        return Err(ServerError::invalid(R::vault_type, "only STANDARD vaults are supported"));
    }
    let replication = r.replication;
    let (encrypt_type, kms_key_id, key) = encryption(state, r.encryption)?;
    let vault_id = new_id("v");
    state.catalog.insert_vault(&NewVault {
        vault_id: &vault_id,
        vault_name: &name,
        description: &description,
        region_id: &region,
        encrypt_type: &encrypt_type,
        kms_key_id: &kms_key_id,
        is_mirror: replication,
        source_vault_id: None,
        historical_start_time: 0,
        status: STATUS_INITIALIZING,
    })?;
    if worm {
        // The catalog first (the location holds nothing yet); the marker follows once the
        // location is initialised (here, or the hourly pass for a slow location).
        state.catalog.set_worm(&vault_id)?;
    }
    let task_id = spawn_init(state, vault_id.clone(), region.clone(), KeySource::Key(key), encrypt_type, kms_key_id).await?;
    if worm {
        crate::backend::retention::worm::sync_marker(state, &vault_id, &region).await;
    }
    Ok(CreateVaultResponse { vault_id, task_id })
}

/// Checks the rules a mirror must satisfy against its source; returns the source row.
/// A source still `INITIALIZING` is waited for (`settled_vault`).
async fn check_mirror_source(state: &AppState, m: &MirrorSource, target_region: &str) -> ServerResult<VaultRow> {
    let source_id = &m.replication_source_vault_id;
    let source = settled_vault(state, source_id).await?;
    if let Some(r) = &m.replication_source_region_id {
        if *r != source.region_id {
            return Err(ServerError::invalid(MirrorSource::replication_source_region_id, format!("the vault {source_id} is in {}, not {r}", source.region_id)));
        }
    }
    if source.is_mirror {
        return Err(ServerError::conflict(codes::SOURCE_IS_MIRROR, format!("The vault {source_id} is a mirror vault; a mirror cannot have a mirror.")));
    }
    if target_region == source.region_id {
        return Err(ServerError::bad_request(
            codes::SAME_REGION_REPLICATION,
            format!("A mirror vault must be in another region than its source ({target_region}), for disaster recovery."),
        ));
    }
    if let Some((mirror, region, _)) = &source.target {
        return Err(ServerError::conflict(
            codes::REPLICATION_VAULT_ALREADY_EXISTS,
            format!("The vault {source_id} already has a mirror vault ({mirror} in {region}); only one mirror per vault is allowed."),
        ));
    }
    if let Some(e) = &m.encrypt_type {
        if *e != source.encrypt_type {
            return Err(ServerError::conflict(
                codes::ENCRYPT_TYPE_MISMATCH,
                format!("A mirror vault has its source's encryption type ({}), not {e}.", source.encrypt_type),
            ));
        }
    }
    Ok(source)
}

fn one_mirror_conflict(source_id: &str) -> ServerError {
    ServerError::conflict(
        codes::REPLICATION_VAULT_ALREADY_EXISTS,
        format!("The vault {source_id} already has a mirror vault; only one mirror per vault is allowed."),
    )
}

pub async fn create_replication_vault(state: &AppState, r: CreateReplicationVaultRequest) -> ServerResult<CreateReplicationVaultResponse> {
    check_not_blank(CreateReplicationVaultRequest::vault_name, &r.vault_name)?;
    if let Some(t) = r.redundancy_type.as_deref().filter(|t| !t.eq_ignore_ascii_case("LRS")) {
        return Err(ServerError::invalid(CreateReplicationVaultRequest::redundancy_type, format!("{t:?} is not offered: a mirror vault is one copy (LRS) in its region's location")));
    }
    check_region(state, &r.vault_region_id)?;
    let (name, description, region) = (r.vault_name, r.description, r.vault_region_id);
    let source = check_mirror_source(state, &r.source, &region).await?;
    let vault_id = new_id("v");
    let start = now() + state.settings.historical_sync_delay.as_secs() as i64;
    let inserted = state.catalog.insert_vault(&NewVault {
        vault_id: &vault_id,
        vault_name: &name,
        description: &description,
        region_id: &region,
        encrypt_type: &source.encrypt_type,
        kms_key_id: &source.kms_key_id,
        is_mirror: true,
        source_vault_id: Some(&source.vault_id),
        historical_start_time: start,
        status: STATUS_INITIALIZING,
    });
    match inserted {
        Err(e) if is_constraint(&e) => {
            // The unique index (a racing second mirror) or the foreign key (the source was deleted meanwhile).
            return Err(match state.catalog.vault(&source.vault_id)? {
                Some(_) => one_mirror_conflict(&source.vault_id),
                None => ServerError::not_found(codes::VAULT_NOT_FOUND, format!("The vault {} does not exist.", source.vault_id)),
            });
        }
        other => other?,
    }
    if source.snapshot_count == 0 {
        state.catalog.set_historical_progress(&vault_id, 0, 0, true)?;
    }
    let task_id = spawn_init(
        state,
        vault_id.clone(),
        region,
        KeySource::SourceVault { region: source.region_id.clone(), vault_id: source.vault_id.clone() },
        source.encrypt_type.clone(),
        source.kms_key_id.clone(),
    )
    .await?;
    tracing::info!(source = %source.vault_id, mirror = %vault_id, "mirror vault created");
    Ok(CreateReplicationVaultResponse { vault_id, task_id })
}

/// The two-step form: an empty replication-type vault (`CreateVault Replication=true`) becomes
/// the source's mirror.
pub async fn create_vault_replication(state: &AppState, r: CreateVaultReplicationRequest) -> ServerResult<TaskIdResponse> {
    let target_id = r.replication_target_vault_id;
    let target = settled_vault(state, &target_id).await?;
    let source = check_mirror_source(state, &r.source, &target.region_id).await?;
    if !target.is_mirror {
        return Err(ServerError::invalid(CreateVaultReplicationRequest::replication_target_vault_id, "the target must be created with CreateVault Replication=true"));
    }
    if target.source_vault_id.is_some() {
        return Err(ServerError::conflict(codes::REPLICATION_TARGET_NOT_EMPTY, format!("The vault {target_id} is already a mirror.")));
    }
    if target.snapshot_count > 0 {
        return Err(ServerError::conflict(codes::REPLICATION_TARGET_NOT_EMPTY, format!("The vault {target_id} already holds snapshots; a replication target must be empty.")));
    }
    if target.status != STATUS_CREATED {
        return Err(ServerError::conflict(codes::VAULT_NOT_READY, format!("The vault {target_id} is {}; wait until it is CREATED.", target.status)));
    }
    if target.encrypt_type != source.encrypt_type {
        return Err(ServerError::conflict(codes::ENCRYPT_TYPE_MISMATCH, format!("The target's encryption type {} differs from the source's {}.", target.encrypt_type, source.encrypt_type)));
    }
    let start = now() + state.settings.historical_sync_delay.as_secs() as i64;
    state.catalog.set_vault_status(&target_id, STATUS_INITIALIZING, "")?;
    match state.catalog.attach_mirror(&target_id, &source.vault_id, start) {
        Err(e) if is_constraint(&e) => {
            state.catalog.set_vault_status(&target_id, STATUS_CREATED, "")?;
            return Err(one_mirror_conflict(&source.vault_id));
        }
        Ok(0) => return Err(ServerError::conflict(codes::REPLICATION_TARGET_NOT_EMPTY, format!("The vault {target_id} is already a mirror."))),
        other => {
            other?;
        }
    }
    if source.snapshot_count == 0 {
        state.catalog.set_historical_progress(&target_id, 0, 0, true)?;
    }
    // Re-key the empty target with the source's data key, so replication copies ciphertext.
    state.hub.delete(&target.region_id, &target_id).await.map_err(ServerError::internal)?;
    let task_id = spawn_init(
        state,
        target_id,
        target.region_id,
        KeySource::SourceVault { region: source.region_id, vault_id: source.vault_id },
        source.encrypt_type,
        source.kms_key_id,
    )
    .await?;
    Ok(TaskIdResponse { task_id })
}

pub async fn delete_vault_replication(state: &AppState, r: DeleteVaultReplicationRequest) -> ServerResult<TaskIdResponse> {
    let (source_id, target_id) = (r.replication_source_vault_id, r.replication_target_vault_id);
    let target = vault_row(state, &target_id)?;
    if target.source_vault_id.as_deref() != Some(source_id.as_str()) {
        return Err(ServerError::conflict(codes::NOT_A_MIRROR, format!("The vault {target_id} is not the mirror of {source_id}.")));
    }
    state.catalog.detach_mirror(&target_id)?;
    crate::backend::locations::record_identity(state, &target_id).await;
    let task_id = new_id("t");
    state.catalog.insert_task(&task_id, &format!("stop replication {source_id} -> {target_id}"))?;
    state.catalog.finish_task(&task_id, true, "")?;
    Ok(TaskIdResponse { task_id })
}

pub async fn update_vault(state: &AppState, r: UpdateVaultRequest) -> ServerResult<serde_json::Value> {
    type R = UpdateVaultRequest;
    let vault_id = r.vault_id;
    let v = vault_row(state, &vault_id)?;
    if r.worm_enabled == Some(false) && v.worm_enabled {
        return Err(ServerError::conflict(codes::WORM_CANNOT_BE_DISABLED, format!("The vault {vault_id} is WORM; WORM can never be turned off.")));
    }
    let enable_worm = r.worm_enabled == Some(true) && !v.worm_enabled;
    if (r.retention.is_some() || r.keep_latest_snapshots.is_some()) && !v.is_mirror {
        let wire = if r.retention.is_some() { R::retention } else { R::keep_latest_snapshots };
        return Err(ServerError::invalid(wire, "only a mirror vault takes its own retention; a backup's retention comes from CreateBackupJob Retention or its backup plan"));
    }
    if let Some(days) = r.retention {
        let shortened = state.catalog.snapshots_shortened_by(&vault_id, days)?;
        if (v.worm_enabled || enable_worm) && shortened > 0 {
            return Err(ServerError::conflict(
                codes::WORM_RETENTION_CANNOT_BE_SHORTENED,
                format!("The vault {vault_id} is WORM: a retention of {days} day(s) would make {shortened} snapshot(s) expire earlier than they do."),
            ));
        }
    }
    let (name, description, rate) = (r.vault_name, r.description, r.replication_rate_limit);
    if let Some(r) = rate {
        if r < 0 {
            return Err(ServerError::invalid(R::replication_rate_limit, "must be 0 (no limit) or a positive number of bytes/s"));
        }
    }
    // The rate limit lives on the mirror's row; on a source it applies to its mirror.
    let rate_target = match (&v.target, v.is_mirror) {
        (_, true) => Some(vault_id.clone()),
        (Some((mirror, _, _)), false) => Some(mirror.clone()),
        (None, false) => None,
    };
    if rate.is_some() && rate_target.is_none() {
        return Err(ServerError::invalid(R::replication_rate_limit, "the vault has no mirror"));
    }
    if enable_worm {
        crate::backend::retention::worm::enable(state, &v).await?;
    }
    state.catalog.update_vault(&vault_id, name.as_deref(), description.as_deref(), None)?;
    if let (Some(r), Some(t)) = (rate, rate_target) {
        state.catalog.update_vault(&t, None, None, Some(r))?;
    }
    if name.is_some() || description.is_some() {
        crate::backend::locations::record_identity(state, &vault_id).await;
    }
    if r.retention.is_some() || r.keep_latest_snapshots.is_some() {
        // Under the removal lock: an expiry pass never sees half of the change.
        let _removing = state.retention.removal_lock().await;
        state.catalog.set_own_retention(&vault_id, r.retention, r.keep_latest_snapshots)?;
    }
    if r.retention.is_some() || r.keep_latest_snapshots.is_some() {
        crate::backend::retention::expire_vault(state, &vault_id).await;
    }
    Ok(serde_json::json!({}))
}

pub async fn delete_vault(state: &AppState, r: DeleteVaultRequest) -> ServerResult<serde_json::Value> {
    let vault_id = r.vault_id;
    let v = vault_row(state, &vault_id)?;
    if let Some((mirror, region, _)) = &v.target {
        return Err(source_still_mirrored(&vault_id, mirror, region));
    }
    if !v.client_names.is_empty() {
        return Err(ServerError::conflict(
            codes::VAULT_HAS_CLIENTS,
            format!("The vault {vault_id} still has backup clients ({}); delete them first.", v.client_names.join(", ")),
        ));
    }
    if state.catalog.vault_has_instances(&vault_id)? {
        return Err(ServerError::conflict(codes::VAULT_HAS_INSTANCES, format!("SQL Server instances are registered on the vault {vault_id}; delete them first.")));
    }
    crate::backend::retention::worm::check_vault_deletable(state, &v)?;
    // DELETING first: from here no mirror, client, instance or job can attach to the vault
    // (`vault_row` answers VaultNotFound), and a crash leaves a state the next start finishes.
    let Some(before) = state.catalog.mark_vault_deleting(&vault_id)? else {
        // A mirror or a client was attached meanwhile.
        let now_v = vault_row(state, &vault_id)?;
        return Err(match now_v.target {
            Some((mirror, region, _)) => source_still_mirrored(&vault_id, &mirror, &region),
            None => ServerError::conflict(codes::VAULT_HAS_CLIENTS, format!("The vault {vault_id} is still in use.")),
        });
    };
    if let Err(e) = state.jobs.ensure_vault_idle(&vault_id) {
        // A job started between the checks and the mark: the vault stays.
        state.catalog.set_vault_status(&vault_id, &before, &v.status_message)?;
        return Err(e);
    }
    let _guard = state.replicator.lock_mirror(&vault_id).await;
    if let Err(e) = crate::backend::locations::finish_delete(state, &vault_id, &v.region_id).await {
        // The location is unreachable: the vault stays DELETING and the location watcher
        // finishes the delete when it is back.
        tracing::warn!(%vault_id, %e, "vault marked DELETING; its data will be removed when its location is reachable");
    }
    Ok(serde_json::json!({}))
}

fn source_still_mirrored(vault_id: &str, mirror: &str, region: &str) -> ServerError {
    ServerError::conflict(
        codes::CANNOT_DELETE_REPLICATION_SOURCE_VAULT,
        format!("The vault {vault_id} has a mirror vault ({mirror} in {region}); delete the mirror vault first."),
    )
}

pub fn describe_vaults(state: &AppState, r: DescribeVaultsRequest) -> ServerResult<DescribeVaultsResponse> {
    let (page_number, page_size) = r.paging.resolve(10);
    let filter = VaultFilter {
        vault_id: r.vault_id,
        region_id: r.vault_region_id,
        vault_type: r.vault_type,
        status: r.status,
        name: r.vault_name,
        replication: r.replication,
    };
    let (total, rows) = state.catalog.list_vaults(&filter, page_number, page_size)?;
    let t = now();
    let vault = rows.into_iter().map(|r| to_wire(state, r, t)).collect();
    Ok(DescribeVaultsResponse { page: Page { total_count: total, page_number, page_size }, vaults: Vaults { vault } })
}

/// The replication status a mirror's stored state means at time `t`.
pub fn replication_status(r: &ReplState, t: i64) -> &str {
    if r.status == REPL_ERROR || r.status == REPL_PAUSED {
        return &r.status;
    }
    if !r.historical_done && t < r.historical_start_time {
        return REPL_WAITING_HISTORICAL;
    }
    if !r.historical_done || r.bytes_pending > 0 {
        return REPL_SYNCING;
    }
    REPL_IN_SYNC
}

fn to_wire(state: &AppState, r: VaultRow, t: i64) -> Vault {
    let outage = state.hub.region(&r.region_id).map(|x| x.location.is_offline()).unwrap_or(true);
    let (status, message) = if outage {
        (STATUS_ERROR.to_string(), format!("Region {} is unavailable: its storage location cannot be read or written.", r.region_id))
    } else {
        (r.status.clone(), r.status_message.clone())
    };
    let mut v = Vault {
        vault_id: r.vault_id,
        vault_name: r.vault_name,
        description: r.description,
        vault_region_id: r.region_id.clone(),
        vault_type: r.vault_type,
        status,
        vault_status_message: message,
        storage_size: r.storage_size,
        storage_size_referenced: r.storage_size_referenced,
        bytes_done: r.bytes_done,
        snapshot_count: r.snapshot_count,
        created_time: r.created_time,
        updated_time: r.updated_time,
        encrypt_type: r.encrypt_type,
        kms_key_id: r.kms_key_id,
        replication: r.is_mirror,
        backup_client_names: r.client_names,
        latest_backup_time: r.latest_backup_time,
        region_outage: outage,
        worm_enabled: r.worm_enabled,
        retention: r.own_retention_days,
        keep_latest_snapshots: i64::from(r.own_keep_latest == Some(true)),
        ..Default::default()
    };
    let repl = if let Some(source_id) = r.source_vault_id {
        v.replication_source_vault_id = source_id;
        v.replication_source_region_id = r.source_region_id;
        v.replication_source_vault_name = r.source_vault_name;
        Some(r.repl)
    } else if let Some((target_id, target_region, repl)) = r.target {
        v.replication_source_vault = true;
        v.replication_target_vault_id = target_id;
        v.replication_target_region_id = target_region;
        Some(repl)
    } else {
        None
    };
    if let Some(repl) = repl {
        v.replication_status = replication_status(&repl, t).to_string();
        v.replication_status_message = repl.message.clone();
        v.latest_replication_time = repl.latest_replication_time;
        v.historical_replication_start_time = repl.historical_start_time;
        v.replication_bytes_pending = repl.bytes_pending;
        v.replication_lag_seconds = repl.lag_seconds;
        v.replication_rate_limit = repl.rate_limit;
        let historical = if repl.historical_done {
            100
        } else if repl.historical_bytes_total > 0 {
            (repl.historical_bytes_done * 100 / repl.historical_bytes_total).clamp(0, 99)
        } else {
            0
        };
        v.replication_progress = ReplicationProgress { historical_replication_progress: historical, new_replication_progress: repl.new_replication_time };
        v.replication_eta = state.replicator.eta_seconds(&v, repl.bytes_pending);
    }
    v
}
