//! [`ServiceCatalogue`]: what an on-call engineer opens first. The services
//! with their owner team, dependencies, hosts and datastores; the external
//! providers; the teams; and the feature flags, scheduled jobs, DNS records,
//! certificates and queues.
//!
//! It is telemetry, never ground truth: it says what exists and who owns
//! it, not what is broken. Every entity it lists has a name, unique in the
//! whole catalogue ignoring case, so an answer's action target or
//! escalation team resolves to exactly one entity ([`ServiceCatalogue::resolve`]).
//! Hosts are entities too, named in their service's `hosts`. `aliases` are
//! other names people use for an entity (`"new tax engine"` for the flag
//! `checkout.new_tax_engine`); they must be unique too, but only the name
//! resolves a structured answer.
//!
//! JSON (every list and every field but `name` optional):
//!
//! ```json
//! {"services": [{"name", "team", "description", "depends_on", "hosts", "datastores", "aliases"}],
//!  "providers": [{"name", "description", "used_by", "contact", "aliases"}],
//!  "teams": [{"name", "description", "contact", "aliases"}],
//!  "feature_flags": [{"name", "service", "team", "description", "aliases"}],
//!  "jobs": [{"name", "service", "team", "schedule", "description", "aliases"}],
//!  "dns_records": [{"name", "zone", "team", "description", "aliases"}],
//!  "certificates": [{"name", "service", "team", "description", "aliases"}],
//!  "queues": [{"name", "team", "producers", "consumers", "description", "aliases"}]}
//! ```

use std::collections::BTreeMap;

use oncall_domain::EntityKind;
use serde::{Deserialize, Serialize};

use crate::error::RecordError;

/// A scenario's service catalogue. See the module docs for the JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "CatalogueRecord")]
pub struct ServiceCatalogue {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    services: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    providers: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    teams: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    feature_flags: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    jobs: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dns_records: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    certificates: Vec<CatalogueEntry>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    queues: Vec<CatalogueEntry>,
}

/// The catalogue's sections, in the order they are listed.
pub const CATALOGUE_SECTIONS: [(&str, EntityKind); 8] = [
    ("services", EntityKind::Service),
    ("providers", EntityKind::Provider),
    ("teams", EntityKind::Team),
    ("feature_flags", EntityKind::FeatureFlag),
    ("jobs", EntityKind::Job),
    ("dns_records", EntityKind::DnsRecord),
    ("certificates", EntityKind::Certificate),
    ("queues", EntityKind::Queue),
];

/// One entry of a catalogue section. Which fields an entry may have depends
/// on its section (see the module docs); the others are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueEntry {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    team: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    contact: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hosts: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    datastores: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    used_by: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    producers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    consumers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    aliases: Vec<String>,
}

/// A named entity of the catalogue, as [`ServiceCatalogue::resolve`] finds
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntity<'a> {
    /// What kind of entity it is.
    pub kind: EntityKind,
    /// Its name, as the catalogue spells it.
    pub name: &'a str,
    /// Other names people use for it (none for hosts).
    pub aliases: &'a [String],
    /// The service it belongs to: a host's service, a flag's, job's or
    /// certificate's `service`.
    pub service: Option<&'a str>,
}

impl ServiceCatalogue {
    /// A catalogue that lists nothing.
    pub fn empty() -> ServiceCatalogue {
        ServiceCatalogue::default()
    }

    /// Whether it lists nothing.
    pub fn is_empty(&self) -> bool {
        self.sections()
            .iter()
            .all(|(_, _, entries)| entries.is_empty())
    }

