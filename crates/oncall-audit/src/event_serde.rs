//! The JSON form of an [`Event`].
//!
//! One object, fields always in this order, all of them always present:
//!
//! ```text
//! {"v":1,"seq":0,"id":"<uuid>","run_id":"<uuid>","step":null,"at":"<RFC 3339>","type":"run_started","payload":{...}}
//! ```
//!
//! - `v`: the oldest format version that has the event's kind
//!   ([`EventKind::format_version`], 2 for all but `model_called`, which is
//!   3); a reader accepts [`OLDEST_FORMAT_VERSION`] to [`FORMAT_VERSION`],
//!   and refuses others and a kind newer than its line's version;
//! - `seq`: the sequence number in the log, from 0;
//! - `id`, `run_id`: the event's and the run's UUIDs;
//! - `step`: the step number, or `null` for run-level events;
//! - `at`: the timestamp, RFC 3339 in UTC;
//! - `type`: the kind's snake_case name ([`EventKindName`]);
//! - `payload`: the kind's fields as an object, named as in [`EventKind`]
//!   (`{}` for `step_started` and `step_completed`).
//!
//! A line of the hash-chained file adds `"prev":"<64 hex digits>"` right
//! after `seq` (see [`crate::chain`]). Unknown fields, duplicate fields and
//! unknown types are refused with a message naming them.
//!
//! Reading dispatches on `type` while parsing, straight into the payload's
//! types, when `type` comes before `payload` (as it always does in what this
//! crate writes); otherwise the payload is parsed as a generic JSON value
//! first and converted afterwards.

use std::fmt;

use oncall_domain::{
    CallId, Confidence, Decision, EventId, Hypothesis, HypothesisStatus, Incident, ModelCall,
    Observation, Resolution, RunId, RunLimits, TerminationReason, Timestamp, ToolResult,
};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventKind, EventKindName, FORMAT_VERSION, OLDEST_FORMAT_VERSION};

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(self, None, serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Event, D::Error> {
        let record = LineRecord::deserialize(deserializer)?;
        if record.prev.is_some() {
            return Err(de::Error::custom(
                "unknown field `prev`: this is a line of a hash-chained log, read it with `read_chain`",
            ));
        }
        Ok(record.event)
    }
}

/// An event with the chain's `prev` hash, as one line of the chained file.
#[derive(Debug)]
pub(crate) struct ChainedLine<'a> {
    pub(crate) prev: &'a str,
    pub(crate) event: &'a Event,
}

impl Serialize for ChainedLine<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_event(self.event, Some(self.prev), serializer)
    }
}

/// What one JSON object reads as: an event, and the chain's `prev` when the
/// line had one.
#[derive(Debug)]
pub(crate) struct LineRecord {
    pub(crate) event: Event,
    pub(crate) prev: Option<String>,
}

fn serialize_event<S: Serializer>(
    event: &Event,
    prev: Option<&str>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let fields = if prev.is_some() { 9 } else { 8 };
    let mut state = serializer.serialize_struct("Event", fields)?;
    state.serialize_field("v", &event.kind().format_version())?;
    state.serialize_field("seq", &event.sequence())?;
    if let Some(prev) = prev {
        state.serialize_field("prev", prev)?;
    }
    state.serialize_field("id", &event.id())?;
    state.serialize_field("run_id", &event.run_id())?;
    state.serialize_field("step", &event.step())?;
    state.serialize_field("at", &event.timestamp())?;
    state.serialize_field("type", event.kind().name())?;
    state.serialize_field("payload", &PayloadRef::from(event.kind()))?;
    state.end()
}

