//! The data store's queries, at the edges of their time ranges.

use chrono::Duration;

use oncall_tools::{DataSource, DeployQuery, LogLevel, LogQuery, TimeWindow};

use crate::datastore::{DataStore, Telemetry};
use crate::test_support::{before, telemetry};

fn store() -> DataStore {
    DataStore::from_telemetry(telemetry())
}

fn log_query(service: Option<&str>, start: i64, end: i64, min_level: LogLevel) -> LogQuery<'_> {
    LogQuery {
        service,
        min_level,
        window: TimeWindow::new(before(start), before(end)).unwrap(),
        pattern: None,
        limit: 100,
    }
}

#[test]
fn window_edges_are_inclusive_on_both_sides() {
    let store = store();
    // Entries at 50, 20 and 10 minutes before the alert.
    let exact = store
        .logs(&log_query(None, 20, 20, LogLevel::Debug))
        .unwrap();
    assert_eq!(exact.matched, 1);
    assert_eq!(exact.entries[0].message(), "cart exploded");
    let both = store
        .logs(&log_query(None, 50, 20, LogLevel::Debug))
        .unwrap();
    assert_eq!(both.matched, 2);
    let just_inside = LogQuery {
        window: TimeWindow::new(before(20) - Duration::seconds(1), before(20)).unwrap(),
        ..log_query(None, 0, 0, LogLevel::Debug)
    };
    assert_eq!(store.logs(&just_inside).unwrap().matched, 1);
    let just_outside = LogQuery {
        window: TimeWindow::new(before(20) + Duration::seconds(1), before(11)).unwrap(),
        ..log_query(None, 0, 0, LogLevel::Debug)
    };
    assert_eq!(store.logs(&just_outside).unwrap().matched, 0);
}

#[test]
fn service_and_level_filters_use_the_index_and_agree_with_the_predicate() {
    let store = store();
    let checkout = store
        .logs(&log_query(Some("checkout"), 60, 0, LogLevel::Debug))
        .unwrap();
    assert_eq!(checkout.matched, 2);
    let errors = store
        .logs(&log_query(Some("checkout"), 60, 0, LogLevel::Error))
        .unwrap();
    assert_eq!(errors.matched, 1);
    let unknown = store
        .logs(&log_query(Some("nope"), 60, 0, LogLevel::Debug))
        .unwrap();
    assert_eq!(unknown.matched, 0);
    let warn_and_up = store.logs(&log_query(None, 60, 0, LogLevel::Warn)).unwrap();
    let messages: Vec<_> = warn_and_up.entries.iter().map(|e| e.message()).collect();
    assert_eq!(messages, vec!["cart exploded", "slow bank"]);
}

#[test]
fn a_limited_page_counts_everything_and_keeps_the_most_recent() {
    let store = store();
    let page = store
        .logs(&LogQuery {
            limit: 1,
            ..log_query(None, 60, 0, LogLevel::Debug)
        })
        .unwrap();
    assert_eq!(page.matched, 3);
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].message(), "slow bank");
}

#[test]
fn unsorted_input_is_sorted_stably() {
    let mut telemetry = telemetry();
    telemetry.logs.reverse();
    let store = DataStore::from_telemetry(telemetry);
    let times: Vec<_> = store.all_logs().iter().map(|e| e.timestamp()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
}

#[test]
fn deploys_metrics_runbooks_and_services() {
    let store = store();
    let window = TimeWindow::new(before(25), before(0)).unwrap();
    let page = store
        .deploys(&DeployQuery {
            service: None,
            window,
            limit: 10,
        })
        .unwrap();
    assert_eq!(
        page.matched, 1,
        "the deploy at the window's start is inside"
    );
    let later = TimeWindow::new(before(24), before(0)).unwrap();
    let page = store
        .deploys(&DeployQuery {
            service: None,
            window: later,
            limit: 10,
        })
        .unwrap();
    assert_eq!(page.matched, 0);
    assert_eq!(store.metric_series("checkout").unwrap().len(), 1);
    assert!(store.metric("checkout", "error_rate").unwrap().is_some());
    assert!(store.metric_series("nope").unwrap().is_empty());
    assert_eq!(store.runbooks().unwrap().len(), 1);
    assert_eq!(store.services().unwrap(), vec!["checkout", "payments"]);
}

#[test]
fn an_empty_store_answers_every_query() {
    let store = DataStore::from_telemetry(Telemetry::default());
    assert_eq!(
        store
            .logs(&log_query(None, 60, 0, LogLevel::Debug))
            .unwrap()
            .matched,
        0
    );
    assert!(store.services().unwrap().is_empty());
}

mod agrees_with_the_predicate {
    use proptest::prelude::*;

    use oncall_tools::{DataSource, LogEntry, LogLevel, LogPage, LogQuery, TimeWindow};

    use crate::datastore::{DataStore, Telemetry};
    use crate::test_support::before;

    fn entry() -> impl Strategy<Value = LogEntry> {
        (0i64..60, 0usize..3, 0usize..5, 0u32..3).prop_map(|(minute, service, level, word)| {
            LogEntry::new(
                before(minute),
                ["api", "db", "web"][service],
                LogLevel::ALL[level],
                ["timeout", "ok", "retry"][word as usize],
            )
            .unwrap()
        })
    }

    proptest! {
        /// Whatever the index does, a page is exactly what filtering every
        /// entry with the query's own predicate gives.
        #[test]
        fn every_query_matches_the_reference(
            logs in proptest::collection::vec(entry(), 0..80),
            service in proptest::option::of(prop_oneof![Just("api"), Just("db"), Just("web"), Just("none")]),
            level in 0usize..5,
            start in 0i64..60,
            length in 0i64..60,
            limit in 0usize..12,
            with_pattern in any::<bool>(),
        ) {
            let pattern = regex::Regex::new("time").unwrap();
            let store = DataStore::from_telemetry(Telemetry { logs, ..Telemetry::default() });
            let query = LogQuery {
                service,
                min_level: LogLevel::ALL[level],
                window: TimeWindow::new(before(start + length), before(start)).unwrap(),
                pattern: with_pattern.then_some(&pattern),
                limit,
            };
            let page = store.logs(&query).unwrap();
            let reference = LogPage::collect(&query, store.all_logs());
            prop_assert_eq!(page, reference);
        }
    }
}
