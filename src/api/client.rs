//! Backup clients of this product (the real API has no plain equivalent).
use serde::{Deserialize, Serialize};

use super::Page;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase")]
pub struct BackupClient {
    pub client_id: String,
    pub client_name: String,
    pub vault_id: String,
    pub vault_region_id: String,
    /// FILE or SQLSERVER.
    pub client_type: String,
    pub status: String,
    pub created_time: i64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateBackupClientResponse {
    pub client_id: String,
    pub vault_id: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupClients {
    #[serde(default)]
    pub backup_client: Vec<BackupClient>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupClientsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub backup_clients: BackupClients,
}
