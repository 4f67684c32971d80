//! Replication to a mirror vault in another location of the same kind.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::time::Instant;

use mirrorvault::backend::storage::*;

use crate::support::fixtures::{random_bytes, write};
use crate::support::store::{new_repo, progress, req, restore_req, Kind, Locations};
use crate::support::tree::{assert_trees_equal_content_mode_mtime, files_under, rerooted};

location_suite!(copy_resume_and_survive_source_loss, damaged_source_pack_is_never_copied, snapshots_copied_in_one_transfer, many_index_files_taken_a_few_at_a_time);

async fn copy_resume_and_survive_source_loss(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, a_dir, b_dir) = (tmp.path().join("src"), locs.location("region-a"), locs.location("region-b"));
    for i in 0..5 {
        write(&src.join(format!("f{i}.bin")), &random_bytes(8 << 20, i));
    }
    write(&src.join("small.txt"), b"small");
    let master = MasterKey::generate();
    let source = new_repo(&a_dir.open(), "vault-src", &master).await;
    source.backup(req("s1", &[&src]), progress()).await.unwrap();

    let wrong = new_repo(&b_dir.open(), "other", &master).await;
    assert!(source.copy_snapshot_to(&wrong, "s1", 0, progress()).await.is_err());

    let mirror = Repo::create(&b_dir.open(), "vault-mirror", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    let missing = source.bytes_missing_in(&mirror, "s1").await.unwrap();
    assert!(missing > 40 << 20);
    // A second snapshot of the same tree shares the first's data packs: alone it would move
    // them again, copied after the first only its own tree.
    source.backup(req("s1-again", &[&src]), progress()).await.unwrap();
    let alone = source.bytes_missing_in(&mirror, "s1-again").await.unwrap();
    assert!(alone > missing, "{alone} {missing}");
    let each = source.bytes_missing_in_each(&mirror, &["s1", "s1-again"]).await.unwrap();
    assert_eq!(each[0], missing);
    assert!(each[1] < 64 << 10 && each[1] > 0, "{each:?}");
    let stats = source.copy_snapshot_to(&mirror, "s1", 0, progress()).await.unwrap();
    assert!(stats.packs_copied >= 2 && stats.packs_skipped == 0, "{stats:?}");
    assert_eq!(stats.bytes_copied, missing);
    assert_eq!(source.bytes_missing_in(&mirror, "s1").await.unwrap(), 0);

    // Interrupted copy: one pack and the manifest never arrived.
    let packs = b_dir.pack_files("vault-mirror");
    fs::remove_file(&packs[0]).unwrap();
    fs::remove_file(b_dir.dir().join("vaults/vault-mirror/snapshots/s1")).unwrap();
    let mirror = Repo::open(&b_dir.open(), "vault-mirror", &master).await.unwrap();
    assert!(mirror.list_snapshots().await.unwrap().is_empty());
    let stats = source.copy_snapshot_to(&mirror, "s1", 0, progress()).await.unwrap();
    assert_eq!(stats.packs_copied, 1, "{stats:?}");
    assert!(stats.packs_skipped > 0, "{stats:?}");

    // Rate limit: ~16 MiB at 40 MiB/s takes at least ~0.3 s.
    let mirror2 = Repo::create(&b_dir.open(), "vault-mirror2", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    let t0 = Instant::now();
    let stats = source.copy_snapshot_to(&mirror2, "s1", 40 << 20, progress()).await.unwrap();
    let expected = stats.bytes_copied as f64 / (40u64 << 20) as f64;
    assert!(t0.elapsed().as_secs_f64() >= expected * 0.8, "{:?} < {expected}", t0.elapsed());

    // The source region disappears entirely.
    drop(source);
    fs::remove_dir_all(a_dir.dir()).unwrap();
    let mirror = Repo::open(&b_dir.open(), "vault-mirror", &master).await.unwrap();
    let snaps = mirror.list_snapshots().await.unwrap();
    assert_eq!(snaps.len(), 1);
    assert_eq!(snaps[0].vault_id, "vault-src");
    let report = mirror.verify(None, true, progress()).await.unwrap();
    assert!(report.damaged_objects.is_empty(), "{report:?}");
    let target = tmp.path().join("t");
    let stats = mirror.restore(restore_req("s1", &target), progress()).await.unwrap();
    assert!(stats.failed_files.is_empty());
    assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
    assert!(mirror.storage_size().await.unwrap() > 40 << 20);
}

/// A pack damaged in the source is refused by the copy (kernel-copy path and rate-limited
/// streaming path alike) and never appears in the mirror; the mirror's listing never shows
/// a staging file.
async fn damaged_source_pack_is_never_copied(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, a_dir, b_dir) = (tmp.path().join("src"), locs.location("region-a"), locs.location("region-b"));
    write(&src.join("big.bin"), &random_bytes(3 << 20, 9));
    let master = MasterKey::generate();
    let source = new_repo(&a_dir.open(), "vault-src", &master).await;
    source.backup(req("s1", &[&src]), progress()).await.unwrap();
    let packs = a_dir.pack_files("vault-src");
    assert_eq!(packs.len(), 1);
    let mut bytes = fs::read(&packs[0]).unwrap();
    bytes[1000] ^= 0x40;
    fs::write(&packs[0], &bytes).unwrap();

    for (i, rate) in [0u64, 1 << 30].into_iter().enumerate() {
        let name = format!("vault-mirror{i}");
        let mirror = Repo::create(&b_dir.open(), &name, &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
        let err = source.copy_snapshot_to(&mirror, "s1", rate, progress()).await.unwrap_err();
        assert!(err.to_string().contains("do not match"), "rate {rate}: {err}");
        assert!(b_dir.pack_files(&name).is_empty(), "rate {rate}: a damaged pack reached the mirror");
        assert!(mirror.list_snapshots().await.unwrap().is_empty());
        let leftovers: Vec<_> = files_under(&b_dir.dir().join("vaults").join(&name)).into_iter().filter(|p| p.to_string_lossy().contains('#')).collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

/// The index files of a vault's `vault` (their names).
fn index_names(objects: &Path, vault: &str) -> BTreeSet<String> {
    fs::read_dir(objects.join("vaults").join(vault).join("index"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Several snapshots in one transfer: each snapshot's share of what moved (as
/// `bytes_missing_in_each` predicted), their manifests, and the source's index files taken
/// whole (the same names in the mirror). An index file gone behind the source's back (a prune
/// of another open repo) is rebuilt from the source's index instead; either mirror restores.
async fn snapshots_copied_in_one_transfer(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, a_dir, b_dir) = (tmp.path().join("src"), locs.location("region-a"), locs.location("region-b"));
    for i in 0..3 {
        write(&src.join(format!("f{i}.bin")), &random_bytes(6 << 20, 10 + i));
    }
    for i in 0..300 {
        write(&src.join(format!("small/{i}.txt")), format!("small file {i}").as_bytes());
    }
    let master = MasterKey::generate();
    let source = new_repo(&a_dir.open(), "vault-src", &master).await;
    source.backup(req("s1", &[&src]), progress()).await.unwrap();
    write(&src.join("f0.bin"), &random_bytes(6 << 20, 99));
    source.backup(req("s2", &[&src]), progress()).await.unwrap();

    let mirror = Repo::create(&b_dir.open(), "vault-mirror", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    let expected = source.bytes_missing_in_each(&mirror, &["s1", "s2"]).await.unwrap();
    let each = source.copy_snapshots_to(&mirror, &["s1", "s2"], 0, progress()).await.unwrap();
    assert_eq!(each.iter().map(|(s, _)| s.bytes_copied).collect::<Vec<_>>(), expected);
    assert_eq!(each.iter().map(|(_, m)| m.snapshot_id.as_str()).collect::<Vec<_>>(), ["s1", "s2"]);
    assert!(each[1].0.bytes_copied >= 6 << 20 && each[1].0.packs_skipped == 0, "{:?}", each[1].0);
    let (src_index, mirror_index) = (index_names(a_dir.dir(), "vault-src"), index_names(b_dir.dir(), "vault-mirror"));
    assert!(!mirror_index.is_empty() && mirror_index == src_index, "{mirror_index:?} vs {src_index:?}");
    // Nothing left to move.
    assert_eq!(source.bytes_missing_in_each(&mirror, &["s1", "s2"]).await.unwrap(), vec![0, 0]);

    // One of the source's index files vanishes behind its back.
    let gone = src_index.iter().next().unwrap();
    fs::remove_file(a_dir.dir().join("vaults/vault-src/index").join(gone)).unwrap();
    let mirror2 = Repo::create(&b_dir.open(), "vault-mirror2", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    let each = source.copy_snapshots_to(&mirror2, &["s1", "s2"], 0, progress()).await.unwrap();
    assert_eq!(each.iter().map(|(s, _)| s.bytes_copied).collect::<Vec<_>>(), expected);
    let names2 = index_names(b_dir.dir(), "vault-mirror2");
    assert!(!names2.contains(gone), "a vanished index file cannot be copied");

    for vault in ["vault-mirror", "vault-mirror2"] {
        let m = Repo::open(&b_dir.open(), vault, &master).await.unwrap();
        assert_eq!(m.list_snapshots().await.unwrap().len(), 2, "{vault}");
        let report = m.verify(None, true, progress()).await.unwrap();
        assert!(report.damaged_objects.is_empty(), "{vault}: {report:?}");
        let target = tmp.path().join(format!("t-{vault}"));
        let stats = m.restore(restore_req("s2", &target), progress()).await.unwrap();
        assert!(stats.failed_files.is_empty(), "{vault}");
        assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
    }
}

/// More index files than a copy takes at once (8): all are copied whole, a few at a time; with
/// most of them gone from the source the packs they listed get rebuilt entries.
async fn many_index_files_taken_a_few_at_a_time(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let (src, a_dir, b_dir) = (tmp.path().join("src"), locs.location("region-a"), locs.location("region-b"));
    let master = MasterKey::generate();
    let source = new_repo(&a_dir.open(), "vault-src", &master).await;
    let ids: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        write(&src.join(format!("f{i}.bin")), &random_bytes(64 << 10, 200 + i as u64));
        source.backup(req(id, &[&src]), progress()).await.unwrap();
    }
    // Opened again: no snapshot's packs remembered, each is found from its tree.
    drop(source);
    let source = Repo::open(&a_dir.open(), "vault-src", &master).await.unwrap();
    let src_index = index_names(a_dir.dir(), "vault-src");
    assert!(src_index.len() > 8, "{src_index:?}");
    let wanted: Vec<&str> = ids.iter().map(String::as_str).collect();

    let mirror = Repo::create(&b_dir.open(), "vault-mirror", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    source.copy_snapshots_to(&mirror, &wanted, 0, progress()).await.unwrap();
    assert_eq!(index_names(b_dir.dir(), "vault-mirror"), src_index, "every file taken whole");

    // All but two vanish: whichever were read first or later, their packs are indexed anew.
    for name in src_index.iter().skip(2) {
        fs::remove_file(a_dir.dir().join("vaults/vault-src/index").join(name)).unwrap();
    }
    let mirror2 = Repo::create(&b_dir.open(), "vault-mirror2", &master, source.data_key(), "HBR_PRIVATE", None).await.unwrap();
    source.copy_snapshots_to(&mirror2, &wanted, 0, progress()).await.unwrap();
    for vault in ["vault-mirror", "vault-mirror2"] {
        let m = Repo::open(&b_dir.open(), vault, &master).await.unwrap();
        assert_eq!(m.list_snapshots().await.unwrap().len(), 11, "{vault}");
        let report = m.verify(None, true, progress()).await.unwrap();
        assert!(report.damaged_objects.is_empty(), "{vault}: {report:?}");
        let target = tmp.path().join(format!("t-{vault}"));
        let stats = m.restore(restore_req("s10", &target), progress()).await.unwrap();
        assert!(stats.failed_files.is_empty(), "{vault}");
        assert_trees_equal_content_mode_mtime(&src, &rerooted(&target, &src));
    }
}
