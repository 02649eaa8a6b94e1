//! Cancellation from outside a run, at any moment.
//!
//! A [`CancelToken`] is a cheap clonable handle: one clone goes into the run, another stays with
//! the UI's stop button (or a JS `AbortSignal` handler). Cancelling wakes the run, which drops every
//! in-flight model request — dropping the request futures is what closes the connections.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// A handle that cancels the runs it was given to.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    cancelled: AtomicBool,
    wakers: Mutex<Vec<Waker>>,
}

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every run holding a clone of this token. Idempotent.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        let wakers = std::mem::take(&mut *self.lock_wakers());
        for waker in wakers {
            waker.wake();
        }
    }

    /// Whether [`cancel`](Self::cancel) has been called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Ready once cancelled; otherwise registers the task to be woken on cancellation.
    pub fn poll_cancelled(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.is_cancelled() {
            return Poll::Ready(());
        }
        {
            let mut wakers = self.lock_wakers();
            if !wakers.iter().any(|w| w.will_wake(cx.waker())) {
                wakers.push(cx.waker().clone());
            }
        }
        // Re-check: `cancel` may have run between the first check and the registration.
        if self.is_cancelled() { Poll::Ready(()) } else { Poll::Pending }
    }

    /// A future that completes when the token is cancelled.
    pub fn cancelled(&self) -> Cancelled {
        Cancelled { token: self.clone() }
    }

    fn lock_wakers(&self) -> std::sync::MutexGuard<'_, Vec<Waker>> {
        // A panic while holding this lock cannot leave the waker list inconsistent.
        self.inner.wakers.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The future returned by [`CancelToken::cancelled`].
#[derive(Debug)]
pub struct Cancelled {
    token: CancelToken,
}

impl std::future::Future for Cancelled {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.token.poll_cancelled(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;
    use std::time::Duration;

    #[test]
    fn cancel_wakes_a_waiting_task() {
        let token = CancelToken::new();
        let remote = token.clone();
        let handle = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            remote.cancel();
        });
        futures::executor::block_on(token.cancelled());
        assert!(token.is_cancelled());
        handle.join().ok();
    }
}
