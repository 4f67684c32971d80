//! Vault rows and the mirror rules that live in the schema.
use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

/// Replication state as stored on a mirror's row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReplState {
    pub mirror_since: i64,
    /// Snapshots catalogued up to this sequence number are historical for the mirror.
    pub mirror_since_seq: i64,
    pub historical_start_time: i64,
    pub historical_bytes_total: i64,
    pub historical_bytes_done: i64,
    pub historical_done: bool,
    pub latest_replication_time: i64,
    pub new_replication_time: i64,
    pub status: String,
    pub message: String,
    pub bytes_pending: i64,
    pub lag_seconds: i64,
    pub rate_limit: i64,
}

#[derive(Clone, Debug, Default)]
pub struct VaultRow {
    pub vault_id: String,
    pub vault_name: String,
    pub description: String,
    pub region_id: String,
    pub vault_type: String,
    pub status: String,
    pub status_message: String,
    pub encrypt_type: String,
    pub kms_key_id: String,
    pub is_mirror: bool,
    pub source_vault_id: Option<String>,
    pub storage_size: i64,
    pub created_time: i64,
    pub updated_time: i64,
    pub repl: ReplState,
    // derived
    pub snapshot_count: i64,
    pub bytes_done: i64,
    pub latest_backup_time: i64,
    pub client_names: Vec<String>,
    pub source_vault_name: String,
    pub source_region_id: String,
    /// The vault's mirror, if it has one: id, region, and the mirror's replication state.
    pub target: Option<(String, String, ReplState)>,
    /// WORM: no snapshot is removed before its `ExpireTime`; never turned off.
    pub worm_enabled: bool,
    /// A mirror's own retention: days (0 = each copy keeps its source retention) and keep
    /// latest (`None` = as each copy's own policy).
    pub own_retention_days: i64,
    pub own_keep_latest: Option<bool>,
    /// What the vault's snapshots reference of `storage_size` (measured with it).
    pub storage_size_referenced: i64,
}

/// A vault's own columns without anything derived from other rows: what the periodic passes over
/// every vault (the location watcher, the alert check) need, read without a subquery per vault.
pub struct VaultStateRow {
    pub vault_id: String,
    pub vault_name: String,
    pub region_id: String,
    pub status: String,
    pub status_message: String,
    pub is_mirror: bool,
    /// A mirror's replication status, message and lag as stored on its row.
    pub repl_status: String,
    pub repl_message: String,
    pub repl_lag_seconds: i64,
}

pub struct NewVault<'a> {
    pub vault_id: &'a str,
    pub vault_name: &'a str,
    pub description: &'a str,
    pub region_id: &'a str,
    pub encrypt_type: &'a str,
    pub kms_key_id: &'a str,
    pub is_mirror: bool,
    pub source_vault_id: Option<&'a str>,
    /// For a mirror: when the historical sync starts.
    pub historical_start_time: i64,
    pub status: &'a str,
}

#[derive(Default)]
pub struct VaultFilter {
    pub vault_id: Option<String>,
    pub region_id: Option<String>,
    pub vault_type: Option<String>,
    pub status: Option<String>,
    pub name: Option<String>,
    pub replication: Option<bool>,
}

const REPL_COLS: &str = "mirror_since, mirror_since_seq, historical_start_time, historical_bytes_total, historical_bytes_done, historical_done, \
    latest_replication_time, new_replication_time, repl_status, repl_message, repl_bytes_pending, repl_lag_seconds, rate_limit";

fn repl_from(r: &Row<'_>, at: usize) -> rusqlite::Result<ReplState> {
    Ok(ReplState {
        mirror_since: r.get(at)?,
        mirror_since_seq: r.get(at + 1)?,
        historical_start_time: r.get(at + 2)?,
        historical_bytes_total: r.get(at + 3)?,
        historical_bytes_done: r.get(at + 4)?,
        historical_done: r.get::<_, i64>(at + 5)? != 0,
        latest_replication_time: r.get(at + 6)?,
        new_replication_time: r.get(at + 7)?,
        status: r.get(at + 8)?,
        message: r.get(at + 9)?,
        bytes_pending: r.get(at + 10)?,
        lag_seconds: r.get(at + 11)?,
        rate_limit: r.get(at + 12)?,
    })
}

