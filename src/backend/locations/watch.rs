//! The location watcher: a vault whose data vanished from its location (a lost or emptied
//! region, a deleted bucket prefix) is marked `ERROR` with a message that says so, and back to
//! `CREATED` when it reappears; deletes a location refused are retried.
//!
//! Cost per pass, whatever the number of vaults: one catalog query and one listing of
//! `vaults/` per location (a vault whose prefix is gone is missing). Every
//! `DEEP_EVERY`-th pass also asks for each present vault's `config` (a prefix emptied of its
//! config but not deleted), and a vault flagged missing is asked for its `config` each pass.
use std::collections::{HashMap, HashSet};

use crate::api::vault::{STATUS_CREATED, STATUS_DELETING, STATUS_ERROR};
use crate::backend::catalog::LogFailure;
use crate::backend::state::AppState;

use super::finish_delete;

/// The start of the status message of a vault whose data is missing.
pub const MISSING_DATA_PREFIX: &str = "The vault's data is missing from its storage location";

/// How often `watch_locations` looks.
pub const WATCH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3);

/// Every how many passes the `config` of every present vault is checked too.
const DEEP_EVERY: u64 = 10;

pub async fn watch_locations(st: AppState) {
    let mut pass: u64 = 0;
    loop {
        tokio::time::sleep(WATCH_INTERVAL).await;
        pass += 1;
        check(&st, pass % DEEP_EVERY == 0).await;
    }
}

/// One thorough pass (every present vault's `config` asked for).
pub async fn check_locations(st: &AppState) {
    check(st, true).await
}

async fn check(st: &AppState, deep: bool) {
    let rows = match st.catalog.vault_states() {
        Ok(v) => v,
        Err(e) => return tracing::warn!(%e, "location check: cannot list vaults"),
    };
    // One listing per location, only of the regions that hold vaults.
    let mut listed: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    for row in rows {
        if row.status == STATUS_DELETING {
            // A delete the location refused (unreachable) is retried here.
            if let Err(e) = finish_delete(st, &row.vault_id, &row.region_id).await {
                tracing::debug!(vault_id = %row.vault_id, %e, "vault delete still waiting for its location");
            }
            continue;
        }
        let flagged = row.status == STATUS_ERROR && row.status_message.starts_with(MISSING_DATA_PREFIX);
        if row.status != STATUS_CREATED && !flagged {
            continue; // initializing, or in error for another reason
        }
        let Some(r) = st.hub.region(&row.region_id) else { continue };
        if r.location.is_offline() {
            continue; // an outage drill is reported separately
        }
        if !listed.contains_key(&row.region_id) {
            let prefixes = match r.location.vault_prefixes().await {
                Ok(p) => Some(p.into_iter().collect()),
                Err(e) => {
                    tracing::debug!(region = %row.region_id, %e, "location check: cannot list the location");
                    None
                }
            };
            listed.insert(row.region_id.clone(), prefixes);
        }
        let Some(Some(prefixes)) = listed.get(&row.region_id) else { continue };
        let present = if !prefixes.contains(&row.vault_id) {
            false
        } else if deep || flagged {
            match st.hub.vault_present(&row.region_id, &row.vault_id).await {
                Ok(p) => p,
                Err(_) => continue,
            }
        } else {
            true
        };
        match (present, flagged) {
            (false, false) => mark_missing(st, &row.vault_id, &row.region_id, &r.location.describe()),
            (true, true) => {
                tracing::info!(vault_id = %row.vault_id, region = %row.region_id, "vault data is back in its location");
                st.hub.forget(&row.vault_id);
                st.catalog.set_vault_status(&row.vault_id, STATUS_CREATED, "").or_log_vault(&row.vault_id, "data back status");
            }
            _ => {}
        }
    }
}

fn mark_missing(st: &AppState, vault_id: &str, region: &str, location: &str) {
    let mirror = match st.catalog.vault(vault_id) {
        Ok(Some(v)) => match (&v.target, &v.source_vault_id) {
            (Some((m, mr, _)), _) => format!(" Restore from its mirror vault {m} in {mr}."),
            (None, Some(src)) => format!(" Its source vault {src} still holds the snapshots."),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let message = format!("{MISSING_DATA_PREFIX} {location} (vaults/{vault_id}/config not found): the region's storage was lost or emptied.{mirror}");
    tracing::error!(%vault_id, %region, "vault data missing from its location");
    st.hub.forget(vault_id);
    st.catalog.set_vault_status(vault_id, STATUS_ERROR, &message).or_log_vault(vault_id, "missing data status");
}
