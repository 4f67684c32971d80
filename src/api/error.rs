//! Error codes of the dialect. The real service's names where it has them.

pub const MISSING_PARAMETER: &str = "MissingParameter";
pub const INVALID_PARAMETER: &str = "InvalidParameter";
pub const UNSUPPORTED_OPERATION: &str = "UnsupportedOperation";
pub const INVALID_ACTION: &str = "InvalidAction.NotFound";
pub const INVALID_VERSION: &str = "InvalidVersion";

pub const MISSING_SIGNATURE: &str = "MissingSignature";
pub const INVALID_ACCESS_KEY_ID: &str = "InvalidAccessKeyId.NotFound";
pub const SIGNATURE_DOES_NOT_MATCH: &str = "SignatureDoesNotMatch";
pub const SIGNATURE_NONCE_USED: &str = "SignatureNonceUsed";
pub const TIMESTAMP_EXPIRED: &str = "InvalidTimeStamp.Expired";
pub const INVALID_TIMESTAMP_FORMAT: &str = "InvalidTimeStamp.Format";
pub const UNSUPPORTED_SIGNATURE: &str = "IncompleteSignature";

pub const REGION_NOT_FOUND: &str = "InvalidRegionId.NotFound";
pub const VAULT_NOT_FOUND: &str = "VaultNotFound";
pub const CLIENT_NOT_FOUND: &str = "ClientNotFound";
pub const TASK_NOT_FOUND: &str = "TaskNotFound";
pub const JOB_NOT_FOUND: &str = "JobNotFound";
pub const SNAPSHOT_NOT_FOUND: &str = "SnapshotNotFound";
pub const INSTANCE_NOT_FOUND: &str = "SqlServerInstanceNotFound";

pub const CANNOT_DELETE_REPLICATION_SOURCE_VAULT: &str = "CannotDeleteReplicationSourceVault";
pub const VAULT_HAS_CLIENTS: &str = "VaultHasBackupClients";
pub const VAULT_HAS_INSTANCES: &str = "VaultHasSqlServerInstances";
pub const REPLICATION_VAULT_ALREADY_EXISTS: &str = "ReplicationVaultAlreadyExists";
pub const SAME_REGION_REPLICATION: &str = "InvalidReplicationRegion";
pub const SOURCE_IS_MIRROR: &str = "ReplicationSourceIsMirror";
pub const REPLICATION_TARGET_NOT_EMPTY: &str = "ReplicationTargetNotEmpty";
pub const ENCRYPT_TYPE_MISMATCH: &str = "EncryptTypeMismatch";
pub const CANNOT_BACKUP_TO_MIRROR: &str = "CannotBackupToMirrorVault";
pub const VAULT_NOT_READY: &str = "VaultNotReady";
pub const NOT_A_MIRROR: &str = "NotAReplicationVault";
pub const TARGET_EXISTS: &str = "RestoreTargetExists";
pub const DATABASE_EXISTS: &str = "DatabaseAlreadyExists";
pub const REGION_UNAVAILABLE: &str = "RegionUnavailable";
pub const JOB_NOT_CANCELABLE: &str = "JobNotCancelable";
/// 409: a prune of the vault is already running.
pub const PRUNE_RUNNING: &str = "PruneJobAlreadyRunning";
pub const WRONG_REGION: &str = "InstanceNotInMirrorRegion";
pub const SQLSERVER_ERROR: &str = "SqlServerError";
pub const KMS_KEY_NOT_FOUND: &str = "KmsKeyNotFound";
/// 400: `WormEnabled=true` (write once, read many) is not implemented yet, so it is refused
/// rather than accepted without protecting anything.
pub const WORM_NOT_SUPPORTED: &str = "WormNotSupported";
pub const INTERNAL_ERROR: &str = "InternalError";
pub const REQUEST_TOO_LARGE: &str = "RequestTooLarge";