fn select_sql(where_sql: &str, tail: &str) -> String {
    select_sql_from("vaults", where_sql, tail)
}

/// `source`: the table, or a subquery of vault rows (aliased `v`) to decorate.
fn select_sql_from(source: &str, where_sql: &str, tail: &str) -> String {
    let own: Vec<String> = REPL_COLS.split(", ").map(|c| format!("v.{}", c.trim())).collect();
    let mirror: Vec<String> = REPL_COLS.split(", ").map(|c| format!("m.{}", c.trim())).collect();
    format!(
        "SELECT v.vault_id, v.vault_name, v.description, v.region_id, v.vault_type, v.status, v.status_message, \
         v.encrypt_type, v.kms_key_id, v.is_mirror, v.replication_source_vault_id, v.storage_size, v.created_time, v.updated_time, \
         (SELECT COUNT(*) FROM snapshots s WHERE s.vault_id = v.vault_id), \
         (SELECT COALESCE(SUM(bytes_total), 0) FROM snapshots s WHERE s.vault_id = v.vault_id), \
         (SELECT COALESCE(MAX(complete_time), 0) FROM snapshots s WHERE s.vault_id = v.vault_id), \
         (SELECT COALESCE(group_concat(client_name, char(31)), '') FROM clients c WHERE c.vault_id = v.vault_id), \
         COALESCE(src.vault_name, ''), COALESCE(src.region_id, ''), m.vault_id, m.region_id, \
         {}, {}, v.worm_enabled, v.own_retention_days, v.own_keep_latest, v.storage_size_referenced \
         FROM {source} v LEFT JOIN vaults m ON m.replication_source_vault_id = v.vault_id \
         LEFT JOIN vaults src ON src.vault_id = v.replication_source_vault_id {where_sql} {tail}",
        own.join(", "),
        mirror.join(", ")
    )
}

fn row_from(r: &Row<'_>) -> rusqlite::Result<VaultRow> {
    let names: String = r.get(17)?;
    let mut client_names: Vec<String> = names.split('\u{1f}').filter(|s| !s.is_empty()).map(str::to_string).collect();
    client_names.sort();
    let target_id: Option<String> = r.get(20)?;
    let target_region: Option<String> = r.get(21)?;
    let own = repl_from(r, 22)?;
    let target = match (target_id, target_region) {
        (Some(id), Some(region)) => Some((id, region, repl_from(r, 35)?)),
        _ => None,
    };
    Ok(VaultRow {
        vault_id: r.get(0)?,
        vault_name: r.get(1)?,
        description: r.get(2)?,
        region_id: r.get(3)?,
        vault_type: r.get(4)?,
        status: r.get(5)?,
        status_message: r.get(6)?,
        encrypt_type: r.get(7)?,
        kms_key_id: r.get(8)?,
        is_mirror: r.get::<_, i64>(9)? != 0,
        source_vault_id: r.get(10)?,
        storage_size: r.get(11)?,
        created_time: r.get(12)?,
        updated_time: r.get(13)?,
        snapshot_count: r.get(14)?,
        bytes_done: r.get(15)?,
        latest_backup_time: r.get(16)?,
        client_names,
        source_vault_name: r.get(18)?,
        source_region_id: r.get(19)?,
        repl: own,
        target,
        worm_enabled: r.get::<_, i64>(48)? != 0,
        own_retention_days: r.get(49)?,
        own_keep_latest: match r.get::<_, i64>(50)? {
            k if k < 0 => None,
            k => Some(k != 0),
        },
        storage_size_referenced: r.get(51)?,
    })
}

