//! The structured parts of an answer: [`RootCauseClaim`] (where the fault
//! is, and what kind of fault) and [`ActionClaim`] (one remediation, aimed
//! at one catalogue entity).
//!
//! They are what an agent *claims*, so they hold its words as given: a
//! category or kind outside the [taxonomy](crate::FaultCategory) and a
//! target the catalogue does not list are kept, recorded and later judged
//! wrong with a reason, rather than refused. So is a value of the wrong
//! type: `"kind": 5` or `"target": {"name": "checkout"}` is kept as its
//! JSON text (`5`, `{"name":"checkout"}`), which names nothing and is
//! judged wrong; `null` reads as empty. Nothing here panics or rejects on
//! content; parsing enforces only the shape (an object with the documented
//! fields, no others).

use serde::{Deserialize, Serialize};

use crate::taxonomy::{FaultCategory, RemediationKind};

/// The most actions a structured mitigation is graded with. More are
/// recorded, and the grader judges the answer wrong.
pub const MAX_GRADED_ACTIONS: usize = 3;

/// Where the fault is and what kind it is, as an agent claims it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootCauseClaim {
    #[serde(deserialize_with = "lenient::text")]
    service: String,
    #[serde(deserialize_with = "lenient::text")]
    category: String,
}

impl RootCauseClaim {
    /// A claim that `service` is at fault, with a fault of `category` (a
    /// [`FaultCategory`] name, or anything else, to be judged wrong).
    pub fn new(service: impl Into<String>, category: impl Into<String>) -> RootCauseClaim {
        RootCauseClaim {
            service: service.into(),
            category: category.into(),
        }
    }

    /// A claim with a category from the taxonomy.
    pub fn of(service: impl Into<String>, category: FaultCategory) -> RootCauseClaim {
        RootCauseClaim::new(service, category.as_str())
    }

    /// The culprit, as named: a service (or a host of one) in the catalogue.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The category, as named.
    pub fn category(&self) -> &str {
        &self.category
    }

    /// The category, when it is one of the taxonomy's.
    pub fn known_category(&self) -> Option<FaultCategory> {
        FaultCategory::parse(&self.category)
    }
}

/// One remediation an agent proposes: a kind from the taxonomy, aimed at an
/// entity of the service catalogue, and for kind `other` a description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionClaim {
    #[serde(deserialize_with = "lenient::text")]
    kind: String,
    #[serde(deserialize_with = "lenient::text")]
    target: String,
    #[serde(
        default,
        deserialize_with = "lenient::optional_text",
        skip_serializing_if = "Option::is_none"
    )]
    description: Option<String>,
}

impl ActionClaim {
    /// An action of `kind` (a [`RemediationKind`] name, or anything else,
    /// to be judged wrong) on `target`.
    pub fn new(kind: impl Into<String>, target: impl Into<String>) -> ActionClaim {
        ActionClaim {
            kind: kind.into(),
            target: target.into(),
            description: None,
        }
    }

    /// An action with a kind from the taxonomy.
    pub fn of(kind: RemediationKind, target: impl Into<String>) -> ActionClaim {
        ActionClaim::new(kind.as_str(), target)
    }

    /// The same action with a free-text description (what `other` does).
    pub fn with_description(self, description: impl Into<String>) -> ActionClaim {
        ActionClaim {
            description: Some(description.into()),
            ..self
        }
    }

    /// The kind, as named.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The kind, when it is one of the taxonomy's.
    pub fn known_kind(&self) -> Option<RemediationKind> {
        RemediationKind::parse(&self.kind)
    }

    /// The target, as named: an entity of the service catalogue.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The free-text description, if any.
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Every text the action holds, for size checks.
    pub fn texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("kind", self.kind.as_str()),
            ("target", self.target.as_str()),
        ]
        .into_iter()
        .chain(
            self.description
                .as_deref()
                .map(|text| ("description", text)),
        )
    }
}

/// Reading a text field an agent may have filled with any JSON value.
pub(crate) mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A string as given; `null` as empty; any other value as its compact
    /// JSON text.
    pub(crate) fn text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => text,
            Value::Null => String::new(),
            other => other.to_string(),
        })
    }

    /// As [`text`], with `null` as absent.
    pub(crate) fn optional_text<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<String>, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => Some(text),
            Value::Null => None,
            other => Some(other.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_keep_unknown_names_for_the_grader() {
        let claim: ActionClaim =
            serde_json::from_str(r#"{"kind":"reboot_the_internet","target":"???"}"#).unwrap();
        assert_eq!(claim.kind(), "reboot_the_internet");
        assert_eq!(claim.known_kind(), None);
        let known = ActionClaim::of(RemediationKind::Rollback, "checkout");
        assert_eq!(known.known_kind(), Some(RemediationKind::Rollback));
        let root = RootCauseClaim::new("auth", " Clock_Skew ");
        assert_eq!(root.known_category(), Some(FaultCategory::ClockSkew));
    }

    #[test]
    fn json_is_compact_and_shapes_are_enforced() {
        let action = ActionClaim::of(RemediationKind::Other, "ledger-db")
            .with_description("restore WAL archiving");
        assert_eq!(
            serde_json::to_string(&action).unwrap(),
            r#"{"kind":"other","target":"ledger-db","description":"restore WAL archiving"}"#
        );
        assert_eq!(
            serde_json::to_string(&ActionClaim::new("rollback", "x")).unwrap(),
            r#"{"kind":"rollback","target":"x"}"#
        );
        assert!(serde_json::from_str::<ActionClaim>(r#"{"kind":"x"}"#).is_err());
        assert!(serde_json::from_str::<ActionClaim>(r#""rollback checkout""#).is_err());
        assert!(
            serde_json::from_str::<RootCauseClaim>(r#"{"service":"a","category":"b","why":1}"#)
                .is_err()
        );
        let texts: Vec<_> = action.texts().map(|(field, _)| field).collect();
        assert_eq!(texts, ["kind", "target", "description"]);
    }

    #[test]
    fn values_of_the_wrong_type_are_kept_as_their_json_text() {
        let claim: ActionClaim = serde_json::from_str(
            r#"{"kind":5,"target":{"name":"checkout"},"description":["a",1]}"#,
        )
        .unwrap();
        assert_eq!(claim.kind(), "5");
        assert_eq!(claim.known_kind(), None);
        assert_eq!(claim.target(), r#"{"name":"checkout"}"#);
        assert_eq!(claim.description(), Some(r#"["a",1]"#));
        let claim: ActionClaim =
            serde_json::from_str(r#"{"kind":"rollback","target":null,"description":null}"#)
                .unwrap();
        assert_eq!((claim.target(), claim.description()), ("", None));
        let root: RootCauseClaim =
            serde_json::from_str(r#"{"service":true,"category":2.5}"#).unwrap();
        assert_eq!((root.service(), root.category()), ("true", "2.5"));
        assert_eq!(root.known_category(), None);
    }
}
