//! The Jobs screen: real jobs from a real backend lay out one line per job with short ids that
//! copy the full id, a plan run shows its plan's short id in the Plan column; ten thousand jobs lay out only the rows on screen and scroll to the last.
use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use mirrorvault::api::backup::{BackupJob, JobProgress};
use mirrorvault::api::plan::{CreateBackupPlanRequest, ExecuteBackupPlanRequest, PlanRef};
use mirrorvault::ui::app::{ConsoleApp, Data};
use mirrorvault::ui::command::UiCommand;
use mirrorvault::ui::screens::jobs::{self, short_id, JobsState, StatusFilter, ROW_HEIGHT};

use crate::support::console::{self, step_until, ConsoleFixture};
use crate::support::{make_tree, wait_backup, wait_until};

const WAIT: Duration = Duration::from_secs(60);
const DELAY: Duration = Duration::from_secs(30 * 60);

fn wait(h: &mut Harness<'static, ConsoleApp>, what: &str, cond: impl FnMut(&mut Harness<'static, ConsoleApp>) -> bool) {
    step_until(h, WAIT, what, cond)
}

#[test]
fn jobs_with_long_ids_lay_out_one_line_per_job_and_copy_the_full_id() {
    let backend = ConsoleFixture::start(false, DELAY);
    let tree = backend.dir.path().join("tree");
    make_tree(&tree, 7, 6);
    let (job_ids, plan_id) = backend.block_on(async {
        let c = backend.client.create_backup_client("jobs-layout", "cn-hangzhou", None).await.expect("backup client");
        wait_until(WAIT, "the vault to be CREATED", || async { backend.client.vault(&c.vault_id).await.ok().flatten().is_some_and(|v| v.status == "CREATED") }).await;
        let mut ids = Vec::new();
        for include in [vec![tree.display().to_string()], vec![tree.join("docs").display().to_string()], vec![tree.join("big.dat").display().to_string()]] {
            let job = backend.client.create_backup_job(&c.vault_id, &c.client_id, &include, &[]).await.expect("backup job");
            wait_backup(&backend.client, &job.job_id).await;
            ids.push(job.job_id);
        }
        // A plan run (its schedule an hour away; ExecuteBackupPlan runs it now).
        let start = mirrorvault::ui::widgets::format::now_unix() + 3600;
        let plan = CreateBackupPlanRequest {
            vault_id: c.vault_id.clone(),
            source_type: "ECS_FILE".into(),
            plan_name: "nightly-docs".into(),
            schedule: format!("I|{start}|PT24H"),
            path: vec![tree.join("docs").display().to_string()],
            instance_id: c.client_id.clone(),
            ..Default::default()
        };
        let plan_id = backend.client.send(&plan).await.expect("CreateBackupPlan").plan_id;
        let job = backend.client.send(&ExecuteBackupPlanRequest { plan: PlanRef { plan_id: plan_id.clone(), ..Default::default() } }).await.expect("ExecuteBackupPlan");
        let j = wait_backup(&backend.client, &job.job_id).await;
        assert_eq!((j.job.status.as_str(), j.plan_id.as_str()), ("COMPLETE", plan_id.as_str()), "{}", j.job.error_message);
        ids.push(job.job_id);
        (ids, plan_id)
    });
    assert!(job_ids.iter().all(|id| id.len() > 20), "the backend's ids are long: {job_ids:?}");

    let width = 1360.0;
    let mut h = console::harness(backend.app(), width, 900.0);
    h.step();
    h.get_by_role_and_label(Role::Button, "Jobs").click();
    wait(&mut h, "the four jobs in the table", |h| job_ids.iter().all(|id| h.query_by_label(short_id(id)).is_some()));
    h.step();

    // One line per job: each id label is one text line tall, and the rows follow each other at
    // the row height (no row grew to hold a wrapped id or message).
    let mut tops = Vec::new();
    for id in &job_ids {
        let label = h.get_by_label(short_id(id));
        let rect = label.rect();
        assert!(rect.height() < ROW_HEIGHT, "the id {} is not on one line: {rect:?}", short_id(id));
        assert_eq!(short_id(id).len(), 8);
        tops.push(rect.top());
    }
    // The plan run's row shows its plan's short id, on that row and on one line; the manual
    // jobs show none.
    let plan = h.get_by_label(short_id(&plan_id));
    let plan_rect = plan.rect();
    assert_eq!(short_id(&plan_id).len(), 8);
    assert!(plan_rect.height() < ROW_HEIGHT, "the plan id is not on one line: {plan_rect:?}");
    let run_top = h.get_by_label(short_id(&job_ids[3])).rect().top();
    assert!((plan_rect.top() - run_top).abs() < ROW_HEIGHT / 2.0, "the plan id {plan_rect:?} is not on its job's row (top {run_top})");
    let plan_column = h.get_by_label("Plan").rect();
    assert!(plan_rect.left() >= plan_column.left() - 1.0 && plan_rect.left() < plan_column.right() + 40.0, "the plan id {plan_rect:?} is not under the Plan header {plan_column:?}");
    tops.sort_by(f32::total_cmp);
    for pair in tops.windows(2) {
        let step = pair[1] - pair[0];
        assert!(step >= ROW_HEIGHT && step < ROW_HEIGHT * 1.5, "rows are {step} apart, not one row height ({ROW_HEIGHT}): {tops:?}");
    }
    // Full width: the last column starts in the right part of the window.
    let details = h.get_by_label("Details").rect();
    assert!(details.left() > width * 0.6, "the table does not fill the width: Details at {details:?}");
    h.check_accessibility();

    // Clicking a short id copies the full id (and says so).
    h.get_by_label(short_id(&job_ids[0])).click();
    let mut copied = false;
    wait(&mut h, "the copy notice", |h| {
        copied |= h.output().platform_output.commands.iter().any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t == &job_ids[0]));
        h.state().notices.iter().any(|n| n.text.contains(&job_ids[0]))
    });
    assert!(copied, "the full id {} must reach the clipboard", job_ids[0]);

    // Clicking the short plan id copies the full plan id.
    h.get_by_label(short_id(&plan_id)).click();
    let mut copied = false;
    wait(&mut h, "the plan id's copy notice", |h| {
        copied |= h.output().platform_output.commands.iter().any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t == &plan_id));
        h.state().notices.iter().any(|n| n.text.contains(&plan_id))
    });
    assert!(copied, "the full plan id {plan_id} must reach the clipboard");
}

