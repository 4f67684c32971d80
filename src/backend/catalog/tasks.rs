use rusqlite::{params, OptionalExtension};

use super::{now, Catalog, CatalogResult};

#[derive(Clone, Debug, Default)]
pub struct TaskRow {
    pub task_id: String,
    pub description: String,
    pub status: String,
    pub progress: i64,
    pub result: String,
    pub created_time: i64,
    pub updated_time: i64,
    pub completed_time: i64,
}

impl Catalog {
    pub fn insert_task(&self, task_id: &str, description: &str) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "INSERT INTO tasks (task_id, description, status, created_time, updated_time) VALUES (?1, ?2, 'running', ?3, ?3)",
            params![task_id, description, t],
        )?;
        Ok(())
    }

    /// Ends a task: `finished` with progress 100, or `failed` with the reason in `result`.
    pub fn finish_task(&self, task_id: &str, ok: bool, result: &str) -> CatalogResult<()> {
        let t = now();
        self.conn().execute(
            "UPDATE tasks SET status = ?2, progress = CASE WHEN ?3 THEN 100 ELSE progress END, result = ?4, updated_time = ?5, completed_time = ?5 \
             WHERE task_id = ?1",
            params![task_id, if ok { "finished" } else { "failed" }, ok, result, t],
        )?;
        Ok(())
    }

    pub fn task(&self, task_id: &str) -> CatalogResult<Option<TaskRow>> {
        Ok(self.read()
            .query_row(
                "SELECT task_id, description, status, progress, result, created_time, updated_time, completed_time FROM tasks WHERE task_id = ?1",
                [task_id],
                |r| {
                    Ok(TaskRow {
                        task_id: r.get(0)?,
                        description: r.get(1)?,
                        status: r.get(2)?,
                        progress: r.get(3)?,
                        result: r.get(4)?,
                        created_time: r.get(5)?,
                        updated_time: r.get(6)?,
                        completed_time: r.get(7)?,
                    })
                },
            )
            .optional()?)
    }

    /// Tasks left `running` by a previous process are failed at start-up.
    pub fn fail_interrupted_tasks(&self) -> CatalogResult<usize> {
        Ok(self.conn().execute(
            "UPDATE tasks SET status = 'failed', result = 'interrupted by a backend restart', completed_time = ?1 WHERE status = 'running'",
            [now()],
        )?)
    }
}
