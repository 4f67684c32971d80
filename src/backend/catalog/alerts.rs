//! Alerts: raised and resolved by `backend::alerts`. At most one ACTIVE row per condition
//! (`condition_key`, a partial unique index), so raising a condition that is already active
//! changes nothing.
use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

pub const ALERT_ACTIVE: &str = "ACTIVE";
pub const ALERT_RESOLVED: &str = "RESOLVED";

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertRow {
    pub alert_id: String,
    pub condition_key: String,
    pub kind: String,
    pub severity: String,
    pub vault_id: String,
    pub job_id: String,
    pub client_id: String,
    pub message: String,
    pub status: String,
    pub raised_time: i64,
    pub resolved_time: i64,
    pub acknowledged: bool,
}

/// A condition to raise.
pub struct NewAlert<'a> {
    pub alert_id: &'a str,
    pub condition_key: &'a str,
    pub kind: &'a str,
    pub severity: &'a str,
    pub vault_id: &'a str,
    pub job_id: &'a str,
    pub client_id: &'a str,
    pub message: &'a str,
}

const COLS: &str = "alert_id, condition_key, kind, severity, vault_id, job_id, client_id, message, status, raised_time, resolved_time, acknowledged";

fn from_row(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        alert_id: r.get(0)?,
        condition_key: r.get(1)?,
        kind: r.get(2)?,
        severity: r.get(3)?,
        vault_id: r.get(4)?,
        job_id: r.get(5)?,
        client_id: r.get(6)?,
        message: r.get(7)?,
        status: r.get(8)?,
        raised_time: r.get(9)?,
        resolved_time: r.get(10)?,
        acknowledged: r.get::<_, i64>(11)? != 0,
    })
}

impl Catalog {
    /// Raises the condition; `None` when it is active already (nothing changes).
    pub fn raise_alert(&self, a: &NewAlert<'_>) -> CatalogResult<Option<AlertRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "INSERT OR IGNORE INTO alerts (alert_id, condition_key, kind, severity, vault_id, job_id, client_id, message, status, raised_time) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, '{ALERT_ACTIVE}', ?9) RETURNING {COLS}"
        ))?;
        Ok(stmt
            .query_row(
                params![
                    a.alert_id,
                    a.condition_key,
                    a.kind,
                    a.severity,
                    a.vault_id,
                    a.job_id,
                    a.client_id,
                    a.message,
                    now()
                ],
                from_row,
            )
            .optional()?)
    }

    /// Resolves the condition's active alert; `None` when none is active.
    pub fn resolve_alert(&self, condition_key: &str) -> CatalogResult<Option<AlertRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE alerts SET status = '{ALERT_RESOLVED}', resolved_time = ?2 WHERE condition_key = ?1 AND status = '{ALERT_ACTIVE}' RETURNING {COLS}"
        ))?;
        Ok(stmt
            .query_row(params![condition_key, now()], from_row)
            .optional()?)
    }

    /// The condition keys of the active alerts, with their vaults.
    pub fn active_alert_keys(&self) -> CatalogResult<Vec<(String, String)>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT condition_key, vault_id FROM alerts WHERE status = '{ALERT_ACTIVE}'"
        ))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One page of the alerts (of one status when given), newest first, and how many match.
    pub fn list_alerts(
        &self,
        status: Option<&str>,
        page: i64,
        size: i64,
    ) -> CatalogResult<(i64, Vec<AlertRow>)> {
        let conn = self.read();
        let total: i64 = conn
            .prepare_cached("SELECT COUNT(*) FROM alerts WHERE ?1 IS NULL OR status = ?1")?
            .query_row(params![status], |r| r.get(0))?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLS} FROM alerts WHERE ?1 IS NULL OR status = ?1 ORDER BY raised_time DESC, rowid DESC LIMIT ?2 OFFSET ?3"
        ))?;
        let rows = stmt
            .query_map(params![status, size, (page - 1).max(0) * size], from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((total, rows))
    }

    /// Marks an alert acknowledged; `None` when it does not exist.
    pub fn acknowledge_alert(&self, alert_id: &str) -> CatalogResult<Option<AlertRow>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "UPDATE alerts SET acknowledged = 1 WHERE alert_id = ?1 RETURNING {COLS}"
        ))?;
        Ok(stmt.query_row([alert_id], from_row).optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert<'a>(id: &'a str, key: &'a str) -> NewAlert<'a> {
        NewAlert {
            alert_id: id,
            condition_key: key,
            kind: "REGION_OUTAGE",
            severity: "CRITICAL",
            vault_id: "",
            job_id: "",
            client_id: "",
            message: "down",
        }
    }

    #[test]
    fn one_active_alert_per_condition() {
        let c = Catalog::open_in_memory().unwrap();
        assert!(c.raise_alert(&alert("a1", "k")).unwrap().is_some());
        assert!(
            c.raise_alert(&alert("a2", "k")).unwrap().is_none(),
            "no duplicate while active"
        );
        assert_eq!(c.list_alerts(Some(ALERT_ACTIVE), 1, 10).unwrap().0, 1);
        let r = c.resolve_alert("k").unwrap().unwrap();
        assert_eq!(
            (r.alert_id.as_str(), r.status.as_str()),
            ("a1", ALERT_RESOLVED)
        );
        assert!(c.resolve_alert("k").unwrap().is_none());
        assert!(
            c.raise_alert(&alert("a3", "k")).unwrap().is_some(),
            "raised again once resolved"
        );
        assert_eq!(c.list_alerts(None, 1, 10).unwrap().0, 2);
        assert!(c.acknowledge_alert("a3").unwrap().unwrap().acknowledged);
        assert!(c.acknowledge_alert("nope").unwrap().is_none());
    }
}
