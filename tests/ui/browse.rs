//! The Restore dialog's snapshot browser against a real backend: the tree opens folder by
//! folder (one BrowseFiles page each), a ticked folder and a ticked file are restored, their
//! bytes equal the backed-up ones and nothing else is restored.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{
    assert_trees_equal_content_mode_mtime, backup, make_tree, rerooted, wait_restore, wait_until,
};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(
    h: &mut Harness<'static, ConsoleApp>,
    what: &str,
    cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool,
) {
    step_until(h, WAIT, what, cond)
}

/// A few frames with real time between them before the next click, as a user gives (clicking in
/// the very frame a row first appears made the next folder stay closed; not investigated further).
fn settle(h: &mut Harness<'static, ConsoleApp>) {
    for _ in 0..10 {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn browse_a_snapshot_tick_a_folder_and_a_file_and_restore_them() {
    let backend = ConsoleFixture::start(false, DELAY);
    let source = backend.dir.path().join("source");
    make_tree(&source, 5, 12);
    let vault_id = backend.block_on(async {
        let c = backend
            .client
            .create_backup_client("browse", "cn-hangzhou", None)
            .await
            .expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async {
            backend
                .client
                .vault(&c.vault_id)
                .await
                .ok()
                .flatten()
                .is_some_and(|v| v.status == "CREATED")
        })
        .await;
        backup(&backend.client, &c.vault_id, &c.client_id, &[&source]).await;
        c.vault_id
    });

    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    h.step();
    h.state_mut().push(UiCommand::OpenVault(vault_id.clone()));
    wait(&mut h, "the vault's snapshot", |h| {
        h.state()
            .detail
            .as_ref()
            .is_some_and(|d| d.snapshots.value().is_some_and(|s| !s.is_empty()))
            && h.query_by_label("Restore latest snapshot…").is_some()
    });
    h.get_by_label("Restore latest snapshot…").click();
    wait(&mut h, "the restore dialog", |h| {
        h.query_by_role_and_label(Role::Window, "Restore snapshot")
            .is_some()
    });

    // Open the tree down to the backed-up folder, one level at a time.
    for part in source.strip_prefix("/").unwrap().iter() {
        let label = format!("Expand {}", part.to_string_lossy());
        wait(&mut h, &label, |h| h.query_by_label(&label).is_some());
        h.get_by_label(&label).click();
        settle(&mut h);
    }
    wait(&mut h, "the source folder's entries", |h| {
        h.query_by_label("docs/").is_some() && h.query_by_label("big.dat").is_some()
    });
    assert!(
        h.query_by_label_contains("3.0 MiB").is_some(),
        "sizes are shown"
    );
    settle(&mut h);
    h.get_by_label("docs/").click();
    settle(&mut h);
    h.get_by_label("big.dat").click();
    settle(&mut h);
    // A folder under a ticked one is included already.
    h.get_by_label("Expand docs").click();
    wait(&mut h, "docs/nested", |h| {
        h.query_by_label("nested/").is_some()
    });
    assert!(
        h.get_by_label("nested/").accesskit_node().is_disabled(),
        "inside a ticked folder"
    );
    let include = h.state().restore_dialog.as_ref().unwrap().tree.include();
    assert_eq!(
        include,
        [
            source.join("big.dat").display().to_string(),
            source.join("docs").display().to_string()
        ]
    );
    h.check_accessibility();

    let target = backend.dir.path().join("picked");
    h.get_by_label("Target folder").focus();
    h.step();
    h.get_by_label("Target folder")
        .type_text(&target.display().to_string());
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, "Restore").click();
    wait(&mut h, "the restore's notice", |h| {
        !h.state().notices.is_empty()
    });
    let notice = h.state().notices.last().unwrap();
    assert!(!notice.is_error, "the restore failed: {}", notice.text);

    let jobs = backend
        .block_on(backend.client.describe_restore_jobs(None, None))
        .expect("restore jobs")
        .restore_jobs
        .restore_job;
    assert_eq!(jobs.len(), 1, "one restore job: {jobs:?}");
    let job = backend.block_on(wait_restore(&backend.client, &jobs[0].restore_id));
    assert_eq!(
        job.job.status, "COMPLETE",
        "restore failed: {}",
        job.job.error_message
    );
    let restored = rerooted(&target, &source);
    assert_trees_equal_content_mode_mtime(&source.join("docs"), &restored.join("docs"));
    assert_eq!(
        std::fs::read(restored.join("big.dat")).unwrap(),
        std::fs::read(source.join("big.dat")).unwrap()
    );
    let mut names: Vec<String> = std::fs::read_dir(&restored)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["big.dat", "docs"],
        "only the ticked entries are restored"
    );
}