/// The payload of each kind, borrowed, for writing.
#[derive(Serialize)]
#[serde(untagged)]
enum PayloadRef<'a> {
    RunStarted {
        incident: &'a Incident,
        agent: &'a str,
        seed: u64,
        limits: &'a RunLimits,
    },
    RunEnded {
        reason: &'a TerminationReason,
        resolution: &'a Option<Resolution>,
    },
    Empty {},
    StepFailed {
        reason: &'a str,
    },
    DecisionMade {
        decision: &'a Decision,
    },
    ToolCalled {
        tool_name: &'a str,
        call_id: CallId,
        params: &'a serde_json::Value,
    },
    ToolResultReceived {
        result: &'a ToolResult,
    },
    ObservationRecorded {
        observation: &'a Observation,
    },
    HypothesisCreated {
        hypothesis: &'a Hypothesis,
    },
    HypothesisUpdated {
        hypothesis: &'a Hypothesis,
        previous_status: HypothesisStatus,
        previous_confidence: Confidence,
    },
    EvaluationRecorded {
        evaluation: &'a serde_json::Value,
    },
    ModelCalled {
        call: &'a ModelCall,
    },
}

impl<'a> From<&'a EventKind> for PayloadRef<'a> {
    fn from(kind: &'a EventKind) -> PayloadRef<'a> {
        match kind {
            EventKind::RunStarted {
                incident,
                agent,
                seed,
                limits,
            } => PayloadRef::RunStarted {
                incident,
                agent,
                seed: *seed,
                limits,
            },
            EventKind::RunCompleted { reason, resolution }
            | EventKind::RunFailed { reason, resolution }
            | EventKind::RunEscalated { reason, resolution } => {
                PayloadRef::RunEnded { reason, resolution }
            }
            EventKind::StepStarted | EventKind::StepCompleted => PayloadRef::Empty {},
            EventKind::StepFailed { reason } => PayloadRef::StepFailed { reason },
            EventKind::DecisionMade { decision } => PayloadRef::DecisionMade { decision },
            EventKind::ToolCalled {
                tool_name,
                call_id,
                params,
            } => PayloadRef::ToolCalled {
                tool_name,
                call_id: *call_id,
                params,
            },
            EventKind::ToolResultReceived { result } => PayloadRef::ToolResultReceived { result },
            EventKind::ObservationRecorded { observation } => {
                PayloadRef::ObservationRecorded { observation }
            }
            EventKind::HypothesisCreated { hypothesis } => {
                PayloadRef::HypothesisCreated { hypothesis }
            }
            EventKind::HypothesisUpdated {
                hypothesis,
                previous_status,
                previous_confidence,
            } => PayloadRef::HypothesisUpdated {
                hypothesis,
                previous_status: *previous_status,
                previous_confidence: *previous_confidence,
            },
            EventKind::EvaluationRecorded { evaluation } => {
                PayloadRef::EvaluationRecorded { evaluation }
            }
            EventKind::ModelCalled { call } => PayloadRef::ModelCalled { call },
        }
    }
}

