//! The SQL Server restore wizard against the REAL embedded backend (demo content, temp dir,
//! 127.0.0.1:0), clicked and typed through AccessKit with egui_kittest: from the mirror card to
//! the verified result and its saved drill report; a precheck failure shown inline; a refused
//! restore onto an existing database; and a restore from the mirror during a region outage.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use mirrorvault::api::vault::Vault;
use mirrorvault::client::InstanceSpec;
use mirrorvault::ui::app::{ConsoleApp, Screen};
use mirrorvault::ui::screens::sql_wizard::{is_terminal, point_label, Step, TITLE};
use mirrorvault::ui::widgets::vault_card::SQL_RESTORE;

use crate::support::console::{self, step_until, ConsoleFixture};

const WAIT: Duration = Duration::from_secs(60);
const DEMO_WAIT: Duration = Duration::from_secs(240);
const DELAY: Duration = Duration::from_secs(30 * 60);
const MIRROR: &str = "sqlserver-cluster-a-dr";
const SOURCE: &str = "sqlserver-cluster-a";

type H = Harness<'static, ConsoleApp>;

fn harness(app: ConsoleApp) -> H {
    console::harness(app, 1500.0, 1200.0)
}

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

fn vault<'a>(vaults: &'a [Vault], name: &str) -> &'a Vault {
    vaults.iter().find(|v| v.vault_name == name).unwrap_or_else(|| panic!("no vault {name}"))
}

/// A demo backend with the SQL Server demo seeded and mirrored, and a console showing its cards.
fn demo() -> (ConsoleFixture, H, Vec<Vault>) {
    let backend = ConsoleFixture::start(true, DELAY);
    let vaults = backend.wait_for_sql_demo(DEMO_WAIT);
    let mut h = harness(backend.app());
    wait(&mut h, "the mirror's card", |h| h.query_by_label(&format!("Vault {MIRROR}")).is_some());
    wait(&mut h, "the backup clients", |h| h.state().data.clients.value().is_some());
    h.step();
    (backend, h, vaults)
}

fn wizard_open(h: &H) -> bool {
    h.query_by_role_and_label(Role::Window, TITLE).is_some()
}

fn step(h: &H) -> Step {
    h.state().sql_wizard.as_ref().expect("the wizard is open").step
}

fn click_in_wizard(h: &mut H, label: &str) {
    // Frames until the node stands still, so its rectangle is the one on screen (a new window
    // sizes itself, then centres).
    let mut last = None;
    for _ in 0..30 {
        h.step();
        let rect = h.get_by_role_and_label(Role::Window, TITLE).get_by_label(label).rect();
        if last == Some(rect) {
            break;
        }
        last = Some(rect);
    }
    h.get_by_role_and_label(Role::Window, TITLE).get_by_label(label).click();
    h.step();
    h.step();
}

fn next_disabled(h: &H) -> bool {
    h.get_by_role_and_label(Role::Window, TITLE).get_by_label("Next").accesskit_node().is_disabled()
}

/// Replaces the text of the wizard's field `label` with `text`.
fn set_text(h: &mut H, label: &str, text: &str) {
    h.get_by_role_and_label(Role::Window, TITLE).get_by_label(label).focus();
    h.step();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.step();
    h.get_by_role_and_label(Role::Window, TITLE).get_by_label(label).type_text(text);
    h.step();
    h.step();
}

/// Opens the wizard from the mirror card; step 1 comes preselected with the mirror.
fn open_from_mirror_card(h: &mut H, mirror: &Vault) {
    h.get_by_label(&format!("Vault {MIRROR}")).get_by_label(SQL_RESTORE).click();
    wait(h, "the wizard", |h| wizard_open(h));
    let w = h.state().sql_wizard.as_ref().unwrap();
    assert_eq!(w.step, Step::Destination);
    assert_eq!(w.vault_id.as_deref(), Some(mirror.vault_id.as_str()), "step 1 must preselect the card's mirror");
    assert_eq!(w.region.as_deref(), Some("cn-shanghai"));
    assert!(!next_disabled(h), "Next is enabled with the mirror preselected");
    click_in_wizard(h, "Next");
    assert_eq!(step(h), Step::Instance);
    wait(h, "the mirror's instances", |h| h.state().sql_wizard.as_ref().unwrap().instances.value().is_some());
}

