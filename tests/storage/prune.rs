//! Prune: it frees the unique bytes of deleted snapshots (deleting and rewriting packs), keeps
//! what kept snapshots need byte for byte, removes leaked packs of failed backups after the
//! grace period, rebuilds a lost index from pack headers instead of deleting data, reports
//! without deleting on a dry run, and runs beside a backup into the same vault and a restore
//! of a kept snapshot.
use std::path::Path;
use std::time::Duration;

use mirrorvault::backend::storage::*;

use crate::support::fixtures::{random_bytes, write};
use crate::support::store::{new_repo, progress, req, restore_req, Kind, Locations};
use crate::support::tree::{assert_trees_equal_content_mode_mtime, rerooted};

location_suite!(
    prune_frees_deleted_snapshots_and_keeps_the_rest,
    dry_run_deletes_nothing,
    leaked_packs_go_after_the_grace_period,
    lost_index_is_rebuilt_from_pack_headers,
    prune_beside_a_backup_and_a_restore,
    prune_through_a_second_open_repo,
);

fn now_req(dry_run: bool) -> PruneRequest {
    // One pack per index file: every prune here writes the vault's index as several files.
    PruneRequest {
        dry_run,
        grace: Duration::ZERO,
        index_file_packs: 1,
    }
}

fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = crate::support::tree::files_under(dir)
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::metadata(&p).unwrap().len(),
            )
        })
        .collect();
    v.sort();
    v
}

async fn assert_clean(repo: &Repo) {
    let v = repo.verify(None, true, progress()).await.unwrap();
    assert!(
        v.damaged_objects.is_empty() && v.damaged_snapshots.is_empty(),
        "{v:?}"
    );
}

async fn assert_restores(repo: &Repo, snapshot: &str, src: &Path, target: &Path) {
    let stats = repo
        .restore(restore_req(snapshot, target), progress())
        .await
        .unwrap();
    assert!(stats.failed_files.is_empty(), "{:?}", stats.failed_files);
    assert_trees_equal_content_mode_mtime(src, &rerooted(target, src));
}

/// s1 = {a 4 MiB, b 1 MiB} in one pack; s2 = {b, c 2 MiB}. Deleting s1 makes its pack 80 %
/// garbage: prune rewrites it (keeping b) and the vault shrinks by about a.
async fn prune_frees_deleted_snapshots_and_keeps_the_rest(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    let b = random_bytes(1 << 20, 2);
    write(&one.join("a.bin"), &random_bytes(4 << 20, 1));
    write(&one.join("b.bin"), &b);
    write(&two.join("b.bin"), &b);
    write(&two.join("c.bin"), &random_bytes(2 << 20, 3));
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &master).await;
    repo.backup(req("s1", &[&one]), progress()).await.unwrap();
    repo.backup(req("s2", &[&two]), progress()).await.unwrap();
    repo.delete_snapshot("s1").await.unwrap();
    // a retried removal succeeds, and the snapshot is gone
    repo.delete_snapshot("s1").await.unwrap();
    assert!(repo.load_snapshot("s1").await.unwrap_err().is_not_found());
    let before = repo.storage_size().await.unwrap();

    let stats = repo.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(stats.packs_rewritten, 1, "{stats:?}");
    assert_eq!(stats.snapshots_kept, 1);
    assert_eq!(stats.storage_size_before, before);
    let after = repo.storage_size().await.unwrap();
    assert_eq!(stats.storage_size_after, after);
    assert!(
        before - after > (39 << 20) / 10 && before - after < (41 << 20) / 10 + (64 << 10),
        "freed {} of {before}: {stats:?}",
        before - after
    );
    assert!(stats.bytes_freed > (39 << 20) / 10, "{stats:?}");
    assert_clean(&repo).await;
    assert_restores(&repo, "s2", &two, &tmp.path().join("r1")).await;
    // A fresh open (the index as stored) sees the same.
    let fresh = Repo::open(&loc, "v1", &master).await.unwrap();
    assert_clean(&fresh).await;
    assert_restores(&fresh, "s2", &two, &tmp.path().join("r2")).await;
    // A second prune has nothing left to do.
    let again = fresh.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(
        (again.packs_deleted, again.packs_rewritten),
        (0, 0),
        "{again:?}"
    );
    // Deleting the last snapshot leaves no pack at all.
    fresh.delete_snapshot("s2").await.unwrap();
    let last = fresh.prune(now_req(false), progress()).await.unwrap();
    assert!(last.packs_deleted >= 1, "{last:?}");
    assert!(
        locdir.pack_files("v1").is_empty(),
        "{:?}",
        locdir.pack_files("v1")
    );
}

