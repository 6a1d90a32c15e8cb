//! The in-memory [`Log`], the [`EventSink`] trait the engine writes into, and
//! [`EventFilter`] queries.

use oncall_domain::{RunId, Timestamp};

use crate::error::{AuditError, within_line};
use crate::event::{Event, EventKindName};

/// Where the engine writes events: the in-memory [`Log`], the hash-chained
/// [`JsonlWriter`](crate::JsonlWriter), or anything else.
///
/// A sink is append-only and checks that each event carries the next
/// sequence number, rejecting it with [`AuditError::SequenceMismatch`]
/// otherwise.
pub trait EventSink: std::fmt::Debug {
    /// Appends `event`, whose sequence number must be
    /// [`next_sequence`](EventSink::next_sequence).
    fn append(&mut self, event: Event) -> Result<(), AuditError>;

    /// The sequence number the next appended event must carry (== number of
    /// events so far).
    fn next_sequence(&self) -> u64;

    /// Marks the end of a step (lets a file writer with a per-step fsync
    /// policy sync). Default: `Ok(())`.
    fn end_of_step(&mut self) -> Result<(), AuditError> {
        Ok(())
    }
}

impl<S: EventSink + ?Sized> EventSink for &mut S {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        (**self).append(event)
    }

    fn next_sequence(&self) -> u64 {
        (**self).next_sequence()
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        (**self).end_of_step()
    }
}

impl<S: EventSink + ?Sized> EventSink for Box<S> {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        (**self).append(event)
    }

    fn next_sequence(&self) -> u64 {
        (**self).next_sequence()
    }

    fn end_of_step(&mut self) -> Result<(), AuditError> {
        (**self).end_of_step()
    }
}

/// An append-only, in-memory list of events.
///
/// There is no way to remove, reorder or change an event: the only way in
/// is [`EventSink::append`] (or an import, which appends each event in turn),
/// and it rejects an event whose sequence number is not the next one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Log {
    events: Vec<Event>,
}

impl Log {
    /// An empty log.
    pub fn new() -> Log {
        Log::default()
    }

    /// A log of `events`, which must be numbered 0, 1, 2, ...
    pub fn from_events(events: Vec<Event>) -> Result<Log, AuditError> {
        let mut log = Log {
            events: Vec::with_capacity(events.len()),
        };
        for event in events {
            log.append(event)?;
        }
        Ok(log)
    }

    /// A log of events already known to be numbered 0, 1, 2, ...
    pub(crate) fn from_verified(events: Vec<Event>) -> Log {
        Log { events }
    }

    /// The events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Consumes the log, returning its events in order.
    pub fn into_events(self) -> Vec<Event> {
        self.events
    }

