//! [`Incident`]: the alert that starts an investigation.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Timestamp;
use crate::determinism::{Clock, IdGenerator};
use crate::error::ValidationError;
use crate::ids::IncidentId;

/// How bad an incident is. `High` is the default.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Severity {
    /// Customers are down.
    Critical,
    /// Customers are hurt. The default.
    #[default]
    High,
    /// Degraded, with a workaround.
    Medium,
    /// Cosmetic or internal.
    Low,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The lowercase name, as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = ValidationError;

    /// Parses case-insensitively, ignoring surrounding whitespace.
    fn from_str(text: &str) -> Result<Severity, ValidationError> {
        let wanted = text.trim();
        Severity::ALL
            .into_iter()
            .find(|severity| severity.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ValidationError::UnknownSeverity {
                value: text.to_owned(),
            })
    }
}

impl TryFrom<String> for Severity {
    type Error = ValidationError;

    fn try_from(text: String) -> Result<Severity, ValidationError> {
        text.parse()
    }
}

/// The alert that starts an investigation.
///
/// Immutable: build one with [`Incident::builder`] or [`Incident::new`], read
/// it through getters, and derive changed copies with the `with_*` methods,
/// which validate again. `created_at` is the simulated "now" of a run: tools
/// never return data from after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "IncidentRecord")]
pub struct Incident {
    id: IncidentId,
    service: String,
    description: String,
    severity: Severity,
    tags: BTreeMap<String, String>,
    created_at: Timestamp,
}

impl Incident {
    /// Starts building an incident for `service`, described by `description`.
    pub fn builder(service: impl Into<String>, description: impl Into<String>) -> IncidentBuilder {
        IncidentBuilder {
            id: None,
            service: service.into(),
            description: description.into(),
            severity: Severity::default(),
            tags: BTreeMap::new(),
            created_at: None,
        }
    }

    /// An incident with every field given. `service` and `description` must
    /// not be blank; surrounding whitespace is trimmed.
    pub fn new(
        id: IncidentId,
        service: impl Into<String>,
        description: impl Into<String>,
        severity: Severity,
        tags: BTreeMap<String, String>,
        created_at: Timestamp,
    ) -> Result<Incident, ValidationError> {
        Ok(Incident {
            id,
            service: non_blank("service", service.into())?,
            description: non_blank("description", description.into())?,
            severity,
            tags,
            created_at,
        })
    }

    /// The incident's id.
    pub fn id(&self) -> IncidentId {
        self.id
    }

    /// The service that alerted. Not necessarily the culprit.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// What the alert says.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// How bad it is.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// Free-form labels, in key order.
    pub fn tags(&self) -> &BTreeMap<String, String> {
        &self.tags
    }

    /// When the alert fired: the simulated "now" of a run.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }

    /// A copy with another service. Validates again.
    pub fn with_service(&self, service: impl Into<String>) -> Result<Incident, ValidationError> {
        Incident::new(
            self.id,
            service,
            self.description.clone(),
            self.severity,
            self.tags.clone(),
            self.created_at,
        )
    }

    /// A copy with another description. Validates again.
    pub fn with_description(
        &self,
        description: impl Into<String>,
    ) -> Result<Incident, ValidationError> {
        Incident::new(
            self.id,
            self.service.clone(),
            description,
            self.severity,
            self.tags.clone(),
            self.created_at,
        )
    }

    /// A copy with another severity.
    pub fn with_severity(&self, severity: Severity) -> Incident {
        Incident {
            severity,
            ..self.clone()
        }
    }

    /// A copy with one more tag, replacing any tag with the same key.
    pub fn with_tag(&self, key: impl Into<String>, value: impl Into<String>) -> Incident {
        let mut tags = self.tags.clone();
        tags.insert(key.into(), value.into());
        Incident {
            tags,
            ..self.clone()
        }
    }
}

/// Builds an [`Incident`], generating the id and the time from injected
/// sources when they are not given.
#[derive(Debug, Clone)]
#[must_use]
pub struct IncidentBuilder {
    id: Option<IncidentId>,
    service: String,
    description: String,
    severity: Severity,
    tags: BTreeMap<String, String>,
    created_at: Option<Timestamp>,
}

impl IncidentBuilder {
    /// Uses this id instead of generating one.
    pub fn id(self, id: IncidentId) -> IncidentBuilder {
        IncidentBuilder {
            id: Some(id),
            ..self
        }
    }

