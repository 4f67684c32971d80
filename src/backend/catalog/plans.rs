//! Backup plans: what a plan backs up, its schedule (start, interval, the next run time the
//! scheduler keeps here so it survives restarts), its retention and its latest run.
use rusqlite::{params, OptionalExtension, Row};

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanRow {
    pub plan_id: String,
    pub plan_name: String,
    pub vault_id: String,
    /// `FILE` or `SQLSERVER`.
    pub source_type: String,
    /// The backup client (FILE) or the SQL Server instance's `ClusterId` (SQLSERVER).
    pub client_id: String,
    /// FILE: absolute paths; SQLSERVER: database names.
    pub paths: Vec<String>,
    pub excludes: Vec<String>,
    /// As given: `I|{start}|{duration}`.
    pub schedule: String,
    pub start_time: i64,
    pub interval_secs: i64,
    pub retention_days: Option<i64>,
    pub keep_latest: bool,
    /// JSON list of rules (`RetentionRule`s).
    pub retention_rules: String,
    /// Normalised `start|end|KiB/s` windows joined by `,`; empty = unlimited.
    pub speed_limit: String,
    pub disabled: bool,
    pub next_run_time: i64,
    pub latest_execute_job_id: String,
    pub created_time: i64,
    pub updated_time: i64,
}

const COLS: &str = "plan_id, plan_name, vault_id, source_type, client_id, paths, excludes, schedule, start_time, interval_secs, retention_days, \
                    keep_latest, retention_rules, speed_limit, disabled, next_run_time, latest_execute_job_id, created_time, updated_time";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PlanRow> {
    let list = |i: usize| -> rusqlite::Result<Vec<String>> { Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or_default()) };
    Ok(PlanRow {
        plan_id: r.get(0)?,
        plan_name: r.get(1)?,
        vault_id: r.get(2)?,
        source_type: r.get(3)?,
        client_id: r.get(4)?,
        paths: list(5)?,
        excludes: list(6)?,
        schedule: r.get(7)?,
        start_time: r.get(8)?,
        interval_secs: r.get(9)?,
        retention_days: r.get(10)?,
        keep_latest: r.get::<_, i64>(11)? != 0,
        retention_rules: r.get(12)?,
        speed_limit: r.get(13)?,
        disabled: r.get::<_, i64>(14)? != 0,
        next_run_time: r.get(15)?,
        latest_execute_job_id: r.get(16)?,
        created_time: r.get(17)?,
        updated_time: r.get(18)?,
    })
}

