//! WORM (`WormEnabled`) through the real server: it can be set on CreateVault and UpdateVault,
//! DescribeVaults shows it, it is never turned off, it refuses every deletion path before a
//! snapshot's `ExpireTime` (DeleteSnapshot, DeleteVault; expiry only takes expired snapshots),
//! it is recorded in the vault's location and survives a lost catalog. The retention clock is
//! moved with the server's test knob (see `retention.rs`).
use mirrorvault::api::vault::*;
use mirrorvault::backend::retention::policy::DAY;

use super::retention::{backup_kept, snapshots};
use crate::support::*;

#[tokio::test]
async fn worm_refuses_every_deletion_path_and_cannot_be_disabled() {
    let t = TestServer::start().await;
    let src = tempfile::tempdir().unwrap();
    make_tree(src.path(), 8, 3);
    let created = t
        .client
        .send(&CreateVaultRequest { vault_name: "locked".into(), vault_region_id: "cn-hangzhou".into(), worm_enabled: Some(true), ..Default::default() })
        .await
        .unwrap();
    let vault_id = created.vault_id;
    let v = t.client.vault(&vault_id).await.unwrap().unwrap();
    assert!(v.worm_enabled && v.status == STATUS_CREATED, "{v:?}");
    let marker = t.dir.path().join(format!("regions/cn-hangzhou/vaults/{vault_id}/worm"));
    assert!(std::fs::read_to_string(&marker).unwrap().contains("\"worm_enabled\":true"), "the WORM marker is in the location");

    let c = t.client.create_backup_client("locked", "cn-hangzhou", Some(&vault_id)).await.unwrap();
    let (_, short) = backup_kept(&t, &vault_id, &c.client_id, src.path(), Some("1")).await;
    let (_, forever) = backup_kept(&t, &vault_id, &c.client_id, src.path(), None).await;

    // Never off; on again is a no-op.
    let off = UpdateVaultRequest { vault_id: vault_id.clone(), worm_enabled: Some(false), ..Default::default() };
    assert_eq!(code(&t.client.send(&off).await.unwrap_err()), ("WormCannotBeDisabled", 409));
    t.client.enable_worm(&vault_id).await.unwrap();
    assert!(t.client.vault(&vault_id).await.unwrap().unwrap().worm_enabled);

    // Not before ExpireTime: DeleteSnapshot, DeleteVault (once its client is gone).
    for s in [&short, &forever] {
        let e = t.client.delete_snapshot(&vault_id, s).await.unwrap_err();
        assert_eq!(code(&e), ("SnapshotWormProtected", 409), "{e}");
    }
    t.client.delete_backup_client(&c.client_id).await.unwrap();
    let e = t.client.delete_vault(&vault_id).await.unwrap_err();
    assert_eq!(code(&e), ("VaultWormProtected", 409), "{e}");
    // A vault-level retention is a mirror's only: refused here like everywhere but a mirror.
    assert_eq!(code(&t.client.set_mirror_retention(&vault_id, Some(1), None).await.unwrap_err()), ("InvalidParameter", 400));

    // Two days on: the 1-day snapshot may go (expiry takes it), the kept-forever one never.
    let state = &t.running().state;
    state.retention.set_clock_offset(2 * DAY);
    assert_eq!(mirrorvault::backend::retention::expire_all(state).await, 1);
    let ids: Vec<String> = snapshots(&t, &vault_id).await.into_iter().map(|s| s.snapshot_id).collect();
    assert_eq!(ids, vec![forever.clone()]);
    assert_eq!(code(&t.client.delete_snapshot(&vault_id, &forever).await.unwrap_err()), ("SnapshotWormProtected", 409));
    assert_eq!(code(&t.client.delete_vault(&vault_id).await.unwrap_err()), ("VaultWormProtected", 409));
    state.retention.set_clock_offset(0);

    // WORM turned on later on a plain vault; the catalog lost: the vault adopted from its
    // location is WORM again.
    let plain = t.vault("cn-beijing", "plain").await;
    assert!(!t.client.vault(&plain).await.unwrap().unwrap().worm_enabled);
    t.client.send(&UpdateVaultRequest { vault_id: plain.clone(), worm_enabled: Some(false), ..Default::default() }).await.unwrap();
    t.client.enable_worm(&plain).await.unwrap();
    assert!(t.dir.path().join(format!("regions/cn-beijing/vaults/{plain}/worm")).exists());
    let mut t = t;
    t.stop().await;
    for f in ["catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"] {
        let _ = std::fs::remove_file(t.dir.path().join(f));
    }
    let t = t.restart().await;
    wait_until(std::time::Duration::from_secs(20), "both vaults adopted WORM", || async {
        let a = t.client.vault(&vault_id).await.ok().flatten();
        let b = t.client.vault(&plain).await.ok().flatten();
        a.is_some_and(|v| v.worm_enabled) && b.is_some_and(|v| v.worm_enabled)
    })
    .await;
    let e = t.client.delete_snapshot(&vault_id, &forever).await.unwrap_err();
    assert_eq!(code(&e), ("SnapshotWormProtected", 409), "after adoption: {e}");
    assert_eq!(code(&t.client.delete_vault(&vault_id).await.unwrap_err()), ("VaultWormProtected", 409));
    // An empty WORM vault can go.
    t.client.delete_vault(&plain).await.unwrap();
}