    /// Every section: its name, the kind of entity it lists, its entries.
    pub fn sections(&self) -> [(&'static str, EntityKind, &[CatalogueEntry]); 8] {
        let lists: [&[CatalogueEntry]; 8] = [
            &self.services,
            &self.providers,
            &self.teams,
            &self.feature_flags,
            &self.jobs,
            &self.dns_records,
            &self.certificates,
            &self.queues,
        ];
        let mut index = 0;
        CATALOGUE_SECTIONS.map(|(name, kind)| {
            let entries = lists[index];
            index += 1;
            (name, kind, entries)
        })
    }

    /// The services (applications, datastores and caches).
    pub fn services(&self) -> &[CatalogueEntry] {
        &self.services
    }

    /// A copy in which every service that lists no hosts gets the ones
    /// `hosts` gives for its name, checked again (a host must not repeat
    /// another name).
    pub fn with_default_hosts(
        &self,
        hosts: &BTreeMap<String, Vec<String>>,
    ) -> Result<ServiceCatalogue, RecordError> {
        let mut filled = self.clone();
        for service in &mut filled.services {
            if service.hosts.is_empty()
                && let Some(names) = hosts.get(&service.name)
            {
                service.hosts = names.clone();
            }
        }
        let json = serde_json::to_value(&filled).map_err(|error| RecordError::Catalogue {
            path: "services".to_owned(),
            reason: error.to_string(),
        })?;
        serde_json::from_value(json).map_err(|error| RecordError::Catalogue {
            path: "services".to_owned(),
            reason: error.to_string(),
        })
    }

    /// Every named entity, hosts included, in section order.
    pub fn entities(&self) -> Vec<CatalogueEntity<'_>> {
        let mut entities = Vec::new();
        for (_, kind, entries) in self.sections() {
            for entry in entries {
                entities.push(CatalogueEntity {
                    kind,
                    name: &entry.name,
                    aliases: &entry.aliases,
                    service: entry.service.as_deref(),
                });
                for host in &entry.hosts {
                    entities.push(CatalogueEntity {
                        kind: EntityKind::Host,
                        name: host,
                        aliases: &[],
                        service: Some(&entry.name),
                    });
                }
            }
        }
        entities
    }

    /// The entity named `name` (trimmed, ignoring ASCII case); aliases do
    /// not resolve.
    pub fn resolve(&self, name: &str) -> Option<CatalogueEntity<'_>> {
        let wanted = name.trim();
        self.entities()
            .into_iter()
            .find(|entity| entity.name.eq_ignore_ascii_case(wanted))
    }

    /// Every reference that names no entity of the right kind: an owner
    /// `team` that is not a team, a `depends_on` that is neither a service
    /// nor a provider, a `datastores`, `service`, `used_by`, `producers` or
    /// `consumers` entry that is not a service. Each as
    /// `section[index].field: message`.
    pub fn reference_problems(&self) -> Vec<String> {
        let kinds: BTreeMap<String, EntityKind> = self
            .entities()
            .into_iter()
            .map(|entity| (entity.name.to_ascii_lowercase(), entity.kind))
            .collect();
        let kind_of = |name: &str| kinds.get(&name.trim().to_ascii_lowercase()).copied();
        let mut problems = Vec::new();
        let mut check = |path: String, name: &str, allowed: &[EntityKind]| match kind_of(name) {
            Some(kind) if allowed.contains(&kind) => {}
            found => {
                let wanted: Vec<&str> = allowed.iter().map(|kind| kind.as_str()).collect();
                let found = found.map_or("nothing in the catalogue".to_owned(), |kind| {
                    format!("a {kind}")
                });
                problems.push(format!(
                    "{path}: `{name}` should name a {}, but names {found}",
                    wanted.join(" or ")
                ));
            }
        };
        let service = [EntityKind::Service];
        for (section, _, entries) in self.sections() {
            for (index, entry) in entries.iter().enumerate() {
                let at = |field: &str| format!("{section}[{index}].{field}");
                if let Some(team) = &entry.team {
                    check(at("team"), team, &[EntityKind::Team]);
                }
                if let Some(owner) = &entry.service {
                    check(at("service"), owner, &service);
                }
                for name in &entry.depends_on {
                    check(
                        at("depends_on"),
                        name,
                        &[EntityKind::Service, EntityKind::Provider],
                    );
                }
                let service_lists = [
                    ("datastores", &entry.datastores),
                    ("used_by", &entry.used_by),
                    ("producers", &entry.producers),
                    ("consumers", &entry.consumers),
                ];
                for (field, names) in service_lists {
                    for name in names {
                        check(at(field), name, &service);
                    }
                }
            }
        }
        problems
    }
}

