//! [`JsClock`]: the engine's clock in a browser or Node — `performance.now()` and `setTimeout` —
//! so that events carry timestamps and `maxWallMs` budgets are enforced.

use std::time::Duration;

use futures::FutureExt;
use thinkscale_engine::Clock;
use thinkscale_engine::compat::BoxFuture;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The type of `globalThis.performance`.
    type Performance;
    /// `globalThis.performance` (windows, workers and Node all have one).
    #[wasm_bindgen(thread_local_v2, js_name = performance)]
    static PERFORMANCE: Performance;
    /// Milliseconds since the time origin.
    #[wasm_bindgen(method)]
    fn now(this: &Performance) -> f64;
}

/// Monotonic time from `performance.now()`, relative to the clock's creation.
#[derive(Debug, Clone, Copy)]
pub struct JsClock {
    origin_ms: f64,
}

impl Default for JsClock {
    fn default() -> Self {
        Self::new()
    }
}

impl JsClock {
    /// A clock whose origin is now.
    pub fn new() -> Self {
        Self { origin_ms: now_ms() }
    }
}

fn now_ms() -> f64 {
    PERFORMANCE.with(Performance::now)
}

impl Clock for JsClock {
    fn now(&self) -> Duration {
        Duration::from_secs_f64(((now_ms() - self.origin_ms) / 1000.0).max(0.0))
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        // setTimeout takes a signed 32-bit delay: anything longer fires at once. Longer
        // budgets (about 24.8 days) wait the longest delay it accepts.
        let millis = u32::try_from(duration.as_millis()).unwrap_or(u32::MAX).min(i32::MAX as u32);
        gloo_timers::future::TimeoutFuture::new(millis).boxed_local()
    }
}
