//! The plan scheduler: a task started with the server. At start it moves every plan whose next
//! run time passed while the backend was down to its next slot in the future (missed runs are
//! not made up); then, twice a second, it starts the runs of the enabled plans that are due and
//! moves each to its next slot, skipping a run while the plan's previous one still runs.
use std::time::Duration;

use crate::api::plan::TRIGGER_AUTO;
use crate::backend::catalog::{now, LogFailure, PlanRow};
use crate::api::error as codes;
use crate::backend::server::plans::{record_failed_run, run_plan};
use crate::backend::state::AppState;

use super::Schedule;

/// How often the scheduler looks for due plans.
const TICK: Duration = Duration::from_millis(500);

/// Runs until the server stops (the task is aborted with the other workers).
pub async fn run(state: AppState) {
    reschedule_missed(&state, now());
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        fire_due(&state, now()).await;
    }
}

fn schedule_of(p: &PlanRow) -> Schedule {
    Schedule { start: p.start_time, interval_secs: p.interval_secs.max(1) }
}

/// Plans whose next run time is already past at start-up: the next slot after `t` counts.
fn reschedule_missed(state: &AppState, t: i64) {
    let due = match state.catalog.due_plans(t - 1) {
        Ok(d) => d,
        Err(e) => return tracing::error!(%e, "plans: cannot read the plans to reschedule"),
    };
    for p in due {
        let next = schedule_of(&p).next_at_or_after(t);
        tracing::info!(plan_id = %p.plan_id, missed = p.next_run_time, next, "plan run missed while the backend was down; not made up");
        state.catalog.set_plan_next_run(&p.plan_id, next).or_log_vault(&p.vault_id, "plan next run");
    }
}

/// Starts the due plans' runs (at most one each) and moves them to their next slot.
async fn fire_due(state: &AppState, t: i64) {
    let due = match state.catalog.due_plans(t) {
        Ok(d) => d,
        Err(e) => return tracing::error!(%e, "plans: cannot read the due plans"),
    };
    for p in due {
        state.catalog.set_plan_next_run(&p.plan_id, schedule_of(&p).next_after(t)).or_log_vault(&p.vault_id, "plan next run");
        match run_plan(state, &p, TRIGGER_AUTO).await {
            Ok(job_id) => tracing::info!(plan_id = %p.plan_id, %job_id, "plan run started"),
            Err(e) if e.code == codes::PLAN_JOB_RUNNING => tracing::info!(plan_id = %p.plan_id, message = %e.message, "plan run skipped"),
            Err(e) => {
                tracing::warn!(plan_id = %p.plan_id, code = %e.code, message = %e.message, "plan run could not start");
                record_failed_run(state, &p, TRIGGER_AUTO, &e.message);
            }
        }
    }
}
