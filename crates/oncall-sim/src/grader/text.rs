//! Text as the grader reads it: split into sentences and clauses, then into
//! lowercase words, each with its stem.
//!
//! - **Sentences** end at `.`, `!` or `?` followed by a space or the end
//!   (so `v2.14.0` and `checkout.new_tax_engine` stay whole), at `;`, and at
//!   a line break. `e.g.`, `i.e.`, `etc.` and `vs.` end nothing.
//! - **Clauses** end at `,`, `:` (not in a time such as `09:00`), brackets,
//!   and a dash between spaces, as well as at a sentence's end.
//! - **Words** are runs of letters and digits; `.`, `-`, `_` and `/`
//!   inside a name split it into words without ending anything
//!   (`ledger-db-1` reads as `ledger db 1`, just as a catalogue name is
//!   read). An apostrophe inside a word keeps it whole (`don't`,
//!   `shouldn't`), except a possessive `'s`, which is dropped (`cart's`
//!   reads as `cart`).
//! - **Stems** fold the inflections of English verbs and plurals by
//!   explicit rules ([`stem`]), so `rolled`, `rolling` and `rolls` all read
//!   as `roll`, and `pauses`, `paused`, `pausing` as `paus`.

/// One word of a text, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word, lowercased.
    pub(crate) text: String,
    /// Its stem.
    pub(crate) stem: String,
    /// The word with only a plural `-s` folded away, for matching names:
    /// names match exactly but for the plural (`jobs` reads `job`), so a
    /// verb such as "ship" never reads as the service `shipping`.
    pub(crate) fold: String,
    /// Whether it is joined to the word before it by `-`, `.`, `_` or `/`
    /// with no space: a later part of a compound such as `ledger-db-1` or
    /// `rb-session-validation`.
    pub(crate) joined: bool,
    /// The sentence it is in, from 0.
    pub(crate) sentence: u32,
    /// The clause it is in, from 0, counted over the whole text.
    pub(crate) clause: u32,
}

/// A text split into words, keeping each sentence's original text for
/// reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Words {
    pub(crate) words: Vec<Word>,
    sentences: Vec<String>,
}

impl Words {
    /// Reads `text` as the module docs describe.
    pub(crate) fn new(text: &str) -> Words {
        let characters: Vec<char> = text.chars().collect();
        let mut reader = Reader::default();
        let mut index = 0;
        while index < characters.len() {
            let character = characters[index];
            let next = characters.get(index + 1).copied();
            let previous = index.checked_sub(1).map(|at| characters[at]);
            if character.is_alphanumeric() {
                reader.current.extend(character.to_lowercase());
                reader.sentence_text.push(character);
                index += 1;
                continue;
            }
            let inside_word = previous.is_some_and(char::is_alphanumeric)
                && next.is_some_and(char::is_alphanumeric);
            if is_apostrophe(character) && inside_word {
                reader.current.push('\'');
                reader.sentence_text.push(character);
                index += 1;
                continue;
            }
            reader.end_word();
            reader.next_joined = inside_word && matches!(character, '-' | '.' | '_' | '/');
            let ends_sentence = match character {
                ';' | '\n' => true,
                '.' | '!' | '?' => {
                    let at_end =
                        next.is_none_or(|next| next.is_whitespace() || next == ')' || next == '"');
                    at_end && !reader.after_abbreviation()
                }
                _ => false,
            };
            // A colon between digits is a time (09:00), not a clause's end.
            let in_time = character == ':'
                && previous.is_some_and(|c| c.is_ascii_digit())
                && next.is_some_and(|c| c.is_ascii_digit());
            let ends_clause = (matches!(character, ',' | ':' | '(' | ')' | '[' | ']' | '–' | '—')
                && !in_time)
                || (character == '-'
                    && previous.is_some_and(char::is_whitespace)
                    && next.is_none_or(char::is_whitespace));
            if ends_sentence {
                if character != '\n' {
                    reader.sentence_text.push(character);
                }
                reader.end_sentence();
            } else {
                reader.sentence_text.push(character);
                if ends_clause {
                    reader.clause += 1;
                }
            }
            index += 1;
        }
        reader.end_word();
        reader.end_sentence();
        Words {
            words: reader.words,
            sentences: reader.sentences,
        }
    }

    /// The original text of sentence `index`, trimmed.
    pub(crate) fn sentence_text(&self, index: u32) -> &str {
        self.sentences
            .get(index as usize)
            .map_or("", |text| text.trim())
    }

    /// The words, in order.
    pub(crate) fn len(&self) -> usize {
        self.words.len()
    }
}

/// Words read as a phrase to look for: the same splitting and stemming as
/// a text, without sentences. Empty when `phrase` has no letters or digits.
pub(crate) fn phrase_stems(phrase: &str) -> Vec<String> {
    Words::new(phrase)
        .words
        .into_iter()
        .map(|word| word.stem)
        .collect()
}

