//! SDK users' scripts work unchanged (issue 16): a vault is usable when the call that made it
//! answers, `Filters` on the job lists, the SDKs' `SourceType` spellings, the Tea model's
//! `CreateRestoreJob` fields, the top-level `Clients[]`, and no silent acceptance of a
//! protection that is not given (WORM, retention, speed limits).
use mirrorvault::api::backup::*;
use mirrorvault::api::vault::*;

use crate::support::*;

/// Create, then back up at once, 20 times in a row: never 409 `VaultNotReady`. The same for
/// `CreateVault` + `CreateVaultReplication` and `CreateVault` + `CreateReplicationVault`.
#[tokio::test]
async fn a_vault_is_usable_when_the_call_that_made_it_answers() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 5, 3);
    let include = vec![src.path().display().to_string()];
    for i in 0..20 {
        let c = t.client.create_backup_client(&format!("quick-{i}"), "cn-hangzhou", None).await.unwrap();
        let v = t.client.vault(&c.vault_id).await.unwrap().unwrap();
        assert_eq!(v.status, STATUS_CREATED, "round {i}: the answer came before the vault was usable");
        let job = t.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await;
        let job = job.unwrap_or_else(|e| panic!("round {i}: backup right after CreateBackupClient: {e}"));
        assert_eq!(wait_backup(&t.client, &job.job_id).await.job.status, JOB_COMPLETE);
    }
    for i in 0..5 {
        let source = t.client.create_vault("cn-hangzhou", &format!("src-{i}"), "").await.unwrap();
        let target = t
            .client
            .send(&CreateVaultRequest { vault_name: format!("target-{i}"), vault_region_id: "cn-beijing".into(), replication: true, ..Default::default() })
            .await
            .unwrap();
        let mut req = CreateVaultReplicationRequest { replication_target_vault_id: target.vault_id.clone(), ..Default::default() };
        req.source.replication_source_vault_id = source.vault_id.clone();
        t.client.send(&req).await.unwrap_or_else(|e| panic!("round {i}: CreateVaultReplication right after CreateVault: {e}"));
        let other = t.client.create_vault("cn-hangzhou", &format!("other-{i}"), "").await.unwrap();
        let mut req = CreateReplicationVaultRequest { vault_name: format!("mirror-{i}"), vault_region_id: "cn-shanghai".into(), ..Default::default() };
        req.source.replication_source_vault_id = other.vault_id.clone();
        let m = t.client.send(&req).await.unwrap_or_else(|e| panic!("round {i}: CreateReplicationVault right after CreateVault: {e}"));
        assert_eq!(t.client.vault(&m.vault_id).await.unwrap().unwrap().status, STATUS_CREATED);
    }
}
