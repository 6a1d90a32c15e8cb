//! The grader: how a proposed mitigation, an escalation and a claimed root
//! cause are judged against a scenario's ground truth and service
//! catalogue.
//!
//! - **Structured answers are graded exactly** ([`Grader::judge_actions`]):
//!   each action's kind and target against the remedies' [`ActionPattern`]s,
//!   harmful first, then correct, then acceptable; an action no remedy lists
//!   is wrong, and so is one whose kind is unknown, whose target the
//!   catalogue does not list, or whose kind cannot act on its target's
//!   kind. See [`ActionsJudgement`] for how several actions combine.
//! - **Free text is read like an SRE reads it** ([`Grader::judge_text`]),
//!   sentence by sentence: a remedy matches when one of its verb phrases
//!   (the kind's shared phrases and its own), un-negated, governs one of its
//!   target's names (the catalogue's name, aliases and hosts, and the
//!   remedy's own mentions). The rules of governing and negation are in
//!   `grader/analysis.rs`; inflections are folded by explicit rules
//!   (`grader/text.rs`).
//! - **Diagnosis** ([`Grader::judge_root_cause`]): localization and
//!   category, each right, wrong or missing.
//! - **Escalations** ([`Grader::judge_escalation`]): by `team` exactly, or
//!   else by the target text alone; the reason never rescues a wrong target.

mod analysis;
mod governing;
mod judgement;
mod negation;
mod phrases;
mod remedy;
mod text;
mod vocabulary;

use std::collections::BTreeSet;

use oncall_domain::{ActionClaim, EntityKind, MAX_GRADED_ACTIONS, RemediationKind, RootCauseClaim};
use oncall_tools::ServiceCatalogue;

use crate::evaluation::MitigationVerdict;
use crate::scenario_file::{ExpectedOutcome, GroundTruth};

use self::analysis::{Analysis, Lexicon, Tag};

pub use self::judgement::{
    ActionJudgement, ActionsJudgement, DecidedBy, DiagnosisVerdict, EscalationJudgement,
    GradedFrom, RemedyList, RootCauseJudgement, TextJudgement,
};
pub use self::remedy::{ActionPattern, Remedy};

/// Judges answers for one scenario: its ground truth and its catalogue.
/// Building one compiles the scenario's names and phrases once.
#[derive(Debug, Clone)]
pub struct Grader<'a> {
    truth: &'a GroundTruth,
    catalogue: &'a ServiceCatalogue,
    lexicon: Lexicon,
    /// Every catalogue entity: (kind, name, owning service for hosts).
    entities: Vec<(EntityKind, String, Option<String>)>,
    /// The remedies in judging order (harmful, correct, acceptable).
    remedies: Vec<(RemedyList, &'a Remedy)>,
}

