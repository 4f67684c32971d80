use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Debug, Default)]
pub struct ClientRow {
    pub client_id: String,
    pub client_name: String,
    pub vault_id: String,
    pub region_id: String,
    pub client_type: String,
    pub status: String,
    pub created_time: i64,
    /// An agent runs (or ran) for this client, and what it last said of itself.
    pub agent: Option<AgentInfo>,
}

/// What a client's agent last said of itself (`AgentHeartbeat`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentInfo {
    pub hostname: String,
    pub version: String,
    pub os: String,
    pub arch: String,
    /// UNIX seconds of the last heartbeat (0: a key was minted, no heartbeat yet).
    pub heartbeat: i64,
}

const SELECT: &str = "SELECT c.client_id, c.client_name, c.vault_id, v.region_id, c.client_type, c.status, c.created_time, \
                      c.agent, c.agent_hostname, c.agent_version, c.agent_os, c.agent_arch, c.agent_heartbeat \
                      FROM clients c JOIN vaults v ON v.vault_id = c.vault_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok(ClientRow {
        client_id: r.get(0)?,
        client_name: r.get(1)?,
        vault_id: r.get(2)?,
        region_id: r.get(3)?,
        client_type: r.get(4)?,
        status: r.get(5)?,
        created_time: r.get(6)?,
        agent: match r.get::<_, bool>(7)? {
            false => None,
            true => Some(AgentInfo { hostname: r.get(8)?, version: r.get(9)?, os: r.get(10)?, arch: r.get(11)?, heartbeat: r.get(12)? }),
        },
    })
}

impl Catalog {
    /// Inserts a client and, when `new_vault` is given, its source vault, in one transaction.
    pub fn insert_client(&self, c: &ClientRow, new_vault: Option<&super::NewVault<'_>>) -> CatalogResult<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if let Some(v) = new_vault {
            let t = now();
            tx.execute(
                "INSERT INTO vaults (vault_id, vault_name, description, region_id, status, encrypt_type, kms_key_id, created_time, updated_time) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![v.vault_id, v.vault_name, v.description, v.region_id, v.status, v.encrypt_type, v.kms_key_id, t],
            )?;
        }
        tx.execute(
            "INSERT INTO clients (client_id, client_name, vault_id, client_type, status, created_time) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![c.client_id, c.client_name, c.vault_id, c.client_type, c.status, now()],
        )?;
        Ok(tx.commit()?)
    }

    pub fn client(&self, client_id: &str) -> CatalogResult<Option<ClientRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE c.client_id = ?1"))?;
        Ok(stmt.query_row([client_id], from_row).optional()?)
    }

    pub fn list_clients(&self, vault_id: Option<&str>) -> CatalogResult<Vec<ClientRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("{SELECT} WHERE (?1 IS NULL OR c.vault_id = ?1) ORDER BY c.created_time, c.client_id"))?;
        let rows = stmt.query_map([vault_id], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Deletes a client and the agent keys minted for it.
    pub fn delete_client(&self, client_id: &str) -> CatalogResult<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM agent_keys WHERE client_id = ?1", [client_id])?;
        let n = tx.execute("DELETE FROM clients WHERE client_id = ?1", [client_id])?;
        tx.commit()?;
        Ok(n)
    }

    /// Marks the client as served by an agent (a key was minted, or an agent spoke).
    pub fn set_client_agent(&self, client_id: &str) -> CatalogResult<()> {
        self.conn().execute("UPDATE clients SET agent = 1 WHERE client_id = ?1", [client_id])?;
        Ok(())
    }

    /// Records an agent's heartbeat (and marks the client as served by an agent).
    pub fn agent_heartbeat(&self, client_id: &str, info: &AgentInfo) -> CatalogResult<()> {
        self.conn().execute(
            "UPDATE clients SET agent = 1, agent_hostname = ?2, agent_version = ?3, agent_os = ?4, agent_arch = ?5, agent_heartbeat = ?6 WHERE client_id = ?1",
            params![client_id, info.hostname, info.version, info.os, info.arch, info.heartbeat],
        )?;
        Ok(())
    }

    pub fn insert_agent_key(&self, access_key_id: &str, access_key_secret: &str, client_id: &str) -> CatalogResult<()> {
        self.conn().execute(
            "INSERT INTO agent_keys (access_key_id, access_key_secret, client_id, created_time) VALUES (?1, ?2, ?3, ?4)",
            params![access_key_id, access_key_secret, client_id, now()],
        )?;
        Ok(())
    }

    /// Every agent key: (key id, secret, client id).
    pub fn agent_keys(&self) -> CatalogResult<Vec<(String, String, String)>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached("SELECT access_key_id, access_key_secret, client_id FROM agent_keys")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
