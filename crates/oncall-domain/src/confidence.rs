//! [`Confidence`]: a probability-like number in `0.0..=1.0`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ValidationError;

/// How strongly an agent believes something, from 0.0 (not at all) to 1.0
/// (certain).
///
/// A `Confidence` is always finite and inside `0.0..=1.0`. NaN, infinities
/// and out-of-range numbers are a [`ValidationError`], never clamped: an agent
/// that says 1.3 has a bug that should be visible. `-0.0` is stored as `0.0`,
/// so equal confidences serialise to equal bytes.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Confidence(f64);

impl Confidence {
    /// No confidence at all.
    pub const ZERO: Confidence = Confidence(0.0);
    /// Certainty.
    pub const CERTAIN: Confidence = Confidence(1.0);

    /// Validates `value` as the field `confidence`.
    pub fn new(value: f64) -> Result<Confidence, ValidationError> {
        Confidence::for_field("confidence", value)
    }

    /// Validates `value`, naming `field` in the error.
    pub fn for_field(field: &'static str, value: f64) -> Result<Confidence, ValidationError> {
        if !value.is_finite() {
            return Err(ValidationError::ConfidenceNotFinite { field, value });
        }
        if !(0.0..=1.0).contains(&value) {
            return Err(ValidationError::ConfidenceOutOfRange { field, value });
        }
        // `-0.0` passes the range check; store it as `+0.0`.
        Ok(Confidence(if value == 0.0 { 0.0 } else { value }))
    }

    /// The number, in `0.0..=1.0`.
    pub fn value(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Confidence {
    type Error = ValidationError;

    fn try_from(value: f64) -> Result<Confidence, ValidationError> {
        Confidence::new(value)
    }
}

impl From<Confidence> for f64 {
    fn from(confidence: Confidence) -> f64 {
        confidence.0
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_both_ends_of_the_range() {
        assert_eq!(Confidence::new(0.0).unwrap().value(), 0.0);
        assert_eq!(Confidence::new(1.0).unwrap().value(), 1.0);
        assert_eq!(Confidence::new(0.5).unwrap().to_string(), "0.50");
    }

    #[test]
    fn rejects_nan_and_infinities_with_a_message_naming_the_field() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = Confidence::new(value).unwrap_err();
            assert!(matches!(error, ValidationError::ConfidenceNotFinite { .. }));
            assert!(
                error
                    .to_string()
                    .starts_with("`confidence` must be a finite number")
            );
        }
    }

    #[test]
    fn rejects_out_of_range_without_clamping() {
        let error = Confidence::new(1.3).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`confidence` must be between 0.0 and 1.0 inclusive, got 1.3"
        );
        let error = Confidence::for_field("prior", -0.1).unwrap_err();
        assert_eq!(
            error.to_string(),
            "`prior` must be between 0.0 and 1.0 inclusive, got -0.1"
        );
    }

    #[test]
    fn negative_zero_is_stored_as_zero() {
        let confidence = Confidence::new(-0.0).unwrap();
        assert!(confidence.value().is_sign_positive());
        assert_eq!(serde_json::to_string(&confidence).unwrap(), "0.0");
    }

    #[test]
    fn deserialisation_validates() {
        assert!(serde_json::from_str::<Confidence>("0.25").is_ok());
        let error = serde_json::from_str::<Confidence>("2.0").unwrap_err();
        assert!(error.to_string().contains("between 0.0 and 1.0"), "{error}");
        assert!(serde_json::from_str::<Confidence>("\"high\"").is_err());
    }

    proptest! {
        #[test]
        fn new_accepts_exactly_the_finite_values_in_range(value in proptest::num::f64::ANY) {
            let accepted = Confidence::new(value).is_ok();
            prop_assert_eq!(accepted, value.is_finite() && (0.0..=1.0).contains(&value));
        }

        #[test]
        fn json_round_trip_is_exact(value in 0.0f64..=1.0) {
            let confidence = Confidence::new(value).unwrap();
            let json = serde_json::to_string(&confidence).unwrap();
            let back: Confidence = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(back, confidence);
        }
    }
}