    /// Sets the severity (default `High`).
    pub fn severity(self, severity: Severity) -> IncidentBuilder {
        IncidentBuilder { severity, ..self }
    }

    /// Adds a tag, replacing any tag with the same key.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> IncidentBuilder {
        self.tags.insert(key.into(), value.into());
        self
    }

    /// Uses this time instead of asking the clock.
    pub fn created_at(self, created_at: Timestamp) -> IncidentBuilder {
        IncidentBuilder {
            created_at: Some(created_at),
            ..self
        }
    }

    /// Validates and builds. The id comes from `ids` and the time from
    /// `clock` only when they were not given.
    pub fn build(
        self,
        clock: &dyn Clock,
        ids: &dyn IdGenerator,
    ) -> Result<Incident, ValidationError> {
        let id = self.id.unwrap_or_else(|| IncidentId::generate(ids));
        let created_at = self.created_at.unwrap_or_else(|| clock.now());
        Incident::new(
            id,
            self.service,
            self.description,
            self.severity,
            self.tags,
            created_at,
        )
    }
}

/// The JSON form of an [`Incident`], before validation. `severity` and `tags`
/// may be left out.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IncidentRecord {
    id: IncidentId,
    service: String,
    description: String,
    #[serde(default)]
    severity: Severity,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    created_at: Timestamp,
}

impl TryFrom<IncidentRecord> for Incident {
    type Error = ValidationError;

    fn try_from(record: IncidentRecord) -> Result<Incident, ValidationError> {
        Incident::new(
            record.id,
            record.service,
            record.description,
            record.severity,
            record.tags,
            record.created_at,
        )
    }
}

