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

use crate::grader::governing::govern;
use crate::grader::negation::{compile_all, negate_acts, negate_mentions, negated_before};
use crate::grader::phrases::{OTHER_VERBS, kind_phrases};
use crate::grader::text::{Words, phrase_folds, phrase_stems};
use crate::grader::vocabulary::{NEGATIONS, SLOT_STOPS};

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
pub(crate) const MAX_SLOT_WORDS: usize = 6;

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
    /// A word, and whether it is joined to the word before it in the
    /// phrase (`recommendations-3`): a joined number matches only a joined
    /// word of the text, so "recommendations 3.8.0" is not the host.
    Word(String, bool),
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
            parts.extend(
                words
                    .into_iter()
                    .enumerate()
                    .map(|(index, word)| Part::Word(word, index > 0)),
            );
        }
        while parts.last() == Some(&Part::Slot) {
            parts.pop();
        }
        match parts.first() {
            Some(Part::Word(..)) => Some(Pattern {
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
            Part::Word(wanted, joined) => {
                let same = |word: &crate::grader::text::Word| {
                    let equal = match self.reading {
                        Reading::Stem => &word.stem == wanted,
                        Reading::Fold => &word.fold == wanted,
                    };
                    // Only a number must be joined: "billing workers" names
                    // billing-worker, "recommendations 3.8.0" never names
                    // recommendations-3.
                    let number = wanted.chars().all(|c| c.is_ascii_digit());
                    equal && (!joined || !number || word.joined || self.reading == Reading::Stem)
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
