//! `Requested<T>`: one backend value fetched asynchronously, keeping the previous value while
//! a new request runs so the UI does not flicker.
use std::future::Future;
use std::time::{Duration, Instant};

use poll_promise::Promise;

use crate::client::{Client, ClientError};

/// The console's way to the backend: a client and the tokio runtime that runs its requests.
#[derive(Clone)]
pub struct Net {
    pub client: Client,
    pub rt: tokio::runtime::Handle,
}

impl Net {
    /// Runs `make(client)` on the runtime; the promise settles with its result and the UI repaints.
    pub fn spawn<T, F, Fut>(&self, ctx: &egui::Context, make: F) -> Promise<T>
    where
        T: Send + 'static,
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = T> + Send + 'static,
    {
        let (tx, promise) = Promise::new();
        let fut = make(self.client.clone());
        let ctx = ctx.clone();
        self.rt.spawn(async move {
            let value = fut.await;
            tx.send(value);
            ctx.request_repaint();
        });
        promise
    }
}

pub struct Requested<T: Send + 'static> {
    promise: Option<Promise<Result<T, ClientError>>>,
    value: Option<T>,
    error: Option<ClientError>,
    settled_at: Option<Instant>,
}

impl<T: Send + 'static> Default for Requested<T> {
    fn default() -> Self {
        Requested { promise: None, value: None, error: None, settled_at: None }
    }
}

impl<T: Send + 'static> Requested<T> {
    /// Starts a request unless one is already running. Returns false when one was running.
    pub fn request<F, Fut>(&mut self, net: &Net, ctx: &egui::Context, make: F) -> bool
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        if self.promise.is_some() {
            return false;
        }
        self.promise = Some(net.spawn(ctx, make));
        true
    }

    /// Moves a settled result in; returns true on the frame it settles. Call once per frame.
    pub fn poll(&mut self) -> bool {
        let Some(promise) = self.promise.take() else { return false };
        match promise.try_take() {
            Ok(Ok(value)) => {
                self.value = Some(value);
                self.error = None;
                self.settled_at = Some(Instant::now());
                true
            }
            Ok(Err(e)) => {
                self.error = Some(e);
                self.settled_at = Some(Instant::now());
                true
            }
            Err(promise) => {
                self.promise = Some(promise);
                false
            }
        }
    }

    pub fn is_loading(&self) -> bool {
        self.promise.is_some()
    }

    /// The latest successful value (kept while a refresh runs or after a failed refresh).
    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn value_mut(&mut self) -> Option<&mut T> {
        self.value.as_mut()
    }

    /// Sets the value as if a request had just settled with it (used by `mirrorvault bench`).
    pub fn set_value(&mut self, value: T) {
        self.value = Some(value);
        self.error = None;
        self.settled_at = Some(Instant::now());
    }

    /// The error of the latest request, if it failed.
    pub fn error(&self) -> Option<&ClientError> {
        self.error.as_ref()
    }

    /// True when nothing has been requested yet or the last result is older than `max_age`.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        !self.is_loading() && self.settled_at.is_none_or(|t| t.elapsed() >= max_age)
    }

    /// Forgets the settle time so the next `is_stale` check refreshes.
    pub fn invalidate(&mut self) {
        self.settled_at = None;
    }

    /// Drops everything (value, error, running request).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

/// A one-shot action (create, delete, sync...): at most one in flight, result kept for display.
pub struct Action<T: Send + 'static> {
    promise: Option<Promise<Result<T, ClientError>>>,
    pub result: Option<Result<T, ClientError>>,
}

impl<T: Send + 'static> Default for Action<T> {
    fn default() -> Self {
        Action { promise: None, result: None }
    }
}

impl<T: Send + 'static> Action<T> {
    /// Starts the action unless it is already running (so one click = one request).
    pub fn start<F, Fut>(&mut self, net: &Net, ctx: &egui::Context, make: F) -> bool
    where
        F: FnOnce(Client) -> Fut,
        Fut: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        if self.promise.is_some() {
            return false;
        }
        self.result = None;
        self.promise = Some(net.spawn(ctx, make));
        true
    }

    /// Returns true on the frame the action finishes.
    pub fn poll(&mut self) -> bool {
        let Some(promise) = self.promise.take() else { return false };
        match promise.try_take() {
            Ok(result) => {
                self.result = Some(result);
                true
            }
            Err(promise) => {
                self.promise = Some(promise);
                false
            }
        }
    }

    pub fn is_running(&self) -> bool {
        self.promise.is_some()
    }

    pub fn error(&self) -> Option<&ClientError> {
        self.result.as_ref().and_then(|r| r.as_ref().err())
    }
}