/// Trims `value` and rejects it when nothing is left.
pub(crate) fn non_blank(field: &'static str, value: String) -> Result<String, ValidationError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ValidationError::EmptyField { field });
    }
    if trimmed.len() == value.len() {
        Ok(value)
    } else {
        Ok(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use chrono::Utc;
    use proptest::prelude::*;

    use super::*;
    use crate::determinism::{FixedClock, SequentialIdGenerator};

    fn noon() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    fn checkout_incident() -> Incident {
        Incident::builder("checkout", "p99 latency above 2s")
            .tag("region", "eu-west-1")
            .build(&FixedClock::new(noon()), &SequentialIdGenerator::new())
            .unwrap()
    }

    #[test]
    fn builder_generates_id_and_time_from_the_injected_sources() {
        let incident = checkout_incident();
        assert_eq!(
            incident.id().to_string(),
            "00000000-0000-0000-0000-000000000001"
        );
        assert_eq!(incident.created_at(), noon());
        assert_eq!(incident.severity(), Severity::High);
        assert_eq!(
            incident.tags().get("region").map(String::as_str),
            Some("eu-west-1")
        );
    }

    #[test]
    fn builder_keeps_given_id_and_time() {
        let id = IncidentId::from_uuid(uuid::Uuid::from_u128(99));
        let earlier = noon() - chrono::Duration::hours(1);
        let incident = Incident::builder("api", "errors")
            .id(id)
            .created_at(earlier)
            .severity(Severity::Low)
            .build(&FixedClock::new(noon()), &SequentialIdGenerator::new())
            .unwrap();
        assert_eq!(incident.id(), id);
        assert_eq!(incident.created_at(), earlier);
        assert_eq!(incident.severity(), Severity::Low);
    }

    #[test]
    fn blank_service_and_description_are_rejected_by_name() {
        let clock = FixedClock::new(noon());
        let ids = SequentialIdGenerator::new();
        let error = Incident::builder("  ", "x")
            .build(&clock, &ids)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`service` must not be empty or whitespace"
        );
        let error = Incident::builder("api", "\t\n")
            .build(&clock, &ids)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`description` must not be empty or whitespace"
        );
    }

    #[test]
    fn text_fields_are_trimmed() {
        let incident = Incident::builder(" api ", " slow\n")
            .build(&FixedClock::new(noon()), &SequentialIdGenerator::new())
            .unwrap();
        assert_eq!(incident.service(), "api");
        assert_eq!(incident.description(), "slow");
    }

    #[test]
    fn severity_parses_case_insensitively() {
        assert_eq!("CRITICAL".parse::<Severity>().unwrap(), Severity::Critical);
        assert_eq!(" Medium ".parse::<Severity>().unwrap(), Severity::Medium);
        assert_eq!("low".parse::<Severity>().unwrap(), Severity::Low);
    }

    #[test]
    fn unknown_severity_lists_the_valid_values() {
        let error = "urgent".parse::<Severity>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`severity` is `urgent`, expected one of: critical, high, medium, low"
        );
    }

    #[test]
    fn with_methods_leave_the_original_unchanged() {
        let original = checkout_incident();
        let renamed = original.with_service("payments").unwrap();
        let louder = original.with_severity(Severity::Critical);
        let tagged = original.with_tag("team", "sre");
        let redescribed = original.with_description("now worse").unwrap();
        assert_eq!(original.service(), "checkout");
        assert_eq!(original.severity(), Severity::High);
        assert_eq!(original.description(), "p99 latency above 2s");
        assert!(!original.tags().contains_key("team"));
        assert_eq!(renamed.service(), "payments");
        assert_eq!(louder.severity(), Severity::Critical);
        assert_eq!(tagged.tags().get("team").map(String::as_str), Some("sre"));
        assert_eq!(redescribed.description(), "now worse");
        assert_eq!(renamed.id(), original.id());
    }

    #[test]
    fn with_methods_validate_again() {
        let original = checkout_incident();
        assert!(original.with_service("").is_err());
        assert!(original.with_description(" ").is_err());
    }

    #[test]
    fn json_round_trip_and_field_order() {
        let incident = checkout_incident();
        let json = serde_json::to_string(&incident).unwrap();
        assert_eq!(
            json,
            r#"{"id":"00000000-0000-0000-0000-000000000001","service":"checkout","description":"p99 latency above 2s","severity":"high","tags":{"region":"eu-west-1"},"created_at":"2026-11-25T12:00:00Z"}"#
        );
        let back: Incident = serde_json::from_str(&json).unwrap();
        assert_eq!(back, incident);
    }

    #[test]
    fn json_with_invalid_values_is_rejected_by_the_same_validation() {
        let blank = r#"{"id":"00000000-0000-0000-0000-000000000001","service":" ","description":"d","created_at":"2026-11-25T12:00:00Z"}"#;
        let error = serde_json::from_str::<Incident>(blank).unwrap_err();
        assert!(
            error.to_string().contains("`service` must not be empty"),
            "{error}"
        );

        let severity = r#"{"id":"00000000-0000-0000-0000-000000000001","service":"a","description":"d","severity":"urgent","created_at":"2026-11-25T12:00:00Z"}"#;
        let error = serde_json::from_str::<Incident>(severity).unwrap_err();
        assert!(
            error.to_string().contains("expected one of: critical"),
            "{error}"
        );

        let unknown = r#"{"id":"00000000-0000-0000-0000-000000000001","service":"a","description":"d","colour":"red","created_at":"2026-11-25T12:00:00Z"}"#;
        let error = serde_json::from_str::<Incident>(unknown).unwrap_err();
        assert!(
            error.to_string().contains("unknown field `colour`"),
            "{error}"
        );
    }

    #[test]
    fn json_accepts_any_case_of_severity_and_defaults_it() {
        let json = r#"{"id":"00000000-0000-0000-0000-000000000001","service":"a","description":"d","severity":"CRITICAL","created_at":"2026-11-25T12:00:00Z"}"#;
        let incident: Incident = serde_json::from_str(json).unwrap();
        assert_eq!(incident.severity(), Severity::Critical);
        let json = r#"{"id":"00000000-0000-0000-0000-000000000001","service":"a","description":"d","created_at":"2026-11-25T12:00:00Z"}"#;
        let incident: Incident = serde_json::from_str(json).unwrap();
        assert_eq!(incident.severity(), Severity::High);
    }

    proptest! {
        #[test]
        fn any_valid_incident_round_trips(
            service in "[a-z][a-z0-9-]{0,20}",
            description in "[ -~]{0,40}[a-z]",
            severity_index in 0usize..4,
            tags in proptest::collection::btree_map("[a-z]{1,8}", "[ -~]{0,12}", 0..4),
            seconds in 0i64..4_000_000_000,
        ) {
            let created_at = Utc.timestamp_opt(seconds, 0).unwrap();
            let incident = Incident::new(
                IncidentId::from_uuid(uuid::Uuid::from_u128(seconds as u128)),
                service,
                description,
                Severity::ALL[severity_index],
                tags,
                created_at,
            ).unwrap();
            let json = serde_json::to_string(&incident).unwrap();
            let back: Incident = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, incident);
        }
    }
}
