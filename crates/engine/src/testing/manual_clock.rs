//! A virtual clock: time moves only when told to, or — inside [`ManualClock::block_on`] — jumps
//! straight to the next timer whenever the future under test is idle, like a paused runtime clock.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures::task::{ArcWake, AtomicWaker, waker};

use crate::clock::Clock;
use crate::compat::BoxFuture;

/// A clock whose time is advanced by hand or automatically when everything waits on timers.
#[derive(Debug, Clone, Default)]
pub struct ManualClock {
    inner: Arc<Mutex<Timers>>,
}

#[derive(Debug, Default)]
struct Timers {
    now: Duration,
    next_id: u64,
    sleepers: Vec<(u64, Duration, Option<Waker>)>,
}

impl ManualClock {
    /// A clock at time zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Timers> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Moves time forward by `by`, waking every timer that is due.
    pub fn advance(&self, by: Duration) {
        let target = self.lock().now + by;
        self.advance_to(target);
    }

    fn advance_to(&self, target: Duration) {
        let due: Vec<Waker> = {
            let mut timers = self.lock();
            timers.now = timers.now.max(target);
            let now = timers.now;
            timers.sleepers.iter_mut().filter(|s| s.1 <= now).filter_map(|s| s.2.take()).collect()
        };
        due.into_iter().for_each(Waker::wake);
    }

    fn next_deadline(&self) -> Option<Duration> {
        let timers = self.lock();
        timers.sleepers.iter().map(|s| s.1).filter(|&d| d > timers.now).min()
    }

    /// Runs `future` to completion on this thread; whenever it is idle (nothing woke it), time
    /// jumps to the earliest pending timer.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        let flag = Arc::new(WakeFlag { woken: AtomicBool::new(false), outer: AtomicWaker::new() });
        let inner = waker(flag.clone());
        futures::executor::block_on(AutoAdvance {
            clock: self.clone(),
            future: Box::pin(future),
            flag,
            inner,
        })
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        self.lock().now
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        let mut timers = self.lock();
        let id = timers.next_id;
        timers.next_id += 1;
        let deadline = timers.now + duration;
        timers.sleepers.push((id, deadline, None));
        Box::pin(Sleep { clock: self.clone(), id, deadline })
    }
}

struct Sleep {
    clock: ManualClock,
    id: u64,
    deadline: Duration,
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut timers = self.clock.lock();
        if timers.now >= self.deadline {
            return Poll::Ready(());
        }
        if let Some(slot) = timers.sleepers.iter_mut().find(|s| s.0 == self.id) {
            slot.2 = Some(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        // A dropped timer (a cancelled request) must not hold the virtual clock back or forward.
        self.clock.lock().sleepers.retain(|s| s.0 != self.id);
    }
}

/// Records that the future under test woke itself, and passes the wake on to the executor.
struct WakeFlag {
    woken: AtomicBool,
    outer: AtomicWaker,
}

impl ArcWake for WakeFlag {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.woken.store(true, Ordering::SeqCst);
        arc_self.outer.wake();
    }
}

struct AutoAdvance<F> {
    clock: ManualClock,
    future: Pin<Box<F>>,
    flag: Arc<WakeFlag>,
    /// One waker for the whole run, so that wakers registered with it stay deduplicated.
    inner: Waker,
}

impl<F: Future> Future for AutoAdvance<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        this.flag.outer.register(cx.waker());
        let mut inner_cx = Context::from_waker(&this.inner);
        loop {
            this.flag.woken.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = this.future.as_mut().poll(&mut inner_cx) {
                return Poll::Ready(output);
            }
            if this.flag.woken.load(Ordering::SeqCst) {
                continue; // it woke itself: not idle yet
            }
            match this.clock.next_deadline() {
                Some(deadline) => this.clock.advance_to(deadline),
                None => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_jumps_to_the_next_timer_when_idle() {
        let clock = ManualClock::new();
        let elapsed = clock.block_on(async {
            clock.sleep(Duration::from_secs(5)).await;
            clock.sleep(Duration::from_millis(250)).await;
            clock.now()
        });
        assert_eq!(elapsed, Duration::from_millis(5250));
    }

    #[test]
    fn dropped_timers_do_not_move_time() {
        let clock = ManualClock::new();
        drop(clock.sleep(Duration::from_secs(60)));
        let now = clock.block_on(async {
            clock.sleep(Duration::from_secs(1)).await;
            clock.now()
        });
        assert_eq!(now, Duration::from_secs(1));
    }
}
