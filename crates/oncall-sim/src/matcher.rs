//! [`TextMatcher`]: the deterministic rule that judges free text, such as an
//! agent's proposed mitigation or a tool's result, against a scenario's
//! ground truth.
//!
//! # How matching works
//!
//! 1. **Normalisation.** The text is lowercased (Unicode-aware), and every
//!    run of characters that are not letters or digits becomes one space. So
//!    `Roll-back  the DEPLOY!` reads as `roll back the deploy`, and
//!    `v2.3.1` reads as `v2 3 1`. Phrases in the matcher are normalised the
//!    same way.
//! 2. **Phrases match whole words.** A phrase matches when its words appear
//!    consecutively in the text, on word boundaries: `db` matches "restart
//!    the db" but not "feedback". A phrase ending in `*` matches any word
//!    beginning with it: `roll*` matches "rollback", "rolled" and "rolling".
//! 3. **`all_of` is a list of groups; each group is a list of
//!    alternatives.** The matcher matches when every group has at least one
//!    alternative that matches. `[["roll back", "rollback", "revert"],
//!    ["checkout"]]` accepts "revert checkout to v41" and rejects "revert
//!    the payments deploy".
//! 4. **Negation.** An occurrence of a phrase does not count when a
//!    negation governs it: one of `not`, `no`, `never`, `don t`, `dont`,
//!    `avoid`, `without`, `instead of` stands among the three words before
//!    it, and every word between the negation and the phrase is a filler
//!    (`the`, `a`, `an`, `any`, `our`, `this`, `that`, `these`, `those`,
//!    `it`, `its`, `to`, `ever`, `need`). So "do not restart the database" and
//!    "avoid a restart" do not match `restart`, but "without further delay
//!    restart the database" and "with no downtime roll back" do: there the
//!    negation governs other words. The three words are counted within the
//!    phrase's clause only: a `.`, `,`, `;`, `:`, `!` or `?` ends a clause,
//!    so in "don't panic: restart the database" the restart counts. Only
//!    occurrences are discarded: if the phrase also appears un-negated
//!    elsewhere, it matches.
//! 5. **`none_of`** is a list of phrases that must not match (after the same
//!    negation rule). It lets an author exclude a near miss: a correct
//!    "roll back checkout" can exclude "roll back payments".
//!
//! An empty `all_of` matches everything, so a matcher must have at least one
//! group, and no group or phrase may be empty: [`TextMatcher::new`] refuses
//! them.

use serde::{Deserialize, Serialize};

use crate::error::ScenarioError;

/// A deterministic matcher over free text. See the module docs for the
/// exact rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "TextMatcherRecord")]
pub struct TextMatcher {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    all_of: Vec<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    none_of: Vec<String>,
    #[serde(skip)]
    compiled_all_of: Vec<Vec<Phrase>>,
    #[serde(skip)]
    compiled_none_of: Vec<Phrase>,
}

impl TextMatcher {
    /// A matcher requiring one alternative from every group of `all_of`,
    /// and none of `none_of`.
    pub fn new(
        all_of: Vec<Vec<String>>,
        none_of: Vec<String>,
    ) -> Result<TextMatcher, ScenarioError> {
        if all_of.is_empty() {
            return Err(ScenarioError::InvalidMatcher {
                reason: "`all_of` must have at least one group".to_owned(),
            });
        }
        let mut compiled_all_of = Vec::with_capacity(all_of.len());
        for (index, group) in all_of.iter().enumerate() {
            if group.is_empty() {
                return Err(ScenarioError::InvalidMatcher {
                    reason: format!("group {index} of `all_of` has no alternatives"),
                });
            }
            compiled_all_of.push(compile_phrases(group)?);
        }
        let compiled_none_of = compile_phrases(&none_of)?;
        Ok(TextMatcher {
            label: None,
            all_of,
            none_of,
            compiled_all_of,
            compiled_none_of,
        })
    }

    /// A matcher for one phrase, or any of several alternatives.
    pub fn any_of<I, T>(alternatives: I) -> Result<TextMatcher, ScenarioError>
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        TextMatcher::new(
            vec![alternatives.into_iter().map(Into::into).collect()],
            Vec::new(),
        )
    }

    /// The same matcher with a human-readable label for reports, e.g.
    /// "roll back the checkout deploy".
    pub fn with_label(self, label: impl Into<String>) -> TextMatcher {
        TextMatcher {
            label: Some(label.into()),
            ..self
        }
    }

    /// The label, if the author gave one.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    /// The label, or the first alternative of every group joined by " + ".
    pub fn describe(&self) -> String {
        match &self.label {
            Some(label) => label.clone(),
            None => self
                .all_of
                .iter()
                .filter_map(|group| group.first().cloned())
                .collect::<Vec<_>>()
                .join(" + "),
        }
    }

    /// The groups of alternatives.
    pub fn all_of(&self) -> &[Vec<String>] {
        &self.all_of
    }

    /// The phrases that must not match.
    pub fn none_of(&self) -> &[String] {
        &self.none_of
    }

    /// Whether `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        self.matches_normalized(&NormalizedText::new(text))
    }

    /// Whether already-normalised text matches. Normalise once with
    /// [`NormalizedText::new`] to test many matchers against one text.
    pub fn matches_normalized(&self, text: &NormalizedText) -> bool {
        let every_group_matches = self
            .compiled_all_of
            .iter()
            .all(|group| group.iter().any(|phrase| phrase.occurs_unnegated(text)));
        every_group_matches
            && !self
                .compiled_none_of
                .iter()
                .any(|phrase| phrase.occurs_unnegated(text))
    }
}

