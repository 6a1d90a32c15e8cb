//! The checks the engine applies to what an agent sends before acting on it:
//! a mitigation's confidence and text, an escalation's reason and target,
//! and hypothesis updates. Each returns the validation error as text, which
//! becomes the failed step's reason.

use oncall_domain::{
    ActionClaim, Confidence, Decision, Hypothesis, HypothesisId, HypothesisStatus, ObservationId,
    Resolution, RootCauseClaim, TerminationReason,
};

use crate::agent::{Analysis, HypothesisUpdate};

/// The most bytes any one text an agent sends may hold: a reasoning, a
/// mitigation, an escalation's reason or target, an observation summary, a
/// hypothesis statement or proposed mitigation. Larger texts fail the step
/// and are not recorded, so an agent cannot flood the audit log.
pub const MAX_AGENT_TEXT_BYTES: usize = 16 * 1024;
/// The most bytes a tool call's parameters may take as JSON.
pub const MAX_TOOL_PARAMS_BYTES: usize = 16 * 1024;
/// The most bytes the raw data an analysis keeps with its observation may
/// take as JSON.
pub const MAX_OBSERVATION_RAW_BYTES: usize = 64 * 1024;
/// The most earlier observations one hypothesis update may cite by id.
pub const MAX_CITED_OBSERVATIONS: usize = 256;
/// The most structured actions one mitigation may carry and still be
/// recorded. More than [`MAX_GRADED_ACTIONS`](oncall_domain::MAX_GRADED_ACTIONS)
/// (3) are recorded and judged wrong by the grader; more than this fail the
/// step unrecorded, so an agent cannot flood the audit log.
pub const MAX_RECORDED_ACTIONS: usize = 32;

/// Why `decision` is too large to record, if it is.
pub(crate) fn oversized_decision(decision: &Decision) -> Option<String> {
    match decision {
        Decision::CallTool {
            tool_name,
            params,
            reasoning,
        } => too_long("tool_name", tool_name)
            .or_else(|| too_long("reasoning", reasoning))
            .or_else(|| {
                let size = json_size(params);
                (size > MAX_TOOL_PARAMS_BYTES).then(|| {
                    format!("`params` take {size} bytes as JSON, over the {MAX_TOOL_PARAMS_BYTES}-byte limit")
                })
            }),
        Decision::ProposeMitigation {
            mitigation,
            reasoning,
            root_cause,
            actions,
            ..
        } => too_long("mitigation", mitigation)
            .or_else(|| too_long("reasoning", reasoning))
            .or_else(|| oversized_root_cause(root_cause.as_ref()))
            .or_else(|| oversized_actions(actions)),
        Decision::Escalate {
            reason,
            target,
            team,
            root_cause,
        } => too_long("reason", reason)
            .or_else(|| too_long("target", target))
            .or_else(|| team.as_deref().and_then(|team| too_long("team", team)))
            .or_else(|| oversized_root_cause(root_cause.as_ref())),
    }
}

fn oversized_root_cause(claim: Option<&RootCauseClaim>) -> Option<String> {
    let claim = claim?;
    too_long("root_cause.service", claim.service())
        .or_else(|| too_long("root_cause.category", claim.category()))
}

fn oversized_actions(actions: &[ActionClaim]) -> Option<String> {
    if actions.len() > MAX_RECORDED_ACTIONS {
        return Some(format!(
            "`actions` lists {} actions, over the {MAX_RECORDED_ACTIONS}-action limit on what is recorded (at most {} are graded)",
            actions.len(),
            oncall_domain::MAX_GRADED_ACTIONS
        ));
    }
    actions.iter().enumerate().find_map(|(index, action)| {
        action
            .texts()
            .find_map(|(field, text)| too_long(&format!("actions[{index}].{field}"), text))
    })
}

/// Why `analysis` is too large to record, if it is.
pub(crate) fn oversized_analysis(analysis: &Analysis) -> Option<String> {
    let raw = analysis.raw.as_ref().and_then(|raw| {
        let size = json_size(raw);
        (size > MAX_OBSERVATION_RAW_BYTES).then(|| {
            format!(
                "`raw` takes {size} bytes as JSON, over the {MAX_OBSERVATION_RAW_BYTES}-byte limit"
            )
        })
    });
    let update = match &analysis.hypothesis_update {
        Some(HypothesisUpdate::Create { statement, .. }) => too_long("statement", statement),
        Some(HypothesisUpdate::Revise {
            statement,
            proposed_mitigation,
            ..
        }) => statement
            .as_deref()
            .and_then(|statement| too_long("statement", statement))
            .or_else(|| {
                proposed_mitigation
                    .as_deref()
                    .and_then(|mitigation| too_long("proposed_mitigation", mitigation))
            }),
        None => None,
    };
    too_long("summary", &analysis.summary).or(raw).or(update)
}