impl Catalog {
    /// Inserts a vault. A second mirror of one source fails the unique index (a constraint error).
    pub fn insert_vault(&self, v: &NewVault<'_>) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "INSERT INTO vaults (vault_id, vault_name, description, region_id, status, encrypt_type, kms_key_id, is_mirror, \
             replication_source_vault_id, created_time, updated_time, mirror_since, historical_start_time, repl_status, mirror_since_seq) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13, (SELECT COALESCE(MAX(rowid), 0) FROM snapshots))",
            params![
                v.vault_id, v.vault_name, v.description, v.region_id, v.status, v.encrypt_type, v.kms_key_id, v.is_mirror as i64,
                v.source_vault_id, t, if v.source_vault_id.is_some() { t } else { 0 }, v.historical_start_time,
                if v.source_vault_id.is_some() { crate::api::vault::REPL_WAITING_HISTORICAL } else { "" },
            ],
        )?;
        Ok(())
    }

    pub fn vault(&self, vault_id: &str) -> CatalogResult<Option<VaultRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&select_sql("WHERE v.vault_id = ?1", ""))?;
        Ok(stmt.query_row([vault_id], row_from).optional()?)
    }

    pub fn list_vaults(&self, f: &VaultFilter, page: i64, size: i64) -> CatalogResult<(i64, Vec<VaultRow>)> {
        let mut clauses = Vec::new();
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        let mut add = |clause: &str, v: rusqlite::types::Value| {
            args.push(v);
            clauses.push(clause.replace('?', &format!("?{}", args.len())));
        };
        if let Some(x) = &f.vault_id {
            add("v.vault_id = ?", x.clone().into());
        }
        if let Some(x) = &f.region_id {
            add("v.region_id = ?", x.clone().into());
        }
        if let Some(x) = &f.vault_type {
            add("v.vault_type = ?", x.clone().into());
        }
        if let Some(x) = &f.status {
            add("v.status = ?", x.clone().into());
        }
        if let Some(x) = &f.name {
            // a literal, case-insensitive substring: LIKE would treat % and _ in the filter as wildcards
            add("instr(lower(v.vault_name), lower(?)) > 0", x.clone().into());
        }
        if let Some(x) = f.replication {
            add("v.is_mirror = ?", (x as i64).into());
        }
        let where_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let conn = self.read();
        let total: i64 = conn.prepare_cached(&format!("SELECT COUNT(*) FROM vaults v {where_sql}"))?.query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
        // Pick the page's rows first, then decorate only those (snapshot counts, clients, mirror):
        // sorting the decorated rows evaluated the subqueries for every vault in the catalog.
        // The page is bound as parameters, so the (long) statement is parsed once per filter shape.
        let n = args.len();
        let page_rows = format!("(SELECT * FROM vaults v {where_sql} ORDER BY v.created_time, v.vault_id LIMIT ?{} OFFSET ?{})", n + 1, n + 2);
        args.push(size.into());
        args.push((page - 1).saturating_mul(size).into());
        let mut stmt = conn.prepare_cached(&select_sql_from(&page_rows, "", "ORDER BY v.created_time, v.vault_id"))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args.iter()), row_from)?.collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }

    /// All vault ids (with region), for workers that walk every vault.
    pub fn vault_ids(&self) -> CatalogResult<Vec<(String, String)>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT vault_id, region_id FROM vaults ORDER BY vault_id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every vault's own state (`VaultStateRow`), by region then id, in one query.
    pub fn vault_states(&self) -> CatalogResult<Vec<VaultStateRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(
            "SELECT vault_id, vault_name, region_id, status, status_message, is_mirror, repl_status, repl_message, repl_lag_seconds \
             FROM vaults ORDER BY region_id, vault_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(VaultStateRow {
                    vault_id: r.get(0)?,
                    vault_name: r.get(1)?,
                    region_id: r.get(2)?,
                    status: r.get(3)?,
                    status_message: r.get(4)?,
                    is_mirror: r.get::<_, i64>(5)? != 0,
                    repl_status: r.get(6)?,
                    repl_message: r.get(7)?,
                    repl_lag_seconds: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn set_vault_status(&self, vault_id: &str, status: &str, message: &str) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE vaults SET status = ?2, status_message = ?3, updated_time = ?4 WHERE vault_id = ?1",
            params![vault_id, status, message, now()],
        )?;
        Ok(())
    }

    pub fn update_vault(&self, vault_id: &str, name: Option<&str>, description: Option<&str>, rate_limit: Option<i64>) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "UPDATE vaults SET vault_name = COALESCE(?2, vault_name), description = COALESCE(?3, description), \
             rate_limit = COALESCE(?4, rate_limit), updated_time = ?5 WHERE vault_id = ?1",
            params![vault_id, name, description, rate_limit, now()],
        )?)
    }

    pub fn set_storage_size(&self, vault_id: &str, size: i64) -> CatalogResult<()> {
        self.conn().execute("UPDATE vaults SET storage_size = ?2 WHERE vault_id = ?1", params![vault_id, size])?;
        Ok(())
    }

    /// Deletes a vault row. Refused by the schema (a constraint error) while a mirror or a client
    /// still references it.
    /// Marks a vault `DELETING` unless a mirror, a backup client or a SQL Server instance still
    /// references it (then 0 rows change). Returns the status it had.
    pub fn mark_vault_deleting(&self, vault_id: &str) -> CatalogResult<Option<String>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let before: Option<String> = tx
            .query_row("SELECT status FROM vaults WHERE vault_id = ?1", [vault_id], |r| r.get(0))
            .optional()?;
        let n = tx.execute(
            "UPDATE vaults SET status = ?2, status_message = 'Being deleted', updated_time = ?3 WHERE vault_id = ?1 \
             AND NOT EXISTS (SELECT 1 FROM vaults m WHERE m.replication_source_vault_id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM clients WHERE vault_id = ?1) \
             AND NOT EXISTS (SELECT 1 FROM sql_instances WHERE vault_id = ?1)",
            params![vault_id, crate::api::vault::STATUS_DELETING, now()],
        )?;
        tx.commit()?;
        Ok(if n == 1 { before } else { None })
    }

    /// Vaults whose delete began (`DELETING`): id and region.
    pub fn deleting_vaults(&self) -> CatalogResult<Vec<(String, String)>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT vault_id, region_id FROM vaults WHERE status = ?1 ORDER BY vault_id")?;
        let rows = stmt.query_map([crate::api::vault::STATUS_DELETING], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn delete_vault(&self, vault_id: &str) -> CatalogResult<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM replication_history WHERE mirror_vault_id = ?1", [vault_id])?;
        tx.execute("DELETE FROM deleted_snapshots WHERE vault_id = ?1", [vault_id])?;
        let n = tx.execute("DELETE FROM vaults WHERE vault_id = ?1", [vault_id])?;
        tx.commit()?;
        Ok(n)
    }

    /// Makes an (empty, replication-type) vault the mirror of `source_id`. The unique index refuses
    /// a second mirror.
    pub fn attach_mirror(&self, mirror_id: &str, source_id: &str, historical_start_time: i64) -> CatalogResult<usize> {
        let t = now();
        Ok(self.conn().execute(
            "UPDATE vaults SET replication_source_vault_id = ?2, mirror_since = ?3, historical_start_time = ?4, \
             mirror_since_seq = (SELECT COALESCE(MAX(rowid), 0) FROM snapshots), \
             historical_bytes_total = 0, historical_bytes_done = 0, historical_done = 0, repl_status = ?5, repl_message = '', \
             updated_time = ?3 WHERE vault_id = ?1 AND replication_source_vault_id IS NULL",
            params![mirror_id, source_id, t, historical_start_time, crate::api::vault::REPL_WAITING_HISTORICAL],
        )?)
    }

    /// Stops replication: the mirror stays as a standalone replication-type vault.
    pub fn detach_mirror(&self, mirror_id: &str) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "UPDATE vaults SET replication_source_vault_id = NULL, repl_status = '', repl_message = '', repl_bytes_pending = 0, \
             updated_time = ?2 WHERE vault_id = ?1",
            params![mirror_id, now()],
        )?)
    }
}
