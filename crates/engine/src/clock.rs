//! Time, injected: the engine reads the time and sleeps only through a [`Clock`].
//!
//! The engine has no async runtime and must run in a browser, where `std::time::Instant` panics.
//! So time comes from the caller: natively [`SystemClock`] (a monotonic clock and a runtime-free
//! timer), in the browser a clock built on `performance.now()` and `setTimeout` (supplied by the
//! layer that has web-sys), and in tests a virtual clock.

use std::time::Duration;

use crate::compat::{BoxFuture, MaybeSend, MaybeSync};

/// A source of monotonic time and of timers.
pub trait Clock: MaybeSend + MaybeSync {
    /// Time since an arbitrary fixed origin; never goes backwards.
    fn now(&self) -> Duration;
    /// A future that completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The native clock: `std::time::Instant` and a timer thread from `futures-timer`, so it works
/// under any executor (or `futures::executor::block_on`). Not available on wasm32.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: std::time::Instant,
}

#[cfg(not(target_arch = "wasm32"))]
impl SystemClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self { origin: std::time::Instant::now() }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(futures_timer::Delay::new(duration))
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn system_clock_sleeps_at_least_the_duration() {
        let clock = SystemClock::new();
        let before = clock.now();
        futures::executor::block_on(clock.sleep(Duration::from_millis(20)));
        assert!(clock.now() - before >= Duration::from_millis(20));
    }
}
