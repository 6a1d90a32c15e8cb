//! [`Hypothesis`]: the agent's current theory, and the state machine its
//! status follows.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::confidence::Confidence;
use crate::error::ValidationError;
use crate::ids::{HypothesisId, ObservationId};
use crate::incident::non_blank;

/// Where a hypothesis stands.
///
/// The status follows a state machine:
///
/// ```text
/// Investigating ──► Supported ──► Actionable   (needs a proposed mitigation)
///       │               │
///       └──► Refuted ◄──┘
/// ```
///
/// - `Investigating` → `Supported` or `Refuted`.
/// - `Supported` → `Actionable` (only with a proposed mitigation) or `Refuted`.
/// - `Actionable` and `Refuted` are final.
///
/// Staying in the same status is not a transition: [`Hypothesis::transition_to`]
/// accepts it and changes nothing, so an agent may restate the status it
/// already has. Anything else is an
/// [`ValidationError::IllegalStatusTransition`] naming both states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HypothesisStatus {
    /// Being looked into. Every hypothesis starts here.
    Investigating,
    /// Evidence backs it.
    Supported,
    /// Evidence contradicts it. Final.
    Refuted,
    /// Supported, with a mitigation ready to propose. Final.
    Actionable,
}

impl HypothesisStatus {
    /// The statuses this one may move to, in the order the docs list them.
    pub fn allowed_next(self) -> &'static [HypothesisStatus] {
        match self {
            HypothesisStatus::Investigating => {
                &[HypothesisStatus::Supported, HypothesisStatus::Refuted]
            }
            HypothesisStatus::Supported => {
                &[HypothesisStatus::Actionable, HypothesisStatus::Refuted]
            }
            HypothesisStatus::Refuted | HypothesisStatus::Actionable => &[],
        }
    }

    /// Whether the state machine allows moving from `self` to a different
    /// status `next`. Staying put is not a move, so `s.can_move_to(s)` is
    /// false; [`Hypothesis::transition_to`] accepts it as no change.
    pub fn can_move_to(self, next: HypothesisStatus) -> bool {
        self.allowed_next().contains(&next)
    }

    /// The snake_case name, as it appears in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            HypothesisStatus::Investigating => "investigating",
            HypothesisStatus::Supported => "supported",
            HypothesisStatus::Refuted => "refuted",
            HypothesisStatus::Actionable => "actionable",
        }
    }
}

impl fmt::Display for HypothesisStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The agent's current theory about what is wrong.
///
/// Immutable. Every `with_*` method and [`Hypothesis::transition_to`] returns
/// a changed, validated copy. The rules:
/// - the statement is not blank;
/// - the confidence is a valid [`Confidence`];
/// - supporting observations are listed at most once each;
/// - the status follows [`HypothesisStatus`]'s state machine, and only a
///   hypothesis with a proposed mitigation can be `Actionable`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "HypothesisRecord")]
pub struct Hypothesis {
    id: HypothesisId,
    statement: String,
    confidence: Confidence,
    supporting_observations: Vec<ObservationId>,
    proposed_mitigation: Option<String>,
    status: HypothesisStatus,
}

impl Hypothesis {
    /// A new hypothesis, `Investigating`, with no support and no mitigation.
    pub fn new(
        id: HypothesisId,
        statement: impl Into<String>,
        confidence: Confidence,
    ) -> Result<Hypothesis, ValidationError> {
        Ok(Hypothesis {
            id,
            statement: non_blank("statement", statement.into())?,
            confidence,
            supporting_observations: Vec::new(),
            proposed_mitigation: None,
            status: HypothesisStatus::Investigating,
        })
    }

    /// The hypothesis's id, kept across revisions.
    pub fn id(&self) -> HypothesisId {
        self.id
    }

    /// What the agent believes.
    pub fn statement(&self) -> &str {
        &self.statement
    }

    /// How strongly.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }

    /// The observations that back it, in the order they were added.
    pub fn supporting_observations(&self) -> &[ObservationId] {
        &self.supporting_observations
    }

    /// The mitigation it proposes, if any.
    pub fn proposed_mitigation(&self) -> Option<&str> {
        self.proposed_mitigation.as_deref()
    }

    /// Where it stands.
    pub fn status(&self) -> HypothesisStatus {
        self.status
    }

