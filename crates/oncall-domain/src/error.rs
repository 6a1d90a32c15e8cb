//! The one error type of this crate.

use crate::hypothesis::HypothesisStatus;

/// A value broke one of the domain's rules.
///
/// Every variant names the field that was wrong and why, in a message a user
/// can act on. Messages do not end with a period.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// A text field was empty, or only whitespace.
    #[error("`{field}` must not be empty or whitespace")]
    EmptyField {
        /// The field's name, e.g. `service`.
        field: &'static str,
    },
    /// A severity that is not one of the four known ones.
    #[error("`severity` is `{value}`, expected one of: critical, high, medium, low")]
    UnknownSeverity {
        /// What was given.
        value: String,
    },
    /// A confidence that is NaN or infinite.
    #[error("`{field}` must be a finite number between 0.0 and 1.0, got {value}")]
    ConfidenceNotFinite {
        /// The field's name, usually `confidence`.
        field: &'static str,
        /// What was given.
        value: f64,
    },
    /// A confidence outside `0.0..=1.0`. It is never clamped silently.
    #[error("`{field}` must be between 0.0 and 1.0 inclusive, got {value}")]
    ConfidenceOutOfRange {
        /// The field's name, usually `confidence`.
        field: &'static str,
        /// What was given.
        value: f64,
    },
    /// The same observation was listed twice as support for a hypothesis.
    #[error("`supporting_observations` lists observation {id} more than once")]
    DuplicateSupportingObservation {
        /// The repeated observation id.
        id: String,
    },
    /// A hypothesis status change that the state machine does not allow.
    #[error("`status` cannot change from {from} to {to}: allowed from {from} is {allowed}")]
    IllegalStatusTransition {
        /// The current status.
        from: HypothesisStatus,
        /// The status that was asked for.
        to: HypothesisStatus,
        /// The statuses that are allowed from `from`, for the message.
        allowed: String,
    },
    /// A hypothesis cannot become actionable before it proposes a mitigation.
    #[error(
        "`status` cannot be actionable without a `proposed_mitigation`: propose a mitigation first"
    )]
    ActionableWithoutMitigation,
    /// A list that must have at least one item was empty.
    #[error("`{field}` must list at least one item")]
    EmptyList {
        /// The field's name.
        field: &'static str,
    },
    /// Fields that contradict each other.
    #[error("`{field}` is inconsistent: {reason}")]
    Inconsistent {
        /// The field that was wrong.
        field: &'static str,
        /// Which rule it broke.
        reason: &'static str,
    },
}
