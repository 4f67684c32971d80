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
pub const PLAN_NOT_FOUND: &str = "PlanNotFound";
/// 404: `BrowseFiles` `AbsolutePath` is not in the snapshot.
pub const PATH_NOT_FOUND: &str = "PathNotFound";
pub const ALERT_NOT_FOUND: &str = "AlertNotFound";
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
/// Formerly answered to `WormEnabled=true` before WORM existed; no longer sent (kept: wire
/// names are never removed).
pub const WORM_NOT_SUPPORTED: &str = "WormNotSupported";
/// 409: another plan of the vault and source type has this `PlanName`.
pub const PLAN_NAME_EXISTS: &str = "PlanNameAlreadyExists";
/// 409: `DeleteBackupPlan RequireNoRunningJobs=true` while a run of the plan is in progress.
pub const PLAN_JOB_RUNNING: &str = "PlanJobRunning";
/// 409: `WormEnabled=false` on a WORM vault: WORM is never turned off.
pub const WORM_CANNOT_BE_DISABLED: &str = "WormCannotBeDisabled";
/// 409: `DeleteSnapshot` of a snapshot of a WORM vault before its `ExpireTime`.
pub const SNAPSHOT_WORM_PROTECTED: &str = "SnapshotWormProtected";
/// 409: `DeleteVault` of a WORM vault that holds a snapshot that has not expired.
pub const VAULT_WORM_PROTECTED: &str = "VaultWormProtected";
/// 409: a change that would lower the `ExpireTime` of a snapshot in a WORM vault.
pub const WORM_RETENTION_CANNOT_BE_SHORTENED: &str = "WormRetentionCannotBeShortened";
/// 409: `DeleteSnapshot` while a restore (or verify) of the snapshot runs.
pub const SNAPSHOT_IN_USE: &str = "SnapshotInUse";
/// A client-scoped agent key used for something other than its own client's agent work.
pub const AGENT_KEY_FORBIDDEN: &str = "Forbidden.AgentKey";
/// An agent's call on a job that is not (or no longer) running on it.
pub const AGENT_JOB_NOT_RUNNING: &str = "AgentJobNotRunning";
/// An agent's upload that is not a well-formed pack or index file of its job.
pub const AGENT_UPLOAD_REFUSED: &str = "AgentUploadRefused";
pub const INTERNAL_ERROR: &str = "InternalError";
pub const REQUEST_TOO_LARGE: &str = "RequestTooLarge";