async fn dry_run_deletes_nothing(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let (one, two) = (tmp.path().join("one"), tmp.path().join("two"));
    write(&one.join("a.bin"), &random_bytes(3 << 20, 11));
    write(&two.join("c.bin"), &random_bytes(1 << 20, 12));
    let master = MasterKey::generate();
    let repo = new_repo(&locdir.open(), "v1", &master).await;
    repo.backup(req("s1", &[&one]), progress()).await.unwrap();
    repo.backup(req("s2", &[&two]), progress()).await.unwrap();
    repo.delete_snapshot("s1").await.unwrap();
    let objects = files(&locdir.dir().join("vaults/v1"));
    let dry = repo.prune(now_req(true), progress()).await.unwrap();
    assert_eq!(dry.packs_deleted, 1, "{dry:?}");
    assert!(dry.bytes_freed >= 3 << 20, "{dry:?}");
    assert_eq!(
        files(&locdir.dir().join("vaults/v1")),
        objects,
        "a dry run changed the vault"
    );
    // The dry run left the in-memory index alone: a backup still deduplicates against it, and
    // the real prune then frees what the dry run announced.
    let real = repo.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(
        (real.packs_deleted, real.packs_rewritten),
        (dry.packs_deleted, dry.packs_rewritten)
    );
    assert!(
        real.bytes_freed.abs_diff(dry.bytes_freed) < 64 << 10,
        "{real:?} vs {dry:?}"
    );
    assert_clean(&repo).await;
}

/// A backup that failed after writing packs (simulated: its manifest and index files removed)
/// leaves packs nothing references; they stay for the grace period, then go.
async fn leaked_packs_go_after_the_grace_period(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let (keep, lost) = (tmp.path().join("keep"), tmp.path().join("lost"));
    write(&keep.join("k.bin"), &random_bytes(1 << 20, 21));
    write(&lost.join("l.bin"), &random_bytes(3 << 20, 22));
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &master).await;
    repo.backup(req("s1", &[&keep]), progress()).await.unwrap();
    let keep_index: Vec<_> = files(&locdir.dir().join("vaults/v1/index"));
    repo.backup(req("s2", &[&lost]), progress()).await.unwrap();
    std::fs::remove_file(locdir.dir().join("vaults/v1/snapshots/s2")).unwrap();
    for (f, _) in files(&locdir.dir().join("vaults/v1/index")) {
        if !keep_index.iter().any(|(k, _)| *k == f) {
            std::fs::remove_file(f).unwrap();
        }
    }
    let packs = locdir.pack_files("v1").len();
    assert!(packs >= 2);
    // As after a restart: the index as stored.
    let repo = Repo::open(&loc, "v1", &master).await.unwrap();
    let young = repo
        .prune(
            PruneRequest {
                dry_run: false,
                grace: Duration::from_secs(3600),
                ..PruneRequest::default()
            },
            progress(),
        )
        .await
        .unwrap();
    assert_eq!(young.packs_deleted, 0, "{young:?}");
    assert_eq!(locdir.pack_files("v1").len(), packs);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let old = repo.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(old.leaked_packs, (packs - 1) as u64, "{old:?}");
    assert!(old.bytes_freed >= 3 << 20, "{old:?}");
    assert_eq!(locdir.pack_files("v1").len(), 1);
    assert_clean(&repo).await;
    assert_restores(&repo, "s1", &keep, &tmp.path().join("r")).await;
}

/// Every index file lost: prune reads the pack headers, indexes the packs again (they hold
/// what the snapshot needs) and deletes nothing; the vault verifies and restores.
async fn lost_index_is_rebuilt_from_pack_headers(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let src = tmp.path().join("src");
    write(&src.join("x.bin"), &random_bytes(2 << 20, 31));
    write(&src.join("y.txt"), b"small file");
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &master).await;
    repo.backup(req("s1", &[&src]), progress()).await.unwrap();
    let packs = locdir.pack_files("v1");
    for (f, _) in files(&locdir.dir().join("vaults/v1/index")) {
        std::fs::write(&f, b"damaged").unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let repo = Repo::open(&loc, "v1", &master).await.unwrap();
    assert!(
        !repo
            .verify(None, false, progress())
            .await
            .unwrap()
            .damaged_snapshots
            .is_empty(),
        "the damaged index hides the data"
    );
    // verify reads the unindexed packs' headers: the snapshot cannot be restored until a prune
    // re-indexes it, but no file's data is reported damaged, because none is
    let report = repo.verify(None, true, progress()).await.unwrap();
    assert_eq!(report.damaged_snapshots, vec!["s1"], "{report:?}");
    assert!(report.damaged_files.is_empty(), "the data is intact: {report:?}");
    assert!(report.damaged_objects.iter().any(|o| o.contains("found in pack headers")), "{report:?}");
    assert!(!report.damaged_objects.iter().any(|o| o.contains("(not in any index)")), "{report:?}");
    let stats = repo.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(stats.packs_reindexed as usize, packs.len(), "{stats:?}");
    assert_eq!(stats.packs_deleted, 0, "{stats:?}");
    assert_eq!(locdir.pack_files("v1"), packs);
    let fresh = Repo::open(&loc, "v1", &master).await.unwrap();
    assert_clean(&fresh).await;
    assert_restores(&fresh, "s1", &src, &tmp.path().join("r")).await;
}

