//! [`TimeWindow`]: the closed time interval every telemetry query is asked
//! over.

use chrono::SecondsFormat;
use oncall_domain::Timestamp;

use crate::error::RecordError;

/// A closed time interval: both edges are **inclusive**. A record at
/// `start` or at `end` exactly is inside the window.
///
/// On sorted data the window is the index range
/// `partition_point(|r| r.t < start) .. partition_point(|r| r.t <= end)`.
/// Tools clamp `end` to the simulated "now" before asking, so a source never
/// sees a window reaching past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeWindow {
    start: Timestamp,
    end: Timestamp,
}

impl TimeWindow {
    /// The window from `start` to `end`, both inclusive. `start` may equal
    /// `end` (one instant) but not come after it.
    pub fn new(start: Timestamp, end: Timestamp) -> Result<TimeWindow, RecordError> {
        if start > end {
            return Err(RecordError::WindowReversed {
                start: rfc3339(start),
                end: rfc3339(end),
            });
        }
        Ok(TimeWindow { start, end })
    }

    /// The first instant inside the window.
    pub fn start(&self) -> Timestamp {
        self.start
    }

    /// The last instant inside the window.
    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// Whether `at` lies inside the window, edges included.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.start <= at && at <= self.end
    }

    /// The sub-slice of `items`, sorted by `timestamp`, that lies inside the
    /// window, found by binary search.
    pub fn slice<'s, T>(&self, items: &'s [T], timestamp: impl Fn(&T) -> Timestamp) -> &'s [T] {
        let first = items.partition_point(|item| timestamp(item) < self.start);
        let past = items.partition_point(|item| timestamp(item) <= self.end);
        items.get(first..past.max(first)).unwrap_or(&[])
    }

    /// `{"start": ..., "end": ...}` as RFC 3339, for tool outputs.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"start": rfc3339(self.start), "end": rfc3339(self.end)})
    }
}

/// `at` as RFC 3339 in UTC with a `Z`, and fractional seconds only when
/// there are any: `2026-11-25T12:00:00Z`.
pub fn rfc3339(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn at(minute: u32) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
    }

    #[test]
    fn both_edges_are_inclusive() {
        let window = TimeWindow::new(at(10), at(20)).unwrap();
        assert!(window.contains(at(10)));
        assert!(window.contains(at(20)));
        assert!(!window.contains(at(10) - Duration::milliseconds(1)));
        assert!(!window.contains(at(20) + Duration::milliseconds(1)));
        let minutes: Vec<u32> = (0..30).collect();
        let slice = window.slice(&minutes, |minute| at(*minute));
        assert_eq!(slice.first(), Some(&10));
        assert_eq!(slice.last(), Some(&20));
        assert_eq!(slice.len(), 11);
    }

    #[test]
    fn a_reversed_window_is_rejected_and_an_instant_is_fine() {
        let error = TimeWindow::new(at(20), at(10)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`start` (2026-11-25T12:20:00Z) is after `end` (2026-11-25T12:10:00Z)"
        );
        let instant = TimeWindow::new(at(5), at(5)).unwrap();
        assert_eq!(instant.slice(&[4, 5, 5, 6], |minute| at(*minute)), &[5, 5]);
    }
}
