//! The one polling loop: a condition, a timeout and a message saying what did not happen.
use std::fmt::Display;
use std::future::Future;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(50);
const POLL_BLOCKING: Duration = Duration::from_millis(25);

/// Polls `fetch` until it returns `Some`, and returns that value; panics with
/// "`what`: not reached within `timeout`" when `timeout` passes first.
pub async fn wait_for<T, F, Fut>(timeout: Duration, what: impl Display, mut fetch: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = fetch().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not reached within {timeout:?}");
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `cond` until it holds; panics with "`what`: not reached within `timeout`" otherwise.
pub async fn wait_until<F, Fut>(timeout: Duration, what: impl Display, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(timeout, what, || {
        let fut = cond();
        async move { fut.await.then_some(()) }
    })
    .await
}

/// `wait_until` for synchronous code (the console's kittest harness steps a frame in `cond`):
/// calls `cond` with short real sleeps until it holds; panics with the same message otherwise.
pub fn wait_until_blocking(timeout: Duration, what: impl Display, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not reached within {timeout:?}");
        std::thread::sleep(POLL_BLOCKING);
    }
}
