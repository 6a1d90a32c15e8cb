//! What a text says to do: the verbs in it, the names they act on, and
//! which of them it negates. [`Analysis::of`] reads a text against a
//! [`Lexicon`] (the shared verb table, a scenario's catalogue names and its
//! remedies' own phrases) and finds:
//!
//! - **acts**: verb phrases (`roll back`, `turn _ off`), each with the
//!   names it governs and whether it is negated;
//! - **mentions**: the names it uses (catalogue entities, longest match
//!   first), each with whether it is negated.
//!
//! # Governing
//!
//! A verb governs, within its clause, the names inside a split verb
//! ("roll *checkout* back"), then the names after it up to the next verb or
//! a subordinator ("since", "because", "that"), coordinated names included
//! ("roll back checkout and payments"). Before it, it governs the nearest
//! name when a form of *be*, *get* or *need* stands between ("checkout
//! should be rolled back"), or nothing but one word does (a nominal "a
//! checkout rollback"). A pronoun object ("roll it back") stands for the
//! last name mentioned before the verb. Coordinated verbs share an object:
//! in "drain and resync auth-3" both act on auth-3.
//!
//! # Negation
//!
//! - A negation (`not`, `never`, `don't`, `shouldn't`, `won't`, `avoid`,
//!   `without`, `instead of`, `rather than`, `against`, ...) negates the
//!   verb that follows it in its clause when only fillers, adverbs and
//!   auxiliaries stand between ("do not *immediately* restart"), and every
//!   verb coordinated with it by `or`, `nor`, or `and` with no object in
//!   between: "do not restart or fail over the database" negates both.
//! - Directly before a name it negates the name: "roll back
//!   recommendations, not storefront".
//! - A rejection after a verb in the same sentence ("would make things
//!   worse", "won't help", "is a bad idea") negates the nearest verb before
//!   it, and those coordinated with that one: "a database restart, as the
//!   runbook suggests, would make things worse".

use std::collections::BTreeSet;

use oncall_domain::RemediationKind;

use crate::grader::phrases::{OTHER_VERBS, SCOPE_BREAKERS, kind_phrases};
use crate::grader::text::{Words, phrase_folds, phrase_stems, stem};

/// What a verb phrase or name stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tag {
    /// A verb phrase of this remediation kind (from the shared table).
    Kind(RemediationKind),
    /// A phrase of remedy number N (its own verbs or names).
    Remedy(usize),
    /// A catalogue entity, by its index in the lexicon's entity list.
    Entity(usize),
    /// A name remedy number N must not see in the clause of its match.
    Excluded(usize),
    /// A name of the team an expected escalation goes to.
    Escalation,
    /// A verb that takes no part in grading.
    OtherVerb,
}

/// The phrases to look for: verbs and names, each with what it stands for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Lexicon {
    verbs: Vec<Pattern>,
    names: Vec<Pattern>,
}

impl Lexicon {
    /// A lexicon with the shared verb table and the grader's other verbs.
    pub(crate) fn with_shared_verbs() -> Lexicon {
        let mut lexicon = Lexicon::default();
        for kind in RemediationKind::ALL {
            for phrase in kind_phrases(*kind) {
                lexicon.add_verb(phrase, Tag::Kind(*kind));
            }
        }
        for phrase in OTHER_VERBS {
            lexicon.add_verb(phrase, Tag::OtherVerb);
        }
        lexicon
    }

    /// Adds a verb phrase (`_` marks a split verb's object slot).
    pub(crate) fn add_verb(&mut self, phrase: &str, tag: Tag) {
        if let Some(pattern) = Pattern::compile(phrase, tag, Reading::Stem) {
            self.verbs.push(pattern);
        }
    }

    /// Adds a name (no slots), matched word for word but for plurals.
    pub(crate) fn add_name(&mut self, phrase: &str, tag: Tag) {
        if let Some(pattern) = Pattern::compile(&phrase.replace('_', " "), tag, Reading::Fold) {
            self.names.push(pattern);
        }
    }
}

/// One verb phrase found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Act {
    /// What the phrase stands for (a phrase may serve several kinds).
    pub(crate) tags: BTreeSet<Tag>,
    /// The first and one-past-last word.
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether the text negates it.
    pub(crate) negated: bool,
    /// The mentions it governs, as indexes into [`Analysis::mentions`].
    pub(crate) objects: Vec<usize>,
}

