//! Backup clients with and without an agent, against a real backend: the agent side is played
//! through the API exactly as `mirrorvault agent` does it (a client-scoped key from
//! `CreateAgentAccessKey`, then `AgentHeartbeat` signed with it). The clients screen shows where
//! each client runs and the commands that connect an agent; the Restore dialog restores on the
//! snapshot's client unless another is chosen, and says when the chosen agent is offline.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::agent::{AgentHeartbeatRequest, CreateAgentAccessKeyRequest};
use mirrorvault::api::backup::RestoreJob;
use mirrorvault::client::{Client, Credentials};
use mirrorvault::ui::app::{ConsoleApp, Screen};
use mirrorvault::ui::command::{RestoreOn, UiCommand};

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{backup, make_tree, wait_for, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

/// A few frames with real time between them, as a user gives before the next click.
fn settle(h: &mut Harness<'static, ConsoleApp>) {
    for _ in 0..6 {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Two clients in one vault (`shared-vault`): `files-a` without an agent, holding a snapshot of a
/// small tree, and `agent-b`, whose agent on `db-host-7` has sent one heartbeat.
struct Setup {
    vault_id: String,
    files_a: String,
    agent_b: String,
    /// The agent's client (its scoped key), to heartbeat again.
    agent: Client,
}

fn setup(backend: &ConsoleFixture) -> Setup {
    let source = backend.dir.path().join("source");
    make_tree(&source, 3, 4);
    backend.block_on(async {
        let c = &backend.client;
        let vault_id = c.create_vault("cn-hangzhou", "shared-vault", "").await.expect("vault").vault_id;
        wait_until(WAIT, "the vault to be CREATED", || async { c.vault(&vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
        let files_a = c.create_backup_client("files-a", "cn-hangzhou", Some(&vault_id)).await.expect("files-a").client_id;
        let agent_b = c.create_backup_client("agent-b", "cn-hangzhou", Some(&vault_id)).await.expect("agent-b").client_id;
        backup(c, &vault_id, &files_a, &[&source]).await;
        let key = c.send(&CreateAgentAccessKeyRequest { client_id: agent_b.clone() }).await.expect("agent key");
        let agent = Client::new(c.endpoint(), Credentials { access_key_id: key.access_key_id, access_key_secret: key.access_key_secret }).expect("agent client");
        heartbeat(&agent, &agent_b).await;
        Setup { vault_id, files_a, agent_b, agent }
    })
}

/// What a running agent sends every few seconds.
async fn heartbeat(agent: &Client, client_id: &str) {
    let request = AgentHeartbeatRequest {
        client_id: client_id.to_string(),
        hostname: Some("db-host-7".into()),
        client_version: Some("9.9.9".into()),
        os_type: Some("linux".into()),
        arch_type: Some("x86_64".into()),
        wait_seconds: None,
    };
    agent.agent(&request, bytes::Bytes::new()).await.expect("heartbeat");
}

/// The one label with exactly this text whose role is `role`.
fn by_role<'a>(h: &'a Harness<'static, ConsoleApp>, role: Role, label: &'a str) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(role, label)
}

/// True when a label `text` sits on the same table row as the client name `name` (a row is two
/// lines high: the name's button and the client type below it).
fn on_row_of(h: &Harness<'static, ConsoleApp>, name: &str, text: &str) -> bool {
    let Some(row) = h.query_all_by_label(name).find(|n| n.accesskit_node().role() == Role::Button).map(|n| n.rect()) else { return false };
    // The row: its first line (as tall as the name's button) and the line below, not the next row.
    let (top, bottom) = (row.top() - 2.0, row.bottom() + 26.0);
    h.query_all_by_label(text).any(|n| n.rect().top() >= top && n.rect().bottom() <= bottom)
}

fn restore_jobs(backend: &ConsoleFixture) -> Vec<RestoreJob> {
    backend.block_on(backend.client.describe_restore_jobs(None, None)).expect("restore jobs").restore_jobs.restore_job
}

fn dialog<'a>(h: &'a Harness<'static, ConsoleApp>) -> egui_kittest::Node<'a> {
    h.get_by_role_and_label(Role::Window, "Restore snapshot")
}

/// Opens the vault, then the Restore dialog for its latest snapshot, and waits until the
/// dialog knows the snapshot's client and the hosts.
fn open_restore(h: &mut Harness<'static, ConsoleApp>, vault_id: &str) {
    h.state_mut().push(UiCommand::OpenVault(vault_id.to_string()));
    wait(h, "the vault's snapshot", |h| h.state().detail.as_ref().is_some_and(|d| d.snapshots.value().is_some_and(|s| !s.is_empty())) && h.query_by_label("Restore latest snapshot…").is_some());
    h.get_by_label("Restore latest snapshot…").click();
    wait(h, "the restore dialog with the snapshot's client", |h| {
        h.query_by_role_and_label(Role::Window, "Restore snapshot").is_some()
            && h.state().restore_dialog.as_ref().is_some_and(|d| d.tree.snapshot_client_id.is_some())
            && h.state().data.hosts.value().is_some()
    });
    settle(h);
}

/// Types the target folder.
fn type_target(h: &mut Harness<'static, ConsoleApp>, target: &str) {
    dialog(h).get_by_label("Target folder").focus();
    h.step();
    dialog(h).get_by_label("Target folder").type_text(target);
    settle(h);
}

/// Types the target folder and presses Restore; returns the notice.
fn restore_into(h: &mut Harness<'static, ConsoleApp>, target: &str) -> String {
    type_target(h, target);
    press_restore(h)
}

/// Presses Restore; returns the notice.
fn press_restore(h: &mut Harness<'static, ConsoleApp>) -> String {
    let before = h.state().notices.len();
    dialog(h).get_by_role_and_label(Role::Button, "Restore").click();
    wait(h, "the restore's notice", |h| h.state().notices.len() > before);
    let notice = h.state().notices.last().unwrap();
    assert!(!notice.is_error, "the restore failed: {}", notice.text);
    notice.text.clone()
}

/// Picks `option` in the dialog's "Restore on" list.
fn restore_on(h: &mut Harness<'static, ConsoleApp>, option: &str) {
    dialog(h).get_by_label("Restore on").click();
    wait(h, &format!("the option {option}"), |h| h.query_by_label(option).is_some());
    h.get_by_label(option).click();
    settle(h);
}

#[test]
fn clients_screen_shows_where_each_client_runs_and_the_commands_that_connect_an_agent() {
    let backend = ConsoleFixture::start(false, DELAY);
    let s = setup(&backend);
    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    h.step();
    h.state_mut().push(UiCommand::Navigate(Screen::Clients));
    wait(&mut h, "the agent's host on the clients screen", |h| h.query_by_label("db-host-7").is_some());
    settle(&mut h);

    assert!(on_row_of(&h, "agent-b", "online"), "agent-b's row says online");
    assert!(on_row_of(&h, "agent-b", "db-host-7"), "agent-b's row names its host");
    assert!(on_row_of(&h, "agent-b", "9.9.9 · linux/x86_64"), "agent-b's row shows its version, OS and architecture");
    assert!(on_row_of(&h, "agent-b", "just now"), "agent-b's last heartbeat was a moment ago");
    assert!(on_row_of(&h, "files-a", "runs in the backend"), "files-a has no agent");
    assert!(!on_row_of(&h, "agent-b", "runs in the backend"), "agent-b's row ends before files-a's");
    assert!(!on_row_of(&h, "files-a", "online") && !on_row_of(&h, "files-a", "db-host-7"), "files-a is not the agent's");

    // The panel follows the clicked client: files-a's commands name files-a and this backend.
    by_role(&h, Role::Button, "files-a").click();
    wait(&mut h, "files-a's connect panel", |h| h.query_by_label("Connect an agent: files-a").is_some());
    settle(&mut h);
    let endpoint = backend.client.endpoint().to_string();
    let register = format!(
        "MIRRORVAULT_ACCESS_KEY_ID=<account key id> MIRRORVAULT_ACCESS_KEY_SECRET=<account key secret> mirrorvault agent register --endpoint {endpoint} --client-id {} --data-dir /var/lib/mirrorvault-agent",
        s.files_a
    );
    assert!(h.query_by_label(&register).is_some(), "the register command for files-a at {endpoint}");
    assert!(h.query_by_label("mirrorvault agent --data-dir /var/lib/mirrorvault-agent").is_some(), "the agent command");
    assert!(h.query_by_label_contains(&s.agent_b).is_none(), "agent-b's id is not in files-a's panel");
    assert!(h.query_by_label_contains("listens on 127.0.0.1, on a new port each start: only an agent on this machine reaches it").is_some(), "the embedded backend's note");
    assert!(h.query_by_label_contains("No agent has connected for files-a yet").is_some());
    let secret = h.state().connection.credentials.access_key_secret.clone();
    assert!(h.query_by_label_contains(&secret).is_none(), "the account secret never shows");

    // Copy puts the register command on the clipboard.
    h.get_all_by_label("Copy").next().expect("a Copy button").click();
    wait(&mut h, "the copy notice", |h| h.state().notices.iter().any(|n| n.text.starts_with("Register command copied")));
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(copied, vec![register], "the clipboard holds the register command");

    // agent-b's panel names its host and its state.
    by_role(&h, Role::Button, "agent-b").click();
    wait(&mut h, "agent-b's connect panel", |h| h.query_by_label("Connect an agent: agent-b").is_some());
    settle(&mut h);
    assert!(h.query_by_label_contains(&format!("--client-id {} ", s.agent_b)).is_some());
    assert!(h.query_by_label_contains("The agent on db-host-7 is online").is_some());
}

#[test]
fn the_restore_dialog_restores_on_the_snapshots_client_unless_another_is_chosen() {
    let backend = ConsoleFixture::start(false, DELAY);
    let s = setup(&backend);
    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    h.step();

    // By default: files-a, the client the snapshot was taken of (no agent: the backend host).
    open_restore(&mut h, &s.vault_id);
    assert_eq!(h.state().restore_dialog.as_ref().unwrap().restore_on, RestoreOn::Client(s.files_a.clone()));
    assert!(dialog(&h).query_by_label_contains("files-a has no agent: the restore runs in the backend").is_some());
    h.check_accessibility();
    let first = backend.dir.path().join("first");
    restore_into(&mut h, &first.display().to_string());
    let jobs = restore_jobs(&backend);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].target_instance_id, s.files_a, "the default sends the snapshot's client");

    // Chosen: agent-b on db-host-7 (online): the job is the agent's.
    backend.block_on(heartbeat(&s.agent, &s.agent_b));
    h.state_mut().data.hosts.invalidate();
    open_restore(&mut h, &s.vault_id);
    restore_on(&mut h, "agent-b · db-host-7 · online");
    assert_eq!(h.state().restore_dialog.as_ref().unwrap().restore_on, RestoreOn::Client(s.agent_b.clone()));
    assert!(dialog(&h).query_by_label_contains("The agent on db-host-7 restores the files there").is_some());
    assert!(dialog(&h).query_by_label_contains("is offline").is_none());
    restore_into(&mut h, "/srv/restored");
    let jobs = restore_jobs(&backend);
    assert_eq!(jobs.len(), 2, "{jobs:?}");
    let job = jobs.iter().find(|j| j.target_path == "/srv/restored").expect("the second restore");
    assert_eq!(job.target_instance_id, s.agent_b, "the chosen client is sent as ClientId");
}

#[test]
fn an_offline_agent_shows_offline_and_a_restore_onto_it_waits_for_it() {
    let backend = ConsoleFixture::start_with_config(false, DELAY, Some("[agents]\noffline_after = \"2s\"\n"));
    let s = setup(&backend);
    backend.block_on(wait_for(WAIT, "agent-b DEACTIVATED", || async {
        let clients = backend.client.describe_backup_clients(None).await.ok()?.clients;
        clients.into_iter().find(|c| c.client_id == s.agent_b).filter(|c| c.status == "DEACTIVATED")
    }));
    let mut h = console::harness(backend.app(), 1440.0, 900.0);
    h.step();
    h.state_mut().push(UiCommand::Navigate(Screen::Clients));
    wait(&mut h, "agent-b offline on the clients screen", |h| on_row_of(h, "agent-b", "offline"));
    assert!(on_row_of(&h, "agent-b", "db-host-7"), "an offline agent's row still names its host");
    assert!(!on_row_of(&h, "agent-b", "online"));

    open_restore(&mut h, &s.vault_id);
    restore_on(&mut h, "agent-b · db-host-7 · offline");
    assert!(
        dialog(&h).query_by_label_contains("the job waits until the agent is back").is_some(),
        "the dialog says the job waits for the offline agent"
    );
    type_target(&mut h, "/srv/restored");
    assert!(!dialog(&h).get_by_role_and_label(Role::Button, "Restore").accesskit_node().is_disabled(), "an offline agent does not block the restore");
    press_restore(&mut h);
    let jobs = restore_jobs(&backend);
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0].target_instance_id, s.agent_b);
    assert_eq!(jobs[0].job.status, "CREATED", "the job waits for the agent: {}", jobs[0].job.error_message);
}
