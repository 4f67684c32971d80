//! Damaged packs: verify names them, restore skips affected files, repair re-fetches them. In
//! every location kind: the damage is done to the object's file on disk (the local directory,
//! or the S3 server's file behind the object).

use std::fs;
use std::path::{Path, PathBuf};

use mirrorvault::backend::storage::*;

use crate::support::fixtures::{random_bytes, write};
use crate::support::store::{new_repo, progress, req, restore_req, Kind, Locations};
use crate::support::tree::{assert_trees_equal_content_mode_mtime, rerooted};

location_suite!(flipped_byte_is_detected_restored_around_and_repaired, missing_pack_and_corrupt_manifest);

/// Source tree of 6 incompressible 4 MiB files (spread over two packs).
fn build(src: &Path) -> Vec<PathBuf> {
    (0..6)
        .map(|i| {
            let p = src.join(format!("f{i}.bin"));
            write(&p, &random_bytes(4 << 20, 100 + i));
            p
        })
        .collect()
}

fn flip_byte(path: &Path, at: usize) {
    let mut data = fs::read(path).unwrap();
    data[at] ^= 0x55;
    fs::write(path, data).unwrap();
}

async fn flipped_byte_is_detected_restored_around_and_repaired(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir, mirdir) = (tmp.path().join("src"), locs.location("loc"), locs.location("mirror"));
    let files = build(&src);
    let master = MasterKey::generate();
    let repo = new_repo(&locdir.open(), "v1", &master).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    let clean = repo.verify(None, true, progress()).await.unwrap();
    assert!(clean.damaged_objects.is_empty() && clean.damaged_files.is_empty(), "{clean:?}");
    assert!(clean.bytes_read > 20 << 20);

    // Mirror before the damage (for repair).
    let mirror = Repo::create(&mirdir.open(), "v1-mirror", &master, repo.data_key(), "HBR_PRIVATE", None).await.unwrap();
    repo.copy_snapshot_to(&mirror, "s1", 0, progress()).await.unwrap();

    let packs = locdir.pack_files("v1");
    assert!(packs.len() >= 2, "{packs:?}");
    let victim = &packs[0];
    let victim_id = victim.file_name().unwrap().to_string_lossy().into_owned();
    flip_byte(victim, 1000);

    let repo = Repo::open(&locdir.open(), "v1", &master).await.unwrap();
    let report = repo.verify(Some("s1"), true, progress()).await.unwrap();
    assert!(report.damaged_objects.iter().any(|o| o.contains(&victim_id)), "{report:?}");
    assert_eq!(report.damaged_snapshots, vec!["s1"]);
    assert!(!report.damaged_files.is_empty() && report.damaged_files.len() < files.len(), "{report:?}");
    // Without reading data the pack looks present.
    let quick = repo.verify(Some("s1"), false, progress()).await.unwrap();
    assert!(quick.damaged_objects.is_empty());

    let target = tmp.path().join("t");
    let stats = repo.restore(restore_req("s1", &target), progress()).await.unwrap();
    assert_eq!(stats.failed_files.len(), report.damaged_files.len(), "{stats:?}");
    assert!(stats.failed_files.iter().all(|f| f.contains(&victim_id)), "{stats:?}");
    for f in &files {
        let restored = rerooted(&target, f);
        let damaged = report.damaged_files.iter().any(|d| Path::new(d) == f.as_path());
        if damaged {
            assert!(!restored.exists(), "damaged file {} was written", f.display());
        } else {
            assert_eq!(fs::read(&restored).unwrap(), fs::read(f).unwrap());
        }
    }
    // No temporary leftovers.
    let leftovers: Vec<_> = fs::read_dir(rerooted(&target, &src)).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("mvpart")).collect();
    assert!(leftovers.is_empty());

    // Repair from the mirror.
    let repaired = repo.repair_from(&mirror).await.unwrap();
    assert!(repaired.iter().any(|o| o.contains(&victim_id)), "{repaired:?}");
    let after = repo.verify(None, true, progress()).await.unwrap();
    assert!(after.damaged_objects.is_empty() && after.damaged_snapshots.is_empty(), "{after:?}");
    let t2 = tmp.path().join("t2");
    let stats = repo.restore(restore_req("s1", &t2), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty());
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&t2, &src));
}

async fn missing_pack_and_corrupt_manifest(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, locdir, mirdir) = (tmp.path().join("src"), locs.location("loc"), locs.location("mirror"));
    build(&src);
    let master = MasterKey::generate();
    let repo = new_repo(&locdir.open(), "v1", &master).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    let mirror = Repo::create(&mirdir.open(), "m1", &master, repo.data_key(), "HBR_PRIVATE", None).await.unwrap();
    repo.copy_snapshot_to(&mirror, "s1", 0, progress()).await.unwrap();

    let packs = locdir.pack_files("v1");
    fs::remove_file(&packs[1]).unwrap();
    flip_byte(&locdir.dir().join("vaults/v1/snapshots/s1"), 20);
    let repo = Repo::open(&locdir.open(), "v1", &master).await.unwrap();
    let report = repo.verify(None, false, progress()).await.unwrap();
    assert_eq!(report.damaged_snapshots, vec!["s1"]);
    assert!(report.damaged_objects.contains(&"snapshots/s1".to_string()), "{report:?}");
    assert!(repo.list_snapshots().await.unwrap().is_empty());
    assert!(matches!(repo.load_snapshot("s1").await, Err(StorageError::Crypto { .. })));

    let repaired = repo.repair_from(&mirror).await.unwrap();
    assert!(repaired.contains(&"snapshots/s1".to_string()), "{repaired:?}");
    let after = repo.verify(None, true, progress()).await.unwrap();
    assert!(after.damaged_objects.is_empty(), "{after:?}");
    let target = tmp.path().join("t");
    repo.restore(restore_req("s1", &target), progress()).await.unwrap();
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
}
