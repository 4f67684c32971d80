//! Reliability scenarios (crash anywhere, region loss, corruption, hostile input,
//! authentication, secrets, races, load) on the real server, in process or as the real binary,
//! and the benchmark's smoke run.
#[path = "../support/mod.rs"]
pub mod support;

mod agent_crash;
mod agent_hostile;
mod bench_smoke;
mod corruption;
mod crash;
mod hostile;
mod load;
mod pools;
mod prune_crash;
mod races;
mod secrets;
