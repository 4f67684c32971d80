use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Task {
    pub task_id: String,
    /// The real API's task name (the kind of work).
    #[serde(default)]
    pub name: String,
    pub description: String,
    /// `created`, `running`, `finished`, `failed` (lower case, as the real service).
    pub status: String,
    pub progress: i64,
    pub result: String,
    pub created_time: i64,
    pub updated_time: i64,
    pub completed_time: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeTaskResponse {
    #[serde(flatten)]
    pub task: Task,
}

crate::action! {
    pub struct DescribeTaskRequest: "DescribeTask" -> DescribeTaskResponse {
        task_id: String = "TaskId" required,
    }
}
