//! How the heuristic turns what it read into a structured answer: the
//! catalogue as the `services` tool returned it, a runbook step's action as
//! a remediation kind and a catalogue target, and a fault category from the
//! words of the errors. Generic SRE vocabulary only: nothing here knows any
//! scenario.

use std::collections::BTreeSet;

use serde_json::Value;

use oncall_domain::{EntityKind, FaultCategory, RemediationKind};
use oncall_tools::CATALOGUE_SECTIONS;

/// The catalogue as the `services` tool returned it: every named entity
/// with its kind, and each host's service.
#[derive(Debug, Default, Clone)]
pub(super) struct KnownCatalogue {
    /// (kind, name, aliases), in the order listed.
    entities: Vec<(EntityKind, String, Vec<String>)>,
    /// (host, service).
    hosts: Vec<(String, String)>,
}

impl KnownCatalogue {
    /// Reads the `services` tool's data; anything it does not understand is
    /// left out.
    pub(super) fn read(data: &Value) -> KnownCatalogue {
        let mut known = KnownCatalogue::default();
        for (section, kind) in CATALOGUE_SECTIONS {
            for entry in data[section].as_array().into_iter().flatten() {
                let Some(name) = entry["name"].as_str() else {
                    continue;
                };
                let aliases = strings(&entry["aliases"]);
                known.entities.push((kind, name.to_owned(), aliases));
                for host in strings(&entry["hosts"]) {
                    known.hosts.push((host, name.to_owned()));
                }
            }
        }
        known
    }

    /// Whether it lists anything.
    pub(super) fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// The entity of one of `kinds` that `text` names (by name or alias, on
    /// word boundaries, ignoring case), the longest name first; hosts when
    /// `kinds` allows them.
    pub(super) fn named_in(&self, text: &str, kinds: &[EntityKind]) -> Option<String> {
        self.mentions(text, kinds)
            .into_iter()
            .max_by_key(|mention| mention.length)
            .map(|mention| mention.name.to_owned())
    }

    /// The entity of one of `kinds` that `text` names first after byte
    /// `from` of its [`words`] form (what a verb there acts on: "rotate the
    /// key in auth and restart sessions" rotates in auth), the longer name
    /// where two start together; else the one [`named_in`](Self::named_in)
    /// gives.
    fn named_after(&self, text: &str, from: usize, kinds: &[EntityKind]) -> Option<String> {
        let mentions = self.mentions(text, kinds);
        mentions
            .iter()
            .filter(|mention| mention.at >= from)
            .min_by_key(|mention| (mention.at, std::cmp::Reverse(mention.length)))
            .or_else(|| mentions.iter().max_by_key(|mention| mention.length))
            .map(|mention| mention.name.to_owned())
    }

    /// The entity of one of `kinds` whose name and aliases share the most
    /// words with `text` (at least one), the first listed on a tie: which
    /// certificate "renew it" means, when the errors name its host.
    fn sharing_words_with(&self, text: &str, kinds: &[EntityKind]) -> Option<String> {
        let said: BTreeSet<String> = words(text).split(' ').map(str::to_owned).collect();
        let mut best: Option<(usize, &str)> = None;
        for (kind, name, aliases) in &self.entities {
            if !kinds.contains(kind) {
                continue;
            }
            let own: BTreeSet<String> = std::iter::once(name)
                .chain(aliases)
                .flat_map(|name| {
                    words(name)
                        .split(' ')
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .filter(|word| !word.is_empty())
                .collect();
            let shared = own.intersection(&said).count();
            if shared > 0 && best.is_none_or(|(most, _)| shared > most) {
                best = Some((shared, name));
            }
        }
        best.map(|(_, name)| name.to_owned())
    }

    /// Every place `text` names an entity of one of `kinds`, with the byte
    /// offset in `text`'s [`words`] form.
    fn mentions(&self, text: &str, kinds: &[EntityKind]) -> Vec<Mention<'_>> {
        let text = format!(" {} ", words(text));
        let mut said_as: Vec<(String, &str)> = Vec::new();
        for (kind, name, aliases) in &self.entities {
            if kinds.contains(kind) {
                for said in std::iter::once(name).chain(aliases) {
                    said_as.push((words(said), name));
                }
            }
        }
        if kinds.contains(&EntityKind::Host) {
            for (host, _) in &self.hosts {
                said_as.push((words(host), host));
            }
        }
        let mut mentions = Vec::new();
        for (said, name) in said_as {
            if said.is_empty() {
                continue;
            }
            let needle = format!(" {said} ");
            mentions.extend(text.match_indices(&needle).map(|(at, _)| Mention {
                at,
                length: said.len(),
                name,
            }));
        }
        mentions
    }

    /// The names of every entity of `kind`.
    pub(super) fn names_of(&self, kind: EntityKind) -> Vec<&str> {
        self.entities
            .iter()
            .filter(|(entity_kind, _, _)| *entity_kind == kind)
            .map(|(_, name, _)| name.as_str())
            .collect()
    }
}

/// Where a text names a catalogue entity.
struct Mention<'a> {
    /// The byte offset of the space before it, in the text's [`words`] form.
    at: usize,
    /// The length of the words that name it.
    length: usize,
    /// The entity's name.
    name: &'a str,
}