/// Step 3: the source instance (preselected: the only one), `sales` and its newest backup point.
fn choose_sales_point(h: &mut H) {
    assert_eq!(step(h), Step::Source);
    wait(h, "the source instance", |h| h.state().sql_wizard.as_ref().unwrap().source_cluster_id.is_some());
    assert!(next_disabled(h), "Next stays disabled until a database and a point are chosen");
    wait(h, "the databases in the mirror", |h| h.query_by_role_and_label(Role::Window, TITLE).is_some_and(|w| w.query_by_label("sales").is_some()));
    click_in_wizard(h, "sales");
    wait(h, "the backup points", |h| h.state().sql_wizard.as_ref().unwrap().points.value().is_some_and(|p| !p.is_empty()));
    let points = h.state().sql_wizard.as_ref().unwrap().points.value().unwrap().clone();
    assert!(points.iter().all(|p| p.database_name == "sales"), "only sales' points: {points:?}");
    assert!(next_disabled(h), "Next stays disabled until a point is chosen");
    click_in_wizard(h, &point_label(&points[0]));
    assert_eq!(h.state().sql_wizard.as_ref().unwrap().snapshot_id.as_deref(), Some(points[0].snapshot_id.as_str()));
    assert!(!next_disabled(h));
    click_in_wizard(h, "Next");
    assert_eq!(step(h), Step::Target);
}

fn wait_restore_done(h: &mut H) {
    wait(h, "the run step", |h| h.state().sql_wizard.as_ref().is_some_and(|w| w.step == Step::Run));
    wait(h, "the restore to finish", |h| h.state().sql_wizard.as_ref().unwrap().restore.value().is_some_and(|r| is_terminal(&r.status)));
    h.step();
    h.step();
}