/// A name read as a phrase to look for: its words folded ([`fold`]).
pub(crate) fn phrase_folds(phrase: &str) -> Vec<String> {
    Words::new(phrase)
        .words
        .into_iter()
        .map(|word| word.fold)
        .collect()
}

/// The stem of one lowercase word: the explicit rules that fold English
/// inflections. Both a text and the phrases looked for in it are stemmed
/// alike, so a stem need not be a word, only the same for every form:
///
/// 1. a few irregular forms map to their base (`undid` → `undo`);
/// 2. a possessive `'s` or a trailing `'` is dropped;
/// 3. `-ies`/`-ied` become `-y`; `-es` after `s`, `x`, `z`, `ch`, `sh` and a
///    plain `-s` (not `-ss`, `-us`, `-is`) are dropped, as are `-ing` and
///    `-ed` when at least three letters remain;
/// 4. a final `e` is dropped when at least three letters remain, and a final
///    doubled consonant (not `ll`, `ss`, `ff`, `zz`) is halved; British
///    doubled `-ll-` forms are irregulars (`dialled` → `dial`).
///
/// Words of three letters or fewer, and words with digits, are left alone.
pub(crate) fn stem(word: &str) -> String {
    if let Some(base) = irregular(word) {
        return base.to_owned();
    }
    let mut text = word
        .strip_suffix("'s")
        .or_else(|| word.strip_suffix('\''))
        .unwrap_or(word)
        .to_owned();
    if text.chars().count() <= 3 || text.chars().any(|c| c.is_ascii_digit()) || text.contains('\'')
    {
        return text;
    }
    let letters = |text: &str| text.chars().count();
    if let Some(base) = text
        .strip_suffix("ies")
        .or_else(|| text.strip_suffix("ied"))
    {
        if letters(base) >= 2 {
            text = format!("{base}y");
        }
    } else if let Some(base) = text.strip_suffix("es").filter(|base| {
        ["s", "x", "z", "ch", "sh"]
            .iter()
            .any(|ending| base.ends_with(ending))
    }) {
        text = base.to_owned();
    } else if let Some(base) = text.strip_suffix("ing").filter(|base| letters(base) >= 3) {
        text = base.to_owned();
    } else if let Some(base) = text.strip_suffix("ed").filter(|base| letters(base) >= 3) {
        text = base.to_owned();
    } else if text.ends_with('s')
        && !["ss", "us", "is"]
            .iter()
            .any(|ending| text.ends_with(ending))
    {
        text.pop();
    }
    if text.ends_with('e') && letters(&text) > 3 {
        text.pop();
    }
    let chars: Vec<char> = text.chars().collect();
    if let [.., before, last] = chars.as_slice()
        && before == last
        && !"aeiouslfz".contains(*last)
        && chars.len() > 3
    {
        text.pop();
    }
    text
}

/// `word` with a plural `-s` (or `-es` after `s`, `x`, `ch`, `sh`) dropped:
/// how names are compared.
pub(crate) fn fold(word: &str) -> String {
    let word = word.strip_suffix('\'').unwrap_or(word);
    if word.chars().count() <= 3 || word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    if let Some(base) = word.strip_suffix("es").filter(|base| {
        ["s", "x", "ch", "sh"]
            .iter()
            .any(|ending| base.ends_with(ending))
    }) {
        return base.to_owned();
    }
    match word.strip_suffix('s') {
        Some(base) if !["s", "u", "i"].iter().any(|ending| base.ends_with(ending)) => {
            base.to_owned()
        }
        _ => word.to_owned(),
    }
}

/// Irregular verb forms the rules would miss.
fn irregular(word: &str) -> Option<&'static str> {
    Some(match word {
        "undid" | "undone" => "undo",
        "redid" | "redone" => "redo",
        "froze" | "frozen" => "freez",
        "spun" => "spin",
        "took" | "taken" => "tak",
        "rebuilt" => "rebuild",
        "rewrote" | "rewritten" => "rewrit",
        "reran" => "rerun",
        "shut" | "shuts" | "shutting" => "shut",
        "brought" => "bring",
        "dialled" | "dialling" | "dials" => "dial",
        "cancelled" | "cancelling" => "cancel",
        "labelled" | "labelling" => "label",
        "levelled" | "levelling" => "level",
        "withdrew" | "withdrawn" => "withdraw",
        _ => return None,
    })
}

fn is_apostrophe(character: char) -> bool {
    matches!(character, '\'' | '’' | 'ʼ')
}

/// The words that, before a `.`, make it part of an abbreviation.
const ABBREVIATIONS: &[&str] = &["e", "g", "i", "etc", "vs", "eg", "ie", "approx", "cf"];

#[derive(Default)]
struct Reader {
    words: Vec<Word>,
    sentences: Vec<String>,
    current: String,
    sentence_text: String,
    sentence: u32,
    clause: u32,
    words_in_sentence: usize,
    next_joined: bool,
}