    /// A copy with another statement. Validates again.
    pub fn with_statement(
        &self,
        statement: impl Into<String>,
    ) -> Result<Hypothesis, ValidationError> {
        Ok(Hypothesis {
            statement: non_blank("statement", statement.into())?,
            ..self.clone()
        })
    }

    /// A copy with another confidence.
    pub fn with_confidence(&self, confidence: Confidence) -> Hypothesis {
        Hypothesis {
            confidence,
            ..self.clone()
        }
    }

    /// A copy with one more supporting observation. Listing one twice is an
    /// error.
    pub fn with_supporting_observation(
        &self,
        observation: ObservationId,
    ) -> Result<Hypothesis, ValidationError> {
        let mut supporting = self.supporting_observations.clone();
        supporting.push(observation);
        self.with_supporting_observations(supporting)
    }

    /// A copy whose supporting observations are exactly `observations`.
    /// Duplicates are an error.
    pub fn with_supporting_observations(
        &self,
        observations: Vec<ObservationId>,
    ) -> Result<Hypothesis, ValidationError> {
        reject_duplicates(&observations)?;
        Ok(Hypothesis {
            supporting_observations: observations,
            ..self.clone()
        })
    }

    /// A copy that proposes `mitigation`, which must not be blank.
    pub fn with_proposed_mitigation(
        &self,
        mitigation: impl Into<String>,
    ) -> Result<Hypothesis, ValidationError> {
        Ok(Hypothesis {
            proposed_mitigation: Some(non_blank("proposed_mitigation", mitigation.into())?),
            ..self.clone()
        })
    }

    /// A copy in status `next`, if the state machine allows the move.
    /// Asking for the status it already has is not a transition: the copy
    /// is unchanged.
    pub fn transition_to(&self, next: HypothesisStatus) -> Result<Hypothesis, ValidationError> {
        if next != self.status && !self.status.can_move_to(next) {
            return Err(illegal_transition(self.status, next));
        }
        if next == HypothesisStatus::Actionable && self.proposed_mitigation.is_none() {
            return Err(ValidationError::ActionableWithoutMitigation);
        }
        Ok(Hypothesis {
            status: next,
            ..self.clone()
        })
    }
}

fn illegal_transition(from: HypothesisStatus, to: HypothesisStatus) -> ValidationError {
    let allowed = from.allowed_next();
    let allowed = if allowed.is_empty() {
        "nothing (it is final)".to_owned()
    } else {
        allowed
            .iter()
            .map(|status| status.as_str())
            .collect::<Vec<_>>()
            .join(" or ")
    };
    ValidationError::IllegalStatusTransition { from, to, allowed }
}

fn reject_duplicates(observations: &[ObservationId]) -> Result<(), ValidationError> {
    let mut seen = std::collections::HashSet::with_capacity(observations.len());
    for id in observations {
        if !seen.insert(id) {
            return Err(ValidationError::DuplicateSupportingObservation { id: id.to_string() });
        }
    }
    Ok(())
}

/// The JSON form of a [`Hypothesis`], before validation. A stored hypothesis
/// may be in any status, but an `actionable` one must carry its mitigation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HypothesisRecord {
    id: HypothesisId,
    statement: String,
    confidence: Confidence,
    #[serde(default)]
    supporting_observations: Vec<ObservationId>,
    #[serde(default)]
    proposed_mitigation: Option<String>,
    status: HypothesisStatus,
}

impl TryFrom<HypothesisRecord> for Hypothesis {
    type Error = ValidationError;