#[test]
fn wizard_from_the_mirror_card_to_a_verified_restore_with_a_saved_drill_report_then_refuses_an_existing_target() {
    let (backend, mut h, vaults) = demo();
    let mirror = vault(&vaults, MIRROR).clone();
    open_from_mirror_card(&mut h, &mirror);

    // Step 2: nothing registered on the mirror yet, so Next waits for an instance.
    assert!(next_disabled(&h), "Next is disabled until an instance is chosen");
    click_in_wizard(&mut h, "Register a new instance…");
    // A TDS instance at an unreachable port: the precheck fails inline and blocks registering.
    h.get_by_role_and_label(Role::RadioButton, "SQL Server (TDS)").click();
    h.step();
    set_text(&mut h, "Server name", "127.0.0.1,1");
    set_text(&mut h, "SQL login", "sa");
    set_text(&mut h, "Password", "not-a-real-password");
    click_in_wizard(&mut h, "Run precheck");
    wait(&mut h, "the failed precheck inline", |h| h.query_by_label_contains("Precheck failed").is_some());
    let failed: Vec<_> = {
        let w = h.state().sql_wizard.as_ref().unwrap();
        let r = w.precheck.result.as_ref().unwrap().as_ref().expect("a precheck answer");
        assert!(!r.precheck.passed);
        r.precheck.checks.iter().filter(|c| !c.passed).cloned().collect()
    };
    assert!(!failed.is_empty(), "a failed precheck names its failed checks");
    for c in &failed {
        assert!(h.query_by_label(&c.message).is_some(), "the failed check's message {:?} must show", c.message);
    }
    assert!(h.get_by_role_and_label(Role::Window, TITLE).get_by_label("Register instance").accesskit_node().is_disabled(), "registering is blocked after a failed precheck");
    let listed = backend.block_on(backend.client.describe_sql_server_instances(Some(&mirror.vault_id))).unwrap().instances.instance;
    assert!(listed.is_empty(), "nothing registered: {listed:?}");

    // A Demo engine instance (a plain name) in the mirror's region: precheck passes, register.
    h.get_by_role_and_label(Role::RadioButton, "Demo engine").click();
    h.step();
    set_text(&mut h, "Server name", "dr-shanghai");
    set_text(&mut h, "Instance name", "dr-shanghai");
    assert!(h.query_by_label_contains("Precheck failed").is_none(), "an old precheck is not shown for changed fields");
    click_in_wizard(&mut h, "Run precheck");
    wait(&mut h, "the passed precheck", |h| h.query_by_label_contains("Precheck passed").is_some());
    click_in_wizard(&mut h, "Register instance");
    wait(&mut h, "the registration", |h| h.state().sql_wizard.as_ref().unwrap().register.result.is_some());
    if let Some(Err(e)) = &h.state().sql_wizard.as_ref().unwrap().register.result {
        panic!("registering failed: {e}");
    }
    wait(&mut h, "the new instance chosen", |h| h.state().sql_wizard.as_ref().unwrap().instance().is_some());
    let target = h.state().sql_wizard.as_ref().unwrap().instance().unwrap().clone();
    assert_eq!((target.region_id.as_str(), target.engine_label.as_str(), target.status.as_str()), ("cn-shanghai", "Demo engine", "ONLINE"));
    assert!(h.query_by_label("dr-shanghai · Demo engine · ONLINE").is_some(), "the instance row says Demo engine");
    click_in_wizard(&mut h, "Next");

    // Step 3: sales and its backup point from the mirror.
    choose_sales_point(&mut h);

    // Step 4: the name is validated for the Demo engine.
    set_text(&mut h, "Target database name", "sales drill");
    assert!(h.query_by_label("The Demo engine allows letters, digits, '_' and '-' only").is_some());
    assert!(next_disabled(&h));
    set_text(&mut h, "Target database name", &"a".repeat(129));
    assert!(h.query_by_label_contains("At most 128 characters").is_some());
    assert!(next_disabled(&h));
    set_text(&mut h, "Target database name", "sales_drill");
    assert_eq!(h.state().sql_wizard.as_ref().unwrap().target_name, "sales_drill");
    assert!(!next_disabled(&h));
    click_in_wizard(&mut h, "Next");

    // Step 5 → 6: review, run, result.
    assert_eq!(step(&h), Step::Review);
    assert!(h.query_by_label("sales_drill").is_some(), "the review shows the target name");
    click_in_wizard(&mut h, "Start restore");
    wait_restore_done(&mut h);
    let restore = h.state().sql_wizard.as_ref().unwrap().restore.value().unwrap().clone();
    assert_eq!(restore.status, "COMPLETE", "{}", restore.error_message);
    let v = restore.verification.clone().expect("a verification");
    assert!(v.integrity_ok && v.row_counts_match, "{v:?}");
    assert_eq!(v.expected_row_counts, v.actual_row_counts);
    assert!(!v.expected_row_counts.is_empty());
    let w = h.get_by_role_and_label(Role::Window, TITLE);
    assert!(w.query_by_label("✔ Integrity passed").is_some(), "Integrity passed shows");
    assert!(w.query_by_label("✔ Row counts match").is_some(), "row counts match shows");
    for (table, n) in &v.expected_row_counts {
        assert!(w.query_by_label(table).is_some(), "the row-count table lists {table}");
        assert!(w.query_all_by_label(&n.to_string()).count() >= 2, "{table}: expected and actual {n} both show");
    }
    for label in ["Drill report", "RPO", "RTO", "Mirror lag at start", "Bytes moved", "✔ No errors"] {
        assert!(w.query_by_label(label).is_some(), "the drill report shows {label:?}");
    }
    assert!(w.query_by_label_contains("Restored and verified").is_some());

    // Save the drill report through the (replaced) save dialog: both files, documented JSON.
    click_in_wizard(&mut h, "Save drill report…");
    wait(&mut h, "the saved report", |h| h.state().sql_wizard.as_ref().unwrap().saved.is_some());
    let (md, json) = h.state().sql_wizard.as_ref().unwrap().saved.clone().unwrap().expect("saved");
    assert!(md.starts_with(backend.reports_dir()) && json.starts_with(backend.reports_dir()));
    assert_eq!(md.with_extension(""), json.with_extension(""), "the two files sit side by side");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("the JSON file")).expect("the JSON parses");
    for field in ["RestoreId", "SourceVaultId", "SourceRegionId", "RestoreVaultId", "RestoreRegionId", "RestoredFromMirror", "SourceDatabaseName", "TargetDatabaseName", "BackupPointTime", "DrillStartTime", "DrillEndTime", "RpoSeconds", "MirrorLagSecondsAtStart", "RtoSeconds", "BytesMoved", "Verification", "Errors"] {
        assert!(doc.get(field).is_some(), "the JSON report lacks {field}: {doc}");
    }
    assert_eq!(doc["SourceRegionId"], "cn-hangzhou");
    assert_eq!(doc["RestoreRegionId"], "cn-shanghai");
    assert_eq!(doc["RestoreVaultId"], mirror.vault_id.as_str());
    assert_eq!(doc["RestoredFromMirror"], true);
    assert_eq!(doc["SourceDatabaseName"], "sales");
    assert_eq!(doc["TargetDatabaseName"], "sales_drill");
    assert_eq!(doc["TargetEngineLabel"], "Demo engine");
    assert_eq!(doc["Verification"]["IntegrityOk"], true);
    assert!(doc["BytesMoved"].as_i64().unwrap() > 0);
    assert!(doc["RpoSeconds"].as_i64().unwrap() >= 0 && doc["RtoSeconds"].as_i64().unwrap() >= 0);
    let markdown = std::fs::read_to_string(&md).expect("the Markdown file");
    assert!(markdown.contains("**Result:** passed") && markdown.contains("| RPO |") && markdown.contains("| RTO |"), "{markdown}");
    click_in_wizard(&mut h, "Close");
    assert!(h.state().sql_wizard.is_none());

    // Again onto the same name without Replace: the backend's 409 shows inline, nothing starts.
    open_from_mirror_card(&mut h, &mirror);
    click_in_wizard(&mut h, "dr-shanghai · Demo engine · ONLINE");
    click_in_wizard(&mut h, "Next");
    choose_sales_point(&mut h);
    set_text(&mut h, "Target database name", "sales_drill");
    wait(&mut h, "the existing-name warning", |h| h.query_by_label_contains("already exists on the target instance").is_some());
    assert!(!next_disabled(&h), "the warning does not hide the backend's answer");
    click_in_wizard(&mut h, "Next");
    click_in_wizard(&mut h, "Start restore");
    wait(&mut h, "the refusal inline", |h| h.query_by_label_contains("DatabaseAlreadyExists").is_some());
    assert_eq!(step(&h), Step::Review, "the wizard stays on the review");
    assert!(h.query_by_label_contains("Tick \"Replace an existing database of that name\"").is_some(), "a hint to tick Replace or rename");
    click_in_wizard(&mut h, "Back");
    assert_eq!(step(&h), Step::Target);
    assert!(h.query_by_label_contains("DatabaseAlreadyExists").is_some(), "the refusal shows on the target step too");
    let restores = backend.block_on(backend.client.describe_sql_server_restores(None, None)).unwrap().restores.restore;
    assert_eq!(restores.len(), 1, "the refused restore never started: {restores:?}");
}

