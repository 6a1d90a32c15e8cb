//! How an [`Analysis`] changes an [`Episode`]: the observation it records
//! and the hypothesis update it applies.

use oncall_audit::{EventKind, EventSink};
use oncall_domain::{HypothesisId, Observation, ObservationId, ToolCallRef};

use super::{Episode, PendingToolStep};
use crate::agent::{Analysis, HypothesisUpdate};
use crate::decision_rules::{MAX_CITED_OBSERVATIONS, create_hypothesis, revise_hypothesis};
use crate::error::EngineError;

impl<S: EventSink> Episode<S> {
    pub(super) fn record_observation(
        &mut self,
        pending: &PendingToolStep,
        analysis: &Analysis,
        problems: &mut Vec<String>,
    ) -> Result<Option<Observation>, EngineError> {
        let observation = ToolCallRef::new(&pending.tool_call.tool_name, pending.tool_call.call_id)
            .and_then(|source| {
                Observation::new(
                    ObservationId::generate(&*self.engine.config.ids),
                    source,
                    analysis.summary.clone(),
                    analysis.raw.clone(),
                    analysis.significant,
                    self.now(),
                )
            });
        match observation {
            Ok(observation) => {
                self.emit(
                    Some(pending.number),
                    EventKind::ObservationRecorded {
                        observation: observation.clone(),
                    },
                )?;
                self.run.observations.push(observation.clone());
                Ok(Some(observation))
            }
            Err(error) => {
                problems.push(format!("observation refused: {error}"));
                Ok(None)
            }
        }
    }

    pub(super) fn apply_hypothesis_update(
        &mut self,
        step: u32,
        update: &HypothesisUpdate,
        cited: Option<ObservationId>,
        problems: &mut Vec<String>,
    ) -> Result<(), EngineError> {
        let previous = self.run.hypothesis.as_ref();
        let (cite_current, earlier) = match update {
            HypothesisUpdate::Create {
                cite_observation,
                cite_observations,
                ..
            }
            | HypothesisUpdate::Revise {
                cite_observation,
                cite_observations,
                ..
            } => (*cite_observation, cite_observations.as_slice()),
        };
        let citations = self.citations(cite_current.then_some(cited).flatten(), earlier);
        let updated = citations.and_then(|citations| match update {
            HypothesisUpdate::Create {
                statement,
                confidence,
                ..
            } => create_hypothesis(
                HypothesisId::generate(&*self.engine.config.ids),
                statement,
                *confidence,
                &citations,
            ),
            HypothesisUpdate::Revise {
                statement,
                confidence,
                proposed_mitigation,
                status,
                ..
            } => match previous {
                None => {
                    Err("there is no current hypothesis to revise: create one first".to_owned())
                }
                Some(current) => revise_hypothesis(
                    current,
                    statement.as_deref(),
                    *confidence,
                    &citations,
                    proposed_mitigation.as_deref(),
                    *status,
                ),
            },
        });
        let hypothesis = match updated {
            Ok(hypothesis) => hypothesis,
            Err(reason) => {
                problems.push(format!("hypothesis update refused: {reason}"));
                return Ok(());
            }
        };
        let kind = match (update, previous) {
            (HypothesisUpdate::Revise { .. }, Some(previous)) => EventKind::HypothesisUpdated {
                hypothesis: hypothesis.clone(),
                previous_status: previous.status(),
                previous_confidence: previous.confidence(),
            },
            _ => EventKind::HypothesisCreated {
                hypothesis: hypothesis.clone(),
            },
        };
        self.emit(Some(step), kind)?;
        self.run.hypothesis_history.push(hypothesis.clone());
        self.run.hypothesis = Some(hypothesis);
        Ok(())
    }
    /// The observations an update cites: this step's, when asked, then the
    /// earlier ones by id, each of which must be this run's and which are
    /// at most [`MAX_CITED_OBSERVATIONS`].
    fn citations(
        &self,
        current: Option<ObservationId>,
        earlier: &[ObservationId],
    ) -> Result<Vec<ObservationId>, String> {
        if earlier.len() > MAX_CITED_OBSERVATIONS {
            return Err(format!(
                "`cite_observations` lists {} observations, over the limit of {MAX_CITED_OBSERVATIONS}",
                earlier.len()
            ));
        }
        let mut citations: Vec<ObservationId> = current.into_iter().collect();
        for id in earlier {
            if !self.run.observations.iter().any(|seen| seen.id() == *id) {
                return Err(format!(
                    "`cite_observations` names {id}, which is not an observation of this run"
                ));
            }
            if !citations.contains(id) {
                citations.push(*id);
            }
        }
        Ok(citations)
    }
}
