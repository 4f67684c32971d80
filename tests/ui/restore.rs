//! The Restore dialog without a native folder dialog: Browse… finds no picker and says so, the
//! typed folder works, and the restored files equal the backed-up ones byte for byte.
use std::sync::Arc;
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::ui::app::ConsoleApp;
use mirrorvault::ui::command::UiCommand;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{assert_trees_equal_content_mode_mtime, backup, make_tree, rerooted, wait_restore, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

fn dialog<'a>(h: &'a Harness<'static, ConsoleApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(Role::Window, "Restore snapshot")
}

#[test]
fn without_a_native_folder_dialog_the_typed_folder_restores_the_same_bytes() {
    let backend = ConsoleFixture::start(false, DELAY);
    let source = backend.dir.path().join("source");
    make_tree(&source, 11, 9);
    let vault_id = backend.block_on(async {
        let c = backend.client.create_backup_client("restore-typed", "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
        backup(&backend.client, &c.vault_id, &c.client_id, &[&source]).await;
        c.vault_id
    });

    let mut app = backend.app();
    // What rfd answers on a desktop without xdg-desktop-portal or zenity: nothing, at once.
    app.folder_picker = Arc::new(|| None);
    let mut h = console::harness(app, 1440.0, 900.0);
    h.step();
    h.state_mut().push(UiCommand::OpenVault(vault_id.clone()));
    wait(&mut h, "the vault's snapshot", |h| h.state().detail.as_ref().is_some_and(|d| d.snapshots.value().is_some_and(|s| !s.is_empty())) && h.query_by_label("Restore latest snapshot…").is_some());
    h.get_by_label("Restore latest snapshot…").click();
    wait(&mut h, "the restore dialog", |h| h.query_by_role_and_label(Role::Window, "Restore snapshot").is_some());
    assert!(dialog(&h).get_by_role_and_label(Role::Button, "Restore").accesskit_node().is_disabled(), "Restore waits for a folder");

    dialog(&h).get_by_label("Browse…").click();
    wait(&mut h, "the dialog to say there is no picker", |h| h.query_by_label_contains("no native folder picker").is_some());
    assert!(h.state().restore_dialog.is_some(), "the dialog stays open");
    h.check_accessibility();

    let target = backend.dir.path().join("typed-target");
    dialog(&h).get_by_label("Target folder").focus();
    h.step();
    dialog(&h).get_by_label("Target folder").type_text(&target.display().to_string());
    h.step();
    h.step();
    assert_eq!(h.state().restore_dialog.as_ref().unwrap().target, target.display().to_string());
    dialog(&h).get_by_role_and_label(Role::Button, "Restore").click();
    wait(&mut h, "the restore's notice", |h| !h.state().notices.is_empty());
    let notice = h.state().notices.last().unwrap();
    assert!(!notice.is_error, "the restore failed: {}", notice.text);
    assert!(h.state().restore_dialog.is_none(), "the dialog closes when the restore starts");

    let jobs = backend.block_on(backend.client.describe_restore_jobs(None, None)).expect("restore jobs").restore_jobs.restore_job;
    assert_eq!(jobs.len(), 1, "one restore job: {jobs:?}");
    let job = backend.block_on(wait_restore(&backend.client, &jobs[0].restore_id));
    assert_eq!(job.job.status, "COMPLETE", "restore failed: {}", job.job.error_message);
    assert_eq!(job.target_path, target.display().to_string());
    assert_trees_equal_content_mode_mtime(&source, &rerooted(&target, &source));
}