    fn try_from(record: HypothesisRecord) -> Result<Hypothesis, ValidationError> {
        let mut hypothesis = Hypothesis::new(record.id, record.statement, record.confidence)?
            .with_supporting_observations(record.supporting_observations)?;
        if let Some(mitigation) = record.proposed_mitigation {
            hypothesis = hypothesis.with_proposed_mitigation(mitigation)?;
        }
        if record.status == HypothesisStatus::Actionable && hypothesis.proposed_mitigation.is_none()
        {
            return Err(ValidationError::ActionableWithoutMitigation);
        }
        Ok(Hypothesis {
            status: record.status,
            ..hypothesis
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;

    fn observation(n: u128) -> ObservationId {
        ObservationId::from_uuid(Uuid::from_u128(n))
    }

    fn fresh() -> Hypothesis {
        Hypothesis::new(
            HypothesisId::from_uuid(Uuid::from_u128(1)),
            "deploy v2.3 raised checkout latency",
            Confidence::new(0.4).unwrap(),
        )
        .unwrap()
    }

    /// A hypothesis with a proposed mitigation, in `status`.
    fn in_status(status: HypothesisStatus) -> Hypothesis {
        let proposing = fresh().with_proposed_mitigation("roll back").unwrap();
        match status {
            HypothesisStatus::Investigating => proposing,
            HypothesisStatus::Supported | HypothesisStatus::Refuted => {
                proposing.transition_to(status).unwrap()
            }
            HypothesisStatus::Actionable => proposing
                .transition_to(HypothesisStatus::Supported)
                .unwrap()
                .transition_to(status)
                .unwrap(),
        }
    }

    #[test]
    fn starts_investigating_with_nothing_attached() {
        let hypothesis = fresh();
        assert_eq!(hypothesis.status(), HypothesisStatus::Investigating);
        assert!(hypothesis.supporting_observations().is_empty());
        assert_eq!(hypothesis.proposed_mitigation(), None);
    }

    #[test]
    fn blank_statement_and_mitigation_are_rejected_by_name() {
        let error = Hypothesis::new(HypothesisId::from_uuid(Uuid::nil()), " ", Confidence::ZERO)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`statement` must not be empty or whitespace"
        );
        let error = fresh().with_proposed_mitigation("").unwrap_err();
        assert_eq!(
            error.to_string(),
            "`proposed_mitigation` must not be empty or whitespace"
        );
    }

    #[test]
    fn the_documented_lifecycle_is_allowed() {
        let actionable = fresh()
            .transition_to(HypothesisStatus::Supported)
            .unwrap()
            .with_proposed_mitigation("roll back to v2.2")
            .unwrap()
            .transition_to(HypothesisStatus::Actionable)
            .unwrap();
        assert_eq!(actionable.status(), HypothesisStatus::Actionable);
        assert!(fresh().transition_to(HypothesisStatus::Refuted).is_ok());
        let supported = fresh().transition_to(HypothesisStatus::Supported).unwrap();
        assert!(supported.transition_to(HypothesisStatus::Refuted).is_ok());
    }

    #[test]
    fn every_transition_outside_the_table_is_rejected() {
        use HypothesisStatus::*;
        let all = [Investigating, Supported, Refuted, Actionable];
        let allowed = [
            (Investigating, Supported),
            (Investigating, Refuted),
            (Supported, Actionable),
            (Supported, Refuted),
        ];
        for from in all {
            for to in all {
                assert_eq!(
                    from.can_move_to(to),
                    allowed.contains(&(from, to)),
                    "{from} -> {to}"
                );
            }
        }
    }

    #[test]
    fn restating_the_current_status_is_accepted_and_changes_nothing() {
        let supported = fresh()
            .with_supporting_observation(observation(2))
            .unwrap()
            .transition_to(HypothesisStatus::Supported)
            .unwrap();
        let actionable = supported
            .with_proposed_mitigation("roll back to v2.2")
            .unwrap()
            .transition_to(HypothesisStatus::Actionable)
            .unwrap();
        let refuted = fresh().transition_to(HypothesisStatus::Refuted).unwrap();
        for hypothesis in [fresh(), supported, actionable, refuted] {
            let status = hypothesis.status();
            assert!(!status.can_move_to(status), "{status} is not a move");
            let restated = hypothesis.transition_to(status).unwrap();
            assert_eq!(restated, hypothesis, "restating {status}");
        }
    }

    #[test]
    fn moving_to_another_status_follows_the_table() {
        use HypothesisStatus::*;
        let all = [Investigating, Supported, Refuted, Actionable];
        for from in all {
            let hypothesis = in_status(from);
            for to in all.into_iter().filter(|to| *to != from) {
                match hypothesis.transition_to(to) {
                    Ok(moved) => {
                        assert!(from.can_move_to(to), "{from} -> {to} was accepted");
                        assert_eq!(moved.status(), to);
                    }
                    Err(ValidationError::IllegalStatusTransition {
                        from: named_from,
                        to: named_to,
                        ..
                    }) => {
                        assert!(!from.can_move_to(to), "{from} -> {to} was refused");
                        assert_eq!((named_from, named_to), (from, to));
                    }
                    Err(other) => panic!("{from} -> {to}: unexpected {other}"),
                }
            }
        }
    }

    #[test]
    fn illegal_transition_names_both_states() {
        let error = fresh()
            .transition_to(HypothesisStatus::Actionable)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`status` cannot change from investigating to actionable: allowed from investigating is supported or refuted"
        );
        let refuted = fresh().transition_to(HypothesisStatus::Refuted).unwrap();
        let error = refuted
            .transition_to(HypothesisStatus::Supported)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`status` cannot change from refuted to supported: allowed from refuted is nothing (it is final)"
        );
    }

