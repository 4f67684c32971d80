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

/// A backup client as the real API's top-level `Clients[]` names its fields (the Tea model's
/// `DescribeBackupClientsResponseBodyClients`). A client with a remote agent reports what its
/// agent last said (`agent_installed`); one without runs inside the backend, so `Hostname` is
/// the backend's host, `ClientVersion` the backend's version and `LastHeartBeatTime` the time of
/// the answer. `InstanceId` is the `ClientId`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "PascalCase", default)]
pub struct ClientInfo {
    pub client_id: String,
    /// FILE or SQLSERVER.
    pub client_type: String,
    pub status: String,
    pub hostname: String,
    pub client_version: String,
    pub max_client_version: String,
    pub last_heart_beat_time: i64,
    pub created_time: i64,
    pub updated_time: i64,
    pub instance_id: String,
    pub instance_name: String,
    /// PROTECTED once the client has a snapshot in its vault, else UNPROTECTED.
    pub backup_status: String,
    /// True once an agent runs (or ran) for this client: its jobs run on the agent's host, and
    /// `Status`, `Hostname`, `ClientVersion`, `OsType`, `ArchType`, `LastHeartBeatTime` are the
    /// agent's.
    pub agent_installed: bool,
    pub os_type: String,
    pub arch_type: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeBackupClientsResponse {
    #[serde(flatten)]
    pub page: Page,
    pub backup_clients: BackupClients,
    /// The same page in the real API's shape.
    #[serde(default)]
    pub clients: Vec<ClientInfo>,
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
        /// The Tea model's filters: only these clients (`InstanceIds` are our client ids too).
        client_ids: Vec<String> = "ClientIds" list,
        instance_ids: Vec<String> = "InstanceIds" list,
    }
}

crate::action! {
    pub struct DeleteBackupClientRequest: "DeleteBackupClient" -> serde_json::Value {
        client_id: String = "ClientId" required,
    }
}