/// Text lowercased and split into words, ready for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedText {
    words: Vec<String>,
    /// The clause each word belongs to, counted from 0.
    clauses: Vec<u32>,
}

impl NormalizedText {
    /// Normalises `text` as the module docs describe.
    pub fn new(text: &str) -> NormalizedText {
        let mut words = Vec::new();
        let mut clauses = Vec::new();
        let mut clause = 0u32;
        let mut current = String::new();
        for character in text.chars() {
            if character.is_alphanumeric() {
                current.extend(character.to_lowercase());
                continue;
            }
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
                clauses.push(clause);
            }
            if CLAUSE_ENDINGS.contains(&character) {
                clause = clause.saturating_add(1);
            }
        }
        if !current.is_empty() {
            words.push(current);
            clauses.push(clause);
        }
        NormalizedText { words, clauses }
    }

    /// The words, in order.
    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// The words that make the next phrase a negation.
const NEGATIONS: &[&[&str]] = &[
    &["not"],
    &["no"],
    &["never"],
    &["don", "t"],
    &["dont"],
    &["avoid"],
    &["without"],
    &["instead", "of"],
];

/// The characters that end a clause, and with it a negation's reach.
const CLAUSE_ENDINGS: &[char] = &['.', ',', ';', ':', '!', '?'];

/// How many words before a phrase are searched for a negation.
const NEGATION_WINDOW: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Phrase {
    words: Vec<String>,
    last_is_prefix: bool,
}

impl Phrase {
    fn occurs_unnegated(&self, text: &NormalizedText) -> bool {
        let words = &text.words;
        if self.words.is_empty() || words.len() < self.words.len() {
            return false;
        }
        (0..=words.len() - self.words.len())
            .any(|start| self.occurs_at(words, start) && !negated_before(text, start))
    }

    fn occurs_at(&self, words: &[String], start: usize) -> bool {
        let last = self.words.len() - 1;
        self.words.iter().enumerate().all(|(offset, wanted)| {
            let word = &words[start + offset];
            if offset == last && self.last_is_prefix {
                word.starts_with(wanted.as_str())
            } else {
                word == wanted
            }
        })
    }
}

fn negated_before(text: &NormalizedText, start: usize) -> bool {
    let clause = text.clauses[start];
    let mut window_start = start.saturating_sub(NEGATION_WINDOW);
    while window_start < start && text.clauses[window_start] != clause {
        window_start += 1;
    }
    let window = &text.words[window_start..start];
    NEGATIONS.iter().any(|negation| {
        window
            .windows(negation.len())
            .enumerate()
            .any(|(at, candidate)| {
                let is_negation = candidate.iter().zip(negation.iter()).all(|(a, b)| a == b);
                let between = &window[at + negation.len()..];
                is_negation && between.iter().all(|word| FILLERS.contains(&word.as_str()))
            })
    })
}

/// Words that may stand between a negation and the phrase it governs.
const FILLERS: &[&str] = &[
    "the", "a", "an", "any", "our", "this", "that", "these", "those", "it", "its", "to", "ever",
    "need",
];

fn compile_phrases(phrases: &[String]) -> Result<Vec<Phrase>, ScenarioError> {
    phrases
        .iter()
        .map(|phrase| {
            let trimmed = phrase.trim();
            let (body, last_is_prefix) = match trimmed.strip_suffix('*') {
                Some(body) => (body, true),
                None => (trimmed, false),
            };
            let words = words_of(body);
            if words.is_empty() {
                return Err(ScenarioError::InvalidMatcher {
                    reason: format!("phrase `{phrase}` has no letters or digits"),
                });
            }
            Ok(Phrase {
                words,
                last_is_prefix,
            })
        })
        .collect()
}

