//! Governing: which names each verb acts on. See
//! [`analysis`](super::analysis) for the rules in prose.

use crate::grader::analysis::{Act, Mention, Tag};
use crate::grader::phrases::SCOPE_BREAKERS;
use crate::grader::text::Words;
use crate::grader::vocabulary::{
    COORDINATORS, DO_WORDS, MODALS, PASSIVE_MARKERS, PRONOUNS, SKIPPABLE, SUBORDINATORS,
};

pub(crate) fn govern(words: &Words, acts: &mut [Act], mentions: &[Mention]) {
    let breakers: Vec<String> = SCOPE_BREAKERS
        .iter()
        .map(|word| (*word).to_owned())
        .collect();
    let starts: Vec<(usize, usize)> = acts.iter().map(|act| (act.start, act.end)).collect();
    let is_verb_at = |at: usize| starts.iter().any(|(start, _)| *start == at);
    for index in 0..acts.len() {
        let (start, end) = (acts[index].start, acts[index].end);
        let clause = words.words[start].clause;
        let mut objects = Vec::new();
        // Inside a split verb, and after it up to the next verb or breaker.
        let mut at = start + 1;
        let mut stop = words.len();
        for position in end..words.len() {
            let word = &words.words[position];
            // Right after the verb, "that" is a determiner: "restore *that*
            // role's access".
            let determiner = position == end && ["that", "this"].contains(&word.text.as_str());
            if word.clause != clause
                || is_verb_at(position)
                || (breakers.contains(&word.text) && !determiner)
                || purpose_clause(words, mentions, position)
            {
                stop = position;
                break;
            }
        }
        while at < stop {
            match mentions.iter().position(|mention| mention.start == at) {
                Some(found) => {
                    objects.push(found);
                    at = mentions[found].end;
                }
                None => at += 1,
            }
        }
        // Before it: the subjects of a passive ("checkout should be rolled
        // back"), or the noun of a nominal ("a checkout rollback").
        // The subject region ends at the previous verb or subordinator.
        let previous_act_end = starts
            .iter()
            .filter(|(other, _)| *other < start)
            .map(|(_, other_end)| *other_end)
            .max()
            .unwrap_or(0);
        let previous_act_end = (previous_act_end..start)
            .rev()
            .find(|at| SUBORDINATORS.contains(&words.words[*at].text.as_str()))
            .map_or(previous_act_end, |at| at + 1);
        let before: Vec<usize> = mentions
            .iter()
            .enumerate()
            .filter(|(_, mention)| {
                mention.end <= start
                    && mention.start >= previous_act_end
                    && words.words[mention.start].clause == clause
            })
            .map(|(index, _)| index)
            .collect();
        let clause_start = (0..start)
            .rev()
            .take_while(|at| words.words[*at].clause == clause)
            .last()
            .unwrap_or(start);
        let lead = &words.words[clause_start.max(previous_act_end).min(start)..start];
        // A passive's marker stands among the three words before the verb
        // ("checkout should *be* rolled back", "*get* it rolled back").
        let passive = lead
            .iter()
            .rev()
            .take(3)
            .any(|word| PASSIVE_MARKERS.contains(&word.text.as_str()));
        if passive {
            objects.extend(before.iter().copied());
            // A subject before a parenthesis: "auth's certificate
            // (auth-internal-tls) should be renewed".
            let bare_lead = lead.iter().all(|word| {
                PASSIVE_MARKERS.contains(&word.text.as_str())
                    || MODALS.contains(&word.text.as_str())
            });
            if before.is_empty() && bare_lead {
                let sentence = words.words[start].sentence;
                objects.extend(mentions.iter().enumerate().filter_map(|(index, mention)| {
                    (mention.end <= start
                        && mention.start >= previous_act_end
                        && words.words[mention.start].sentence == sentence)
                        .then_some(index)
                }));
            }
            let pronoun_subject = lead
                .iter()
                .any(|word| ["it", "they", "this", "its"].contains(&word.text.as_str()));
            if before.is_empty() && pronoun_subject {
                objects.extend(referents(words, &acts[..index], mentions, start));
            }
        } else if let Some(&nearest) = before.last() {
            // A nominal after "do a", "trigger a": "do a checkout rollback".
            let verb = &words.words[start];
            let bare = verb.text == verb.stem
                || !["s", "ed", "ing"]
                    .iter()
                    .any(|ending| verb.text.ends_with(ending));
            let mention_start = mentions[nearest].start;
            let word_before = |back: usize| {
                mention_start
                    .checked_sub(back)
                    .and_then(|at| words.words.get(at))
                    .map(|word| word.text.as_str())
            };
            let framed = (1..=2)
                .any(|back| word_before(back).is_some_and(|word| DO_WORDS.contains(&word)))
                || (1..=2).any(|back| {
                    word_before(back) == Some("on")
                        && matches!(word_before(back + 1), Some("switch" | "turn"))
                });
            if bare && framed && start - mentions[nearest].end <= 1 {
                objects.push(nearest);
            }
        }
        // A pronoun object: the last name before the verb.
        let pronoun = words.words[end.min(words.len())..stop.min(end + 3)]
            .iter()
            .any(|word| PRONOUNS.contains(&word.text.as_str()))
            || words.words[start + 1..end]
                .iter()
                .any(|word| PRONOUNS.contains(&word.text.as_str()));
        // Even beside other names: "resync *its* clock" acts on what "its"
        // stands for.
        if pronoun {
            objects.extend(referents(words, &acts[..index], mentions, start));
        }
        objects.sort_unstable();
        objects.dedup();
        acts[index].objects = objects;
    }
    // A verb with no object after "and" acts on the one before it: "drained
    // auth-3 and restarted chronyd".
    for index in 1..acts.len() {
        if !acts[index].objects.is_empty() {
            continue;
        }
        let previous = &acts[index - 1];
        let gap = &words.words[previous.end.min(acts[index].start)..acts[index].start];
        let same_sentence =
            words.words[previous.start].sentence == words.words[acts[index].start].sentence;
        if same_sentence
            && gap
                .iter()
                .any(|word| ["and", "then"].contains(&word.text.as_str()))
        {
            let inherited = previous.objects.clone();
            acts[index].objects = inherited;
        }
    }
    // Coordinated verbs share the later verb's objects: "drain and resync
    // auth-3".
    for index in (0..acts.len().saturating_sub(1)).rev() {
        if !acts[index].objects.is_empty() {
            continue;
        }
        let (end, next_start) = (acts[index].end, acts[index + 1].start);
        let gap = &words.words[end.min(next_start)..next_start];
        let coordinated = gap.len() <= 3
            && gap
                .iter()
                .any(|word| COORDINATORS.contains(&word.text.as_str()))
            && gap.iter().all(|word| {
                COORDINATORS.contains(&word.text.as_str())
                    || SKIPPABLE.contains(&word.text.as_str())
            })
            && gap
                .iter()
                .all(|word| word.clause == words.words[end.min(next_start)].clause);
        if coordinated {
            let shared = acts[index + 1].objects.clone();
            acts[index].objects = shared;
        }
    }
}