/// One name found in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mention {
    /// What the name stands for.
    pub(crate) tags: BTreeSet<Tag>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// Whether a negation stands right before it.
    pub(crate) negated: bool,
}

/// A text read against a lexicon. See the module docs.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub(crate) words: Words,
    pub(crate) acts: Vec<Act>,
    pub(crate) mentions: Vec<Mention>,
}

impl Analysis {
    /// Reads `text` against `lexicon`.
    pub(crate) fn of(text: &str, lexicon: &Lexicon) -> Analysis {
        let words = Words::new(text);
        let mentions = find_mentions(&words, &lexicon.names);
        let mut acts = find_acts(&words, &lexicon.verbs, &mentions);
        let mut mentions = mentions;
        negate_mentions(&words, &mut mentions, &acts);
        govern(&words, &mut acts, &mentions);
        negate_acts(&words, &mut acts);
        Analysis {
            words,
            acts,
            mentions,
        }
    }

    /// The clause a word is in.
    pub(crate) fn clause_of(&self, word: usize) -> u32 {
        self.words.words.get(word).map_or(0, |word| word.clause)
    }

    /// The sentence a word is in.
    pub(crate) fn sentence_of(&self, word: usize) -> u32 {
        self.words.words.get(word).map_or(0, |word| word.sentence)
    }

    /// Whether `phrase` (a first-format matcher phrase: words, a trailing
    /// `*` for a prefix) occurs un-negated in sentence `sentence`: not after
    /// a negation, not inside a negated verb, and not a name only negated
    /// verbs govern.
    pub(crate) fn phrase_said_in(&self, phrase: &str, sentence: u32) -> bool {
        let trimmed = phrase.trim();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        let wanted: Vec<(String, String)> = Words::new(body)
            .words
            .into_iter()
            .map(|word| (word.text, word.stem))
            .collect();
        if wanted.is_empty() {
            return false;
        }
        let negations = compile_all(NEGATIONS);
        let words = &self.words.words;
        (0..words.len()).any(|start| {
            let matches = wanted.iter().enumerate().all(|(offset, (text, stem))| {
                words.get(start + offset).is_some_and(|word| {
                    word.sentence == sentence
                        && if prefix && offset + 1 == wanted.len() {
                            word.text.starts_with(text.as_str())
                        } else {
                            &word.stem == stem
                        }
                })
            });
            matches && !self.negated_at(start, &negations)
        })
    }

    /// Whether the word at `position` is negated: after a negation, inside
    /// a negated verb, or within a name that does not stand.
    fn negated_at(&self, position: usize, negations: &[Vec<String>]) -> bool {
        if negated_before(&self.words, position, negations) {
            return true;
        }
        if self
            .acts
            .iter()
            .any(|act| act.negated && act.start <= position && position < act.end)
        {
            return true;
        }
        self.mentions.iter().enumerate().any(|(index, mention)| {
            mention.start <= position && position < mention.end && !self.mention_stands(index)
        })
    }

    /// Whether mention `index` counts as said: it is not negated itself,
    /// and not only the object of negated verbs.
    pub(crate) fn mention_stands(&self, index: usize) -> bool {
        let Some(mention) = self.mentions.get(index) else {
            return false;
        };
        if mention.negated {
            return false;
        }
        let governors: Vec<&Act> = self
            .acts
            .iter()
            .filter(|act| act.objects.contains(&index))
            .collect();
        governors.is_empty() || governors.iter().any(|act| !act.negated)
    }
}

/// The most words a split verb's slot may hold.
const MAX_SLOT_WORDS: usize = 6;

#[derive(Debug, Clone)]
struct Pattern {
    parts: Vec<Part>,
    tag: Tag,
    reading: Reading,
}

/// How a pattern's words are compared with a text's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// By stem: verbs, whatever their inflection.
    Stem,
    /// By the word with a plural folded: names.
    Fold,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Word(String),
    Slot,
}

impl Pattern {
    fn compile(phrase: &str, tag: Tag, reading: Reading) -> Option<Pattern> {
        let mut parts = Vec::new();
        for token in phrase.split_whitespace() {
            if token == "_" {
                if parts.last() != Some(&Part::Slot) {
                    parts.push(Part::Slot);
                }
                continue;
            }
            let words = match reading {
                Reading::Stem => phrase_stems(token),
                Reading::Fold => phrase_folds(token),
            };
            parts.extend(words.into_iter().map(Part::Word));
        }
        while parts.last() == Some(&Part::Slot) {
            parts.pop();
        }
        match parts.first() {
            Some(Part::Word(_)) => Some(Pattern {
                parts,
                tag,
                reading,
            }),
            _ => None,
        }
    }

