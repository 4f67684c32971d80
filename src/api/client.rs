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

// Requests.

crate::action! {
    /// Creates a backup client with its own new source vault, or attached to `vault_id`.
    pub struct CreateBackupClientRequest: "CreateBackupClient" -> CreateBackupClientResponse {
        client_name: String = "ClientName" bounded_required(1, crate::api::VAULT_NAME_MAX),
        /// Empty (FILE), FILE or SQLSERVER.
        client_type: String = "ClientType" text,
        vault_id: Option<String> = "VaultId" optional,
        /// The new vault's region; with `vault_id`, when given, must be that vault's region.
        vault_region_id: Option<String> = "VaultRegionId" optional,
        /// The new vault's description (bounded by the handler: only a new vault has one).
        description: String = "Description" raw_text,
        encryption: crate::api::vault::Encryption = "encryption" group,
    }
}

crate::action! {
    pub struct DescribeBackupClientsRequest: "DescribeBackupClients" -> DescribeBackupClientsResponse {
        paging: crate::api::Paging = "paging" group,
        vault_id: Option<String> = "VaultId" optional,
        client_id: Option<String> = "ClientId" optional,
    }
}

crate::action! {
    pub struct DeleteBackupClientRequest: "DeleteBackupClient" -> serde_json::Value {
        client_id: String = "ClientId" required,
    }
}
