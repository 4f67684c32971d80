//! Reliability, scenarios 2 (region loss) and 3 (corruption), through the real server on real
//! local storage.
//!
//! * `flipped_byte_in_pack_index_or_manifest_is_named_contained_and_repaired`: one byte flipped
//!   (seeded: which object, which byte) in a pack, an index file and a manifest, alternately in
//!   the source and in the mirror. Verify names the damaged object, the snapshot and (for packs)
//!   the files; restore of affected files fails loudly while everything else restores byte for
//!   byte; RepairVaultFromMirror (source from mirror, and mirror from source) re-fetches the
//!   object, and verify is clean again. `MIRRORVAULT_CORRUPTION_SEED` picks other objects/bytes.
//! * `region_loss_restores_from_the_mirror`: region A's whole storage directory is deleted while
//!   the mirror is in sync: every snapshot restores from the mirror, the source vault turns
//!   `ERROR` with a message naming the missing data, backups into it are refused, and the other
//!   regions keep working.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::*;
use mirrorvault::client::Client;
use rand::{Rng, RngCore, SeedableRng};

fn write_random(path: &Path, len: usize, rng: &mut rand::rngs::StdRng) {
    let mut b = vec![0u8; len];
    rng.fill_bytes(&mut b);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b).unwrap();
}

async fn restore(c: &Client, vault: &str, snap: &str, target: &Path) -> mirrorvault::api::backup::RestoreJob {
    let r = c.create_restore_job(vault, snap, &target.display().to_string(), &[], true).await.unwrap();
    wait_restore(c, &r.restore_id).await
}

async fn verify(c: &Client, vault: &str) -> mirrorvault::api::backup::VerifyJob {
    let vj = c.create_verify_job(vault, None, true).await.unwrap();
    let v = wait_verify(c, &vj.job_id).await;
    assert_eq!(v.job.status, "COMPLETE", "{}", v.job.error_message);
    v
}

