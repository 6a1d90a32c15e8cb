//! [`Remedy`]: one entry of a scenario's correct, acceptable or harmful
//! list. It says what the remedy is in structured form (an
//! [`ActionPattern`]: a remediation kind on a catalogue entity) and gives
//! the text grader what it needs beyond the shared verb table and the
//! catalogue's names.
//!
//! JSON: `{"label"?, "action"?: {"kind", "target"}, "verbs"?: [..],
//! "mentions"?: [..], "none_of"?: [..], "all_of"?: [[..], ..]}`.
//!
//! - `action`: the structured pattern. A proposed action matches it when
//!   the kinds are the same and the targets name the same entity (a
//!   pattern on a service also matches that service's hosts). The text
//!   grader reads it as "a phrase of this kind governing a name of this
//!   target".
//! - `verbs`: more verb phrases that mean this remedy, beside the kind's
//!   shared ones (`_` marks a split verb's object: `set _ to dry run`). For
//!   kind `other`, or a remedy with no `action`, they are the only verbs.
//! - `mentions`: more names for the target in this scenario (a version, a
//!   deploy id, "the database" when any database restart is harmful
//!   here). For a remedy with no `action`, they are the only names.
//! - `none_of`: names (catalogue entities or phrases) that must not be
//!   said, un-negated, in the clause of the match.
//! - `all_of`: a free-text matcher of the first format (groups of
//!   alternatives), judged within one sentence with the same negation
//!   rules. Kept for scenarios written before structured remedies.
//!
//! A remedy needs an `action`, or `verbs` with `mentions`, or `all_of`.

use serde::{Deserialize, Serialize};

use oncall_domain::RemediationKind;

use crate::error::ScenarioError;
use crate::matcher::TextMatcher;

/// A remediation kind on a catalogue entity, as a scenario lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPattern {
    kind: RemediationKind,
    target: String,
}

