//! The one poison-tolerant lock helper.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, also when a panic poisoned it.
///
/// Every critical section in this crate is a single operation on the data
/// behind the lock (a push, an insert, a replace), so a panic elsewhere never
/// leaves that data half-written and a poisoned lock is safe to use.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
