//! Backup plans in the background: `schedule.rs` reads a plan's `Schedule`
//! (`I|{startUnixSeconds}|{ISO 8601 duration}`) and finds its slots, `scheduler.rs` is the task
//! started with the server that starts each plan's runs when their time comes. The actions are
//! `server/plans.rs`, the rows `catalog/plans.rs`.
//!
//! The rules (the real service's): the next run time is held in the catalog, so it survives a
//! restart; runs missed while the backend was down are not made up (the next slot in the future
//! counts); a run does not start while the plan's previous run is still running (the slot is
//! skipped and the next one counts); a disabled plan never fires.
pub mod schedule;
pub mod scheduler;

pub use schedule::Schedule;
pub use scheduler::run;
