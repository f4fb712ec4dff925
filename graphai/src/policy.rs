//! [`Policy`]: how often a node is tried and how long an attempt may take.

use std::time::Duration;

/// Retries, backoff and a timeout for one node.
///
/// Set it on the node (`#[node(retries = 3, timeout = "30s")]`) or on the
/// builder, which wins: `Graph::policy(node, Policy::new().retries(3))`.
///
/// A node that fails, panics or times out is run again, up to `retries` more
/// times, waiting [`Backoff::delay`] between attempts. A parameter that cannot
/// be bound (missing, or of the wrong type) is never retried: it would fail
/// the same way. A timed-out attempt is cancelled (its future is dropped)
/// before the next one starts. When every attempt failed, the run fails with
/// [`GraphError::GaveUp`](crate::GraphError::GaveUp), which names the node and
/// the number of attempts and keeps the last attempt's error as its source.
///
/// Timeouts and backoff use Tokio's timer: run the graph on a runtime with
/// time enabled (`#[tokio::main]` and `Runtime::new()` have it;
/// `Builder::new_current_thread()` needs `.enable_time()`).
///
/// ```
/// use std::time::Duration;
/// use graphai::{Backoff, Policy};
///
/// let policy = Policy::new()
///     .retries(2)
///     .timeout(Duration::from_secs(30))
///     .backoff(Backoff::exponential(Duration::from_millis(100)).max(Duration::from_secs(2)));
/// assert_eq!(policy.attempts(), 3);
/// assert_eq!(policy.backoff_policy().delay(2), Duration::from_millis(200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    retries: u32,
    timeout: Option<Duration>,
    backoff: Backoff,
}

impl Default for Policy {
    fn default() -> Self {
        Self::new()
    }
}

impl Policy {
    /// One attempt, no timeout, and (should retries be added) exponential
    /// backoff from 100 ms, doubling, at most 10 s.
    pub const fn new() -> Self {
        Self {
            retries: 0,
            timeout: None,
            backoff: Backoff::exponential(Duration::from_millis(100)),
        }
    }

    /// Runs a failed node again up to `retries` times.
    pub const fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// Cancels an attempt that takes longer than `timeout`.
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// How long to wait between attempts.
    pub const fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The number of retries.
    pub const fn retry_count(&self) -> u32 {
        self.retries
    }

    /// The most attempts a run makes: `retries + 1`.
    pub const fn attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }

    /// The timeout of one attempt, if any.
    pub const fn timeout_duration(&self) -> Option<Duration> {
        self.timeout
    }

    /// The backoff between attempts.
    pub const fn backoff_policy(&self) -> Backoff {
        self.backoff
    }
}

/// The wait between attempts: `initial`, then multiplied by `factor` after
/// each failed attempt, never more than `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    factor: u32,
    max: Duration,
}

impl Backoff {
    /// The same wait before every retry.
    pub const fn constant(delay: Duration) -> Self {
        Self {
            initial: delay,
            factor: 1,
            max: delay,
        }
    }

    /// `initial`, doubling after each failed attempt, at most 10 s (change it with [`max`](Self::max)).
    pub const fn exponential(initial: Duration) -> Self {
        Self {
            initial,
            factor: 2,
            max: Duration::from_secs(10),
        }
    }

    /// No wait at all.
    pub const fn none() -> Self {
        Self::constant(Duration::ZERO)
    }

    /// The growth factor (1 = constant).
    pub const fn factor(mut self, factor: u32) -> Self {
        self.factor = factor;
        self
    }

    /// The longest wait.
    pub const fn max(mut self, max: Duration) -> Self {
        self.max = max;
        self
    }

    /// The wait before attempt `attempt + 1`, after attempt `attempt` (from 1) failed.
    pub fn delay(&self, attempt: u32) -> Duration {
        let mut delay = self.initial;
        for _ in 1..attempt {
            delay = delay.saturating_mul(self.factor);
            if delay >= self.max {
                return self.max;
            }
        }
        delay.min(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stops_at_its_maximum() {
        let b = Backoff::exponential(Duration::from_millis(100)).max(Duration::from_millis(350));
        let delays: Vec<u128> = (1..=5).map(|a| b.delay(a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 350, 350, 350]);
        let c = Backoff::constant(Duration::from_millis(7));
        assert_eq!(c.delay(1), c.delay(9));
        assert_eq!(Backoff::none().delay(3), Duration::ZERO);
        assert_eq!(
            Backoff::exponential(Duration::from_secs(1))
                .factor(u32::MAX)
                .delay(40),
            Duration::from_secs(10)
        );
    }
}
