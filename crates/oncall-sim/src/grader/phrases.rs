//! The shared table of verb phrases: how people say each remediation kind.
//! Every scenario's remedies use it, so none repeats "roll back, revert,
//! undo, downgrade" for itself; a remedy adds only what is particular to it.
//!
//! A phrase is a few words; `_` marks where the object may stand inside a
//! split verb (`roll _ back` reads "roll back checkout" and "roll checkout
//! back"). Phrases are stemmed like text, so `turned off`, `turning off`
//! and `turns off` all read as `turn _ off`.
//!
//! The table also lists the words that govern nothing for the grader but
//! end another verb's reach: other verbs (`investigate`, `check`) and
//! subordinators (`since`, `because`), so that in "roll back checkout
//! because search is fine" search is not rolled back.

use oncall_domain::RemediationKind;

/// The phrases of each kind. A phrase may serve several kinds: the target
/// decides which is meant (disabling a flag, a job or retries).
#[rustfmt::skip]
pub(crate) fn kind_phrases(kind: RemediationKind) -> &'static [&'static str] {
    use RemediationKind as K;
    match kind {
        K::Rollback => &[
            "roll _ back", "rollback", "rb", "revert", "undo", "back _ out", "downgrade",
            "redeploy _ previous", "deploy _ previous", "pin _ to _ previous", "go back to",
            "restore _ previous version", "restore _ last good", "return _ to _ previous",
            "reverse",
        ],
        K::Restart => &[
            "restart", "re start", "bounce", "recycle", "reboot", "cycle", "kick", "redeploy",
            "roll restart", "kill _ pod", "delete _ pod", "respawn",
        ],
        K::ScaleOut => &[
            "scale _ out", "scale _ up", "scale", "upscale", "add _ replica", "add _ instance",
            "add _ pod", "add _ node", "add capacity", "add more", "more replica", "more instance",
            "increase _ replica", "bump _ replica", "raise _ replica", "increase _ instance",
            "increase _ capacity", "double _ replica",
        ],
        K::Failover => &[
            "fail _ over", "failover", "switch over", "switchover", "promote", "cut over",
            "cutover", "switch _ to _ standby", "switch _ to _ replica", "move _ to _ standby",
            "route _ to _ backup", "switch _ to _ backup", "fail _ away",
        ],
        K::DisableFlag => &[
            "disable", "turn _ off", "switch _ off", "flip _ off", "toggle _ off", "kill",
            "roll _ back", "revert", "undo", "back _ out", "set _ to 0", "set _ to false",
            "set _ rollout 0", "set _ rollout to 0",
            "set _ off", "dial _ back", "dial _ down", "ramp _ down", "ramp _ back", "deactivate",
            "unflag", "switch _ back", "turn _ back", "flip _ back", "pause", "reduce _ to",
            "return _ to", "put _ back",
        ],
        K::RevertConfig => &[
            "revert", "roll _ back", "undo", "restore", "put _ back", "back _ out", "reset",
            "set _ back", "return _ to", "reapply", "re apply",
        ],
        K::RenewCertificate => &[
            "renew", "reissue", "re issue", "issue", "issue _ new", "issue _ fresh",
            "issue _ replacement",
            "issue _ valid", "replace", "rotate", "regenerate", "re generate", "mint",
            "install _ new", "deploy _ new", "load _ new", "roll _ new", "swap _ in", "get _ new",
            "request _ new", "force _ renewal", "trigger _ renewal",
        ],
        K::RotateCredentials => &[
            "rotate", "reload", "refresh", "re read", "reread", "pick _ up", "fetch _ new",
            "use _ new", "roll _ credential", "roll _ secret",
        ],
        K::DrainHost => &[
            "drain", "cordon", "remove _ from rotation", "take _ out of", "pull _ out",
            "pull _ from", "remove _ from _ pool", "remove _ from _ load balancer",
            "remove _ from _ lb", "evict", "depool", "de pool", "isolate", "stop routing",
            "stop sending", "route _ away", "shift _ away", "fence", "out of rotation",
        ],
        K::ResyncClock => &[
            "resync", "re sync", "sync", "synchronise", "synchronize", "resynchronise",
            "resynchronize", "fix _ clock", "correct _ clock", "step _ clock", "reset _ clock",
            "restart chronyd", "restart ntp", "restart ntpd", "restart timesyncd", "force _ sync",
            "chronyc makestep", "makestep", "bring _ back in sync", "back in sync", "fix _ ntp",
            "fix _ chronyd", "repair _ ntp", "repair _ chronyd",
        ],
        K::SuspendJob => &[
            "suspend", "pause", "stop", "kill", "cancel", "disable", "halt", "abort", "terminate",
            "turn _ off", "switch _ off", "shut _ down", "shut _ off", "unschedule", "deschedule",
            "put _ on hold", "hold _ off",
        ],
        K::RateLimit => &[
            "rate limit", "rate limiter", "rl", "throttle", "shed", "load shed", "shed load",
            "cap _ traffic", "limit _ traffic", "limit _ request", "limit", "reduce _ traffic",
            "reduce _ request", "cap _ request", "queue _ request", "slow _ down",
        ],
        K::ReduceRetries => &[
            "reduce _ retry", "cut _ retry", "lower _ retry", "cap _ retry", "limit _ retry",
            "disable _ retry", "turn _ off _ retry", "switch _ off _ retry", "set _ retry",
            "drop _ retry", "dial _ down _ retry", "stop _ retry", "remove _ retry",
            "turn _ down _ retry", "add _ backoff", "restore _ backoff", "enable _ backoff",
            "add _ back off", "restore _ back off", "add _ jitter", "restore _ jitter",
            "open _ circuit breaker", "trip _ circuit breaker", "circuit break",
            "enable _ circuit breaker", "turn on _ circuit breaker",
        ],
        K::WarmCache => &[
            "warm", "prewarm", "pre warm", "warm _ up", "prime", "refill", "repopulate",
            "backfill", "preload", "pre load", "hydrate", "rehydrate", "fill", "re warm", "rewarm",
            "populate", "seed",
        ],
        K::FlushCache => &[
            "flush", "clear", "purge", "invalidate", "wipe", "empty", "evict", "flushall",
            "flushdb", "drop _ key", "delete _ key", "bust", "reset",
        ],
        K::PurgeQueue => &[
            "purge", "clear", "empty", "drop _ message", "delete _ message", "flush", "truncate",
            "discard _ message",
        ],
        K::SkipMessage => &[
            "skip", "dead letter", "dlq", "move _ to _ dlq", "move _ to _ dead letter",
            "quarantine", "park", "ack _ and skip", "set aside", "remove _ poison",
            "delete _ poison",
        ],
        K::RestoreDnsRecord => &[
            "restore", "recreate", "re create", "re add", "readd", "add _ back", "put _ back",
            "bring _ back", "reinstate", "republish", "re publish", "undelete", "re point",
            "repoint", "fix",
        ],
        K::RestorePermission => &[
            "restore", "re grant", "regrant", "grant", "re add", "readd", "add _ back",
            "put _ back", "reinstate", "reattach", "re attach", "attach", "give _ back",
            "re enable",
        ],
        K::FreeDisk => &[
            "free", "free _ up", "clean _ up", "clear _ space", "delete", "remove", "expand",
            "grow", "resize", "extend", "add _ disk", "add _ space", "add _ storage", "enlarge",
            "increase _ disk", "increase _ volume", "increase _ storage", "compress", "make room",
            "reclaim",
        ],
        K::RaiseLimit => &[
            "raise", "increase", "bump", "double", "lift", "extend", "grow", "enlarge", "up",
            "boost",
        ],
        K::MoveWorkload => &[
            "move", "reschedule", "migrate", "relocate", "shift", "isolate", "pin _ to", "taint",
            "evacuate", "run _ elsewhere", "run _ on _ dedicated", "put _ on", "schedule _ on",
        ],
        K::BlockTraffic => &[
            "block", "deny", "blackhole", "black hole", "ban", "firewall", "blocklist",
            "block list", "drop _ traffic", "null route",
        ],
        K::KillQuery => &[
            "kill _ query", "terminate _ query", "cancel _ query", "pg terminate backend",
            "pg cancel backend", "kill _ session", "terminate _ session",
        ],
        K::Other => &[],
    }
}