impl Reader {
    fn end_word(&mut self) {
        if self.current.is_empty() {
            return;
        }
        let text = std::mem::take(&mut self.current).replace('’', "'");
        let stem = stem(&text);
        let text = text.strip_suffix("'s").map_or(text.clone(), str::to_owned);
        let fold = fold(&text);
        self.words.push(Word {
            text,
            stem,
            fold,
            joined: std::mem::take(&mut self.next_joined),
            sentence: self.sentence,
            clause: self.clause,
        });
        self.words_in_sentence += 1;
    }

    fn end_sentence(&mut self) {
        self.sentences.push(std::mem::take(&mut self.sentence_text));
        if self.words_in_sentence > 0 {
            self.sentence += 1;
            self.clause += 1;
        } else {
            // Nothing was said: reuse the number, so that sentence numbers
            // index `sentences` only through non-empty ones.
            self.sentences.pop();
            if let Some(last) = self.sentences.last_mut() {
                last.push(' ');
            }
        }
        self.words_in_sentence = 0;
    }

    /// Whether the last word read makes a following `.` an abbreviation's.
    fn after_abbreviation(&self) -> bool {
        self.words.last().is_some_and(|word| {
            word.sentence == self.sentence && ABBREVIATIONS.contains(&word.text.as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn inflections_share_a_stem() {
        let families: &[&[&str]] = &[
            &["roll", "rolled", "rolling", "rolls"],
            &["revert", "reverted", "reverting", "reverts"],
            &["pause", "paused", "pausing", "pauses"],
            &["restart", "restarted", "restarting", "restarts"],
            &["lower", "lowered", "lowering", "lowers"],
            &["switch", "switched", "switching", "switches"],
            &["stop", "stopped", "stopping", "stops"],
            &["scale", "scaled", "scaling", "scales"],
            &["disable", "disabled", "disabling", "disables"],
            &["retry", "retries", "retried", "retrying"],
            &["flush", "flushed", "flushing", "flushes"],
            &["drain", "drained", "draining", "drains"],
            &["kill", "killed", "killing", "kills"],
            &["dial", "dialled", "dialed", "dialling"],
            &["cache", "caches", "cached", "caching"],
            &["undo", "undid", "undone", "undoing"],
            &["shed", "shedding", "sheds"],
            &["purge", "purged", "purging", "purges"],
        ];
        for family in families {
            let first = stem(family[0]);
            for form in *family {
                assert_eq!(stem(form), first, "{form} vs {}", family[0]);
            }
        }
        assert_ne!(stem("off"), stem("of"));
        assert_eq!(stem("dns"), "dns");
        assert_eq!(stem("status"), "status");
        assert_eq!(stem("v2"), "v2");
    }

    #[test]
    fn sentences_end_where_a_reader_would_end_them() {
        let words = Words::new(
            "Roll back checkout to v2.14.0. Do not restart the DB; e.g. roll back\nthen wait",
        );
        let by_sentence: Vec<(u32, &str)> = words
            .words
            .iter()
            .map(|word| (word.sentence, word.text.as_str()))
            .collect();
        assert_eq!(
            by_sentence[4..8],
            [(0, "v2"), (0, "14"), (0, "0"), (1, "do")]
        );
        let e = words.words.iter().find(|word| word.text == "e").unwrap();
        assert_eq!(e.sentence, 2, "a semicolon ends a sentence");
        let then = words.words.iter().find(|word| word.text == "then").unwrap();
        assert_eq!(then.sentence, 3, "so does a line break, but not e.g.");
        assert_eq!(words.sentence_text(1), "Do not restart the DB;");
    }

    #[test]
    fn clauses_end_at_commas_colons_brackets_and_dashes() {
        let words =
            Words::new("roll back x, then y: z (w) - v checkout.new_tax_engine ledger-db-1");
        let clauses: Vec<u32> = words.words.iter().map(|word| word.clause).collect();
        // `)` and ` - ` each end one.
        assert_eq!(clauses, [0, 0, 0, 1, 1, 2, 3, 5, 5, 5, 5, 5, 5, 5, 5]);
    }

    #[test]
    fn apostrophes_keep_contractions_and_drop_possessives() {
        let texts: Vec<String> =
            Words::new("Don't restart cart's pods; shouldn’t touch the users' db")
                .words
                .into_iter()
                .map(|word| word.text)
                .collect();
        assert_eq!(
            texts,
            [
                "don't",
                "restart",
                "cart",
                "pods",
                "shouldn't",
                "touch",
                "the",
                "users",
                "db"
            ]
        );
    }

    proptest! {
        #[test]
        fn reading_any_text_never_panics_and_keeps_order(text in "\\PC{0,120}") {
            let words = Words::new(&text);
            for pair in words.words.windows(2) {
                prop_assert!(pair[0].sentence <= pair[1].sentence);
                prop_assert!(pair[0].clause <= pair[1].clause);
            }
            for word in &words.words {
                prop_assert!(!word.text.is_empty());
                let _ = words.sentence_text(word.sentence);
            }
        }

        #[test]
        fn stemming_never_empties_a_word(word in "[a-z]{1,12}") {
            let once = stem(&word);
            prop_assert!(!once.is_empty());
        }
    }
}