    /// Where the pattern matches starting at word `start`: the end (one
    /// past the last word) and the slot's words, for every way it matches.
    /// Slots never cross a clause.
    fn matches_at(&self, words: &Words, start: usize) -> Vec<(usize, Vec<usize>)> {
        let mut found = Vec::new();
        self.match_from(
            words,
            0,
            start,
            words.words[start].clause,
            Vec::new(),
            &mut found,
        );
        found
    }

    fn match_from(
        &self,
        words: &Words,
        part: usize,
        at: usize,
        clause: u32,
        slot: Vec<usize>,
        found: &mut Vec<(usize, Vec<usize>)>,
    ) {
        let Some(wanted) = self.parts.get(part) else {
            found.push((at, slot));
            return;
        };
        match wanted {
            Part::Word(wanted) => {
                let same = |word: &crate::grader::text::Word| match self.reading {
                    Reading::Stem => &word.stem == wanted,
                    Reading::Fold => &word.fold == wanted,
                };
                if words
                    .words
                    .get(at)
                    .is_some_and(|word| same(word) && word.clause == clause)
                {
                    self.match_from(words, part + 1, at + 1, clause, slot, found);
                }
            }
            Part::Slot => {
                for skip in 0..=MAX_SLOT_WORDS {
                    let end = at + skip;
                    if end > words.len() || (skip > 0 && words.words[end - 1].clause != clause) {
                        break;
                    }
                    // An object slot holds a name and its articles, never
                    // the start of another clause: "roll back checkout
                    // *rather than* restarting" is not a rolling restart.
                    if skip > 0 && SLOT_STOPS.contains(&words.words[end - 1].text.as_str()) {
                        break;
                    }
                    let mut inside = slot.clone();
                    inside.extend(at..end);
                    self.match_from(words, part + 1, end, clause, inside, found);
                }
            }
        }
    }
}

fn find_mentions(words: &Words, names: &[Pattern]) -> Vec<Mention> {
    let mut mentions: Vec<Mention> = Vec::new();
    let mut at = 0;
    while at < words.len() {
        let mut best: Option<(usize, BTreeSet<Tag>)> = None;
        for name in names {
            for (end, _) in name.matches_at(words, at) {
                match &mut best {
                    Some((best_end, tags)) if end == *best_end => {
                        tags.insert(name.tag);
                    }
                    Some((best_end, _)) if end < *best_end => {}
                    _ => best = Some((end, BTreeSet::from([name.tag]))),
                }
            }
        }
        match best {
            Some((end, tags)) => {
                mentions.push(Mention {
                    tags,
                    start: at,
                    end,
                    negated: false,
                });
                at = end;
            }
            None => at += 1,
        }
    }
    mentions
}

fn find_acts(words: &Words, verbs: &[Pattern], mentions: &[Mention]) -> Vec<Act> {
    // Every match, longest first at each start; then drop those inside a
    // longer one or inside a name.
    // A verb never starts or ends inside a compound: the `rb` of
    // `rb-session-validation` is a runbook's name, not a rollback.
    let whole = |start: usize, end: usize| {
        !words.words[start].joined && words.words.get(end).is_none_or(|next| !next.joined)
    };
    let mut candidates: Vec<(usize, usize, Vec<usize>, Tag)> = Vec::new();
    for start in 0..words.len() {
        for verb in verbs {
            for (end, slot) in verb.matches_at(words, start) {
                if whole(start, end) {
                    candidates.push((start, end, slot, verb.tag));
                }
            }
        }
    }
    let inside_name = |start: usize, end: usize| {
        mentions
            .iter()
            .any(|mention| mention.start <= start && end <= mention.end)
    };
    let mut acts: Vec<Act> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    candidates.sort_by(|a, b| (b.1 - b.0).cmp(&(a.1 - a.0)).then(a.0.cmp(&b.0)));
    for (start, end, slot, tag) in candidates {
        if inside_name(start, end) {
            continue;
        }
        if let Some(act) = acts
            .iter_mut()
            .find(|act| act.start == start && act.end == end)
        {
            act.tags.insert(tag);
            continue;
        }
        // A shorter phrase that starts where a longer one does is another
        // reading of the same verb ("set" and "set _ retries"): its tags
        // join the longer one's. One that starts inside a longer one is
        // part of it.
        if let Some(act) = acts.iter_mut().find(|act| act.start == start) {
            act.tags.insert(tag);
            continue;
        }
        let overlaps = taken
            .iter()
            .any(|(taken_start, taken_end)| start < *taken_end && *taken_start < end);
        if overlaps {
            continue;
        }
        taken.push((start, end));
        let _ = slot;
        acts.push(Act {
            tags: BTreeSet::from([tag]),
            start,
            end,
            negated: false,
            objects: Vec::new(),
        });
    }
    acts.sort_by_key(|act| act.start);
    acts
}

