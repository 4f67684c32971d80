//! The Backup plans screen against a real backend: create a plan with the form (client, paths,
//! schedule picker, retention), see it listed with its schedule in words and next run, run it
//! now, disable and enable it, edit it, delete it; the vault card shows the next backup.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::plan::{BackupPlan, DescribeBackupPlansRequest};
use mirrorvault::ui::app::ConsoleApp;

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{make_tree, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

fn plans(backend: &ConsoleFixture) -> Vec<BackupPlan> {
    backend.block_on(backend.client.send(&DescribeBackupPlansRequest::default())).expect("describe plans").backup_plans.backup_plan
}

fn type_into(h: &mut Harness<'static, ConsoleApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_label(label).type_text(text);
    h.step();
}

#[test]
fn a_plan_is_created_run_paused_edited_and_deleted_from_the_plans_screen() {
    let backend = ConsoleFixture::start(false, DELAY);
    let tree = backend.dir.path().join("tree");
    make_tree(&tree, 3, 4);
    let c = backend.block_on(async {
        let c = backend.client.create_backup_client("plan-ui", "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
        c
    });
    let mut h = console::harness(backend.app(), 1500.0, 1000.0);
    wait(&mut h, "the backup clients", |h| h.state().data.clients.value().is_some_and(|cs| !cs.is_empty()));
    h.get_by_role_and_label(Role::Button, "Backup plans").click();
    wait(&mut h, "the empty plan list", |h| h.query_by_label("No backup plans yet: create one below.").is_some());

    // The form: Create stays disabled until name, client and paths are given.
    assert!(h.get_by_label("Create plan").accesskit_node().is_disabled());
    type_into(&mut h, "Plan name", "nightly-ui");
    h.get_by_label("Backup client").click();
    wait(&mut h, "the client list", |h| h.query_by_role(Role::ListBox).is_some());
    h.get_by_role(Role::ListBox).get_by_label("plan-ui").click();
    h.step();
    type_into(&mut h, "Paths (one per line)", &tree.display().to_string());
    assert_eq!(h.state().plans.form.client_id.as_deref(), Some(c.client_id.as_str()));
    assert!(h.query_by_label_contains("Runs every day from").is_some(), "the schedule in words");
    h.get_by_label("Create plan").click();
    wait(&mut h, "the plan in the list", |h| h.query_by_label("nightly-ui").is_some() && h.query_by_label("never run").is_some());
    let p = plans(&backend).pop().expect("the plan exists");
    assert_eq!((p.plan_name.as_str(), p.client_id.as_str(), p.vault_id.as_str()), ("nightly-ui", c.client_id.as_str(), c.vault_id.as_str()));
    assert_eq!(p.paths.path, [tree.display().to_string()]);
    assert!(p.schedule.ends_with("|P1D"), "{}", p.schedule);
    assert_eq!((p.retention, p.keep_latest_snapshots), (Some(30), 1), "the form's retention defaults");
    assert!(h.query_by_label(&mirrorvault::ui::screens::plans::schedule_words(&p.schedule)).is_some(), "the schedule in words in the list");
    assert!(h.query_by_label_contains("in 4m").is_some() || h.query_by_label_contains("in 5m").is_some(), "the next run in about five minutes");

    // Run now: the plan's last result becomes complete.
    h.get_by_label("Run now").click();
    wait(&mut h, "the run to complete", |h| h.query_by_label("complete").is_some());
    assert!(!plans(&backend)[0].latest_execute_job_id.is_empty());

    // The overview's vault card shows the next scheduled backup.
    h.get_by_role_and_label(Role::Button, "Overview").click();
    wait(&mut h, "the next backup on the card", |h| h.query_by_label("Next backup").is_some());
    h.get_by_role_and_label(Role::Button, "Backup plans").click();
    wait(&mut h, "the plans screen", |h| h.query_by_label("nightly-ui").is_some());

    // Disable and enable.
    h.get_by_label("Disable").click();
    wait(&mut h, "the plan disabled", |h| h.query_by_label("disabled").is_some());
    assert!(plans(&backend)[0].disabled);
    h.get_by_label("Enable").click();
    wait(&mut h, "the plan enabled", |h| h.query_by_label("Disable").is_some());
    assert!(!plans(&backend)[0].disabled);

    // Edit: the form fills in; a new name and a weekly long-term rule are saved.
    h.get_by_label("Edit").click();
    wait(&mut h, "the edit form", |h| h.query_by_label("Save plan").is_some());
    type_into(&mut h, "Plan name", "nightly-renamed");
    h.get_by_label("Keep each week's first snapshot").click();
    h.step();
    h.get_by_label("Save plan").click();
    wait(&mut h, "the renamed plan", |h| h.query_by_label("nightly-renamed").is_some());
    let p = plans(&backend).pop().unwrap();
    assert_eq!(p.plan_name, "nightly-renamed");
    assert!(p.retention_rules.contains("WEEKLY"), "{}", p.retention_rules);

    // Delete asks first (after the grid settled on its new column widths).
    for _ in 0..5 {
        h.step();
    }
    h.get_by_label("Delete…").click();
    wait(&mut h, "the confirmation", |h| h.query_by_label("Confirm delete").is_some());
    assert_eq!(plans(&backend).len(), 1, "nothing is deleted before the confirmation");
    h.get_by_label("Confirm delete").click();
    wait(&mut h, "the plan gone", |h| h.query_by_label("No backup plans yet: create one below.").is_some());
    assert!(plans(&backend).is_empty());
}