impl ActionPattern {
    /// The pattern `kind` on `target`.
    pub fn new(kind: RemediationKind, target: impl Into<String>) -> ActionPattern {
        ActionPattern {
            kind,
            target: target.into(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> RemediationKind {
        self.kind
    }

    /// The target's name in the catalogue.
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// One correct, acceptable or harmful way to respond. See the module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RemedyRecord")]
pub struct Remedy {
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action: Option<ActionPattern>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    verbs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mentions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    all_of: Vec<Vec<String>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    none_of: Vec<String>,
    #[serde(skip)]
    legacy: Option<TextMatcher>,
}

impl Remedy {
    /// A remedy for the structured pattern `action`.
    pub fn for_action(action: ActionPattern) -> Remedy {
        Remedy {
            label: None,
            action: Some(action),
            verbs: Vec::new(),
            mentions: Vec::new(),
            none_of: Vec::new(),
            all_of: Vec::new(),
            legacy: None,
        }
    }

    /// A remedy judged by a free-text matcher of the first format only.
    pub fn from_matcher(matcher: TextMatcher) -> Remedy {
        Remedy {
            label: matcher.label().map(str::to_owned),
            action: None,
            verbs: Vec::new(),
            mentions: Vec::new(),
            none_of: matcher.none_of().to_vec(),
            all_of: matcher.all_of().to_vec(),
            legacy: Some(matcher),
        }
    }

    /// The same remedy with a label for reports.
    pub fn with_label(self, label: impl Into<String>) -> Remedy {
        Remedy {
            label: Some(label.into()),
            ..self
        }
    }

    /// The same remedy with more verb phrases and names for the text
    /// grader, checked again.
    pub fn with_phrases(
        self,
        verbs: Vec<String>,
        mentions: Vec<String>,
    ) -> Result<Remedy, ScenarioError> {
        Remedy {
            verbs,
            mentions,
            ..self
        }
        .checked()
    }

    /// The label the author gave, if any.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The label, or a description built from the pattern or the matcher.
    pub fn describe(&self) -> String {
        if let Some(label) = &self.label {
            return label.clone();
        }
        match (&self.action, &self.legacy) {
            (Some(action), _) => format!("{} {}", action.kind, action.target),
            (None, Some(matcher)) => matcher.describe(),
            (None, None) => format!(
                "{} {}",
                self.verbs.first().map_or("", String::as_str),
                self.mentions.first().map_or("", String::as_str)
            ),
        }
    }

    /// The structured pattern, if any.
    pub fn action(&self) -> Option<&ActionPattern> {
        self.action.as_ref()
    }

    /// The remedy's own verb phrases.
    pub fn verbs(&self) -> &[String] {
        &self.verbs
    }

    /// The remedy's own names for its target.
    pub fn mentions(&self) -> &[String] {
        &self.mentions
    }

    /// What must not be said in the clause of a match.
    pub fn none_of(&self) -> &[String] {
        &self.none_of
    }

    /// The free-text matcher of the first format, if any.
    pub fn legacy_matcher(&self) -> Option<&TextMatcher> {
        self.legacy.as_ref()
    }

    /// Whether the text grader reads it by verbs and names (rather than only
    /// by its legacy matcher).
    pub fn reads_verbs(&self) -> bool {
        self.action.is_some() || !self.verbs.is_empty()
    }

    fn checked(self) -> Result<Remedy, ScenarioError> {
        let invalid = |reason: String| Err(ScenarioError::InvalidRemedy { reason });
        let other = self
            .action
            .as_ref()
            .is_some_and(|action| action.kind == RemediationKind::Other);
        if self.action.is_none() && self.verbs.is_empty() && self.legacy.is_none() {
            return invalid(format!(
                "`{}` needs an `action`, or `verbs` with `mentions`, or `all_of`",
                self.describe()
            ));
        }
        if other && self.verbs.is_empty() {
            return invalid(format!(
                "`{}`: an action of kind `other` needs `verbs`, since the shared table has none for it",
                self.describe()
            ));
        }
        if self.action.is_none() && !self.verbs.is_empty() && self.mentions.is_empty() {
            return invalid(format!(
                "`{}`: `verbs` without an `action` need `mentions` to act on",
                self.describe()
            ));
        }
        if let Some(action) = &self.action
            && action.target.trim().is_empty()
        {
            return invalid("an action's `target` must not be empty".to_owned());
        }
        let phrases = self.verbs.iter().chain(&self.mentions).chain(&self.none_of);
        for phrase in phrases {
            if !phrase.chars().any(char::is_alphanumeric) {
                return invalid(format!("phrase `{phrase}` has no letters or digits"));
            }
        }
        Ok(self)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemedyRecord {
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    action: Option<ActionPattern>,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    mentions: Vec<String>,
    #[serde(default)]
    none_of: Vec<String>,
    #[serde(default)]
    all_of: Vec<Vec<String>>,
}

impl TryFrom<RemedyRecord> for Remedy {
    type Error = ScenarioError;

    fn try_from(record: RemedyRecord) -> Result<Remedy, ScenarioError> {
        let legacy = if record.all_of.is_empty() {
            None
        } else {
            Some(TextMatcher::new(
                record.all_of.clone(),
                record.none_of.clone(),
            )?)
        };
        Remedy {
            label: record.label,
            action: record.action,
            verbs: record.verbs,
            mentions: record.mentions,
            none_of: record.none_of,
            all_of: record.all_of,
            legacy,
        }
        .checked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remedy(json: &str) -> Result<Remedy, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn the_three_forms_load_and_round_trip() {
        for json in [
            r#"{"label":"roll back checkout","action":{"kind":"rollback","target":"checkout"},"mentions":["v2 14 0"]}"#,
            r#"{"verbs":["delete"],"mentions":["wal"]}"#,
            r#"{"all_of":[["restart"],["db"]],"none_of":["not"]}"#,
        ] {
            let loaded = remedy(json).unwrap();
            assert_eq!(serde_json::to_string(&loaded).unwrap(), json);
        }
    }

    #[test]
    fn remedies_that_can_never_match_are_refused() {
        for (json, fragment) in [
            (r#"{"label":"x"}"#, "needs an `action`"),
            (
                r#"{"action":{"kind":"other","target":"db"}}"#,
                "kind `other` needs `verbs`",
            ),
            (r#"{"verbs":["delete"]}"#, "need `mentions`"),
            (
                r#"{"action":{"kind":"rollback","target":" "}}"#,
                "must not be empty",
            ),
            (
                r#"{"action":{"kind":"reboot","target":"x"}}"#,
                "unknown remediation kind `reboot`",
            ),
            (r#"{"all_of":[]}"#, "needs an `action`"),
            (
                r#"{"verbs":["--"],"mentions":["x"]}"#,
                "no letters or digits",
            ),
        ] {
            let error = remedy(json).unwrap_err();
            assert!(error.contains(fragment), "{json}: {error}");
        }
    }
}