/// Action words of runbook steps and the kinds they mean, most decisive
/// first.
const STEP_KINDS: &[(&str, RemediationKind)] = &[
    ("roll back", RemediationKind::Rollback),
    ("rollback", RemediationKind::Rollback),
    ("revert", RemediationKind::Rollback),
    ("disable", RemediationKind::DisableFlag),
    ("turn off", RemediationKind::DisableFlag),
    ("rotate", RemediationKind::RotateCredentials),
    ("renew", RemediationKind::RenewCertificate),
    ("fail over", RemediationKind::Failover),
    ("failover", RemediationKind::Failover),
    ("restart", RemediationKind::Restart),
    ("scale", RemediationKind::ScaleOut),
    ("increase", RemediationKind::RaiseLimit),
    ("raise", RemediationKind::RaiseLimit),
    ("flush", RemediationKind::FlushCache),
    ("drain", RemediationKind::DrainHost),
    ("purge", RemediationKind::PurgeQueue),
    ("resync", RemediationKind::ResyncClock),
    ("throttle", RemediationKind::RateLimit),
    ("suspend", RemediationKind::SuspendJob),
    ("pause", RemediationKind::SuspendJob),
    ("warm", RemediationKind::WarmCache),
];

/// The kind a runbook step's action means, and the catalogue entity it
/// acts on: the first action word the step holds (in [`STEP_KINDS`]
/// order) whose kind can act on an entity the step names. A step that
/// names none ("renew it") for a kind that cannot act on a service acts on
/// the entity of that kind sharing the most words with `errors` (the
/// certificate whose host the x509 errors name). `None` when neither
/// finds one.
pub(super) fn step_action(
    step: &str,
    errors: &str,
    catalogue: &KnownCatalogue,
) -> Option<(RemediationKind, String)> {
    let lower = format!(" {} ", words(step));
    STEP_KINDS.iter().find_map(|(word, kind)| {
        let at = lower.find(&format!(" {word}"))?;
        let kinds = kind.target_kinds();
        let target = catalogue.named_after(step, at, kinds).or_else(|| {
            (!kinds.contains(&EntityKind::Service))
                .then(|| catalogue.sharing_words_with(errors, kinds))
                .flatten()
        })?;
        Some((*kind, target))
    })
}

/// Words in error messages and the fault category they suggest, in the
/// order they are tried.
const CATEGORY_HINTS: &[(&str, FaultCategory)] = &[
    ("outofmemory", FaultCategory::MemoryLeak),
    ("oomkilled", FaultCategory::MemoryLeak),
    ("x509", FaultCategory::CertificateExpiry),
    ("certificate", FaultCategory::CertificateExpiry),
    ("password", FaultCategory::CredentialRotation),
    ("nxdomain", FaultCategory::Dns),
    ("resolve", FaultCategory::Dns),
    ("space", FaultCategory::DiskFull),
    ("accessdenied", FaultCategory::PermissionChange),
    ("clock", FaultCategory::ClockSkew),
    ("future", FaultCategory::ClockSkew),
    ("throttled", FaultCategory::NoisyNeighbour),
    ("retrying", FaultCategory::RetryStorm),
    ("pool", FaultCategory::ResourceExhaustion),
    ("flag", FaultCategory::FeatureFlagChange),
    ("cache", FaultCategory::Cache),
];