fn json(v: &[String]) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Catalog {
    /// Inserts a plan (its times are set here). A duplicate name in the vault and source type
    /// is a constraint error (`is_constraint`).
    pub fn insert_plan(&self, p: &PlanRow) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            &format!("INSERT INTO plans ({COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)"),
            params![
                p.plan_id, p.plan_name, p.vault_id, p.source_type, p.client_id, json(&p.paths), json(&p.excludes), p.schedule, p.start_time,
                p.interval_secs, p.retention_days, p.keep_latest as i64, p.retention_rules, p.speed_limit, p.disabled as i64, p.next_run_time,
                p.latest_execute_job_id, t
            ],
        )?;
        Ok(())
    }

    /// Writes a plan's settings (everything but its id, vault, source type, client, latest
    /// run and created time). False when the plan does not exist.
    pub fn update_plan(&self, p: &PlanRow) -> CatalogResult<bool> {
        let n = self.conn().execute(
            "UPDATE plans SET plan_name = ?2, paths = ?3, excludes = ?4, schedule = ?5, start_time = ?6, interval_secs = ?7, retention_days = ?8, \
             keep_latest = ?9, retention_rules = ?10, speed_limit = ?11, disabled = ?12, next_run_time = ?13, updated_time = ?14 WHERE plan_id = ?1",
            params![
                p.plan_id, p.plan_name, json(&p.paths), json(&p.excludes), p.schedule, p.start_time, p.interval_secs, p.retention_days,
                p.keep_latest as i64, p.retention_rules, p.speed_limit, p.disabled as i64, p.next_run_time, now()
            ],
        )?;
        Ok(n == 1)
    }

    pub fn plan(&self, plan_id: &str) -> CatalogResult<Option<PlanRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM plans WHERE plan_id = ?1"))?;
        Ok(stmt.query_row([plan_id], from_row).optional()?)
    }

    /// Every plan, oldest first.
    pub fn list_plans(&self) -> CatalogResult<Vec<PlanRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM plans ORDER BY created_time, plan_id"))?;
        let rows = stmt.query_map([], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Enabled plans whose next run time has come (`next_run_time <= at`).
    pub fn due_plans(&self, at: i64) -> CatalogResult<Vec<PlanRow>> {
        let conn = self.read();
        let mut stmt = conn.prepare_cached(&format!("SELECT {COLS} FROM plans WHERE disabled = 0 AND next_run_time <= ?1 ORDER BY next_run_time, plan_id"))?;
        let rows = stmt.query_map([at], from_row)?.collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Deletes a plan; its jobs and snapshots stay. False when it did not exist.
    pub fn delete_plan(&self, plan_id: &str) -> CatalogResult<bool> {
        Ok(self.conn().execute("DELETE FROM plans WHERE plan_id = ?1", [plan_id])? == 1)
    }

    pub fn set_plan_disabled(&self, plan_id: &str, disabled: bool, next_run_time: i64) -> CatalogResult<bool> {
        let n = self.conn().execute(
            "UPDATE plans SET disabled = ?2, next_run_time = ?3, updated_time = ?4 WHERE plan_id = ?1",
            params![plan_id, disabled as i64, next_run_time, now()],
        )?;
        Ok(n == 1)
    }

    /// The scheduler moved the plan to its next slot (not `updated_time`: no setting changed).
    pub fn set_plan_next_run(&self, plan_id: &str, next_run_time: i64) -> CatalogResult<()> {
        self.conn().execute("UPDATE plans SET next_run_time = ?2 WHERE plan_id = ?1", params![plan_id, next_run_time])?;
        Ok(())
    }

    pub fn set_plan_latest_job(&self, plan_id: &str, job_id: &str) -> CatalogResult<()> {
        self.conn().execute("UPDATE plans SET latest_execute_job_id = ?2 WHERE plan_id = ?1", params![plan_id, job_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(id: &str, name: &str) -> PlanRow {
        PlanRow {
            plan_id: id.into(),
            plan_name: name.into(),
            vault_id: "v-1".into(),
            source_type: "FILE".into(),
            client_id: "c-1".into(),
            paths: vec!["/data".into()],
            schedule: "I|100|PT1M".into(),
            start_time: 100,
            interval_secs: 60,
            retention_rules: "[]".into(),
            next_run_time: 100,
            ..PlanRow::default()
        }
    }

    #[test]
    fn plans_round_trip_names_are_unique_and_due_skips_disabled() {
        let c = Catalog::open_in_memory().unwrap();
        c.conn()
            .execute("INSERT INTO vaults (vault_id, vault_name, region_id, status, encrypt_type, created_time, updated_time) VALUES ('v-1','v','r','CREATED','HBR_PRIVATE',0,0)", [])
            .unwrap();
        c.insert_plan(&plan("p-1", "daily")).unwrap();
        assert!(c.insert_plan(&plan("p-2", "daily")).unwrap_err().is_constraint());
        c.insert_plan(&PlanRow { retention_days: Some(7), keep_latest: true, ..plan("p-2", "hourly") }).unwrap();
        let p = c.plan("p-2").unwrap().unwrap();
        assert_eq!((p.retention_days, p.keep_latest, p.paths.clone()), (Some(7), true, vec!["/data".to_string()]));
        assert_eq!(c.due_plans(100).unwrap().len(), 2);
        assert!(c.set_plan_disabled("p-1", true, 0).unwrap());
        assert_eq!(c.due_plans(100).unwrap().iter().map(|p| p.plan_id.as_str()).collect::<Vec<_>>(), ["p-2"]);
        c.set_plan_next_run("p-2", 160).unwrap();
        assert!(c.due_plans(100).unwrap().is_empty());
        assert!(c.delete_plan("p-1").unwrap());
        assert!(!c.delete_plan("p-1").unwrap());
        assert_eq!(c.list_plans().unwrap().len(), 1);
    }
}
