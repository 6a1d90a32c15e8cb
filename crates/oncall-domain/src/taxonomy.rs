//! The published taxonomy a structured answer is written in: the closed
//! list of [`FaultCategory`]s a root cause falls into, the closed list of
//! [`RemediationKind`]s an action may take, and the [`EntityKind`]s of the
//! service catalogue an action's target names.
//!
//! Every schema that carries an answer lists these names as enums, and the
//! grader judges any other name wrong. `fixtures/README.md` documents them
//! for scenario authors. The lists only grow: a name, once published, keeps
//! its meaning, so an audit log written today is graded the same tomorrow.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares a closed list of snake_case names with a description each:
/// the enum, `ALL`, `as_str`, `description`, `parse`, `Display`, and serde
/// that reads and writes the snake_case name.
macro_rules! closed_list {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $( $(#[$variant_meta:meta])* $variant:ident => $text:literal, $description:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case", try_from = "String", into = "&'static str")]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            /// Every value, in the published order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The snake_case name, as in JSON and every schema.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// One line on what it means, for schemas and docs.
            pub fn description(self) -> &'static str {
                match self {
                    $( $name::$variant => $description, )+
                }
            }

            /// The value named `text`: exactly its snake_case name, after
            /// trimming and lowercasing. `None` for any other text.
            pub fn parse(text: &str) -> Option<$name> {
                let wanted = text.trim();
                $name::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str().eq_ignore_ascii_case(wanted))
            }

            /// Every name, in the published order: the enum of a schema.
            pub fn names() -> Vec<&'static str> {
                $name::ALL.iter().map(|value| value.as_str()).collect()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$name> for &'static str {
            fn from(value: $name) -> &'static str {
                value.as_str()
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(text: String) -> Result<$name, String> {
                $name::parse(&text).ok_or_else(|| {
                    format!(
                        "unknown {} `{}`; expected one of: {}",
                        $what,
                        text,
                        $name::names().join(", ")
                    )
                })
            }
        }
    };
}

closed_list! {
    /// What kind of fault caused an incident: the root cause's category.
    FaultCategory, "fault category" {
        /// A code release introduced errors, latency or a leak.
        DeployRegression => "deploy_regression", "a code release introduced errors, latency or a resource leak";
        /// A configuration push (not a feature flag) broke a service.
        ConfigChange => "config_change", "a configuration push (not a feature flag) broke a service";
        /// A feature flag change or rollout turned on broken behaviour.
        FeatureFlagChange => "feature_flag_change", "a feature flag change or rollout turned on broken behaviour";
        /// A database schema migration locked or broke tables.
        SchemaMigration => "schema_migration", "a database schema migration locked or broke tables";
        /// A pool, thread, file-descriptor or connection limit ran out.
        ResourceExhaustion => "resource_exhaustion", "a connection pool, thread pool, file-descriptor or similar limit ran out";
        /// Memory grows until the process is killed.
        MemoryLeak => "memory_leak", "memory grows until the process is OOM-killed";
        /// A service's own CPU demand exceeds its capacity.
        CpuSaturation => "cpu_saturation", "a service's own CPU demand exceeds its capacity";
        /// Another workload on shared hosts starves the service.
        NoisyNeighbour => "noisy_neighbour", "another workload on shared hosts starves the service of CPU, memory or I/O";
        /// A disk or volume filled up.
        DiskFull => "disk_full", "a disk or volume filled up";
        /// A TLS certificate expired or was not renewed.
        CertificateExpiry => "certificate_expiry", "a TLS certificate expired or was not renewed";
        /// A secret changed and a client still uses the old one.
        CredentialRotation => "credential_rotation", "a password, key or token changed and a client still uses the old one";
        /// An IAM, ACL or role change removed access.
        PermissionChange => "permission_change", "an IAM, ACL or role change removed access";
        /// A provider or another team's dependency is down or degraded.
        DependencyOutage => "dependency_outage", "a third-party provider or another team's dependency is down or degraded";
        /// A DNS record or zone is missing or wrong.
        Dns => "dns", "a DNS record or zone is missing or wrong";
        /// Packet loss, a partition, a firewall or routing problem.
        Network => "network", "packet loss, a partition, a firewall rule or a routing problem";
        /// A cache was flushed, stampeded or poisoned, or serves stale data.
        Cache => "cache", "a cache was flushed, stampeded or poisoned, or serves stale data";
        /// Clients retry without backoff and multiply the load.
        RetryStorm => "retry_storm", "clients retry without backoff and multiply the load";
        /// A host's clock drifted, so time checks fail.
        ClockSkew => "clock_skew", "a host's clock drifted, so time checks fail";
        /// A queue grows faster than its consumers drain it.
        QueueBacklog => "queue_backlog", "a queue grows faster than its consumers drain it";
        /// One bad message crashes or blocks consumers again and again.
        PoisonMessage => "poison_message", "one bad message crashes or blocks consumers again and again";
        /// Locks, slow queries or a hot row saturate a database.
        DatabaseContention => "database_contention", "locks, slow queries or a hot row saturate a database";
        /// Replicas fall behind their primary.
        ReplicationLag => "replication_lag", "replicas fall behind their primary";
        /// Bad or corrupt data breaks processing.
        DataCorruption => "data_corruption", "bad or corrupt data breaks processing";
        /// Legitimate load above capacity.
        TrafficSurge => "traffic_surge", "legitimate load above capacity (a launch, a campaign, a viral moment)";
        /// A provider's quota or rate limit is used up.
        QuotaExceeded => "quota_exceeded", "a provider's quota or rate limit is used up";
        /// A host, disk or node failed.
        HardwareFailure => "hardware_failure", "a host, disk or node failed";
        /// Autoscaling, replica counts or resource limits are set wrong.
        CapacityMisconfiguration => "capacity_misconfiguration", "autoscaling, replica counts or resource limits are set wrong";
        /// An attack, abuse or a compromised credential.
        SecurityIncident => "security_incident", "an attack, abuse or a compromised credential";
    }
}