/// Words that may stand between a negation and what it negates.
const SKIPPABLE: &[&str] = &[
    "the",
    "a",
    "an",
    "any",
    "our",
    "their",
    "your",
    "this",
    "that",
    "these",
    "those",
    "it",
    "its",
    "to",
    "ever",
    "need",
    "needs",
    "be",
    "been",
    "go",
    "going",
    "try",
    "trying",
    "attempt",
    "bother",
    "want",
    "immediately",
    "just",
    "simply",
    "yet",
    "even",
    "also",
    "again",
    "blindly",
    "manually",
    "now",
    "currently",
    "we",
    "you",
    "i",
    "should",
    "would",
    "will",
    "can",
    "could",
    "must",
    "do",
    "does",
    "actually",
    "really",
    "yourself",
    "ourselves",
    "anyone",
    "anybody",
    "one",
    "of",
    "for",
    "on",
    "in",
    "at",
    "by",
    "with",
    "more",
    "further",
    "ever",
    "all",
    "both",
    "either",
    "us",
    "them",
    "here",
    "there",
    "until",
    "unless",
    "first",
    "please",
];

/// Negations before what they negate, as stem sequences.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "doesn't",
    "didn't",
    "shouldn't",
    "won't",
    "wouldn't",
    "mustn't",
    "can't",
    "cannot",
    "isn't",
    "aren't",
    "wasn't",
    "avoid",
    "without",
    "instead of",
    "rather than",
    "nor",
    "neither",
    "refrain from",
    "against",
    "ignore",
    "disregard",
    "forget",
    "stop short of",
    "resist",
    "hold off on",
    "hold off",
    "skip the",
    "nobody",
    "no one",
    "under no circumstances",
];

/// Rejections after what they reject, as stem sequences: they negate the
/// nearest verb before them in the sentence.
const REJECTIONS: &[&str] = &[
    "make thing worse",
    "make it worse",
    "make matter worse",
    "make everything worse",
    "make the outage worse",
    "make this worse",
    "worsen",
    "won't help",
    "will not help",
    "doesn't help",
    "does not help",
    "wouldn't help",
    "would not help",
    "won't fix",
    "will not fix",
    "wouldn't fix",
    "would not fix",
    "doesn't fix",
    "does not fix",
    "is not the fix",
    "isn't the fix",
    "not the fix",
    "is harmful",
    "be harmful",
    "harmful",
    "dangerous",
    "bad idea",
    "a mistake",
    "not recommended",
    "unnecessary",
    "not needed",
    "isn't needed",
    "not necessary",
    "risky",
    "unsafe",
    "counterproductive",
    "counter productive",
    "would corrupt",
    "will corrupt",
    "could corrupt",
    "would drop",
    "will drop",
    "would lose",
    "will lose",
    "would log",
    "is wrong",
    "not the answer",
    "won't work",
    "wouldn't work",
    "would not work",
    "doesn't work",
    "will not work",
    "off the table",
    "out of the question",
    "would only",
    "will only",
    "only make",
    "pointless",
    "would wipe",
    "would kill",
    "would break",
    "will break",
    "would cause",
    "must not be done",
    "should not be done",
    "must not",
    "must never",
    "never be done",
    "not an option",
    "would trigger",
    "would just",
    "will just",
    "a trap",
    "security incident",
    "security hole",
    "security risk",
];

/// Words that clear a name said just before them: "the search deploy is
/// unrelated" says nothing should be done to search.
const INNOCENCE: &[&str] = &[
    "unrelated",
    "not related",
    "innocent",
    "is fine",
    "are fine",
    "is healthy",
    "are healthy",
    "looks fine",
    "look fine",
    "is not the cause",
    "isn't the cause",
    "not the cause",
    "not the culprit",
    "isn't the culprit",
    "is a red herring",
    "red herring",
    "is a distraction",
    "is ok",
    "are ok",
    "is not involved",
    "isn't involved",
    "can be ruled out",
    "ruled out",
    "is a coincidence",
    "coincidental",
    "is innocent",
    "is not at fault",
    "isn't at fault",
    "not at fault",
];