/// How many bytes `value` takes as compact JSON, counted without building
/// the text (this runs on every step).
fn json_size(value: &impl serde::Serialize) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 = self.0.saturating_add(bytes.len());
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => usize::MAX,
    }
}

fn too_long(field: &str, text: &str) -> Option<String> {
    (text.len() > MAX_AGENT_TEXT_BYTES).then(|| {
        format!(
            "`{field}` is {} bytes, over the {MAX_AGENT_TEXT_BYTES}-byte limit on agent text",
            text.len()
        )
    })
}

/// Checks an ending decision and turns it into the run's resolution.
///
/// - A mitigation needs a valid confidence, and a non-blank `mitigation`
///   text or at least one action. Its structured parts are carried as the
///   agent gave them: the grader, not the engine, judges unknown names.
/// - An escalation needs a non-blank `reason`, and a non-blank `target` or
///   `team`.
///
/// Anything else is a failed step, with the reason as text.
pub(crate) fn resolve(decision: &Decision) -> Result<(Resolution, TerminationReason), String> {
    match decision {
        Decision::CallTool { .. } => Err("a tool call does not end a run".to_owned()),
        Decision::ProposeMitigation {
            mitigation,
            confidence,
            root_cause,
            actions,
            ..
        } => {
            let confidence = Confidence::new(*confidence).map_err(|error| error.to_string())?;
            let mitigation = if actions.is_empty() {
                non_blank("mitigation", mitigation)?
            } else {
                mitigation.trim().to_owned()
            };
            Ok((
                Resolution::Mitigation {
                    mitigation,
                    confidence,
                    root_cause: root_cause.clone(),
                    actions: actions.clone(),
                },
                TerminationReason::MitigationProposed,
            ))
        }
        Decision::Escalate {
            reason,
            target,
            team,
            root_cause,
        } => {
            let reason = non_blank("reason", reason)?;
            let team = team
                .as_deref()
                .map(str::trim)
                .filter(|team| !team.is_empty());
            let target = match team {
                Some(_) => target.trim().to_owned(),
                None => non_blank("target", target)
                    .map_err(|error| format!("{error} (or give a catalogue `team`)"))?,
            };
            Ok((
                Resolution::Escalation {
                    reason,
                    target,
                    team: team.map(str::to_owned),
                    root_cause: root_cause.clone(),
                },
                TerminationReason::Escalated,
            ))
        }
    }
}

fn non_blank(field: &str, value: &str) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(format!("`{field}` must not be empty or whitespace"));
    }
    Ok(trimmed.to_owned())
}

pub(crate) fn create_hypothesis(
    id: HypothesisId,
    statement: &str,
    confidence: f64,
    cited: &[ObservationId],
) -> Result<Hypothesis, String> {
    let confidence = Confidence::new(confidence).map_err(|error| error.to_string())?;
    let hypothesis =
        Hypothesis::new(id, statement, confidence).map_err(|error| error.to_string())?;
    cite(hypothesis, cited)
}

pub(crate) fn revise_hypothesis(
    current: &Hypothesis,
    statement: Option<&str>,
    confidence: Option<f64>,
    cited: &[ObservationId],
    proposed_mitigation: Option<&str>,
    status: Option<HypothesisStatus>,
) -> Result<Hypothesis, String> {
    let mut hypothesis = current.clone();
    if let Some(statement) = statement {
        hypothesis = hypothesis
            .with_statement(statement)
            .map_err(|error| error.to_string())?;
    }
    if let Some(confidence) = confidence {
        let confidence = Confidence::new(confidence).map_err(|error| error.to_string())?;
        hypothesis = hypothesis.with_confidence(confidence);
    }
    hypothesis = cite(hypothesis, cited)?;
    if let Some(mitigation) = proposed_mitigation {
        hypothesis = hypothesis
            .with_proposed_mitigation(mitigation)
            .map_err(|error| error.to_string())?;
    }
    if let Some(status) = status {
        hypothesis = hypothesis
            .transition_to(status)
            .map_err(|error| error.to_string())?;
    }
    Ok(hypothesis)
}

/// `hypothesis` citing each of `cited` it does not cite yet.
fn cite(mut hypothesis: Hypothesis, cited: &[ObservationId]) -> Result<Hypothesis, String> {
    for observation in cited {
        if !hypothesis.supporting_observations().contains(observation) {
            hypothesis = hypothesis
                .with_supporting_observation(*observation)
                .map_err(|error| error.to_string())?;
        }
    }
    Ok(hypothesis)
}