    #[test]
    fn actionable_needs_a_mitigation() {
        let supported = fresh().transition_to(HypothesisStatus::Supported).unwrap();
        let error = supported
            .transition_to(HypothesisStatus::Actionable)
            .unwrap_err();
        assert_eq!(error, ValidationError::ActionableWithoutMitigation);
    }

    #[test]
    fn duplicate_supporting_observations_are_rejected() {
        let once = fresh().with_supporting_observation(observation(5)).unwrap();
        let error = once
            .with_supporting_observation(observation(5))
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "`supporting_observations` lists observation 00000000-0000-0000-0000-000000000005 more than once"
        );
        assert!(
            fresh()
                .with_supporting_observations(vec![observation(1), observation(1)])
                .is_err()
        );
    }

    #[test]
    fn with_methods_leave_the_original_unchanged() {
        let original = fresh();
        let _ = original.with_confidence(Confidence::CERTAIN);
        let _ = original.with_statement("other").unwrap();
        let _ = original
            .with_supporting_observation(observation(9))
            .unwrap();
        let _ = original.with_proposed_mitigation("restart").unwrap();
        let _ = original.transition_to(HypothesisStatus::Supported).unwrap();
        assert_eq!(original, fresh());
    }

    #[test]
    fn json_round_trip_in_every_status() {
        let supported = fresh()
            .with_supporting_observation(observation(3))
            .unwrap()
            .transition_to(HypothesisStatus::Supported)
            .unwrap()
            .with_proposed_mitigation("roll back")
            .unwrap();
        let actionable = supported
            .transition_to(HypothesisStatus::Actionable)
            .unwrap();
        let refuted = fresh().transition_to(HypothesisStatus::Refuted).unwrap();
        for hypothesis in [fresh(), supported, actionable, refuted] {
            let json = serde_json::to_string(&hypothesis).unwrap();
            assert_eq!(
                serde_json::from_str::<Hypothesis>(&json).unwrap(),
                hypothesis
            );
        }
    }

    #[test]
    fn invalid_json_is_rejected_by_the_same_validation() {
        let base = serde_json::to_value(fresh()).unwrap();
        let mut nan = base.clone();
        nan["confidence"] = serde_json::json!(1.5);
        let error = serde_json::from_value::<Hypothesis>(nan).unwrap_err();
        assert!(error.to_string().contains("between 0.0 and 1.0"), "{error}");

        let mut actionable = base.clone();
        actionable["status"] = serde_json::json!("actionable");
        let error = serde_json::from_value::<Hypothesis>(actionable).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("without a `proposed_mitigation`"),
            "{error}"
        );

        let mut duplicated = base;
        let id = observation(4).to_string();
        duplicated["supporting_observations"] = serde_json::json!([id, id]);
        let error = serde_json::from_value::<Hypothesis>(duplicated).unwrap_err();
        assert!(error.to_string().contains("more than once"), "{error}");
    }

    proptest! {
        #[test]
        fn any_valid_hypothesis_round_trips(
            statement in "[a-z][ -~]{0,40}",
            confidence in 0.0f64..=1.0,
            support in proptest::collection::btree_set(any::<u128>(), 0..5),
            mitigation in proptest::option::of("[a-z][ -~]{0,20}"),
        ) {
            let mut hypothesis = fresh()
                .with_statement(statement).unwrap()
                .with_confidence(Confidence::new(confidence).unwrap())
                .with_supporting_observations(support.into_iter().map(observation).collect()).unwrap();
            if let Some(mitigation) = mitigation {
                hypothesis = hypothesis.with_proposed_mitigation(mitigation).unwrap();
            }
            let json = serde_json::to_string(&hypothesis).unwrap();
            prop_assert_eq!(serde_json::from_str::<Hypothesis>(&json).unwrap(), hypothesis);
        }
    }
}
