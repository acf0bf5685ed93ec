//! Load shedding: past `APP_MAX_CONCURRENCY` requests in flight, a new one is answered
//! 503 at once instead of queueing behind work the service cannot keep up with.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The requests in flight on a listener, against a limit. One shared atomic counter:
/// taking a place is a single `fetch_add`.
#[derive(Debug, Clone)]
pub struct Shed {
    in_flight: Arc<AtomicUsize>,
    max: usize,
}

impl Shed {
    /// Allows at most `max` requests in flight.
    pub fn new(max: usize) -> Self {
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            max,
        }
    }

    /// A place among the requests in flight, or `None` when all are taken.
    pub fn try_enter(&self) -> Option<Place> {
        if self.in_flight.fetch_add(1, Ordering::Relaxed) >= self.max {
            self.in_flight.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(Place(Arc::clone(&self.in_flight)))
    }
}

/// Holds one place among the requests in flight until dropped.
#[derive(Debug)]
pub struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_limited_and_given_back() {
        let shed = Shed::new(2);
        let first = shed.try_enter().expect("room");
        let _second = shed.try_enter().expect("room");
        assert!(shed.try_enter().is_none());
        drop(first);
        assert!(shed.try_enter().is_some());
    }
}
