//! The storage engine's tests, run against every location kind the way restic's backend suite
//! is: each suite test is an `async fn(Kind)`, and `location_suite!` makes one test per kind of
//! it (`roundtrip::local::name`, `roundtrip::s3::name`). S3 is an in-process s3s-fs server whose
//! objects are files on disk, so the damage tests flip bytes in S3 objects too.
#[path = "../support/mod.rs"]
pub mod support;

/// For each listed `async fn name(kind: Kind)` of the calling module, a test `local::name` and
/// a test `s3::name`.
macro_rules! location_suite {
    ($($test:ident),* $(,)?) => {
        mod local {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::store::Kind::Local).await
                }
            )*
        }
        mod s3 {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::store::Kind::S3).await
                }
            )*
        }
    };
}

mod copy;
mod damage;
mod fidelity;
mod prune;
mod roundtrip;
mod s3;