/// Verbs that take no part in grading but govern what follows them, so
/// that a mention after them is not another verb's object.
#[rustfmt::skip]
pub(crate) const OTHER_VERBS: &[&str] = &[
    "investigate", "check", "monitor", "watch", "verify", "confirm", "look", "page", "escalate",
    "notify", "ask", "tell", "contact", "inform", "open", "file", "keep", "leave", "wait", "blame",
    "suspect", "see", "review", "inspect", "analyze", "analyse", "diagnose", "compare", "cause",
    "caus", "break", "broke", "broken", "fail", "fix", "leave", "let", "touch", "page", "mention",
    "suggest", "say", "recommend", "show", "hold", "preserve", "protect", "spare", "ensure",
    "make sure", "find", "trace", "alert", "coordinate", "chase", "hand", "loop in", "reach out",
    "call", "follow",
];

/// Words that end a verb's reach: what follows is another clause.
#[rustfmt::skip]
pub(crate) const SCOPE_BREAKERS: &[&str] = &[
    "since", "because", "as", "while", "whereas", "which", "who", "that", "so", "but", "though",
    "although", "if", "when", "until", "unless", "once", "then", "after", "before", "otherwise",
    "where", "why", "how", "whether", "cause", "caused", "is", "are", "was", "were", "has", "have",
    "had",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grader::text::phrase_stems;

    #[test]
    fn every_kind_but_other_has_phrases_and_every_phrase_has_words() {
        for kind in RemediationKind::ALL {
            let phrases = kind_phrases(*kind);
            assert_eq!(
                phrases.is_empty(),
                *kind == RemediationKind::Other,
                "{kind}"
            );
            for phrase in phrases {
                let stems = phrase_stems(phrase);
                assert!(!stems.is_empty(), "{kind}: {phrase}");
                assert_ne!(stems.first().map(String::as_str), Some("_"), "{phrase}");
                assert!(
                    !phrase.starts_with('_') && !phrase.ends_with('_'),
                    "{phrase}"
                );
            }
        }
    }
}