/// Words that, between a name and a verb after it, make the name the
/// verb's object: "checkout should *be* rolled back", "checkout *needs* a
/// rollback".
const PASSIVE_MARKERS: &[&str] = &[
    "be", "been", "being", "is", "are", "was", "were", "get", "gets", "got", "getting", "need",
    "needs", "needed", "require", "requires", "want", "wants",
];

/// Words that, before a past-tense verb, make it something the agent did
/// ("I've *reverted* checkout", "drained auth-3 *and* restarted chronyd"),
/// not a report of what happened ("the job *emptied* the cache").
const ACTORS: &[&str] = &[
    "i",
    "we",
    "i've",
    "we've",
    "i'd",
    "we'd",
    "have",
    "has",
    "had",
    "and",
    "then",
    "also",
    "just",
    "already",
    "so",
    "now",
    "successfully",
    "manually",
    "to",
];

/// Words before a determiner that make the noun after it an action to take:
/// "*do* a rolling restart".
const DO_WORDS: &[&str] = &[
    "do",
    "perform",
    "trigger",
    "run",
    "start",
    "schedule",
    "initiate",
    "kick",
    "execute",
    "try",
    "need",
    "needs",
    "recommend",
    "suggest",
    "propose",
    "want",
    "avoid",
    "enable",
    "activate",
];

/// Words that start a subordinate clause: a subject before them is not the
/// subject of a verb after them.
const SUBORDINATORS: &[&str] = &[
    "that", "which", "who", "because", "since", "so", "while", "when", "if", "once", "until",
    "after", "before", "where", "though", "although", "unless",
];

/// Words a split verb's object slot never holds.
const SLOT_STOPS: &[&str] = &[
    "and", "or", "nor", "then", "but", "not", "no", "never", "rather", "instead", "without",
    "don't", "because", "since", "so", "while", "when", "if", "until", "that", "which",
];

/// Modal and helper words that may open a passive clause.
const MODALS: &[&str] = &[
    "should",
    "must",
    "would",
    "will",
    "can",
    "could",
    "to",
    "also",
    "then",
    "now",
    "just",
    "first",
    "immediately",
];

/// Words that stand for the last name mentioned.
const PRONOUNS: &[&str] = &["it", "them", "this", "those", "these", "its", "their"];

/// Verbs whose negation carries over `and`: not following a runbook means
/// not doing what it says next.
const FOLLOW_VERBS: &[&str] = &["follow", "apply", "execute"];

/// Words that coordinate verbs (for sharing objects and negation).
const COORDINATORS: &[&str] = &["and", "or", "nor", "then", "also", "&", "plus"];

fn compile_all(phrases: &[&str]) -> Vec<Vec<String>> {
    phrases
        .iter()
        .map(|phrase| phrase.split_whitespace().map(stem).collect())
        .collect()
}

fn stems_at(words: &Words, at: usize, stems: &[String], clause: Option<u32>) -> bool {
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
        return ACTORS.contains(&previous) || passive || PRONOUN_SUBJECTS.contains(&previous);
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

/// Words that, before "to", make the verb after it a report of an attempt.
const ATTEMPTS: &[&str] = &[
    "failing",
    "failed",
    "fails",
    "unable",
    "trying",
    "tried",
    "attempting",
    "attempted",
];

/// Past forms the `-ed` rule misses.
const IRREGULAR_PASTS: &[&str] = &[
    "undid", "redid", "brought", "took", "froze", "spun", "reran",
];

/// Subjects that make what follows the agent's own act.
const PRONOUN_SUBJECTS: &[&str] = &["i", "we", "i'm", "we're", "i've", "we've", "you", "they"];

/// The end of a negation that ends right before `target` (skipping the
/// skippable words), in `target`'s clause, if there is one.
fn negated_before(words: &Words, target: usize, negations: &[Vec<String>]) -> bool {
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

fn negate_mentions(words: &Words, mentions: &mut [Mention], acts: &[Act]) {
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

fn govern(words: &Words, acts: &mut [Act], mentions: &[Mention]) {
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
        let passive = lead
            .iter()
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

fn negate_acts(words: &Words, acts: &mut [Act]) {
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