fn synthetic_jobs(n: usize) -> Vec<BackupJob> {
    let now = mirrorvault::ui::widgets::format::now_unix();
    (0..n)
        .map(|i| BackupJob {
            job_id: format!("job-{i:08x}{}", "5e3c29376ab4f0d1c2e3f4a5b6c7"),
            vault_id: format!("v-{:04}", i % 7),
            client_id: format!("c-{:04}", i % 11),
            source_type: "FILE".into(),
            include: vec![format!("/srv/data/share-{i}")],
            job: JobProgress {
                status: if i % 10 == 3 { "FAILED".into() } else { "COMPLETE".into() },
                progress: 100,
                bytes_total: 1 << 20,
                bytes_done: 1 << 20,
                items_total: 40,
                items_done: 40,
                error_message: if i % 10 == 3 { format!("open /srv/data/share-{i}/locked.db: permission denied (the file is held open by another process with an exclusive lock)") } else { String::new() },
                created_time: now - i as i64 * 60,
                start_time: now - i as i64 * 60,
                complete_time: now - i as i64 * 60 + 12,
                ..Default::default()
            },
            ..Default::default()
        })
        .collect()
}

struct Screen {
    state: JobsState,
    data: Data,
    commands: Vec<UiCommand>,
}

#[test]
fn ten_thousand_jobs_lay_out_only_the_visible_rows_and_scroll_to_the_last() {
    let n = 10_000;
    let jobs = synthetic_jobs(n);
    let first = jobs[0].job_id.clone();
    let last = jobs[n - 1].job_id.clone();
    let mut state = JobsState::default();
    state.set_jobs(jobs, Vec::new(), Vec::new());
    let screen = Screen { state, data: Data::default(), commands: Vec::new() };
    let mut h = Harness::builder().with_size(egui::vec2(1440.0, 900.0)).build_ui_state(
        |ui, s: &mut Screen| {
            egui::CentralPanel::default().show(ui, |ui| jobs::ui(ui, &mut s.state, &s.data, &mut s.commands));
        },
        screen,
    );
    h.run();
    assert!(h.query_by_label(short_id(&first)).is_some(), "the newest job is on screen");
    let visible = h.query_all_by(|node| node.role() == Role::Label && node.value().is_some_and(|l| l.len() == 8 && l.chars().all(|c| c.is_ascii_hexdigit()))).count();
    assert!(visible > 10 && visible < 80, "only the rows on screen are laid out, got {visible} id labels");

    // Scroll to the end: the oldest job's row appears, the newest is gone.
    h.hover_at(egui::pos2(700.0, 500.0));
    let started = std::time::Instant::now();
    let mut frames = 0;
    for _ in 0..60 {
        h.event(egui::Event::MouseWheel { unit: egui::MouseWheelUnit::Page, delta: egui::vec2(0.0, -20.0), modifiers: egui::Modifiers::NONE, phase: egui::TouchPhase::Move, source: egui::MouseWheelSource::Wheel });
        h.step();
        frames += 1;
        if h.query_by_label(short_id(&last)).is_some() {
            break;
        }
    }
    h.run_steps(10);
    let per_frame = started.elapsed() / frames;
    println!("10,000 jobs: {frames} scroll frames, {per_frame:?} a frame");
    assert!(h.query_by_label(short_id(&last)).is_some(), "the oldest job must be reachable by scrolling");
    assert!(h.query_by_label(short_id(&first)).is_none(), "the newest job scrolled out of view");

    // Filtering by status keeps only the failed jobs (every tenth).
    h.state_mut().state.status_filter = StatusFilter::Failed;
    h.run_steps(4);
    assert!(h.query_all_by_label("Failed").count() > 10, "failed jobs are listed");
    assert!(h.query_by_label("Complete").is_none(), "no complete job passes the Failed filter");
}