fn words_of(text: &str) -> Vec<String> {
    NormalizedText::new(text).words
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextMatcherRecord {
    #[serde(default)]
    label: Option<String>,
    all_of: Vec<Vec<String>>,
    #[serde(default)]
    none_of: Vec<String>,
}

impl TryFrom<TextMatcherRecord> for TextMatcher {
    type Error = ScenarioError;

    fn try_from(record: TextMatcherRecord) -> Result<TextMatcher, ScenarioError> {
        let matcher = TextMatcher::new(record.all_of, record.none_of)?;
        Ok(match record.label {
            Some(label) => matcher.with_label(label),
            None => matcher,
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn matcher(all_of: &[&[&str]], none_of: &[&str]) -> TextMatcher {
        TextMatcher::new(
            all_of
                .iter()
                .map(|group| group.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            none_of.iter().map(|s| (*s).to_owned()).collect(),
        )
        .unwrap()
    }

    fn rollback_checkout() -> TextMatcher {
        matcher(
            &[&["roll back", "rollback", "revert", "roll*"], &["checkout"]],
            &["payments"],
        )
    }

    #[test]
    fn varied_phrasings_of_a_rollback_match() {
        let rollback = rollback_checkout();
        for text in [
            "Roll back checkout to v41",
            "rollback the checkout deploy",
            "ROLL-BACK CHECKOUT!!",
            "Revert checkout-service to the previous version (v2.3.0).",
            "I recommend rolling checkout back to the last good build",
            "checkout: rolled back",
            "  revert\tcheckout\n",
        ] {
            assert!(rollback.matches(text), "should match: {text}");
        }
    }

    #[test]
    fn missing_groups_and_excluded_phrases_do_not_match() {
        let rollback = rollback_checkout();
        for text in [
            "restart checkout",
            "roll back the payments deploy",
            "revert checkout and payments",
            "scale up checkout",
            "",
            "checkoutrollback",
        ] {
            assert!(!rollback.matches(text), "should not match: {text}");
        }
    }

    #[test]
    fn phrases_match_whole_words_only() {
        let database = matcher(&[&["db"]], &[]);
        assert!(database.matches("restart the db"));
        assert!(database.matches("db-primary is full"));
        assert!(!database.matches("collect feedback"));
        assert!(!database.matches("dbs"));
        let prefix = matcher(&[&["db*"]], &[]);
        assert!(prefix.matches("dbs"));
    }

    #[test]
    fn negated_occurrences_do_not_count() {
        let restart = matcher(&[&["restart"], &["database", "db"]], &[]);
        assert!(restart.matches("restart the database"));
        for text in [
            "do not restart the database",
            "Don't restart the DB, roll back instead",
            "never restart the database during peak",
            "avoid a restart of the database",
            "roll back instead of restart; database is fine",
        ] {
            assert!(!restart.matches(text), "negated: {text}");
        }
        // A negation that governs other words leaves the phrase standing.
        assert!(restart.matches("Without further delay restart the primary database"));
        let rollback = matcher(&[&["roll back"], &["checkout"]], &[]);
        assert!(rollback.matches("With no downtime roll back checkout to v2.13.2"));
        assert!(
            !rollback.matches("No need to roll back checkout"),
            "no need to: need and to are fillers"
        );
        assert!(restart.matches("don't panic: restart the database"));
    }

    #[test]
    fn negation_also_applies_to_none_of() {
        let rollback = rollback_checkout();
        assert!(rollback.matches("roll back checkout, not payments"));
    }

    #[test]
    fn invalid_matchers_are_refused() {
        assert!(TextMatcher::new(vec![], vec![]).is_err());
        assert!(TextMatcher::new(vec![vec![]], vec![]).is_err());
        let error = TextMatcher::new(vec![vec!["--".to_owned()]], vec![]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid matcher: phrase `--` has no letters or digits"
        );
    }

    #[test]
    fn json_round_trip_and_validation() {
        let rollback = rollback_checkout();
        let json = serde_json::to_string(&rollback).unwrap();
        assert_eq!(
            json,
            r#"{"all_of":[["roll back","rollback","revert","roll*"],["checkout"]],"none_of":["payments"]}"#
        );
        let back: TextMatcher = serde_json::from_str(&json).unwrap();
        assert_eq!(back, rollback);
        assert!(serde_json::from_str::<TextMatcher>(r#"{"all_of":[]}"#).is_err());
        assert!(serde_json::from_str::<TextMatcher>(r#"{"all_of":[["a"]],"any":1}"#).is_err());
    }

    proptest! {
        #[test]
        fn matching_never_panics_and_is_case_insensitive(text in "\\PC{0,80}") {
            let rollback = rollback_checkout();
            let lower = rollback.matches(&text.to_lowercase());
            let upper = rollback.matches(&text.to_uppercase());
            // Lowercasing an uppercased text can change non-ASCII letters,
            // so compare on ASCII inputs only.
            if text.is_ascii() {
                prop_assert_eq!(lower, upper);
            }
        }

        #[test]
        fn a_phrase_always_matches_itself(phrase in "[a-z]{1,8}( [a-z]{1,8}){0,3}") {
            let only = TextMatcher::any_of([phrase.clone()]).unwrap();
            prop_assert!(only.matches(&phrase));
            let prefixed = format!("please {phrase} now");
            prop_assert!(only.matches(&prefixed));
        }
    }
}
