//! The grader's closed word lists: the words of negation, rejection and
//! innocence, and the small words that tell a verb's role in a sentence
//! (fillers, auxiliaries, actors, subordinators). [`analysis`](super::analysis)
//! and its rules read them; [`phrases`](super::phrases) holds the verbs.
//! They are data: one place to read what the grader knows of English.

/// Words that may stand between a negation and what it negates.
#[rustfmt::skip]
pub(crate) const SKIPPABLE: &[&str] = &[
    "runbook", "advice", "suggestion", "step", "recommendation", "instruction",
    "the", "a", "an", "any", "our", "their", "your", "this", "that", "these", "those", "it", "its",
    "to", "ever", "need", "needs", "be", "been", "go", "going", "try", "trying", "attempt",
    "bother", "want", "immediately", "just", "simply", "yet", "even", "also", "again", "blindly",
    "manually", "now", "currently", "we", "you", "i", "should", "would", "will", "can", "could",
    "must", "do", "does", "actually", "really", "yourself", "ourselves", "anyone", "anybody",
    "one", "of", "for", "on", "in", "at", "by", "with", "more", "further", "ever", "all", "both",
    "either", "us", "them", "here", "there", "until", "unless", "first", "please",
];

/// Negations before what they negate, as stem sequences.
#[rustfmt::skip]
pub(crate) const NEGATIONS: &[&str] = &[
    "not", "no", "never", "don't", "dont", "doesn't", "didn't", "shouldn't", "won't", "wouldn't",
    "mustn't", "can't", "cannot", "isn't", "aren't", "wasn't", "avoid", "without", "instead of",
    "rather than", "nor", "neither", "refrain from", "against", "ignore", "disregard", "forget",
    "stop short of", "resist", "hold off on", "hold off", "skip the", "nobody", "no one",
    "under no circumstances",
];

/// Rejections after what they reject, as stem sequences: they negate the
/// nearest verb before them in the sentence.
#[rustfmt::skip]
pub(crate) const REJECTIONS: &[&str] = &[
    "make thing worse", "make it worse", "make matter worse", "make everything worse",
    "make the outage worse", "make this worse", "worsen", "won't help", "will not help",
    "doesn't help", "does not help", "wouldn't help", "would not help", "won't fix",
    "will not fix", "wouldn't fix", "would not fix", "doesn't fix", "does not fix",
    "is not the fix", "isn't the fix", "not the fix", "is harmful", "be harmful", "harmful",
    "dangerous", "bad idea", "a mistake", "not recommended", "unnecessary", "not needed",
    "isn't needed", "not necessary", "risky", "unsafe", "counterproductive", "counter productive",
    "would corrupt", "will corrupt", "could corrupt", "would drop", "will drop", "would lose",
    "will lose", "would log", "is wrong", "not the answer", "won't work", "wouldn't work",
    "would not work", "doesn't work", "will not work", "off the table", "out of the question",
    "would only", "will only", "only make", "pointless", "would wipe", "would kill", "would break",
    "will break", "would cause", "must not be done", "should not be done", "must not",
    "must never", "never be done", "not an option", "would trigger", "would just", "will just",
    "a trap", "security incident", "security hole", "security risk",
];

/// Words that clear a name said just before them: "the search deploy is
/// unrelated" says nothing should be done to search.
#[rustfmt::skip]
pub(crate) const INNOCENCE: &[&str] = &[
    "unrelated", "not related", "innocent", "is fine", "are fine", "is healthy", "are healthy",
    "looks fine", "look fine", "is not the cause", "isn't the cause", "not the cause",
    "not the culprit", "isn't the culprit", "is a red herring", "red herring", "is a distraction",
    "is ok", "are ok", "is not involved", "isn't involved", "can be ruled out", "ruled out",
    "is a coincidence", "coincidental", "is innocent", "is not at fault", "isn't at fault",
    "not at fault",
];