/// Whether `to` at `position` opens a purpose clause ("restart accounts *to
/// release* the leaked connections"), which ends a verb's reach, rather
/// than naming where to ("roll back checkout *to v2.13.2*", "scale it *to
/// 12* pods").
fn purpose_clause(words: &Words, mentions: &[Mention], position: usize) -> bool {
    if words.words[position].text != "to" {
        return false;
    }
    let Some(next) = words.words.get(position + 1) else {
        return false;
    };
    const WHERE_TO: &[&str] = &[
        "the", "a", "an", "its", "their", "our", "previous", "last", "zero", "prior", "earlier",
        "old", "older", "known", "baseline", "normal", "one", "two", "three", "four", "five",
        "half", "default", "dry", "false", "true", "off", "on", "it", "them",
    ];
    let is_name = mentions.iter().any(|mention| mention.start == position + 1);
    let is_number = next.text.chars().next().is_some_and(|c| c.is_ascii_digit())
        || next.text.starts_with('v') && next.text[1..].chars().all(|c| c.is_ascii_digit());
    !is_name && !is_number && !WHERE_TO.contains(&next.text.as_str())
}

/// What a pronoun before `start` stands for: the objects of the nearest
/// verb before it in its sentence or the one before, or else every name
/// said there before it.
fn referents(words: &Words, earlier: &[Act], mentions: &[Mention], start: usize) -> Vec<usize> {
    let sentence = words.words[start].sentence;
    let near = |at: usize| words.words[at].sentence + 1 >= sentence;
    let previous = earlier.iter().rev().find(|act| {
        act.end <= start && near(act.start) && act.tags.iter().any(|tag| *tag != Tag::OtherVerb)
    });
    match previous {
        Some(act) if !act.objects.is_empty() => act.objects.clone(),
        _ => mentions
            .iter()
            .enumerate()
            .filter(|(_, mention)| mention.end <= start && near(mention.start))
            .map(|(index, _)| index)
            .collect(),
    }
}