#[test]
fn an_outage_of_the_source_region_turns_its_card_red_and_the_restore_from_the_mirror_still_succeeds() {
    let (backend, mut h, vaults) = demo();
    let mirror = vault(&vaults, MIRROR).clone();
    let source = vault(&vaults, SOURCE).clone();
    // An instance in the mirror's region, registered through the API.
    let target = backend
        .block_on(backend.client.create_sql_server_instance(&InstanceSpec { vault_id: mirror.vault_id.clone(), engine: "DEMO".into(), server_name: "outage-drill".into(), instance_name: "outage-drill".into(), ..Default::default() }))
        .expect("instance");
    assert_eq!(target.status, "ONLINE");

    // The switch on the SQL Server screen marks cn-hangzhou unavailable.
    h.get_by_role_and_label(Role::Button, "SQL Server").click();
    wait(&mut h, "the outage switches", |h| h.query_by_label("cn-hangzhou outage").is_some());
    h.get_by_label("cn-hangzhou outage").click();
    let outage_on = |b: &ConsoleFixture| b.block_on(b.client.describe_regions()).unwrap().regions.region.iter().any(|r| r.region_id == "cn-hangzhou" && r.outage);
    wait(&mut h, "the outage to be set", |_| outage_on(&backend));
    wait(&mut h, "the switch to show the outage", |h| h.query_by_label("Unavailable (outage)").is_some());

    // Its vault's card turns red: status Error.
    h.get_by_role_and_label(Role::Button, "Overview").click();
    wait(&mut h, "the source card in error", |h| {
        h.state().data.vault(&source.vault_id).is_some_and(|v| v.status == "ERROR" && v.region_outage)
            && h.query_by_label(&format!("Vault {SOURCE}")).is_some_and(|c| c.query_by_label("Error").is_some())
    });
    assert!(h.get_by_label(&format!("Vault {MIRROR}")).query_by_label("Error").is_none(), "the mirror in cn-shanghai stays ready");

    // The wizard's restore from the mirror still succeeds.
    open_from_mirror_card(&mut h, &mirror);
    click_in_wizard(&mut h, "outage-drill · Demo engine · ONLINE");
    click_in_wizard(&mut h, "Next");
    choose_sales_point(&mut h);
    set_text(&mut h, "Target database name", "sales_outage");
    click_in_wizard(&mut h, "Next");
    click_in_wizard(&mut h, "Start restore");
    wait_restore_done(&mut h);
    let restore = h.state().sql_wizard.as_ref().unwrap().restore.value().unwrap().clone();
    assert_eq!(restore.status, "COMPLETE", "{}", restore.error_message);
    assert!(h.query_by_label("✔ Integrity passed").is_some());
    let report = restore.report.expect("a drill report");
    assert!(report.restored_from_mirror && report.errors.is_empty(), "{report:?}");
    click_in_wizard(&mut h, "Close");

    // Lifting the outage: replication resumes and a new backup reaches the mirror.
    h.state_mut().screen = Screen::SqlServer;
    wait(&mut h, "the outage switches", |h| h.query_by_label("cn-hangzhou outage").is_some());
    h.get_by_label("cn-hangzhou outage").click();
    wait(&mut h, "the outage to be lifted", |_| !outage_on(&backend));
    let before = backend.block_on(backend.client.describe_sql_server_snapshots(&mirror.vault_id, None, None)).unwrap().snapshots.snapshot.len();
    wait(&mut h, "the source's Back up now", |h| {
        h.state().data.vault(&source.vault_id).is_some_and(|v| v.status == "CREATED") && h.state().sqlserver.instances.value().is_some_and(|l| !l.is_empty())
    });
    wait(&mut h, "Back up now enabled", |h| h.query_by_label("Back up now").is_some_and(|b| !b.accesskit_node().is_disabled()));
    h.get_by_label("Back up now").click();
    let mirrored = |b: &ConsoleFixture| b.block_on(b.client.describe_sql_server_snapshots(&mirror.vault_id, None, None)).unwrap().snapshots.snapshot.len();
    wait(&mut h, "the new backups to reach the mirror after the outage", |_| mirrored(&backend) >= before + 2);
}