closed_list! {
    /// What an action does: the remediation kinds of a structured answer.
    RemediationKind, "remediation kind" {
        /// Roll a service back to its previous version or change.
        Rollback => "rollback", "roll a service's deploy or change back to the previous version";
        /// Restart a service's processes, or a host.
        Restart => "restart", "restart a service's processes (or a host)";
        /// Add instances or capacity.
        ScaleOut => "scale_out", "add instances or capacity to a service";
        /// Move traffic to a standby.
        Failover => "failover", "fail a datastore or a provider over to its standby";
        /// Turn a feature flag off.
        DisableFlag => "disable_flag", "turn a feature flag off, or back to its previous rollout";
        /// Put a service's configuration back.
        RevertConfig => "revert_config", "put a service's configuration back as it was";
        /// Renew or replace a certificate.
        RenewCertificate => "renew_certificate", "renew or replace a TLS certificate";
        /// Make a service use current credentials.
        RotateCredentials => "rotate_credentials", "make a service use current credentials (rotate or reload its secret)";
        /// Take a host out of rotation.
        DrainHost => "drain_host", "take a host out of rotation";
        /// Resynchronise a host's clock.
        ResyncClock => "resync_clock", "resynchronise a host's clock";
        /// Pause or stop a scheduled job.
        SuspendJob => "suspend_job", "pause or stop a scheduled or batch job";
        /// Limit or shed traffic to a service.
        RateLimit => "rate_limit", "rate-limit or shed traffic to a service";
        /// Cut a client's retries or add backoff.
        ReduceRetries => "reduce_retries", "cut a service's retries or restore backoff (or open its circuit breaker)";
        /// Refill a cache.
        WarmCache => "warm_cache", "refill a cache before traffic needs it";
        /// Empty a cache.
        FlushCache => "flush_cache", "empty a cache";
        /// Drop a queue's messages.
        PurgeQueue => "purge_queue", "drop a queue's messages";
        /// Move a bad message aside.
        SkipMessage => "skip_message", "move a bad message aside (dead-letter it) so consumers go on";
        /// Put a DNS record back.
        RestoreDnsRecord => "restore_dns_record", "put a DNS record back";
        /// Give back access that was removed.
        RestorePermission => "restore_permission", "give a service back the access (role, grant, policy) it lost";
        /// Free or add disk space.
        FreeDisk => "free_disk", "free or add disk space on a host or service";
        /// Raise a pool, memory or quota limit.
        RaiseLimit => "raise_limit", "raise a service's pool, memory, connection or quota limit";
        /// Move a workload to other hosts.
        MoveWorkload => "move_workload", "move a job or service to other hosts or a dedicated pool";
        /// Block abusive traffic.
        BlockTraffic => "block_traffic", "block abusive or malicious traffic to a service";
        /// Kill runaway queries.
        KillQuery => "kill_query", "kill runaway queries or sessions on a datastore";
        /// Anything else, described in free text.
        Other => "other", "anything else: describe it in `description`, which is graded as text";
    }
}

closed_list! {
    /// The kinds of entity the service catalogue lists, which an action's
    /// target or an escalation's team names.
    EntityKind, "entity kind" {
        /// A service (applications, datastores and caches alike).
        Service => "service", "a service: an application, a datastore or a cache";
        /// A host a service runs on.
        Host => "host", "a host a service runs on";
        /// An external provider.
        Provider => "provider", "an external provider";
        /// A team that owns things and can be escalated to.
        Team => "team", "a team that owns services and takes escalations";
        /// A feature flag.
        FeatureFlag => "feature_flag", "a feature flag";
        /// A scheduled or batch job.
        Job => "job", "a scheduled or batch job";
        /// A DNS record.
        DnsRecord => "dns_record", "a DNS record";
        /// A TLS certificate.
        Certificate => "certificate", "a TLS certificate";
        /// A message queue or topic.
        Queue => "queue", "a message queue or topic";
    }
}