impl<'a> Grader<'a> {
    /// A grader for `truth` over `catalogue`.
    pub fn new(truth: &'a GroundTruth, catalogue: &'a ServiceCatalogue) -> Grader<'a> {
        let mut lexicon = Lexicon::with_shared_verbs();
        let mut entities = Vec::new();
        for entity in catalogue.entities() {
            let index = entities.len();
            lexicon.add_name(entity.name, Tag::Entity(index));
            for alias in entity.aliases {
                lexicon.add_name(alias, Tag::Entity(index));
            }
            let owner = (entity.kind == EntityKind::Host)
                .then(|| entity.service.map(str::to_owned))
                .flatten();
            entities.push((entity.kind, entity.name.to_owned(), owner));
        }
        let remedies: Vec<(RemedyList, &Remedy)> = [
            (RemedyList::Harmful, &truth.mitigations.harmful),
            (RemedyList::Correct, &truth.mitigations.correct),
            (RemedyList::Acceptable, &truth.mitigations.acceptable),
        ]
        .into_iter()
        .flat_map(|(list, remedies)| remedies.iter().map(move |remedy| (list, remedy)))
        .collect();
        for (index, (_, remedy)) in remedies.iter().enumerate() {
            for verb in remedy.verbs() {
                lexicon.add_verb(verb, Tag::Remedy(index));
            }
            for mention in remedy.mentions() {
                lexicon.add_name(mention, Tag::Remedy(index));
            }
            for excluded in remedy.none_of() {
                lexicon.add_name(excluded, Tag::Excluded(index));
            }
        }
        if let ExpectedOutcome::Escalate { mentions, .. } = &truth.expected_outcome {
            for mention in mentions {
                lexicon.add_name(mention, Tag::Escalation);
            }
        }
        Grader {
            truth,
            catalogue,
            lexicon,
            entities,
            remedies,
        }
    }

    /// The ground truth it judges by.
    pub fn truth(&self) -> &'a GroundTruth {
        self.truth
    }

    /// Judges a free-text mitigation: the first remedy, harmful first, then
    /// correct, then acceptable, that the text matches decides; none means
    /// wrong.
    pub fn judge_text(&self, text: &str) -> TextJudgement {
        let analysis = Analysis::of(text, &self.lexicon);
        for (index, (list, remedy)) in self.remedies.iter().enumerate() {
            if let Some(sentence) = self.text_matches(&analysis, index, remedy) {
                return TextJudgement {
                    verdict: list.verdict(),
                    decided_by: Some(DecidedBy {
                        list: *list,
                        remedy: remedy.describe(),
                        clause: Some(analysis.words.sentence_text(sentence).to_owned()),
                        action: None,
                    }),
                };
            }
        }
        TextJudgement {
            verdict: MitigationVerdict::Wrong,
            decided_by: None,
        }
    }

    /// Judges structured actions. See [`ActionsJudgement`].
    pub fn judge_actions(&self, actions: &[ActionClaim]) -> ActionsJudgement {
        let judged: Vec<ActionJudgement> = actions
            .iter()
            .map(|action| self.judge_action(action))
            .collect();
        ActionsJudgement::combine(judged, actions.len() > MAX_GRADED_ACTIONS)
    }

    /// Judges a claimed root cause: the service (a host counts as its
    /// service) and the category, each right, wrong or missing.
    pub fn judge_root_cause(&self, claim: Option<&RootCauseClaim>) -> RootCauseJudgement {
        let Some(claim) = claim else {
            return RootCauseJudgement::missing();
        };
        let truth = &self.truth.root_cause;
        let named = claim.service().trim();
        let service = match self.catalogue.resolve(named) {
            Some(entity) if entity.kind == EntityKind::Host => entity.service.unwrap_or(named),
            Some(entity) => entity.name,
            None => named,
        };
        let localization = if named.is_empty() {
            DiagnosisVerdict::Missing
        } else if service.eq_ignore_ascii_case(&truth.service) {
            DiagnosisVerdict::Right
        } else {
            DiagnosisVerdict::Wrong
        };
        let category = match claim.known_category() {
            _ if claim.category().trim().is_empty() => DiagnosisVerdict::Missing,
            Some(category) if truth.accepts_category(category) => DiagnosisVerdict::Right,
            _ => DiagnosisVerdict::Wrong,
        };
        RootCauseJudgement {
            localization,
            category,
        }
    }

    /// Judges an escalation's target: by `team` when given (exactly, as the
    /// catalogue names it), else by the target text alone. `None` when the
    /// scenario expects a mitigation.
    pub fn judge_escalation(
        &self,
        target: &str,
        team: Option<&str>,
    ) -> Option<EscalationJudgement> {
        let ExpectedOutcome::Escalate {
            team: expected_team,
            target: matcher,
            ..
        } = &self.truth.expected_outcome
        else {
            return None;
        };
        if let Some(team) = team.map(str::trim).filter(|team| !team.is_empty()) {
            let (right, reason) = match (self.catalogue.resolve(team), expected_team) {
                (None, _) => (
                    false,
                    Some(format!("`{team}` is not in the service catalogue")),
                ),
                (Some(entity), _)
                    if !oncall_domain::ESCALATION_TEAM_KINDS.contains(&entity.kind) =>
                {
                    (
                        false,
                        Some(format!(
                            "`{team}` is a {}, not a team or a provider",
                            entity.kind
                        )),
                    )
                }
                (Some(entity), Some(expected)) => {
                    let right = entity.name.eq_ignore_ascii_case(expected);
                    (
                        right,
                        (!right).then(|| format!("`{}` does not own this incident", entity.name)),
                    )
                }
                (Some(_), None) => (false, Some("the scenario names no team".to_owned())),
            };
            return Some(EscalationJudgement {
                target_right: right,
                graded_from: GradedFrom::Actions,
                reason,
            });
        }
        let analysis = Analysis::of(target, &self.lexicon);
        let expected_entity = expected_team
            .as_deref()
            .and_then(|team| self.entity_index(team));
        let by_mention = analysis
            .mentions
            .iter()
            .enumerate()
            .any(|(index, mention)| {
                analysis.mention_stands(index)
                    && mention.tags.iter().any(|tag| {
                        *tag == Tag::Escalation || Some(*tag) == expected_entity.map(Tag::Entity)
                    })
            });
        let by_matcher = matcher.as_ref().is_some_and(|matcher| {
            legacy_matches(&analysis, matcher.all_of(), matcher.none_of()).is_some()
        });
        let right = by_mention || by_matcher;
        Some(EscalationJudgement {
            target_right: right,
            graded_from: GradedFrom::Text,
            reason: (!right).then(|| "the target names no one who owns this incident".to_owned()),
        })
    }

    fn judge_action(&self, claim: &ActionClaim) -> ActionJudgement {
        let wrong = |reason: String| ActionJudgement::wrong(claim, reason);
        let Some(kind) = claim.known_kind() else {
            return wrong(format!(
                "unknown kind `{}`: the kinds are the taxonomy's remediation kinds",
                claim.kind()
            ));
        };
        let Some(entity) = self.catalogue.resolve(claim.target()) else {
            return wrong(format!(
                "`{}` is not in the service catalogue",
                claim.target()
            ));
        };
        if kind == RemediationKind::Other {
            let Some(description) = claim.description().filter(|text| !text.trim().is_empty())
            else {
                return wrong("an action of kind `other` needs a `description`".to_owned());
            };
            return self.judge_other(claim, entity.name, description);
        }
        if !kind.may_target(entity.kind) {
            let wanted: Vec<&str> = kind.target_kinds().iter().map(|k| k.as_str()).collect();
            return wrong(format!(
                "`{kind}` acts on a {}, but `{}` is a {}",
                wanted.join(" or "),
                entity.name,
                entity.kind
            ));
        }
        for (list, remedy) in &self.remedies {
            let Some(pattern) = remedy.action() else {
                continue;
            };
            if pattern.kind() == kind && self.same_target(kind, pattern.target(), entity.name) {
                return ActionJudgement::listed(claim, *list, remedy.describe());
            }
        }
        wrong(format!("no remedy lists `{kind}` on `{}`", entity.name))
    }

    /// An action of kind `other` on the catalogue entity `target`: its
    /// description is read as text, and a remedy it matches counts only
    /// when the remedy acts on `target` (a harmful one counts wherever it
    /// acts: the description says to do it).
    fn judge_other(&self, claim: &ActionClaim, target: &str, description: &str) -> ActionJudgement {
        // Read with the target said before (for a pronoun: "roll it back")
        // and after (for a bare verb: "restart").
        let readings = [
            Analysis::of(&format!("{target}: {description}"), &self.lexicon),
            Analysis::of(&format!("{description} {target}"), &self.lexicon),
        ];
        let mut elsewhere = None;
        for (index, (list, remedy)) in self.remedies.iter().enumerate() {
            let matched = readings
                .iter()
                .any(|analysis| self.text_matches(analysis, index, remedy).is_some());
            if !matched {
                continue;
            }
            let pattern = remedy.action();
            let on_target = pattern
                .is_none_or(|pattern| self.same_target(pattern.kind(), pattern.target(), target));
            if *list == RemedyList::Harmful || on_target {
                return ActionJudgement::listed(claim, *list, remedy.describe());
            }
            if elsewhere.is_none() {
                elsewhere = pattern.map(|pattern| (remedy.describe(), pattern.target().to_owned()));
            }
        }
        ActionJudgement::wrong(
            claim,
            match elsewhere {
                Some((remedy, acts_on)) => format!(
                    "its description matches the remedy \"{remedy}\", which acts on `{acts_on}`, not on `{target}`"
                ),
                None => "its description matches no remedy the scenario lists".to_owned(),
            },
        )
    }

    /// Whether a claim's target `named` is the pattern's target, or, for a
    /// kind that may act on a host, a host of the pattern's service.
    fn same_target(&self, kind: RemediationKind, pattern: &str, named: &str) -> bool {
        if pattern.eq_ignore_ascii_case(named) {
            return true;
        }
        kind.may_target(EntityKind::Host)
            && self.entities.iter().any(|(kind, name, owner)| {
                *kind == EntityKind::Host
                    && name.eq_ignore_ascii_case(named)
                    && owner
                        .as_deref()
                        .is_some_and(|owner| owner.eq_ignore_ascii_case(pattern))
            })
    }

    fn entity_index(&self, name: &str) -> Option<usize> {
        self.entities
            .iter()
            .position(|(_, entity, _)| entity.eq_ignore_ascii_case(name))
    }

    /// The tags that name `remedy`'s target: the entity, its hosts when the
    /// kind may act on a host, and the remedy's own mentions.
    fn target_tags(&self, index: usize, remedy: &Remedy) -> BTreeSet<Tag> {
        let mut tags = BTreeSet::from([Tag::Remedy(index)]);
        if let Some(pattern) = remedy.action() {
            let hosts_count = pattern.kind().may_target(EntityKind::Host);
            for (position, (_, name, owner)) in self.entities.iter().enumerate() {
                let is_target = name.eq_ignore_ascii_case(pattern.target())
                    || (hosts_count
                        && owner
                            .as_deref()
                            .is_some_and(|owner| owner.eq_ignore_ascii_case(pattern.target())));
                if is_target {
                    tags.insert(Tag::Entity(position));
                }
            }
        }
        tags
    }

    /// The sentence where `remedy` matches `analysis`, if it does.
    fn text_matches(&self, analysis: &Analysis, index: usize, remedy: &Remedy) -> Option<u32> {
        if remedy.reads_verbs() {
            let mut verbs = BTreeSet::from([Tag::Remedy(index)]);
            if let Some(pattern) = remedy.action()
                && pattern.kind() != RemediationKind::Other
            {
                verbs.insert(Tag::Kind(pattern.kind()));
            }
            // A remedy of kind `other` (or with no pattern) is about
            // something particular, so its own names must be said: the
            // target entity alone ("raise ... catalog ...") is not enough.
            let targets = match remedy.action() {
                Some(pattern) if pattern.kind() != RemediationKind::Other => {
                    self.target_tags(index, remedy)
                }
                _ => BTreeSet::from([Tag::Remedy(index)]),
            };
            let excluded = self.excluded_tags(index, remedy);
            for act in &analysis.acts {
                if act.negated || act.tags.is_disjoint(&verbs) {
                    continue;
                }
                let hits_target = act.objects.iter().any(|object| {
                    let mention = &analysis.mentions[*object];
                    !mention.negated && !mention.tags.is_disjoint(&targets)
                });
                if !hits_target {
                    continue;
                }
                let clause = analysis.clause_of(act.start);
                let vetoed = analysis
                    .mentions
                    .iter()
                    .enumerate()
                    .any(|(position, mention)| {
                        analysis.clause_of(mention.start) == clause
                            && !mention.tags.is_disjoint(&excluded)
                            && mention.tags.is_disjoint(&targets)
                            && analysis.mention_stands(position)
                    });
                if !vetoed {
                    return Some(analysis.sentence_of(act.start));
                }
            }
        }
        let matcher = remedy.legacy_matcher()?;
        legacy_matches(analysis, matcher.all_of(), matcher.none_of())
    }

    fn excluded_tags(&self, index: usize, remedy: &Remedy) -> BTreeSet<Tag> {
        let mut tags = BTreeSet::from([Tag::Excluded(index)]);
        for name in remedy.none_of() {
            if let Some(position) = self.entity_index(name) {
                tags.insert(Tag::Entity(position));
            }
        }
        tags
    }
}

/// The sentence in which every group of a first-format matcher has an
/// un-negated occurrence and no `none_of` phrase has one, if any.
fn legacy_matches(analysis: &Analysis, all_of: &[Vec<String>], none_of: &[String]) -> Option<u32> {
    let sentences = analysis
        .words
        .words
        .last()
        .map_or(0, |word| word.sentence + 1);
    (0..sentences).find(|sentence| {
        let said = |phrase: &String| analysis.phrase_said_in(phrase, *sentence);
        all_of.iter().all(|group| group.iter().any(said)) && !none_of.iter().any(said)
    })
}

#[cfg(test)]
mod tests;
