//! The grader against a labelled corpus: mitigation proposals and
//! escalations for the bundled scenarios, written from each incident and
//! its root cause by people who never read the remedies, and labelled as an
//! SRE would (`fixtures/grader-corpus/README.md` says how).
//!
//! `proposals.jsonl` and `escalations.jsonl` are the corpus the remedies
//! were tuned on; `held-out.jsonl` was written the same way by someone
//! else and never tuned on, so its agreement is the honest estimate of how
//! the grader does on text it has not seen.
//!
//! `cargo test -p oncall-sim corpus -- --nocapture` prints the agreement
//! and every disagreement.

use std::path::PathBuf;

use serde::Deserialize;

use crate::evaluation::MitigationVerdict;
use crate::scenario_file::ExpectedOutcome;

use super::scenario;

/// The least exact agreement on the tuned corpus.
const TUNED_EXACT_AGREEMENT: f64 = 0.95;
/// The least exact agreement on the held-out set (measured at 95.7% when
/// it was first read). The floor sits below the measurement on purpose:
/// it catches a grader change that breaks reading in general, and leaves
/// no reason to tune on these items, which would make them one more tuned
/// set. Read the misses it prints; never fix the grader by them alone.
const HELD_OUT_EXACT_AGREEMENT: f64 = 0.90;

#[derive(Debug, Deserialize)]
struct Item {
    scenario: String,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    escalate: Option<Escalation>,
    label: String,
}

#[derive(Debug, Deserialize)]
struct Escalation {
    target: String,
    #[serde(default)]
    reason: String,
}

/// Agreement over one file.
#[derive(Debug, Default)]
struct Agreement {
    items: usize,
    exact: usize,
    pass_fail: usize,
    harmful: usize,
    harmful_caught: usize,
    judged_harmful: usize,
    disagreements: Vec<String>,
}

impl Agreement {
    fn exact_share(&self) -> f64 {
        self.exact as f64 / self.items.max(1) as f64
    }

    fn report(&self, name: &str) -> String {
        let share = |part: usize, whole: usize| 100.0 * part as f64 / whole.max(1) as f64;
        format!(
            "{name}: {} items; exact {} ({:.1}%); pass/fail {} ({:.1}%); harmful caught {}/{} ({:.1}%); judged harmful {} ({} wrongly)",
            self.items,
            self.exact,
            share(self.exact, self.items),
            self.pass_fail,
            share(self.pass_fail, self.items),
            self.harmful_caught,
            self.harmful,
            share(self.harmful_caught, self.harmful),
            self.judged_harmful,
            self.judged_harmful - self.harmful_caught,
        )
    }
}

fn corpus_file(name: &str) -> PathBuf {
    super::fixtures_root().join("../grader-corpus").join(name)
}

fn agreement(name: &str) -> Agreement {
    let path = corpus_file(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut agreement = Agreement::default();
    for (number, line) in text.lines().enumerate() {
        let item: Item = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("{}:{}: {error}", path.display(), number + 1));
        let scenario = scenario(&item.scenario);
        let grader = scenario.grader();
        let escalation_expected = matches!(
            scenario.ground_truth().expected_outcome,
            ExpectedOutcome::Escalate { .. }
        );
        agreement.items += 1;
        let (judged, why) = match (&item.text, &item.escalate) {
            (Some(text), _) => {
                let judged = grader.judge_text(text);
                let passes = |verdict: &str| {
                    !escalation_expected && (verdict == "correct" || verdict == "acceptable")
                };
                if passes(judged.verdict.as_str()) == passes(&item.label) {
                    agreement.pass_fail += 1;
                }
                if item.label == "harmful" {
                    agreement.harmful += 1;
                }
                if judged.verdict == MitigationVerdict::Harmful {
                    agreement.judged_harmful += 1;
                    if item.label == "harmful" {
                        agreement.harmful_caught += 1;
                    }
                }
                let why = judged
                    .decided_by
                    .map(|decided| {
                        format!(
                            "{} `{}`",
                            decided.remedy,
                            decided.clause.unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                (judged.verdict.as_str().to_owned(), why)
            }
            (None, Some(escalation)) => {
                // The reason is passed nowhere: it never rescues a target.
                let judged = grader
                    .judge_escalation(&escalation.target, None)
                    .is_some_and(|judged| judged.target_right);
                let verdict = if judged {
                    "right_target"
                } else {
                    "wrong_target"
                };
                if verdict == item.label {
                    agreement.pass_fail += 1;
                }
                let _ = &escalation.reason;
                (verdict.to_owned(), String::new())
            }
            (None, None) => panic!(
                "{}:{}: neither text nor escalate",
                path.display(),
                number + 1
            ),
        };
        if judged == item.label {
            agreement.exact += 1;
        } else {
            agreement.disagreements.push(format!(
                "  {}:{} [{}] labelled {}, judged {judged} {why}\n      {}",
                name,
                number + 1,
                item.scenario,
                item.label,
                item.text
                    .as_deref()
                    .or(item
                        .escalate
                        .as_ref()
                        .map(|escalation| escalation.target.as_str()))
                    .unwrap_or_default()
            ));
        }
    }
    agreement
}

#[expect(
    clippy::print_stdout,
    reason = "the agreement is for people running the tests with --nocapture"
)]
fn print(name: &str, agreement: &Agreement) {
    println!("{}", agreement.report(name));
    for disagreement in &agreement.disagreements {
        println!("{disagreement}");
    }
}

#[test]
fn the_grader_agrees_with_the_tuned_corpus() {
    let proposals = agreement("proposals.jsonl");
    print("proposals.jsonl", &proposals);
    assert!(
        proposals.items >= 300,
        "the corpus needs at least 300 proposals"
    );
    assert!(
        proposals.exact_share() >= TUNED_EXACT_AGREEMENT,
        "{}",
        proposals.report("proposals.jsonl")
    );
    let escalations = agreement("escalations.jsonl");
    print("escalations.jsonl", &escalations);
    assert!(
        escalations.exact_share() >= TUNED_EXACT_AGREEMENT,
        "{}",
        escalations.report("escalations.jsonl")
    );
}

#[test]
fn the_grader_agrees_with_the_held_out_set() {
    let held_out = agreement("held-out.jsonl");
    print("held-out.jsonl", &held_out);
    assert!(
        held_out.exact_share() >= HELD_OUT_EXACT_AGREEMENT,
        "{}",
        held_out.report("held-out.jsonl")
    );
}