impl RemediationKind {
    /// The kinds of entity an action of this kind may target. `other` may
    /// target anything.
    pub fn target_kinds(self) -> &'static [EntityKind] {
        use EntityKind as E;
        match self {
            RemediationKind::Rollback
            | RemediationKind::ScaleOut
            | RemediationKind::RevertConfig
            | RemediationKind::RotateCredentials
            | RemediationKind::RateLimit
            | RemediationKind::ReduceRetries
            | RemediationKind::WarmCache
            | RemediationKind::FlushCache
            | RemediationKind::RaiseLimit
            | RemediationKind::BlockTraffic
            | RemediationKind::KillQuery => &[E::Service],
            RemediationKind::Restart | RemediationKind::FreeDisk => &[E::Service, E::Host],
            RemediationKind::Failover => &[E::Service, E::Provider],
            RemediationKind::DisableFlag => &[E::FeatureFlag],
            RemediationKind::RenewCertificate => &[E::Certificate],
            RemediationKind::DrainHost | RemediationKind::ResyncClock => &[E::Host],
            RemediationKind::SuspendJob => &[E::Job],
            RemediationKind::PurgeQueue | RemediationKind::SkipMessage => &[E::Queue],
            RemediationKind::RestoreDnsRecord => &[E::DnsRecord],
            RemediationKind::RestorePermission => &[E::Service, E::Job],
            RemediationKind::MoveWorkload => &[E::Service, E::Job],
            RemediationKind::Other => EntityKind::ALL,
        }
    }

    /// Whether an action of this kind may target an entity of `kind`.
    pub fn may_target(self, kind: EntityKind) -> bool {
        self.target_kinds().contains(&kind)
    }
}

/// The kinds of entity an escalation's team may name: a team or a
/// provider.
pub const ESCALATION_TEAM_KINDS: &[EntityKind] = &[EntityKind::Team, EntityKind::Provider];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        fn check<T>(
            all: &[T],
            as_str: impl Fn(&T) -> &'static str,
            parse: impl Fn(&str) -> Option<T>,
        ) where
            T: PartialEq + std::fmt::Debug,
        {
            let mut seen = BTreeSet::new();
            for value in all {
                let name = as_str(value);
                assert!(seen.insert(name), "{name} repeats");
                assert!(
                    name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{name} is not snake_case"
                );
                assert_eq!(parse(name).as_ref(), Some(value));
                assert_eq!(
                    parse(&format!("  {} ", name.to_uppercase())).as_ref(),
                    Some(value)
                );
            }
            assert!(parse("").is_none() && parse("nonsense").is_none());
        }
        check(FaultCategory::ALL, |v| v.as_str(), FaultCategory::parse);
        check(RemediationKind::ALL, |v| v.as_str(), RemediationKind::parse);
        check(EntityKind::ALL, |v| v.as_str(), EntityKind::parse);
    }

    #[test]
    fn the_lists_cover_the_families_the_library_needs() {
        assert!(
            FaultCategory::ALL.len() >= 24,
            "issue 18 needs 24 categories"
        );
        for family in [
            "deploy_regression",
            "config_change",
            "feature_flag_change",
            "resource_exhaustion",
            "memory_leak",
            "certificate_expiry",
            "credential_rotation",
            "dependency_outage",
            "dns",
            "network",
            "cache",
            "retry_storm",
            "clock_skew",
            "disk_full",
            "noisy_neighbour",
            "queue_backlog",
            "poison_message",
        ] {
            assert!(FaultCategory::parse(family).is_some(), "{family}");
        }
        for kind in [
            "rollback",
            "restart",
            "scale_out",
            "failover",
            "disable_flag",
            "revert_config",
            "renew_certificate",
            "rotate_credentials",
            "drain_host",
            "resync_clock",
            "suspend_job",
            "rate_limit",
            "reduce_retries",
            "warm_cache",
            "flush_cache",
            "purge_queue",
            "skip_message",
            "restore_dns_record",
            "restore_permission",
            "free_disk",
            "other",
        ] {
            assert!(RemediationKind::parse(kind).is_some(), "{kind}");
        }
    }

    #[test]
    fn serde_reads_and_writes_the_names_and_refuses_others() {
        let json = serde_json::to_string(&RemediationKind::DisableFlag).unwrap();
        assert_eq!(json, "\"disable_flag\"");
        let back: RemediationKind = serde_json::from_str(&json).unwrap();
        assert_eq!(back, RemediationKind::DisableFlag);
        let error = serde_json::from_str::<FaultCategory>("\"gremlins\"").unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unknown fault category `gremlins`; expected one of: deploy_regression"),
            "{error}"
        );
    }

    #[test]
    fn every_kind_targets_something_and_other_targets_anything() {
        for kind in RemediationKind::ALL {
            assert!(!kind.target_kinds().is_empty(), "{kind}");
            assert!(!kind.description().is_empty());
        }
        assert!(RemediationKind::Other.may_target(EntityKind::Team));
        assert!(RemediationKind::DisableFlag.may_target(EntityKind::FeatureFlag));
        assert!(!RemediationKind::DisableFlag.may_target(EntityKind::Service));
    }
}
