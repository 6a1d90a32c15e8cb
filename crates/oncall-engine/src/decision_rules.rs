//! The checks the engine applies to what an agent sends before acting on it:
//! a mitigation's confidence and text, an escalation's reason and target,
//! and hypothesis updates. Each returns the validation error as text, which
//! becomes the failed step's reason.

use oncall_domain::{
    Confidence, Hypothesis, HypothesisId, HypothesisStatus, ObservationId, Resolution,
    TerminationReason,
};

pub(crate) fn validate_mitigation(
    mitigation: &str,
    confidence: f64,
) -> Result<(Resolution, TerminationReason), String> {
    let confidence = Confidence::new(confidence).map_err(|error| error.to_string())?;
    let mitigation = non_blank("mitigation", mitigation)?;
    Ok((
        Resolution::Mitigation {
            mitigation,
            confidence,
        },
        TerminationReason::MitigationProposed,
    ))
}

pub(crate) fn validate_escalation(
    reason: &str,
    target: &str,
) -> Result<(Resolution, TerminationReason), String> {
    let reason = non_blank("reason", reason)?;
    let target = non_blank("target", target)?;
    Ok((
        Resolution::Escalation { reason, target },
        TerminationReason::Escalated,
    ))
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
    cited: Option<ObservationId>,
) -> Result<Hypothesis, String> {
    let confidence = Confidence::new(confidence).map_err(|error| error.to_string())?;
    let hypothesis =
        Hypothesis::new(id, statement, confidence).map_err(|error| error.to_string())?;
    match cited {
        Some(observation) => hypothesis
            .with_supporting_observation(observation)
            .map_err(|error| error.to_string()),
        None => Ok(hypothesis),
    }
}

pub(crate) fn revise_hypothesis(
    current: &Hypothesis,
    statement: Option<&str>,
    confidence: Option<f64>,
    cited: Option<ObservationId>,
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
    if let Some(observation) = cited {
        hypothesis = hypothesis
            .with_supporting_observation(observation)
            .map_err(|error| error.to_string())?;
    }
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
