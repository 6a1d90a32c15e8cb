//! The positions of log entries by service and by level, so that the common
//! queries (a service's logs, everything at or above a level, in a time
//! window) are answered by binary search without scanning the window.

use std::collections::HashMap;

use oncall_tools::{LogEntry, LogLevel, TimeWindow};

/// Positions into a store's time-sorted log entries. Every list is
/// ascending, so it is in time order too, and equal timestamps keep the
/// order the entries were given in.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LogIndex {
    by_level: [Vec<u32>; LEVELS],
    by_service: HashMap<String, ServiceLogIndex>,
}

#[derive(Debug, Clone, Default, PartialEq)]
struct ServiceLogIndex {
    all: Vec<u32>,
    by_level: [Vec<u32>; LEVELS],
}

const LEVELS: usize = LogLevel::ALL.len();

impl LogIndex {
    /// Indexes `logs`, which must already be sorted by timestamp.
    pub(crate) fn new(logs: &[LogEntry]) -> LogIndex {
        let mut index = LogIndex::default();
        for (position, entry) in logs.iter().enumerate() {
            // The file-size cap keeps a store far below u32::MAX entries.
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let level = level_slot(entry.level());
            index.by_level[level].push(position);
            let service = match index.by_service.get_mut(entry.service()) {
                Some(service) => service,
                None => index
                    .by_service
                    .entry(entry.service().to_owned())
                    .or_default(),
            };
            service.all.push(position);
            service.by_level[level].push(position);
        }
        index
    }

    /// The services that have logs.
    pub(crate) fn services(&self) -> impl Iterator<Item = &String> {
        self.by_service.keys()
    }

    /// The positions of `service`'s entries in time order, or `None` for a
    /// service with no logs.
    pub(crate) fn service_positions(&self, service: &str) -> Option<&[u32]> {
        self.by_service
            .get(service)
            .map(|index| index.all.as_slice())
    }

    /// The windows, one per level at or above `min_level`, of the position
    /// lists of `service` (or of every service), inside `window`.
    pub(crate) fn level_windows<'i>(
        &'i self,
        logs: &[LogEntry],
        service: Option<&str>,
        min_level: LogLevel,
        window: TimeWindow,
    ) -> Vec<&'i [u32]> {
        let lists = match service {
            None => &self.by_level,
            Some(service) => match self.by_service.get(service) {
                Some(index) => &index.by_level,
                None => return Vec::new(),
            },
        };
        let timestamp = |position: &u32| logs[*position as usize].timestamp();
        lists[level_slot(min_level)..]
            .iter()
            .map(|positions| window.slice(positions, timestamp))
            .filter(|positions| !positions.is_empty())
            .collect()
    }
}

/// The positions of the last `limit` entries across `windows`, in time
/// order. Each window is in time order, so only their tails can hold them.
pub(crate) fn last_positions(windows: &[&[u32]], limit: usize) -> Vec<u32> {
    let mut tails: Vec<u32> = windows
        .iter()
        .flat_map(|positions| {
            positions[positions.len().saturating_sub(limit)..]
                .iter()
                .copied()
        })
        .collect();
    tails.sort_unstable();
    let keep_from = tails.len().saturating_sub(limit);
    tails.split_off(keep_from)
}

fn level_slot(level: LogLevel) -> usize {
    LogLevel::ALL
        .iter()
        .position(|known| *known == level)
        .unwrap_or(0)
}