impl CatalogueEntry {
    /// The entry's name, unique in the catalogue ignoring case.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The owner team, if given.
    pub fn team(&self) -> Option<&str> {
        self.team.as_deref()
    }

    /// The service it belongs to (flags, jobs, certificates), if given.
    pub fn service(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// A service's hosts.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// A service's dependencies (services and providers).
    pub fn depends_on(&self) -> &[String] {
        &self.depends_on
    }

    /// A service's datastores (services too).
    pub fn datastores(&self) -> &[String] {
        &self.datastores
    }

    /// A provider's users.
    pub fn used_by(&self) -> &[String] {
        &self.used_by
    }

    /// A queue's producers and consumers.
    pub fn producers_and_consumers(&self) -> impl Iterator<Item = &String> {
        self.producers.iter().chain(&self.consumers)
    }

    /// Other names for it.
    pub fn aliases(&self) -> &[String] {
        &self.aliases
    }

    /// Every name it relates to: its team, service, dependencies, hosts,
    /// datastores, users, producers and consumers.
    pub fn related_names(&self) -> impl Iterator<Item = &str> {
        self.team
            .iter()
            .chain(&self.service)
            .chain(&self.depends_on)
            .chain(&self.hosts)
            .chain(&self.datastores)
            .chain(&self.used_by)
            .chain(&self.producers)
            .chain(&self.consumers)
            .map(String::as_str)
    }
}

/// The fields each section allows besides `name`, `description` and
/// `aliases`.
fn allowed_fields(kind: EntityKind) -> &'static [&'static str] {
    match kind {
        EntityKind::Service => &["team", "depends_on", "hosts", "datastores"],
        EntityKind::Provider => &["used_by", "contact"],
        EntityKind::Team => &["contact"],
        EntityKind::FeatureFlag | EntityKind::Certificate => &["service", "team"],
        EntityKind::Job => &["service", "team", "schedule"],
        EntityKind::DnsRecord => &["zone", "team"],
        EntityKind::Queue => &["team", "producers", "consumers"],
        EntityKind::Host => &[],
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueRecord {
    #[serde(default)]
    services: Vec<EntryRecord>,
    #[serde(default)]
    providers: Vec<EntryRecord>,
    #[serde(default)]
    teams: Vec<EntryRecord>,
    #[serde(default)]
    feature_flags: Vec<EntryRecord>,
    #[serde(default)]
    jobs: Vec<EntryRecord>,
    #[serde(default)]
    dns_records: Vec<EntryRecord>,
    #[serde(default)]
    certificates: Vec<EntryRecord>,
    #[serde(default)]
    queues: Vec<EntryRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRecord {
    name: String,
    team: Option<String>,
    service: Option<String>,
    description: Option<String>,
    schedule: Option<String>,
    zone: Option<String>,
    contact: Option<String>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    datastores: Vec<String>,
    #[serde(default)]
    used_by: Vec<String>,
    #[serde(default)]
    producers: Vec<String>,
    #[serde(default)]
    consumers: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
}

impl TryFrom<CatalogueRecord> for ServiceCatalogue {
    type Error = RecordError;

    fn try_from(record: CatalogueRecord) -> Result<ServiceCatalogue, RecordError> {
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut claim = |path: String, name: &str| -> Result<(), RecordError> {
            let key = name.to_ascii_lowercase();
            match names.get(&key) {
                Some(first) => Err(RecordError::Catalogue {
                    path,
                    reason: format!(
                        "`{name}` is already used at `{first}`: names, hosts and aliases must be unique in the catalogue, ignoring case"
                    ),
                }),
                None => {
                    names.insert(key, path);
                    Ok(())
                }
            }
        };
        let mut convert = |section: &str,
                           kind: EntityKind,
                           records: Vec<EntryRecord>|
         -> Result<Vec<CatalogueEntry>, RecordError> {
            let mut entries = Vec::with_capacity(records.len());
            for (index, record) in records.into_iter().enumerate() {
                let at = |field: &str| format!("{section}[{index}].{field}");
                let entry = record.into_entry(kind, &at)?;
                claim(at("name"), &entry.name)?;
                for (position, host) in entry.hosts.iter().enumerate() {
                    claim(format!("{}[{position}]", at("hosts")), host)?;
                }
                for (position, alias) in entry.aliases.iter().enumerate() {
                    claim(format!("{}[{position}]", at("aliases")), alias)?;
                }
                entries.push(entry);
            }
            Ok(entries)
        };
        Ok(ServiceCatalogue {
            services: convert("services", EntityKind::Service, record.services)?,
            providers: convert("providers", EntityKind::Provider, record.providers)?,
            teams: convert("teams", EntityKind::Team, record.teams)?,
            feature_flags: convert(
                "feature_flags",
                EntityKind::FeatureFlag,
                record.feature_flags,
            )?,
            jobs: convert("jobs", EntityKind::Job, record.jobs)?,
            dns_records: convert("dns_records", EntityKind::DnsRecord, record.dns_records)?,
            certificates: convert("certificates", EntityKind::Certificate, record.certificates)?,
            queues: convert("queues", EntityKind::Queue, record.queues)?,
        })
    }
}

impl EntryRecord {
    fn into_entry(
        self,
        kind: EntityKind,
        at: &dyn Fn(&str) -> String,
    ) -> Result<CatalogueEntry, RecordError> {
        let allowed = allowed_fields(kind);
        let present = [
            ("team", self.team.is_some()),
            ("service", self.service.is_some()),
            ("schedule", self.schedule.is_some()),
            ("zone", self.zone.is_some()),
            ("contact", self.contact.is_some()),
            ("depends_on", !self.depends_on.is_empty()),
            ("hosts", !self.hosts.is_empty()),
            ("datastores", !self.datastores.is_empty()),
            ("used_by", !self.used_by.is_empty()),
            ("producers", !self.producers.is_empty()),
            ("consumers", !self.consumers.is_empty()),
        ];
        if let Some((field, _)) = present
            .iter()
            .find(|(field, given)| *given && !allowed.contains(field))
        {
            let mut fields = vec!["name", "description", "aliases"];
            fields.extend_from_slice(allowed);
            return Err(RecordError::Catalogue {
                path: at(field),
                reason: format!(
                    "a {kind} has no `{field}`; its fields are: {}",
                    fields.join(", ")
                ),
            });
        }
        let text = |field: &str, value: Option<String>| -> Result<Option<String>, RecordError> {
            value.map(|value| required(at(field), value)).transpose()
        };
        let list = |field: &str, values: Vec<String>| -> Result<Vec<String>, RecordError> {
            values
                .into_iter()
                .enumerate()
                .map(|(position, value)| required(format!("{}[{position}]", at(field)), value))
                .collect()
        };
        Ok(CatalogueEntry {
            name: required(at("name"), self.name)?,
            team: text("team", self.team)?,
            service: text("service", self.service)?,
            description: text("description", self.description)?,
            schedule: text("schedule", self.schedule)?,
            zone: text("zone", self.zone)?,
            contact: text("contact", self.contact)?,
            depends_on: list("depends_on", self.depends_on)?,
            hosts: list("hosts", self.hosts)?,
            datastores: list("datastores", self.datastores)?,
            used_by: list("used_by", self.used_by)?,
            producers: list("producers", self.producers)?,
            consumers: list("consumers", self.consumers)?,
            aliases: list("aliases", self.aliases)?,
        })
    }
}

/// `value` trimmed, or an error naming `path` when nothing is left.
fn required(path: String, value: String) -> Result<String, RecordError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(RecordError::Catalogue {
            path,
            reason: "must not be empty or whitespace".to_owned(),
        });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests;