// The payloads, owned, for reading. Each refuses unknown fields.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunStartedPayload {
    incident: Incident,
    agent: String,
    seed: u64,
    limits: RunLimits,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunEndedPayload {
    reason: TerminationReason,
    resolution: Option<Resolution>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmptyPayload {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFailedPayload {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionMadePayload {
    decision: Decision,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolCalledPayload {
    tool_name: String,
    call_id: CallId,
    params: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolResultReceivedPayload {
    result: ToolResult,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ObservationRecordedPayload {
    observation: Observation,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HypothesisCreatedPayload {
    hypothesis: Hypothesis,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HypothesisUpdatedPayload {
    hypothesis: Hypothesis,
    previous_status: HypothesisStatus,
    previous_confidence: Confidence,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvaluationRecordedPayload {
    evaluation: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelCalledPayload {
    call: ModelCall,
}

/// Reads a payload, knowing its kind.
struct PayloadSeed(EventKindName);

impl<'de> DeserializeSeed<'de> for PayloadSeed {
    type Value = EventKind;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EventKind, D::Error> {
        Ok(match self.0 {
            EventKindName::RunStarted => {
                let payload = RunStartedPayload::deserialize(deserializer)?;
                EventKind::RunStarted {
                    incident: payload.incident,
                    agent: payload.agent,
                    seed: payload.seed,
                    limits: payload.limits,
                }
            }
            EventKindName::RunCompleted => {
                let payload = RunEndedPayload::deserialize(deserializer)?;
                EventKind::RunCompleted {
                    reason: payload.reason,
                    resolution: payload.resolution,
                }
            }
            EventKindName::RunFailed => {
                let payload = RunEndedPayload::deserialize(deserializer)?;
                EventKind::RunFailed {
                    reason: payload.reason,
                    resolution: payload.resolution,
                }
            }
            EventKindName::RunEscalated => {
                let payload = RunEndedPayload::deserialize(deserializer)?;
                EventKind::RunEscalated {
                    reason: payload.reason,
                    resolution: payload.resolution,
                }
            }
            EventKindName::StepStarted => {
                EmptyPayload::deserialize(deserializer)?;
                EventKind::StepStarted
            }
            EventKindName::StepCompleted => {
                EmptyPayload::deserialize(deserializer)?;
                EventKind::StepCompleted
            }
            EventKindName::StepFailed => EventKind::StepFailed {
                reason: StepFailedPayload::deserialize(deserializer)?.reason,
            },
            EventKindName::DecisionMade => EventKind::DecisionMade {
                decision: DecisionMadePayload::deserialize(deserializer)?.decision,
            },
            EventKindName::ToolCalled => {
                let payload = ToolCalledPayload::deserialize(deserializer)?;
                EventKind::ToolCalled {
                    tool_name: payload.tool_name,
                    call_id: payload.call_id,
                    params: payload.params,
                }
            }
            EventKindName::ToolResultReceived => EventKind::ToolResultReceived {
                result: ToolResultReceivedPayload::deserialize(deserializer)?.result,
            },
            EventKindName::ObservationRecorded => EventKind::ObservationRecorded {
                observation: ObservationRecordedPayload::deserialize(deserializer)?.observation,
            },
            EventKindName::HypothesisCreated => EventKind::HypothesisCreated {
                hypothesis: HypothesisCreatedPayload::deserialize(deserializer)?.hypothesis,
            },
            EventKindName::HypothesisUpdated => {
                let payload = HypothesisUpdatedPayload::deserialize(deserializer)?;
                EventKind::HypothesisUpdated {
                    hypothesis: payload.hypothesis,
                    previous_status: payload.previous_status,
                    previous_confidence: payload.previous_confidence,
                }
            }
            EventKindName::EvaluationRecorded => EventKind::EvaluationRecorded {
                evaluation: EvaluationRecordedPayload::deserialize(deserializer)?.evaluation,
            },
            EventKindName::ModelCalled => EventKind::ModelCalled {
                call: ModelCalledPayload::deserialize(deserializer)?.call,
            },
        })
    }
}

const FIELDS: &[&str] = &[
    "v", "seq", "prev", "id", "run_id", "step", "at", "type", "payload",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Version,
    Sequence,
    Prev,
    Id,
    RunId,
    Step,
    At,
    Type,
    Payload,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Version => "v",
            Field::Sequence => "seq",
            Field::Prev => "prev",
            Field::Id => "id",
            Field::RunId => "run_id",
            Field::Step => "step",
            Field::At => "at",
            Field::Type => "type",
            Field::Payload => "payload",
        }
    }
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Field, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event field name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "v" => Field::Version,
                    "seq" => Field::Sequence,
                    "prev" => Field::Prev,
                    "id" => Field::Id,
                    "run_id" => Field::RunId,
                    "step" => Field::Step,
                    "at" => Field::At,
                    "type" => Field::Type,
                    "payload" => Field::Payload,
                    other => return Err(de::Error::unknown_field(other, FIELDS)),
                })
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

/// Reads the `type` field, naming an unknown type and the known ones.
struct KindNameSeed;

impl<'de> DeserializeSeed<'de> for KindNameSeed {
    type Value = EventKindName;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<EventKindName, D::Error> {
        struct NameVisitor;
        impl Visitor<'_> for NameVisitor {
            type Value = EventKindName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an event type name")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<EventKindName, E> {
                name.parse().map_err(de::Error::custom)
            }
        }
        deserializer.deserialize_str(NameVisitor)
    }
}

impl<'de> Deserialize<'de> for LineRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<LineRecord, D::Error> {
        deserializer.deserialize_struct("Event", FIELDS, RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = LineRecord;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an audit event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LineRecord, A::Error> {
        let mut version: Option<u32> = None;
        let mut sequence: Option<u64> = None;
        let mut prev: Option<String> = None;
        let mut id: Option<EventId> = None;
        let mut run_id: Option<RunId> = None;
        let mut step: Option<Option<u32>> = None;
        let mut at: Option<Timestamp> = None;
        let mut kind_name: Option<EventKindName> = None;
        let mut kind: Option<EventKind> = None;
        let mut early_payload: Option<serde_json::Value> = None;
        let mut seen_payload = false;

        while let Some(field) = map.next_key::<Field>()? {
            let duplicate = match field {
                Field::Version => version.is_some(),
                Field::Sequence => sequence.is_some(),
                Field::Prev => prev.is_some(),
                Field::Id => id.is_some(),
                Field::RunId => run_id.is_some(),
                Field::Step => step.is_some(),
                Field::At => at.is_some(),
                Field::Type => kind_name.is_some(),
                Field::Payload => seen_payload,
            };
            if duplicate {
                return Err(de::Error::duplicate_field(field.name()));
            }
            match field {
                Field::Version => {
                    let found: u32 = map.next_value()?;
                    check_version(found)?;
                    version = Some(found);
                }
                Field::Sequence => sequence = Some(map.next_value()?),
                Field::Prev => prev = Some(map.next_value()?),
                Field::Id => id = Some(map.next_value()?),
                Field::RunId => run_id = Some(map.next_value()?),
                Field::Step => step = Some(map.next_value()?),
                Field::At => at = Some(map.next_value()?),
                Field::Type => kind_name = Some(map.next_value_seed(KindNameSeed)?),
                Field::Payload => {
                    seen_payload = true;
                    match kind_name {
                        Some(name) => kind = Some(map.next_value_seed(PayloadSeed(name))?),
                        None => early_payload = Some(map.next_value()?),
                    }
                }
            }
        }

        let version = version.ok_or_else(|| de::Error::missing_field("v"))?;
        check_version(version)?;
        let sequence = sequence.ok_or_else(|| de::Error::missing_field("seq"))?;
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let run_id = run_id.ok_or_else(|| de::Error::missing_field("run_id"))?;
        let step = step.ok_or_else(|| de::Error::missing_field("step"))?;
        let at = at.ok_or_else(|| de::Error::missing_field("at"))?;
        let kind_name = kind_name.ok_or_else(|| de::Error::missing_field("type"))?;
        if version < kind_name.first_format_version() {
            return Err(de::Error::custom(format!(
                "`{kind_name}` needs format version {} or later, but the line says {version}",
                kind_name.first_format_version()
            )));
        }
        let kind = match (kind, early_payload) {
            (Some(kind), _) => kind,
            (None, Some(payload)) => PayloadSeed(kind_name)
                .deserialize(payload)
                .map_err(|error| de::Error::custom(format!("payload: {error}")))?,
            (None, None) => return Err(de::Error::missing_field("payload")),
        };
        Ok(LineRecord {
            event: Event::new(id, sequence, run_id, step, at, kind),
            prev,
        })
    }
}

fn check_version<E: de::Error>(found: u32) -> Result<(), E> {
    if (OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&found) {
        Ok(())
    } else {
        Err(E::custom(format!(
            "unsupported format version {found}, expected {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}"
        )))
    }
}

#[cfg(test)]
#[path = "event_serde_tests.rs"]
mod tests;
