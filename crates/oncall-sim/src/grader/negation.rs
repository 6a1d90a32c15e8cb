//! Negation, rejection and reports: which verbs and names a text does not
//! propose. See [`analysis`](super::analysis) for the rules in prose.

use crate::grader::analysis::{Act, MAX_SLOT_WORDS, Mention, Tag};
use crate::grader::text::{Words, stem};
use crate::grader::vocabulary::{
    ACTORS, ATTEMPTS, CAUSATIVES, CONDITIONS, COORDINATORS, DO_WORDS, FOLLOW_VERBS, INNOCENCE,
    IRREGULAR_PASTS, NEGATIONS, PASSIVE_MARKERS, PRONOUN_SUBJECTS, REJECTIONS, SKIPPABLE,
    SUBORDINATORS,
};

pub(crate) fn compile_all(phrases: &[&str]) -> Vec<Vec<String>> {
    phrases
        .iter()
        .map(|phrase| phrase.split_whitespace().map(stem).collect())
        .collect()
}

pub(crate) fn stems_at(words: &Words, at: usize, stems: &[String], clause: Option<u32>) -> bool {
    stems.iter().enumerate().all(|(offset, wanted)| {
        words.words.get(at + offset).is_some_and(|word| {
            (&word.stem == wanted || &word.text == wanted)
                && clause.is_none_or(|clause| word.clause == clause)
        })
    })
}

/// Whether an act is something the text proposes (or reports doing), and not
/// a report of what happened or a noun:
///
/// - a past-tense verb after anything but an actor ("I", "we", "and",
///   "have") or a passive marker is a report: "the job *emptied* the cache";
/// - a verb in `-ing` after `is`, `are`, `was` or `were` not preceded by
///   "I" or "we" is a report: "the error rate *is dropping*";
/// - a verb in `-s` after another word is a report: "Postgres *recycles*
///   WAL";
/// - a word after a determiner is a noun ("an *empty* cache", "the
///   *FLUSHALL*"), and an action only when "do", "trigger", ... stands
///   before the determiner or "of" follows ("do a *restart* of accounts").
fn proposes(words: &Words, act: &Act) -> bool {
    let Some(verb) = words.words.get(act.start) else {
        return false;
    };
    let clause = verb.clause;
    let before = |back: usize| {
        act.start
            .checked_sub(back)
            .and_then(|at| words.words.get(at))
            .filter(|word| word.clause == clause)
            .map(|word| word.text.as_str())
    };
    let text = verb.text.as_str();
    // In a condition it says when, not what: "... until auth's certificate
    // *is replaced*".
    let condition = (1..=act.start)
        .map_while(&before)
        .any(|word| CONDITIONS.contains(&word));
    if condition {
        return false;
    }
    // After a possessive it is a noun: "at its concurrency *limit*".
    let possessive = |word: Option<&str>| {
        word.is_some_and(|word| ["its", "their", "our", "his", "her", "your", "my"].contains(&word))
    };
    if possessive(before(1)) || possessive(before(2)) {
        return words
            .words
            .get(act.end)
            .is_some_and(|word| word.text == "of" && word.clause == clause);
    }
    if matches!(before(1), Some("a" | "an" | "the")) {
        let framed = before(2).is_some_and(|word| DO_WORDS.contains(&word))
            || (before(2) == Some("on") && matches!(before(3), Some("switch" | "turn")));
        let of_follows = words
            .words
            .get(act.end)
            .is_some_and(|word| word.text == "of" && word.clause == clause);
        return framed || of_follows;
    }
    let Some(previous) = before(1) else {
        return true;
    };
    // "cert-manager has been failing to renew it": a report of an attempt.
    if previous == "to" && before(2).is_some_and(|word| ATTEMPTS.contains(&word)) {
        return false;
    }
    // "catalog-cache was emptied by the job": a report of the past.
    if (text.ends_with("ed") || IRREGULAR_PASTS.contains(&text))
        && ["was", "were"].contains(&previous)
    {
        return false;
    }
    let passive = PASSIVE_MARKERS.contains(&previous);
    if text.ends_with("ed") || IRREGULAR_PASTS.contains(&text) {
        let causative = (2..=6)
            .map_while(&before)
            .any(|word| CAUSATIVES.contains(&word));
        return ACTORS.contains(&previous)
            || passive
            || causative
            || PRONOUN_SUBJECTS.contains(&previous);
    }
    if text.ends_with("ing") && ["is", "are", "was", "were"].contains(&previous) {
        return before(2).is_some_and(|word| PRONOUN_SUBJECTS.contains(&word));
    }
    // A relative clause describes the thing proposed: "a hotfix that
    // *falls back* to the old engine".
    if text.ends_with('s') && !text.ends_with("ss") && verb.stem != text {
        return COORDINATORS.contains(&previous)
            || ACTORS.contains(&previous)
            || ["that", "which"].contains(&previous);
    }
    true
}