/// A backup deduplicating against the chunks of a deleted snapshot and a restore of a kept
/// snapshot run while prune deletes and rewrites those packs: the new snapshot and the kept one
/// restore byte for byte and the vault verifies (repeated, with the start moved each round).
async fn prune_beside_a_backup_and_a_restore(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let master = MasterKey::generate();
    let loc = locdir.open();
    let repo = new_repo(&loc, "v1", &master).await;
    let kept = tmp.path().join("kept");
    write(&kept.join("k.bin"), &random_bytes(3 << 20, 40));
    for i in 0..6 {
        write(
            &kept.join(format!("small{i}.txt")),
            format!("kept file {i}").as_bytes(),
        );
    }
    repo.backup(req("kept", &[&kept]), progress())
        .await
        .unwrap();
    for round in 0..4u64 {
        let old = tmp.path().join(format!("old{round}"));
        let shared = random_bytes(2 << 20, 100 + round);
        write(&old.join("shared.bin"), &shared);
        write(&old.join("gone.bin"), &random_bytes(3 << 20, 200 + round));
        repo.backup(req(&format!("old{round}"), &[&old]), progress())
            .await
            .unwrap();
        repo.delete_snapshot(&format!("old{round}")).await.unwrap();
        let new = tmp.path().join(format!("new{round}"));
        write(&new.join("shared.bin"), &shared);
        write(&new.join("fresh.bin"), &random_bytes(1 << 20, 300 + round));
        let target = tmp.path().join(format!("restore{round}"));
        let (r1, r2, r3) = (repo.clone(), repo.clone(), repo.clone());
        let delay = Duration::from_millis(15 * round);
        let new_id = format!("new{round}");
        let backup = tokio::spawn({
            let new = new.clone();
            async move {
                tokio::time::sleep(delay).await;
                r1.backup(req(&new_id, &[&new]), progress()).await
            }
        });
        let prune = tokio::spawn(async move { r2.prune(now_req(false), progress()).await });
        let restore =
            tokio::spawn(async move { r3.restore(restore_req("kept", &target), progress()).await });
        backup.await.unwrap().unwrap();
        let stats = prune.await.unwrap().unwrap();
        let rs = restore.await.unwrap().unwrap();
        assert!(
            rs.failed_files.is_empty(),
            "round {round}: {:?}",
            rs.failed_files
        );
        eprintln!("round {round}: {stats:?}");
        assert_clean(&repo).await;
        assert_restores(
            &repo,
            &format!("new{round}"),
            &new,
            &tmp.path().join(format!("check{round}")),
        )
        .await;
        // The next prune (after the backup) still keeps the new snapshot whole.
        repo.prune(now_req(false), progress()).await.unwrap();
        let fresh = Repo::open(&loc, "v1", &master).await.unwrap();
        assert_clean(&fresh).await;
        assert_restores(
            &fresh,
            &format!("new{round}"),
            &new,
            &tmp.path().join(format!("fresh{round}")),
        )
        .await;
    }
    assert_restores(&repo, "kept", &kept, &tmp.path().join("final")).await;
}

/// The hub reopens a vault (verify, repair) while a job may still hold the old `Repo`: a prune
/// through one must make the other forget the dropped chunks, or a backup through it would
/// deduplicate against deleted data.
async fn prune_through_a_second_open_repo(kind: Kind) {
    let tmp = tempfile::tempdir().unwrap();
    let locs = Locations::new(kind, &tmp.path().join("locations")).await;
    let locdir = locs.location("loc");
    let master = MasterKey::generate();
    let loc = locdir.open();
    let old_repo = new_repo(&loc, "v1", &master).await;
    let (old, new) = (tmp.path().join("old"), tmp.path().join("new"));
    let shared = random_bytes(2 << 20, 50);
    write(&old.join("shared.bin"), &shared);
    write(&old.join("gone.bin"), &random_bytes(1 << 20, 51));
    old_repo
        .backup(req("old", &[&old]), progress())
        .await
        .unwrap();
    old_repo.delete_snapshot("old").await.unwrap();
    let second = Repo::open(&loc, "v1", &master).await.unwrap();
    let stats = second.prune(now_req(false), progress()).await.unwrap();
    assert_eq!(stats.packs_deleted, 1, "{stats:?}");
    write(&new.join("shared.bin"), &shared);
    let m = old_repo
        .backup(req("new", &[&new]), progress())
        .await
        .unwrap();
    assert!(
        m.bytes_added >= 2 << 20,
        "the old repo stored the dropped chunks anew: {}",
        m.bytes_added
    );
    let fresh = Repo::open(&loc, "v1", &master).await.unwrap();
    assert_clean(&fresh).await;
    assert_restores(&fresh, "new", &new, &tmp.path().join("r")).await;
}
