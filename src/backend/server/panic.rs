//! No panic reaches a connection: a handler that panics answers HTTP 500 with the dialect's
//! error body (`Code` `InternalError`, `Message`, `RequestId`), and the panic is logged once,
//! with that request id, its message, location and backtrace.
//!
//! How: `CatchPanicLayer` (tower-http) turns the unwinding into [`panic_response`]. The
//! backtrace must be taken while the stack still holds the panic, so a panic hook, installed
//! once, captures it into a thread-local when the panicking thread is polling a request
//! ([`mark_request`] sets a flag during each poll); the response builder takes it from there
//! on the same thread. Panics outside a request go to the previous hook unchanged.
use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;

use crate::api::error as codes;
use crate::backend::error::{error_body, new_request_id, INTERNAL_MESSAGE};

thread_local! {
    /// Set while this thread polls a request's future.
    static IN_REQUEST: Cell<bool> = const { Cell::new(false) };
    /// Location and backtrace of the last panic of a request on this thread.
    static LAST_PANIC: RefCell<Option<(String, Backtrace)>> = const { RefCell::new(None) };
}

/// Wraps `routes` so that a panic in them answers 500 (the outermost layers of the router).
pub(super) fn catch_panics<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    install_hook();
    routes.layer(axum::middleware::from_fn(mark_request)).layer(CatchPanicLayer::custom(panic_response))
}

/// Installs the panic hook (once per process).
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if IN_REQUEST.with(Cell::get) {
                let location = info.location().map(|l| l.to_string()).unwrap_or_default();
                LAST_PANIC.with(|p| *p.borrow_mut() = Some((location, Backtrace::force_capture())));
            } else {
                previous(info);
            }
        }));
    });
}

/// Middleware: marks the thread as serving a request during each poll of the rest of the stack.
async fn mark_request(req: Request, next: Next) -> Response {
    InRequest(Box::pin(next.run(req))).await
}

struct InRequest<F>(Pin<Box<F>>);

/// Clears the flag also when the poll unwinds.
struct Reset(bool);

impl Drop for Reset {
    fn drop(&mut self) {
        IN_REQUEST.with(|f| f.set(self.0));
    }
}

impl<F: Future> Future for InRequest<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _reset = Reset(IN_REQUEST.with(|f| f.replace(true)));
        self.0.as_mut().poll(cx)
    }
}

/// The 500 answer to a handler panic; logs the panic with what the hook captured.
fn panic_response(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".to_string());
    let request_id = new_request_id();
    match LAST_PANIC.with(|p| p.borrow_mut().take()) {
        Some((location, backtrace)) => {
            #[cfg(test)]
            tests::CAPTURED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tracing::error!(%request_id, %message, %location, %backtrace, "a request handler panicked")
        }
        None => tracing::error!(%request_id, %message, "a request handler panicked (no backtrace captured)"),
    }
    error_body(StatusCode::INTERNAL_SERVER_ERROR, codes::INTERNAL_ERROR, INTERNAL_MESSAGE, &request_id)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::routing::get;

    use super::*;

    /// Panics whose backtrace the hook captured (and `panic_response` logged).
    pub(super) static CAPTURED: AtomicUsize = AtomicUsize::new(0);

    async fn boom() -> &'static str {
        panic!("boom")
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_the_dialect_and_the_server_goes_on() {
        let app = catch_panics(Router::new().route("/", get(boom)).route("/ok", get(|| async { "ok" })));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let before = CAPTURED.load(Ordering::SeqCst);
        for _ in 0..2 {
            let resp = reqwest::get(format!("http://{addr}/")).await.expect("an answer, not a dropped connection");
            assert_eq!(resp.status(), 500);
            let body: serde_json::Value = resp.json().await.unwrap();
            assert_eq!(body["Code"], "InternalError", "{body}");
            assert_eq!(body["Success"], false, "{body}");
            assert_eq!(body["Message"], INTERNAL_MESSAGE, "{body}");
            assert!(body["RequestId"].as_str().is_some_and(|id| !id.is_empty()), "{body}");
        }
        assert!(CAPTURED.load(Ordering::SeqCst) >= before + 2, "each panic was logged with its backtrace");
        assert_eq!(reqwest::get(format!("http://{addr}/ok")).await.unwrap().text().await.unwrap(), "ok");
    }
}