    /// How many events it holds.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events that `filter` selects, in log order.
    pub fn query(&self, filter: &EventFilter) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|event| filter.matches(event))
            .collect()
    }

    /// The log as JSON Lines: one event per line in the form described in
    /// [`crate::event_serde`], each line ending in `\n`. No hash chain (that
    /// is the [`JsonlWriter`](crate::JsonlWriter)'s file form).
    pub fn to_jsonl(&self) -> String {
        let mut bytes = Vec::with_capacity(self.events.len() * 256);
        for event in &self.events {
            write_json_or_error(&mut bytes, event);
            bytes.push(b'\n');
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Reads what [`Log::to_jsonl`] wrote. Blank lines are refused; the
    /// last line may lack its `\n`. The error names the 1-based line.
    pub fn from_jsonl(text: &str) -> Result<Log, AuditError> {
        let mut log = Log::new();
        let body = text.strip_suffix('\n').unwrap_or(text);
        if body.is_empty() {
            return Ok(log);
        }
        for (index, line) in body.split('\n').enumerate() {
            let line_number = index + 1;
            if line.trim().is_empty() {
                return Err(AuditError::InvalidLine {
                    line: line_number,
                    message: "empty, expected an event".to_owned(),
                });
            }
            let event: Event =
                serde_json::from_str(line).map_err(|error| AuditError::InvalidLine {
                    line: line_number,
                    message: within_line(&error),
                })?;
            log.append(event).map_err(|error| AuditError::InvalidLine {
                line: line_number,
                message: error.to_string(),
            })?;
        }
        Ok(log)
    }

    /// The log as one JSON array of events.
    pub fn to_json_array(&self) -> String {
        let mut bytes = Vec::with_capacity(self.events.len() * 256 + 2);
        bytes.push(b'[');
        for (index, event) in self.events.iter().enumerate() {
            if index > 0 {
                bytes.push(b',');
            }
            write_json_or_error(&mut bytes, event);
        }
        bytes.push(b']');
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Reads what [`Log::to_json_array`] wrote (or any JSON array of events
    /// numbered 0, 1, 2, ...).
    pub fn from_json_array(text: &str) -> Result<Log, AuditError> {
        let events: Vec<Event> =
            serde_json::from_str(text).map_err(|error| AuditError::InvalidArray {
                message: error.to_string(),
            })?;
        let mut log = Log {
            events: Vec::with_capacity(events.len()),
        };
        for (index, event) in events.into_iter().enumerate() {
            log.append(event)
                .map_err(|error| AuditError::InvalidArray {
                    message: format!("element {index}: {error}"),
                })?;
        }
        Ok(log)
    }
}

impl EventSink for Log {
    fn append(&mut self, event: Event) -> Result<(), AuditError> {
        let expected = self.next_sequence();
        if event.sequence() != expected {
            return Err(AuditError::SequenceMismatch {
                expected,
                found: event.sequence(),
            });
        }
        self.events.push(event);
        Ok(())
    }

    fn next_sequence(&self) -> u64 {
        self.events.len() as u64
    }
}

/// Selects events by run, step, kind and time, in any combination. Every
/// criterion left unset matches everything; set criteria must all match.
///
/// The time range is half-open: `from` is inclusive, `until` exclusive.
/// Built with chained calls:
///
/// ```
/// use oncall_audit::{EventFilter, EventKindName};
/// let filter = EventFilter::new()
///     .step(2)
///     .kind(EventKindName::ToolCalled)
///     .kind(EventKindName::ToolResultReceived);
/// # let _ = filter;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct EventFilter {
    run: Option<RunId>,
    step: Option<u32>,
    kinds: Vec<EventKindName>,
    from: Option<Timestamp>,
    until: Option<Timestamp>,
}

impl EventFilter {
    /// A filter that matches every event.
    pub fn new() -> EventFilter {
        EventFilter::default()
    }

    /// Only events of run `run`.
    pub fn run(self, run: RunId) -> EventFilter {
        EventFilter {
            run: Some(run),
            ..self
        }
    }

    /// Only events of step `step` (run-level events, which have no step,
    /// never match).
    pub fn step(self, step: u32) -> EventFilter {
        EventFilter {
            step: Some(step),
            ..self
        }
    }

    /// Also events of kind `kind`. Once one kind is given, only the given
    /// kinds match.
    pub fn kind(mut self, kind: EventKindName) -> EventFilter {
        if !self.kinds.contains(&kind) {
            self.kinds.push(kind);
        }
        self
    }

    /// Also events of each of `kinds`.
    pub fn kinds(self, kinds: impl IntoIterator<Item = EventKindName>) -> EventFilter {
        kinds.into_iter().fold(self, EventFilter::kind)
    }

    /// Also events of the kind named `name`, e.g. `"tool_called"`. An unknown
    /// name is an error listing the known ones.
    pub fn kind_named(self, name: &str) -> Result<EventFilter, AuditError> {
        Ok(self.kind(name.parse()?))
    }

    /// Only events at or after `from` (inclusive).
    pub fn from(self, from: Timestamp) -> EventFilter {
        EventFilter {
            from: Some(from),
            ..self
        }
    }

    /// Only events strictly before `until` (exclusive).
    pub fn until(self, until: Timestamp) -> EventFilter {
        EventFilter {
            until: Some(until),
            ..self
        }
    }

    /// Whether `event` passes every criterion.
    pub fn matches(&self, event: &Event) -> bool {
        self.run.is_none_or(|run| event.run_id() == run)
            && self.step.is_none_or(|step| event.step() == Some(step))
            && (self.kinds.is_empty() || self.kinds.contains(&event.kind().kind_name()))
            && self.from.is_none_or(|from| event.timestamp() >= from)
            && self.until.is_none_or(|until| event.timestamp() < until)
    }
}

/// Serialising an event cannot fail (every value in it is representable in
/// JSON), but should it ever, the error is written in place of the event so
/// that importing the export fails loudly rather than losing the event.
fn write_json_or_error(bytes: &mut Vec<u8>, event: &Event) {
    let start = bytes.len();
    if let Err(error) = serde_json::to_writer(&mut *bytes, event) {
        bytes.truncate(start);
        let message = format!(
            "event {} could not be serialised: {error}",
            event.sequence()
        );
        let value = serde_json::json!({ "error": message });
        bytes.extend_from_slice(value.to_string().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use oncall_domain::RunId;
    use uuid::Uuid;

    use super::*;
    use crate::test_support::{failed_run, noon, sample_run};

    fn sample_log() -> Log {
        Log::from_events(sample_run()).unwrap()
    }

    fn sequences(events: &[&Event]) -> Vec<u64> {
        events.iter().map(|event| event.sequence()).collect()
    }

    fn other_run() -> RunId {
        RunId::from_uuid(Uuid::from_u128(777))
    }

    /// The sample run, then the failed run under run id 777, renumbered.
    fn two_runs() -> Log {
        let mut log = Log::new();
        let first = sample_run()
            .into_iter()
            .map(|event| (event.run_id(), event));
        let second = failed_run().into_iter().map(|event| (other_run(), event));
        for (run, event) in first.chain(second) {
            let renumbered = Event::new(
                event.id(),
                log.next_sequence(),
                run,
                event.step(),
                event.timestamp(),
                event.kind().clone(),
            );
            log.append(renumbered).unwrap();
        }
        log
    }

    #[test]
    fn appending_out_of_turn_is_rejected_and_changes_nothing() {
        let events = sample_run();
        let mut log = Log::new();
        let error = log.append(events[1].clone()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "event has sequence number 1, expected 0 (the next one)"
        );
        assert!(log.is_empty());
        log.append(events[0].clone()).unwrap();
        assert!(log.append(events[0].clone()).is_err());
        assert!(log.append(events[2].clone()).is_err());
        assert_eq!(log.len(), 1);
        assert_eq!(log.next_sequence(), 1);
        log.append(events[1].clone()).unwrap();
        assert_eq!(log.events(), &events[..2]);
    }

    #[test]
    fn sinks_work_through_references_and_boxes() {
        let events = sample_run();
        let mut log = Log::new();
        {
            let by_reference: &mut Log = &mut log;
            by_reference.append(events[0].clone()).unwrap();
            by_reference.end_of_step().unwrap();
        }
        let mut boxed: Box<dyn EventSink> = Box::new(log);
        boxed.append(events[1].clone()).unwrap();
        assert_eq!(boxed.next_sequence(), 2);
        assert!(boxed.append(events[3].clone()).is_err());
    }

    #[test]
    fn an_empty_filter_matches_everything() {
        let log = sample_log();
        assert_eq!(log.query(&EventFilter::new()).len(), log.len());
    }

    #[test]
    fn filter_by_run() {
        let log = two_runs();
        let first_run = log.events()[0].run_id();
        let first = log.query(&EventFilter::new().run(first_run));
        let second = log.query(&EventFilter::new().run(other_run()));
        assert_eq!(first.len(), sample_run().len());
        assert_eq!(second.len(), failed_run().len());
        assert!(second.iter().all(|event| event.run_id() == other_run()));
        assert_eq!(second[0].sequence(), sample_run().len() as u64);
        assert!(sequences(&second).is_sorted());
        let unknown = RunId::from_uuid(Uuid::from_u128(12345));
        assert!(log.query(&EventFilter::new().run(unknown)).is_empty());
    }

    #[test]
    fn filter_by_step() {
        let log = sample_log();
        let step_three = log.query(&EventFilter::new().step(3));
        let kinds: Vec<&str> = step_three.iter().map(|e| e.kind().name()).collect();
        assert_eq!(
            kinds,
            [
                "step_started",
                "decision_made",
                "tool_called",
                "tool_result_received",
                "step_completed"
            ]
        );
        assert!(log.query(&EventFilter::new().step(9)).is_empty());
    }

    #[test]
    fn filter_by_one_kind_and_by_several() {
        let log = sample_log();
        let created = log.query(&EventFilter::new().kind(EventKindName::HypothesisCreated));
        assert_eq!(created.len(), 1);
        let tools = log.query(
            &EventFilter::new()
                .kinds([EventKindName::ToolCalled, EventKindName::ToolResultReceived]),
        );
        assert_eq!(tools.len(), 6);
        assert!(sequences(&tools).is_sorted());
        let named = EventFilter::new().kind_named("tool_called").unwrap();
        assert_eq!(log.query(&named).len(), 3);
        assert!(EventFilter::new().kind_named("tool_call").is_err());
    }

    #[test]
    fn filter_by_time_is_half_open() {
        let log = sample_log();
        let step_two_start = noon() + Duration::seconds(60);
        let step_three_start = noon() + Duration::seconds(90);
        let range = EventFilter::new()
            .from(step_two_start)
            .until(step_three_start);
        let in_range = log.query(&range);
        assert!(!in_range.is_empty());
        assert!(in_range.iter().all(|event| event.step() == Some(2)));
        assert_eq!(in_range.len(), log.query(&EventFilter::new().step(2)).len());
        let before_start = log.query(&EventFilter::new().until(noon()));
        assert!(before_start.is_empty());
        let from_start = log.query(&EventFilter::new().from(noon()));
        assert_eq!(from_start.len(), log.len());
    }

    #[test]
    fn filters_combine() {
        let log = two_runs();
        let run = log.events()[0].run_id();
        let filter = EventFilter::new()
            .run(run)
            .step(1)
            .kinds([EventKindName::ToolCalled, EventKindName::StepCompleted])
            .from(noon())
            .until(noon() + Duration::seconds(31));
        let found = log.query(&filter);
        assert_eq!(sequences(&found), [3, 7]);
        // Without the run criterion, step 1 of the other run (also at
        // 12:00:30) matches too.
        let any_run = EventFilter {
            run: None,
            ..filter.clone()
        };
        let both = log.query(&any_run);
        assert_eq!(both.len(), 4);
        assert!(sequences(&both).is_sorted());
        assert!(both.iter().all(|event| any_run.matches(event)));
        let narrower = filter
            .clone()
            .kind(EventKindName::StepStarted)
            .until(noon());
        assert!(log.query(&narrower).is_empty());
    }

    #[test]
    fn jsonl_round_trips_exactly() {
        let log = sample_log();
        let text = log.to_jsonl();
        assert_eq!(text.lines().count(), log.len());
        assert!(text.ends_with('\n'));
        let back = Log::from_jsonl(&text).unwrap();
        assert_eq!(back, log);
        assert_eq!(back.to_jsonl(), text);
        assert_eq!(Log::from_jsonl("").unwrap(), Log::new());
        assert_eq!(Log::from_jsonl(text.trim_end()).unwrap(), log);
    }

    #[test]
    fn json_array_round_trips_exactly() {
        let log = sample_log();
        let text = log.to_json_array();
        let back = Log::from_json_array(&text).unwrap();
        assert_eq!(back, log);
        assert_eq!(back.to_json_array(), text);
        assert_eq!(Log::from_json_array("[]").unwrap(), Log::new());
        assert_eq!(Log::new().to_json_array(), "[]");
    }

    #[test]
    fn imports_name_the_bad_line_or_element() {
        let text = sample_log().to_jsonl();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.swap(2, 3);
        let error = Log::from_jsonl(&lines.join("\n")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "line 3: event has sequence number 3, expected 2 (the next one)"
        );
        let error = Log::from_jsonl("{\"v\":1}\n").unwrap_err();
        assert_eq!(error.to_string(), "line 1: missing field `seq` at column 7");
        let error = Log::from_jsonl(&format!("{}\n\n", lines[0])).unwrap_err();
        assert_eq!(error.to_string(), "line 2: empty, expected an event");

        let mut events = sample_run();
        events.swap(0, 1);
        let array = serde_json::to_string(&events).unwrap();
        let error = Log::from_json_array(&array).unwrap_err();
        assert_eq!(
            error.to_string(),
            "JSON array of events: element 0: event has sequence number 1, expected 0 (the next one)"
        );
        assert!(Log::from_json_array("{}").is_err());
    }

    #[test]
    fn a_log_from_events_must_be_numbered_from_zero() {
        let mut events = sample_run();
        events.remove(0);
        assert!(Log::from_events(events).is_err());
        assert_eq!(sample_log().into_events(), sample_run());
    }
}