/// Words that, between a name and a verb after it, make the name the
/// verb's object: "checkout should *be* rolled back", "checkout *needs* a
/// rollback".
#[rustfmt::skip]
pub(crate) const PASSIVE_MARKERS: &[&str] = &[
    "be", "been", "being", "is", "are", "was", "were", "get", "gets", "got", "getting", "need",
    "needs", "needed", "require", "requires", "want", "wants",
];

/// Words that, before a past-tense verb, make it something the agent did
/// ("I've *reverted* checkout", "drained auth-3 *and* restarted chronyd"),
/// not a report of what happened ("the job *emptied* the cache").
#[rustfmt::skip]
pub(crate) const ACTORS: &[&str] = &[
    "i", "we", "i've", "we've", "i'd", "we'd", "have", "has", "had", "and", "then", "also", "just",
    "already", "so", "now", "successfully", "manually", "to",
];

/// Words before a determiner that make the noun after it an action to take:
/// "*do* a rolling restart".
#[rustfmt::skip]
pub(crate) const DO_WORDS: &[&str] = &[
    "do", "perform", "trigger", "run", "start", "schedule", "initiate", "kick", "execute", "try",
    "need", "needs", "recommend", "suggest", "propose", "want", "avoid", "enable", "activate",
];

/// Words that start a subordinate clause: a subject before them is not the
/// subject of a verb after them.
#[rustfmt::skip]
pub(crate) const SUBORDINATORS: &[&str] = &[
    "what", "whatever",
    "that", "which", "who", "because", "since", "so", "while", "when", "if", "once", "until",
    "after", "before", "where", "though", "although", "unless",
];

/// Words a split verb's object slot never holds.
#[rustfmt::skip]
pub(crate) const SLOT_STOPS: &[&str] = &[
    "and", "or", "nor", "then", "but", "not", "no", "never", "rather", "instead", "without",
    "don't", "because", "since", "so", "while", "when", "if", "until", "that", "which",
];

/// Modal and helper words that may open a passive clause.
#[rustfmt::skip]
pub(crate) const MODALS: &[&str] = &[
    "should", "must", "would", "will", "can", "could", "to", "also", "then", "now", "just",
    "first", "immediately",
];

/// Words that stand for the last name mentioned.
pub(crate) const PRONOUNS: &[&str] = &["it", "them", "this", "those", "these", "its", "their"];

/// Verbs whose negation carries over `and`: not following a runbook means
/// not doing what it says next.
pub(crate) const FOLLOW_VERBS: &[&str] = &["follow", "apply", "execute"];

/// Words that coordinate verbs (for sharing objects and negation).
pub(crate) const COORDINATORS: &[&str] = &["and", "or", "nor", "then", "also", "&", "plus"];

/// Words that, before "to", make the verb after it a report of an attempt.
#[rustfmt::skip]
pub(crate) const ATTEMPTS: &[&str] = &[
    "failing", "failed", "fails", "unable", "trying", "tried", "attempting", "attempted",
];

/// Past forms the `-ed` rule misses.
#[rustfmt::skip]
pub(crate) const IRREGULAR_PASTS: &[&str] = &[
    "undid", "redid", "brought", "took", "froze", "spun", "reran",
];

/// Subjects that make what follows the agent's own act.
pub(crate) const PRONOUN_SUBJECTS: &[&str] =
    &["i", "we", "i'm", "we're", "i've", "we've", "you", "they"];

/// Words that open a condition: a verb after them in their clause says when,
/// not what to do ("show a notice *until* the certificate *is replaced*").
#[rustfmt::skip]
pub(crate) const CONDITIONS: &[&str] = &[
    "until", "unless", "if", "when", "once", "whenever", "till", "til",
];

/// Words that, a few words before a past participle, make it something to
/// have done: "*get* a fresh certificate *issued*".
#[rustfmt::skip]
pub(crate) const CAUSATIVES: &[&str] = &["get", "have", "has", "had", "got"];