fn clean(v: &mirrorvault::api::backup::VerifyJob) -> bool {
    v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty() && v.damaged_files.is_empty()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Pack,
    Index,
    Manifest,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_byte_in_pack_index_or_manifest_is_named_contained_and_repaired() {
    let seed: u64 = std::env::var("MIRRORVAULT_CORRUPTION_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(7);
    eprintln!("corruption seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    // two snapshots of disjoint trees: each backup writes its own pack and index
    let (dir_a, dir_b) = (src.path().join("alpha"), src.path().join("beta"));
    for i in 0..5 {
        write_random(&dir_a.join(format!("a{i}.bin")), rng.gen_range(300_000..1_200_000), &mut rng);
        write_random(&dir_b.join(format!("sub/b{i}.bin")), rng.gen_range(300_000..1_200_000), &mut rng);
    }
    let c = t.client.create_backup_client("corrupt", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-beijing", "corrupt-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    let sa = backup(&t.client, &c.vault_id, &c.client_id, &[&dir_a]).await;
    let sb = backup(&t.client, &c.vault_id, &c.client_id, &[&dir_b]).await;
    let snaps: BTreeMap<String, PathBuf> = [(sa.clone(), dir_a.clone()), (sb.clone(), dir_b.clone())].into_iter().collect();
    wait_until(Duration::from_secs(30), "both snapshots in the mirror", || async {
        let have: Vec<_> = t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.into_iter().map(|s| s.snapshot_id).collect();
        have.contains(&sa) && have.contains(&sb)
    })
    .await;
    let vault_dir = |region: &str, id: &str| t.dir.path().join("regions").join(region).join("vaults").join(id);
    let copies = [("source", vault_dir("cn-hangzhou", &c.vault_id), c.vault_id.clone()), ("mirror", vault_dir("cn-beijing", &m.vault_id), m.vault_id.clone())];
    for (_, _, id) in &copies {
        assert!(clean(&verify(&t.client, id).await));
    }

    let out = tempfile::tempdir().unwrap();
    for (round, kind) in [Kind::Pack, Kind::Index, Kind::Manifest, Kind::Pack, Kind::Index, Kind::Manifest].into_iter().enumerate() {
        let (which, dir, damaged_id) = &copies[round % 2];
        let healthy_id = &copies[(round + 1) % 2].2;
        let sub = match kind {
            Kind::Pack => "data",
            Kind::Index => "index",
            Kind::Manifest => "snapshots",
        };
        let objects = files_under(&dir.join(sub));
        assert!(!objects.is_empty(), "{which} has no {sub} objects");
        let victim = objects[rng.gen_range(0..objects.len())].clone();
        let name = victim.file_name().unwrap().to_string_lossy().to_string();
        let mut bytes = std::fs::read(&victim).unwrap();
        let at = match kind {
            // inside the blobs (the encrypted pack header and its length trail them)
            Kind::Pack => {
                let hlen = u32::from_le_bytes(bytes[bytes.len() - 4..].try_into().unwrap()) as usize;
                rng.gen_range(0..bytes.len() - 4 - hlen)
            }
            _ => rng.gen_range(0..bytes.len()),
        };
        bytes[at] ^= 1 << rng.gen_range(0..8);
        std::fs::write(&victim, &bytes).unwrap();
        eprintln!("round {round}: flipped byte {at} of {which} {sub}/{name}");

        // verify names the object, the snapshot and (when the tree is readable) the files
        let v = verify(&t.client, damaged_id).await;
        assert!(v.damaged_objects.iter().any(|o| o.contains(&name)), "round {round} {kind:?}: {name} not named: {v:?}");
        assert_eq!(v.damaged_snapshots.len(), 1, "one snapshot is affected: {v:?}");
        let hit = v.damaged_snapshots[0].clone();
        if kind == Kind::Manifest {
            assert!(name.contains(&hit), "{v:?}");
        }
        if kind == Kind::Pack && !v.damaged_files.is_empty() {
            let root = &snaps[&hit];
            assert!(v.damaged_files.iter().all(|f| Path::new(f).starts_with(root)), "{v:?}");
        }
        if kind == Kind::Pack {
            assert!(!v.damaged_files.is_empty(), "a flipped byte inside a blob damages a file (or the tree): {v:?}");
        }

        // restores: the damaged snapshot fails loudly and never writes wrong bytes; the other is whole
        for (sid, root) in &snaps {
            let target = out.path().join(format!("r{round}-{sid}"));
            let j = restore(&t.client, damaged_id, sid, &target).await;
            if *sid == hit {
                assert_eq!(j.job.status, "FAILED", "round {round} {kind:?}: restore of the damaged snapshot from the {which}");
                assert!(!j.job.error_message.is_empty());
                for f in files_under(root) {
                    let shown = f.display().to_string();
                    let restored = rerooted(&target, &f);
                    if v.damaged_files.contains(&shown) {
                        assert!(j.job.error_message.contains(&shown) || j.failed_files.iter().any(|x| x.contains(&shown)), "{shown} not named: {}", j.job.error_message);
                        assert!(std::fs::read(&restored).map(|b| b != std::fs::read(&f).unwrap()).unwrap_or(true) || !restored.exists(), "{shown}");
                        assert!(!restored.exists(), "damaged file {shown} was written");
                    } else if restored.exists() {
                        assert_eq!(std::fs::read(&restored).unwrap(), std::fs::read(&f).unwrap(), "{shown} restored with wrong bytes");
                    } else {
                        // the whole snapshot is unreadable (manifest, index or tree damaged)
                        assert!(kind != Kind::Pack || v.damaged_files.is_empty(), "unaffected {shown} was not restored: {}", j.job.error_message);
                    }
                }
            } else {
                assert_eq!(j.job.status, "COMPLETE", "round {round}: the unaffected snapshot restores: {}", j.job.error_message);
                assert_trees_equal_content_mode_mtime(root, &rerooted(&target, root));
            }
        }

        // repair from the other copy, verified by hash; then everything is clean and whole
        let r = t.client.repair_vault_from_mirror(damaged_id).await.unwrap();
        assert!(r.repaired_objects.iter().any(|o| o.contains(&name)), "round {round}: {name} not repaired: {:?}", r.repaired_objects);
        let v = verify(&t.client, damaged_id).await;
        assert!(clean(&v), "round {round}: after repair {v:?}");
        assert!(clean(&verify(&t.client, healthy_id).await));
        for (sid, root) in &snaps {
            let target = out.path().join(format!("fixed{round}-{sid}"));
            let j = restore(&t.client, damaged_id, sid, &target).await;
            assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
            assert_trees_equal_content_mode_mtime(root, &rerooted(&target, root));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn region_loss_restores_from_the_mirror() {
    let t = TestServer::start_with(Duration::from_secs(3600)).await;
    let src = tempfile::tempdir().unwrap();
    let data = src.path().join("data");
    make_tree(&data, 31, 20);
    let c = t.client.create_backup_client("lost", "cn-hangzhou", None).await.unwrap();
    t.wait_created(&c.vault_id).await;
    let m = t.client.create_replication_vault(&c.vault_id, "cn-hangzhou", "cn-shanghai", "lost-dr", "").await.unwrap();
    t.wait_created(&m.vault_id).await;
    // snapshots of three states of the tree, each kept for comparison
    let keep = tempfile::tempdir().unwrap();
    let mut snaps = Vec::new();
    for i in 0..3 {
        std::fs::write(data.join(format!("state-{i}.txt")), format!("state {i}")).unwrap();
        let s = backup(&t.client, &c.vault_id, &c.client_id, &[&data]).await;
        let copy = keep.path().join(&s);
        assert!(std::process::Command::new("cp").arg("-a").arg(&data).arg(&copy).status().unwrap().success());
        snaps.push((s, copy));
    }
    wait_until(Duration::from_secs(30), "the mirror IN_SYNC with 3 snapshots", || async { t.client.vault(&m.vault_id).await.unwrap().unwrap().replication_status == "IN_SYNC" && t.client.describe_snapshots(&m.vault_id).await.unwrap().snapshots.snapshot.len() == 3 }).await;
    // an unrelated vault in a third region
    let other = t.client.create_backup_client("other", "cn-beijing", None).await.unwrap();
    t.wait_created(&other.vault_id).await;

    // region A's storage location is gone, entirely
    std::fs::remove_dir_all(t.dir.path().join("regions/cn-hangzhou")).unwrap();

    // every snapshot restores from the mirror
    let out = tempfile::tempdir().unwrap();
    for (i, (s, copy)) in snaps.iter().enumerate() {
        let target = out.path().join(format!("m{i}"));
        let j = restore(&t.client, &m.vault_id, s, &target).await;
        assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
        assert_trees_equal_content_mode_mtime(copy, &rerooted(&target, &data));
    }
    let v = verify(&t.client, &m.vault_id).await;
    assert!(clean(&v), "{v:?}");

    // the source says what happened
    wait_until(Duration::from_secs(30), "the source vault in ERROR", || async { t.client.vault(&c.vault_id).await.unwrap().unwrap().status == "ERROR" }).await;
    let source = t.client.vault(&c.vault_id).await.unwrap().unwrap();
    assert!(source.vault_status_message.contains("missing") && source.vault_status_message.contains("cn-hangzhou"), "{}", source.vault_status_message);
    assert!(source.vault_status_message.contains(&m.vault_id), "the message points at the mirror: {}", source.vault_status_message);
    let e = t.client.create_backup_job(&c.vault_id, &c.client_id, &[data.display().to_string()], &[]).await.unwrap_err();
    assert_eq!(e.code(), Some("VaultNotReady"), "{e}");
    // the mirror is fine
    let mirror = t.client.vault(&m.vault_id).await.unwrap().unwrap();
    assert_eq!(mirror.status, "CREATED");

    // the backend keeps serving the other regions, including writes
    t.client.health().await.unwrap();
    let s = backup(&t.client, &other.vault_id, &other.client_id, &[&data]).await;
    let target = out.path().join("other");
    let j = restore(&t.client, &other.vault_id, &s, &target).await;
    assert_eq!(j.job.status, "COMPLETE", "{}", j.job.error_message);
    assert_trees_equal_content_mode_mtime(&data, &rerooted(&target, &data));
    // a new vault in the lost region can be created again (the location is recreated)
    let again = t.client.create_vault("cn-hangzhou", "after-loss", "").await.unwrap();
    t.wait_created(&again.vault_id).await;
}