/// The end of a negation that ends right before `target` (skipping the
/// skippable words), in `target`'s clause, if there is one.
pub(crate) fn negated_before(words: &Words, target: usize, negations: &[Vec<String>]) -> bool {
    let Some(word) = words.words.get(target) else {
        return false;
    };
    let clause = word.clause;
    let mut at = target;
    loop {
        // Does a negation end right at `at`?
        for negation in negations {
            let length = negation.len();
            if at >= length && stems_at(words, at - length, negation, Some(clause)) {
                return true;
            }
        }
        let Some(previous) = at.checked_sub(1) else {
            return false;
        };
        let word = &words.words[previous];
        if word.clause != clause || !SKIPPABLE.contains(&word.text.as_str()) {
            return false;
        }
        at = previous;
    }
}

pub(crate) fn negate_mentions(words: &Words, mentions: &mut [Mention], acts: &[Act]) {
    let negations = compile_all(NEGATIONS);
    let innocence = compile_all(INNOCENCE);
    let starts: Vec<usize> = mentions.iter().map(|mention| mention.start).collect();
    for mention in mentions.iter_mut() {
        // "the search deploy (v9.17.0) is unrelated": a clearing phrase
        // within eight words after the name, in its sentence, before any
        // other name, verb or subordinator.
        let sentence = words.words[mention.start].sentence;
        let mut cleared = false;
        for at in mention.end..(mention.end + 8).min(words.len()) {
            let word = &words.words[at];
            let interrupted = word.sentence != sentence
                || starts.contains(&at)
                || acts.iter().any(|act| act.start == at)
                || SUBORDINATORS.contains(&word.text.as_str());
            if interrupted {
                break;
            }
            if innocence
                .iter()
                .any(|phrase| stems_at(words, at, phrase, None))
            {
                cleared = true;
                break;
            }
        }
        if cleared {
            mention.negated = true;
            continue;
        }
        // A negation right before a name negates the name, unless a verb
        // stands between (then it negates the verb).
        let verb_between = acts.iter().any(|act| {
            act.end <= mention.start && act.end + MAX_SLOT_WORDS + 2 > mention.start && {
                let gap = &words.words[act.end..mention.start];
                gap.iter()
                    .all(|word| SKIPPABLE.contains(&word.text.as_str()))
            }
        });
        if !verb_between && negated_before(words, mention.start, &negations) {
            mention.negated = true;
        }
    }
}

pub(crate) fn negate_acts(words: &Words, acts: &mut [Act]) {
    let negations = compile_all(NEGATIONS);
    for act in acts.iter_mut() {
        if negated_before(words, act.start, &negations) || !proposes(words, act) {
            act.negated = true;
        }
    }
    // Negation carries over `or`, `nor`, and `and` with no object between.
    for index in 1..acts.len() {
        let previous = &acts[index - 1];
        if !previous.negated {
            continue;
        }
        let gap = &words.words[previous.end.min(acts[index].start)..acts[index].start];
        let same_clause =
            words.words[previous.start].clause == words.words[acts[index].start].clause;
        let has = |wanted: &[&str]| gap.iter().any(|word| wanted.contains(&word.text.as_str()));
        // "do not restart or fail over": always; "do not restart and fail
        // over": only when no object came between.
        // "I would not follow the runbook and restart the primary": what a
        // rejected runbook says to do is rejected too.
        let follows = FOLLOW_VERBS.contains(&words.words[previous.start].text.as_str());
        let carried = same_clause
            && (has(&["or", "nor"]) || (has(&["and"]) && (previous.objects.is_empty() || follows)));
        if carried {
            acts[index].negated = true;
        }
    }
    // Rejections after a verb negate the nearest verb before them, and
    // those it is coordinated with.
    let rejections = compile_all(REJECTIONS);
    for position in 0..words.len() {
        let rejected = rejections
            .iter()
            .any(|rejection| stems_at(words, position, rejection, None));
        if !rejected {
            continue;
        }
        let sentence = words.words[position].sentence;
        // The nearest remediation verb: "restarting the database, as the
        // runbook *says*, would make things worse" rejects the restart.
        let Some(nearest) = acts.iter().rposition(|act| {
            act.end <= position
                && words.words[act.start].sentence == sentence
                && act.tags.iter().any(|tag| *tag != Tag::OtherVerb)
        }) else {
            continue;
        };
        acts[nearest].negated = true;
        let mut index = nearest;
        while index > 0 {
            let gap = &words.words[acts[index - 1].end.min(acts[index].start)..acts[index].start];
            let coordinated = gap.len() <= 4
                && gap
                    .iter()
                    .any(|word| ["or", "and", "nor"].contains(&word.text.as_str()))
                && words.words[acts[index - 1].start].sentence == sentence;
            if !coordinated {
                break;
            }
            acts[index - 1].negated = true;
            index -= 1;
        }
    }
}
