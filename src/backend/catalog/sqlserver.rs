//! Registered SQL Server instances. Passwords are stored sealed by the master key.
use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Debug, Default)]
pub struct InstanceRow {
    pub cluster_id: String,
    pub vault_id: String,
    pub region_id: String,
    pub vault_is_mirror: bool,
    pub server_name: String,
    pub instance_name: String,
    pub engine: String,
    pub sql_login: String,
    pub sql_password_sealed: String,
    pub use_windows_auth: bool,
    pub trust_server_certificate: bool,
    pub staging_dir: String,
    pub status: String,
    pub status_message: String,
    pub created_time: i64,
    /// The backup client whose agent reaches the instance (empty: the backend does).
    pub client_id: String,
}

const SELECT: &str = "SELECT i.cluster_id, i.vault_id, v.region_id, v.is_mirror, i.server_name, i.instance_name, i.engine, i.sql_login, \
    i.sql_password_sealed, i.use_windows_auth, i.trust_server_certificate, i.staging_dir, i.status, i.status_message, i.created_time, i.client_id \
    FROM sql_instances i JOIN vaults v ON v.vault_id = i.vault_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<InstanceRow> {
    Ok(InstanceRow {
        cluster_id: r.get(0)?,
        vault_id: r.get(1)?,
        region_id: r.get(2)?,
        vault_is_mirror: r.get::<_, i64>(3)? != 0,
        server_name: r.get(4)?,
        instance_name: r.get(5)?,
        engine: r.get(6)?,
        sql_login: r.get(7)?,
        sql_password_sealed: r.get(8)?,
        use_windows_auth: r.get::<_, i64>(9)? != 0,
        trust_server_certificate: r.get::<_, i64>(10)? != 0,
        staging_dir: r.get(11)?,
        status: r.get(12)?,
        status_message: r.get(13)?,
        created_time: r.get(14)?,
        client_id: r.get(15)?,
    })
}

impl Catalog {
    pub fn insert_instance(&self, i: &InstanceRow) -> CatalogResult<()> {
        self.conn().execute(
            "INSERT INTO sql_instances (cluster_id, vault_id, server_name, instance_name, engine, sql_login, sql_password_sealed, \
             use_windows_auth, trust_server_certificate, staging_dir, status, status_message, created_time, client_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                i.cluster_id, i.vault_id, i.server_name, i.instance_name, i.engine, i.sql_login, i.sql_password_sealed,
                i.use_windows_auth as i64, i.trust_server_certificate as i64, i.staging_dir, i.status, i.status_message, now(), i.client_id
            ],
        )?;
        Ok(())
    }

    pub fn instance(&self, cluster_id: &str) -> CatalogResult<Option<InstanceRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE i.cluster_id = ?1"))?;
        Ok(stmt.query_row([cluster_id], from_row).optional()?)
    }

    pub fn list_instances(&self, vault_id: Option<&str>) -> CatalogResult<Vec<InstanceRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE (?1 IS NULL OR i.vault_id = ?1) ORDER BY i.created_time, i.cluster_id"))?;
        let rows = stmt.query_map([vault_id], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    pub fn set_instance_status(&self, cluster_id: &str, status: &str, message: &str) -> CatalogResult<()> {
        self.conn().execute("UPDATE sql_instances SET status = ?2, status_message = ?3 WHERE cluster_id = ?1", params![cluster_id, status, message])?;
        Ok(())
    }

    pub fn delete_instance(&self, cluster_id: &str) -> CatalogResult<usize> {
        Ok(self.conn().execute("DELETE FROM sql_instances WHERE cluster_id = ?1", [cluster_id])?)
    }

    pub fn vault_has_instances(&self, vault_id: &str) -> CatalogResult<bool> {
        Ok(self.read().query_row("SELECT EXISTS(SELECT 1 FROM sql_instances WHERE vault_id = ?1)", [vault_id], |r| r.get(0))?)
    }
}