/// The category the errors suggest; a rollback without a better hint is a
/// deploy regression, an escalation a dependency outage.
pub(super) fn category_of(
    messages: &[String],
    rolling_back: bool,
    escalating: bool,
) -> FaultCategory {
    if escalating {
        return FaultCategory::DependencyOutage;
    }
    let text = format!(" {} ", words(&messages.join(" ")));
    let hinted = CATEGORY_HINTS
        .iter()
        .find(|(hint, _)| text.contains(&format!(" {hint}")))
        .map(|(_, category)| *category);
    match hinted {
        Some(category) if !rolling_back || category == FaultCategory::MemoryLeak => category,
        _ if rolling_back => FaultCategory::DeployRegression,
        Some(category) => category,
        None => FaultCategory::DeployRegression,
    }
}

/// `text` lowercased, every run of other characters than letters and
/// digits one space.
fn words(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn step_action_in(step: &str, known: &KnownCatalogue) -> Option<(RemediationKind, String)> {
        step_action(step, "", known)
    }

    fn catalogue() -> KnownCatalogue {
        KnownCatalogue::read(&json!({
            "services": [{"name": "shop", "hosts": ["shop-1"]}, {"name": "shop-db", "aliases": ["shop database"]}],
            "teams": [{"name": "net-team", "aliases": ["netops"]}],
            "feature_flags": [{"name": "shop.fast_path"}],
            "certificates": [{"name": "other-tls"}, {"name": "shop-internal-tls"}],
            "matched": 4
        }))
    }

    #[test]
    fn steps_become_kinds_on_named_entities() {
        let known = catalogue();
        assert_eq!(
            step_action_in("If errors began with a deploy, roll back shop.", &known),
            Some((RemediationKind::Rollback, "shop".to_owned()))
        );
        assert_eq!(
            step_action_in("Restart the shop database primary.", &known),
            Some((RemediationKind::Restart, "shop-db".to_owned()))
        );
        assert_eq!(
            step_action_in("Disable shop.fast_path in the console.", &known),
            Some((RemediationKind::DisableFlag, "shop.fast_path".to_owned()))
        );
        assert_eq!(
            step_action_in("Restart shop-db after you roll back shop.", &known),
            Some((RemediationKind::Rollback, "shop".to_owned())),
            "the first kind in STEP_KINDS order, on what follows its word"
        );
        assert_eq!(
            step_action_in(
                "Rotate the signing key in shop and restart shop-db.",
                &known
            ),
            Some((RemediationKind::RotateCredentials, "shop".to_owned())),
            "the verb acts on the entity after it, not the longest name"
        );
        assert_eq!(step_action_in("Check the dashboard.", &known), None);
        assert_eq!(
            step_action(
                "Renew it with the certificate tool.",
                "x509: certificate has expired for shop.internal",
                &known
            ),
            Some((
                RemediationKind::RenewCertificate,
                "shop-internal-tls".to_owned()
            )),
            "a step that names no certificate renews the one the errors point at"
        );
        assert_eq!(
            step_action(
                "Renew it with the certificate tool.",
                "handshake failed",
                &known
            ),
            None
        );
        assert_eq!(step_action_in("Drain the host.", &known), None);
        assert_eq!(
            known.named_in("restart shop-1", &[EntityKind::Host]),
            Some("shop-1".to_owned())
        );
        assert_eq!(known.names_of(EntityKind::Team), vec!["net-team"]);
        assert_eq!(
            known.named_in("escalate to netops", &[EntityKind::Team]),
            Some("net-team".to_owned())
        );
    }

    #[test]
    fn categories_come_from_the_words_of_the_errors() {
        let messages = |text: &str| vec![text.to_owned()];
        assert_eq!(
            category_of(&messages("x509: certificate has expired"), false, false),
            FaultCategory::CertificateExpiry
        );
        assert_eq!(
            category_of(&messages("anything"), true, false),
            FaultCategory::DeployRegression
        );
        assert_eq!(
            category_of(&messages("OOMKilled again"), true, false),
            FaultCategory::MemoryLeak
        );
        assert_eq!(
            category_of(&messages("x509"), false, true),
            FaultCategory::DependencyOutage
        );
        assert_eq!(
            category_of(&[], false, false),
            FaultCategory::DeployRegression
        );
    }
}
