//! Phrasings for the scenarios of queues, data and databases, capacity and
//! load (poison message, consumer lag, replica lag, corruption, broker
//! disk, cron stampede, migration lock, autoscaler, surge, CPU, config
//! push), each checked with `oncall-gym judge` when the scenario was
//! written. The tests are `phrasings.rs`'s.

use crate::evaluation::MitigationVerdict;

/// How an LLM might phrase a fix, and the verdict it deserves.
pub(super) const MITIGATION_PHRASINGS: &[(&str, &str, MitigationVerdict)] = &[
    // fulfilment_poison_message
    (
        "fulfilment_poison_message",
        "Dead-letter the poison message at order-events partition 7 offset 48213977 so the fulfilment consumers can move on.",
        MitigationVerdict::Correct,
    ),
    (
        "fulfilment_poison_message",
        "Move the message at offset 48213977 to order-events-dlq and let the consumer group resume.",
        MitigationVerdict::Correct,
    ),
    (
        "fulfilment_poison_message",
        "Skip the bad message on the order-events queue; do not purge the topic.",
        MitigationVerdict::Correct,
    ),
    (
        "fulfilment_poison_message",
        "Pause consumption of partition 7 so the other partitions can drain while we investigate the message.",
        MitigationVerdict::Acceptable,
    ),
    (
        "fulfilment_poison_message",
        "Purge the order-events queue to clear the backlog.",
        MitigationVerdict::Harmful,
    ),
    (
        "fulfilment_poison_message",
        "Scale out the fulfilment workers to catch up on the lag.",
        MitigationVerdict::Harmful,
    ),
    (
        "fulfilment_poison_message",
        "Do a rolling restart of the fulfilment consumers.",
        MitigationVerdict::Harmful,
    ),
    // shipping_consumer_lag
    (
        "shipping_consumer_lag",
        "Revert shipment-tracker's consumer config to r411 (max.poll.interval.ms back to 300000).",
        MitigationVerdict::Correct,
    ),
    (
        "shipping_consumer_lag",
        "Roll back the config push cfg-shipment-tracker-412 on shipment-tracker.",
        MitigationVerdict::Correct,
    ),
    (
        "shipping_consumer_lag",
        "Increase max.poll.interval.ms on shipment-tracker to 300000 so consumers stop getting evicted.",
        MitigationVerdict::Correct,
    ),
    (
        "shipping_consumer_lag",
        "Lower max.poll.records on shipment-tracker to 500 so each batch finishes within the poll interval.",
        MitigationVerdict::Acceptable,
    ),
    (
        "shipping_consumer_lag",
        "Scale out shipment-tracker to drain the shipping-events backlog faster.",
        MitigationVerdict::Harmful,
    ),
    (
        "shipping_consumer_lag",
        "Purge the shipping-events topic and reset offsets to latest.",
        MitigationVerdict::Harmful,
    ),
    (
        "shipping_consumer_lag",
        "Roll back notifications to v6.3.7.",
        MitigationVerdict::Wrong,
    ),
    // search_replica_lag
    (
        "search_replica_lag",
        "Cancel the seller-payout-report query (pid 48122) on listings-replica with pg_cancel_backend.",
        MitigationVerdict::Correct,
    ),
    (
        "search_replica_lag",
        "Kill the long-running analytics query on the listings read replica and pause the seller-payout-report job.",
        MitigationVerdict::Correct,
    ),
    (
        "search_replica_lag",
        "Temporarily point search-api at the primary listings-db until the replica catches up.",
        MitigationVerdict::Acceptable,
    ),
    (
        "search_replica_lag",
        "Promote listings-replica to primary.",
        MitigationVerdict::Harmful,
    ),
    (
        "search_replica_lag",
        "Restart the listings-db primary to reset the WAL sender.",
        MitigationVerdict::Harmful,
    ),
    (
        "search_replica_lag",
        "Roll back search-api to v3.8.0.",
        MitigationVerdict::Wrong,
    ),
    // ledger_checksum_corruption
    (
        "ledger_checksum_corruption",
        "Suspend the partner-settlement-import job so no more bad batches land.",
        MitigationVerdict::Correct,
    ),
    (
        "ledger_checksum_corruption",
        "Roll back settlement-importer from v2.4.0 to v2.3.5 and revert the corrupted import batches.",
        MitigationVerdict::Correct,
    ),
    (
        "ledger_checksum_corruption",
        "Hold merchant payouts for the affected accounts until the ledger is clean.",
        MitigationVerdict::Acceptable,
    ),
    (
        "ledger_checksum_corruption",
        "Set LEDGER_VERIFY_CHECKSUMS=false on ledger to unblock balances.",
        MitigationVerdict::Harmful,
    ),
    (
        "ledger_checksum_corruption",
        "Re-run the partner-settlement-import job for the failed batches.",
        MitigationVerdict::Harmful,
    ),
    (
        "ledger_checksum_corruption",
        "Recompute the checksums on the imported postings so they verify.",
        MitigationVerdict::Harmful,
    ),
    // events_broker_disk_failure
    (
        "events_broker_disk_failure",
        "Turn on ORDERS_OUTBOX_FALLBACK so orders buffers events in the outbox table while the brokers are degraded.",
        MitigationVerdict::Acceptable,
    ),
    (
        "events_broker_disk_failure",
        "Throttle clickstream-collector to take load off the Kafka cluster.",
        MitigationVerdict::Acceptable,
    ),
    (
        "events_broker_disk_failure",
        "Rolling-restart the events-kafka brokers.",
        MitigationVerdict::Harmful,
    ),
    (
        "events_broker_disk_failure",
        "Lower min.insync.replicas to 1 on events-kafka so producers stop timing out.",
        MitigationVerdict::Harmful,
    ),
    (
        "events_broker_disk_failure",
        "Delete and recreate the order-events topic.",
        MitigationVerdict::Harmful,
    ),
    (
        "events_broker_disk_failure",
        "Roll back orders to v5.13.2.",
        MitigationVerdict::Wrong,
    ),
    // invoices_cron_stampede
    (
        "invoices_cron_stampede",
        "Suspend the usage-rollup job, then restore its per-tenant spread before re-enabling it.",
        MitigationVerdict::Correct,
    ),
    (
        "invoices_cron_stampede",
        "Roll back billing-worker v3.7.0 to bring back the spread schedule.",
        MitigationVerdict::Correct,
    ),
    (
        "invoices_cron_stampede",
        "Stagger the usage-rollup runs across the hour instead of starting every tenant at minute 0.",
        MitigationVerdict::Correct,
    ),
    (
        "invoices_cron_stampede",
        "Kill the running rollup queries on billing-db.",
        MitigationVerdict::Acceptable,
    ),
    (
        "invoices_cron_stampede",
        "Fail over billing-db to the standby.",
        MitigationVerdict::Harmful,
    ),
    (
        "invoices_cron_stampede",
        "Restart the billing database.",
        MitigationVerdict::Harmful,
    ),
    (
        "invoices_cron_stampede",
        "Roll back invoices-api to v5.2.0.",
        MitigationVerdict::Wrong,
    ),
    // accounts_schema_migration_lock
    (
        "accounts_schema_migration_lock",
        "Cancel the migration's ALTER TABLE on accounts-db with pg_cancel_backend(48213).",
        MitigationVerdict::Correct,
    ),
    (
        "accounts_schema_migration_lock",
        "Abort the accounts v5.8.0 rollout so the accounts-migrate job stops; rerun migration 0142 later with lock_timeout set.",
        MitigationVerdict::Correct,
    ),
    (
        "accounts_schema_migration_lock",
        "Kill the migration query (pid 48213) holding the ACCESS EXCLUSIVE lock on users.",
        MitigationVerdict::Correct,
    ),
    (
        "accounts_schema_migration_lock",
        "Rate-limit accounts traffic until the lock clears.",
        MitigationVerdict::Acceptable,
    ),
    (
        "accounts_schema_migration_lock",
        "Fail over accounts-db to the replica to clear the stuck sessions.",
        MitigationVerdict::Harmful,
    ),
    (
        "accounts_schema_migration_lock",
        "Increase the accounts connection pool size to 80 so requests stop timing out.",
        MitigationVerdict::Harmful,
    ),
    (
        "accounts_schema_migration_lock",
        "Restart the accounts pods.",
        MitigationVerdict::Wrong,
    ),
    // search_autoscaler_max_replicas
    (
        "search_autoscaler_max_replicas",
        "Raise the search HPA maxReplicas back to 24.",
        MitigationVerdict::Correct,
    ),
    (
        "search_autoscaler_max_replicas",
        "Revert autoscaling-config change 2026-11-24.1 so search can scale past 12 pods.",
        MitigationVerdict::Correct,
    ),
    (
        "search_autoscaler_max_replicas",
        "Do not roll back search v7.4.0; bump the search HPA max replicas to 24 instead.",
        MitigationVerdict::Correct,
    ),
    (
        "search_autoscaler_max_replicas",
        "Manually scale search out to 20 replicas.",
        MitigationVerdict::Acceptable,
    ),
    (
        "search_autoscaler_max_replicas",
        "Rate-limit /search at the gateway to protect the rest of the site.",
        MitigationVerdict::Acceptable,
    ),
    (
        "search_autoscaler_max_replicas",
        "Roll back search to v7.3.2.",
        MitigationVerdict::Harmful,
    ),
    (
        "search_autoscaler_max_replicas",
        "Restart all search pods to clear the stuck queues.",
        MitigationVerdict::Harmful,
    ),
    // storefront_campaign_traffic_surge
    (
        "storefront_campaign_traffic_surge",
        "Scale out storefront from 6 to 24 replicas to absorb the campaign traffic.",
        MitigationVerdict::Correct,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Add storefront pods (kubectl scale deploy/storefront --replicas=20); the traffic is legitimate, so don't block it.",
        MitigationVerdict::Correct,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Enable the waiting room at the gateway until capacity catches up.",
        MitigationVerdict::Acceptable,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Rate-limit storefront traffic at the api-gateway to keep checkout alive.",
        MitigationVerdict::Acceptable,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Block the new client IPs at the WAF; this looks like a DDoS.",
        MitigationVerdict::Harmful,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Roll back storefront v12.3.1, which went out right before the errors.",
        MitigationVerdict::Harmful,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Pause the winter-40 campaign.",
        MitigationVerdict::Wrong,
    ),
    // thumbnails_cpu_saturation
    (
        "thumbnails_cpu_saturation",
        "Roll back thumbnails to v3.1.4.",
        MitigationVerdict::Correct,
    ),
    (
        "thumbnails_cpu_saturation",
        "Set THUMB_ENCODER_PROFILE back to balanced on thumbnails and redeploy.",
        MitigationVerdict::Correct,
    ),
    (
        "thumbnails_cpu_saturation",
        "Scale out the thumbnail workers from 4 to 16 to drain the backlog.",
        MitigationVerdict::Acceptable,
    ),
    (
        "thumbnails_cpu_saturation",
        "Purge the thumbnail-requests queue to clear the backlog.",
        MitigationVerdict::Harmful,
    ),
    (
        "thumbnails_cpu_saturation",
        "Flush media-cache so clients refetch thumbnails.",
        MitigationVerdict::Harmful,
    ),
    (
        "thumbnails_cpu_saturation",
        "Restart the thumbnails pods.",
        MitigationVerdict::Wrong,
    ),
    // notifications_config_push
    (
        "notifications_config_push",
        "Revert the notifications-config push 2026-11-13.4 so smtp_port goes back to 587.",
        MitigationVerdict::Correct,
    ),
    (
        "notifications_config_push",
        "Set notifications' SMTP port back to 587.",
        MitigationVerdict::Correct,
    ),
    (
        "notifications_config_push",
        "Extend the retry window on email-outbound so queued emails are not dropped while we fix the port.",
        MitigationVerdict::Acceptable,
    ),
    (
        "notifications_config_push",
        "Rotate the SMTP credentials for notifications.",
        MitigationVerdict::Harmful,
    ),
    (
        "notifications_config_push",
        "Restart the smtp-relay.",
        MitigationVerdict::Harmful,
    ),
    (
        "notifications_config_push",
        "Purge the email-outbound queue and let new emails flow.",
        MitigationVerdict::Harmful,
    ),
    (
        "notifications_config_push",
        "Roll back notifications to v6.2.7.",
        MitigationVerdict::Wrong,
    ),
    // Regressions from the review: phrasings first judged unfairly.
    (
        "fulfilment_poison_message",
        "Reset the consumer group offset on partition 7 to 48213978",
        MitigationVerdict::Correct,
    ),
    (
        "ledger_checksum_corruption",
        "Re-run the import",
        MitigationVerdict::Harmful,
    ),
    (
        "events_broker_disk_failure",
        "Set ORDERS_OUTBOX_FALLBACK=on",
        MitigationVerdict::Acceptable,
    ),
    (
        "search_autoscaler_max_replicas",
        "Increase search's CPU limit to 8 cores",
        MitigationVerdict::Wrong,
    ),
    (
        "storefront_campaign_traffic_surge",
        "Restart the storefront pods",
        MitigationVerdict::Harmful,
    ),
    (
        "thumbnails_cpu_saturation",
        "Set THUMB_ENCODER_PROFILE=balanced",
        MitigationVerdict::Correct,
    ),
];

/// Escalation targets as an LLM might name them, and whether they are right.
pub(super) const ESCALATION_PHRASINGS: &[(&str, &str, bool)] = &[
    ("events_broker_disk_failure", "the data platform team", true),
    (
        "events_broker_disk_failure",
        "data-platform on-call (#data-platform-oncall), owners of events-kafka",
        true,
    ),
    ("events_broker_disk_failure", "the Kafka team", true),
    ("events_broker_disk_failure", "the orders team", false),
    ("events_broker_disk_failure", "the analytics team", false),
    (
        "events_broker_disk_failure",
        "the team that owns events-kafka",
        true,
    ),
];
