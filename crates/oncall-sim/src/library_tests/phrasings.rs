//! The bundled scenarios' remedies against the way an LLM phrases a fix or
//! names an escalation target: each phrasing with the verdict it deserves.
//! Written with the first grader; three labels were changed to follow the
//! corpus's house rules (`fixtures/grader-corpus/README.md`): a stop-gap
//! (draining a host, rate-limiting reads) is acceptable, not correct, and
//! an action on "the batch job" names no target.

use crate::evaluation::MitigationVerdict;

use super::{phrasings_edge_and_access, phrasings_queues_and_databases, scenario};

/// How an LLM might phrase a fix, and the verdict it deserves.
const MITIGATION_PHRASINGS: &[(&str, &str, MitigationVerdict)] = &[
    // orders_deploy_errors
    (
        "orders_deploy_errors",
        "Roll back the orders service to v4.11.3",
        MitigationVerdict::Correct,
    ),
    (
        "orders_deploy_errors",
        "Revert deploy dep-orders-4120 (orders v4.12.0).",
        MitigationVerdict::Correct,
    ),
    (
        "orders_deploy_errors",
        "Rollback orders to the previous release",
        MitigationVerdict::Correct,
    ),
    (
        "orders_deploy_errors",
        "Roll back catalog v8.0.2",
        MitigationVerdict::Wrong,
    ),
    (
        "orders_deploy_errors",
        "Temporarily disable promo code handling in orders",
        MitigationVerdict::Acceptable,
    ),
    (
        "orders_deploy_errors",
        "Restart the api-gateway",
        MitigationVerdict::Wrong,
    ),
    (
        "orders_deploy_errors",
        "Do a rolling restart of orders",
        MitigationVerdict::Wrong,
    ),
    // accounts_pool_exhaustion
    (
        "accounts_pool_exhaustion",
        "Roll back accounts from v3.6.0 to v3.5.4",
        MitigationVerdict::Correct,
    ),
    (
        "accounts_pool_exhaustion",
        "Do a rolling restart of the accounts pods to release the leaked DB connections",
        MitigationVerdict::Acceptable,
    ),
    (
        "accounts_pool_exhaustion",
        "Restart the accounts-db primary to clear stuck connections",
        MitigationVerdict::Harmful,
    ),
    (
        "accounts_pool_exhaustion",
        "Fail over accounts-db to the replica",
        MitigationVerdict::Harmful,
    ),
    (
        "accounts_pool_exhaustion",
        "Roll back the profile deploy v22.1.0",
        MitigationVerdict::Wrong,
    ),
    (
        "accounts_pool_exhaustion",
        "Roll back accounts to v3.5.4; do not restart the database",
        MitigationVerdict::Correct,
    ),
    // recommendations_oom_kills
    (
        "recommendations_oom_kills",
        "Roll back recommendations to v3.7.4 to stop the memory leak",
        MitigationVerdict::Correct,
    ),
    (
        "recommendations_oom_kills",
        "Revert the recs v3.8.0 release",
        MitigationVerdict::Correct,
    ),
    (
        "recommendations_oom_kills",
        "Roll back storefront v12.4.0",
        MitigationVerdict::Wrong,
    ),
    (
        "recommendations_oom_kills",
        "Increase the memory limit of the recommendations pods to 4Gi",
        MitigationVerdict::Acceptable,
    ),
    (
        "recommendations_oom_kills",
        "Hide the recommendations widget on product pages",
        MitigationVerdict::Acceptable,
    ),
    // auth_certificate_expired
    (
        "auth_certificate_expired",
        "Renew the expired TLS certificate for auth.internal via cert-manager",
        MitigationVerdict::Correct,
    ),
    (
        "auth_certificate_expired",
        "Rotate auth's TLS cert and reload auth",
        MitigationVerdict::Correct,
    ),
    (
        "auth_certificate_expired",
        "Set InsecureSkipVerify in mobile-bff until the cert is fixed",
        MitigationVerdict::Harmful,
    ),
    (
        "auth_certificate_expired",
        "Disable TLS verification in the mobile and web backends",
        MitigationVerdict::Harmful,
    ),
    (
        "auth_certificate_expired",
        "Roll back mobile-bff",
        MitigationVerdict::Wrong,
    ),
    // ledger_db_disk_full
    (
        "ledger_db_disk_full",
        "Revert the IAM policy change so WAL archiving to S3 works again",
        MitigationVerdict::Correct,
    ),
    (
        "ledger_db_disk_full",
        "Restore the archive role's access to the ledger-wal-archive bucket",
        MitigationVerdict::Correct,
    ),
    (
        "ledger_db_disk_full",
        "Expand the EBS volume on ledger-db-1",
        MitigationVerdict::Acceptable,
    ),
    (
        "ledger_db_disk_full",
        "Delete old WAL files in pg_wal to free disk space",
        MitigationVerdict::Harmful,
    ),
    (
        "ledger_db_disk_full",
        "Run pg_resetwal on ledger-db-1",
        MitigationVerdict::Harmful,
    ),
    (
        "ledger_db_disk_full",
        "Roll back ledger v9.1.0",
        MitigationVerdict::Wrong,
    ),
    // payments_provider_outage
    (
        "payments_provider_outage",
        "Restart the payments service",
        MitigationVerdict::Harmful,
    ),
    (
        "payments_provider_outage",
        "Roll back fraud-scoring v1.9.0",
        MitigationVerdict::Wrong,
    ),
    // checkout_tax_flag_rollout
    (
        "checkout_tax_flag_rollout",
        "Disable the checkout.new_tax_engine feature flag",
        MitigationVerdict::Correct,
    ),
    (
        "checkout_tax_flag_rollout",
        "Roll back the flag push flags-2026.11.20-3 to 5%",
        MitigationVerdict::Correct,
    ),
    (
        "checkout_tax_flag_rollout",
        "Turn off the new tax engine",
        MitigationVerdict::Correct,
    ),
    (
        "checkout_tax_flag_rollout",
        "Roll back checkout from v2.16.0 to v2.15.3",
        MitigationVerdict::Wrong,
    ),
    (
        "checkout_tax_flag_rollout",
        "Pause the rollout of checkout",
        MitigationVerdict::Wrong,
    ),
    // catalog_cache_stampede
    (
        "catalog_cache_stampede",
        "Warm the catalog cache with the prewarm job",
        MitigationVerdict::Correct,
    ),
    (
        "catalog_cache_stampede",
        "Rate limit catalog reads at the gateway until the cache recovers",
        MitigationVerdict::Acceptable,
    ),
    (
        "catalog_cache_stampede",
        "Flush the catalog cache to clear stale entries",
        MitigationVerdict::Harmful,
    ),
    (
        "catalog_cache_stampede",
        "Restart redis (catalog-cache)",
        MitigationVerdict::Harmful,
    ),
    (
        "catalog_cache_stampede",
        "Fail over catalog-db to the replica",
        MitigationVerdict::Harmful,
    ),
    (
        "catalog_cache_stampede",
        "Add read replicas to catalog-db",
        MitigationVerdict::Acceptable,
    ),
    (
        "catalog_cache_stampede",
        "Roll back catalog v7.2.0",
        MitigationVerdict::Wrong,
    ),
    // pricing_noisy_neighbour
    (
        "pricing_noisy_neighbour",
        "Suspend the report-builder rollup cronjob",
        MitigationVerdict::Correct,
    ),
    (
        "pricing_noisy_neighbour",
        "Move the batch job off the general-b node pool and give it CPU limits",
        MitigationVerdict::Wrong,
    ),
    (
        "pricing_noisy_neighbour",
        "Scale out pricing",
        MitigationVerdict::Acceptable,
    ),
    (
        "pricing_noisy_neighbour",
        "Roll back pricing v5.5.0",
        MitigationVerdict::Wrong,
    ),
    // cart_retry_storm
    (
        "cart_retry_storm",
        "Disable retries in cart for inventory calls",
        MitigationVerdict::Correct,
    ),
    (
        "cart_retry_storm",
        "Enable exponential backoff with jitter for cart's inventory client",
        MitigationVerdict::Correct,
    ),
    (
        "cart_retry_storm",
        "Open the circuit breaker between cart and inventory",
        MitigationVerdict::Correct,
    ),
    (
        "cart_retry_storm",
        "Restart the inventory pods",
        MitigationVerdict::Harmful,
    ),
    (
        "cart_retry_storm",
        "Scale out inventory",
        MitigationVerdict::Acceptable,
    ),
    (
        "cart_retry_storm",
        "Roll back inventory to v3.2.8",
        MitigationVerdict::Wrong,
    ),
    // billing_worker_rotated_password
    (
        "billing_worker_rotated_password",
        "Restart billing-worker so it loads the new password",
        MitigationVerdict::Correct,
    ),
    (
        "billing_worker_rotated_password",
        "Rolling restart of the billing workers",
        MitigationVerdict::Correct,
    ),
    (
        "billing_worker_rotated_password",
        "Roll back billing v15.3.0",
        MitigationVerdict::Wrong,
    ),
    // auth_host_clock_skew
    (
        "auth_host_clock_skew",
        "Drain auth-3 from the load balancer",
        MitigationVerdict::Acceptable,
    ),
    (
        "auth_host_clock_skew",
        "Restart chronyd on auth-3 to resync its clock",
        MitigationVerdict::Correct,
    ),
    (
        "auth_host_clock_skew",
        "Rotate the JWT signing key",
        MitigationVerdict::Harmful,
    ),
    (
        "auth_host_clock_skew",
        "Increase the iat leeway in sessions to 120s",
        MitigationVerdict::Acceptable,
    ),
    (
        "auth_host_clock_skew",
        "Roll back sessions v2.4.0",
        MitigationVerdict::Wrong,
    ),
    // latency_spike
    (
        "latency_spike",
        "Roll back checkout to v2.13.2",
        MitigationVerdict::Correct,
    ),
    (
        "latency_spike",
        "Restart the checkout database",
        MitigationVerdict::Harmful,
    ),
];

#[test]
fn mitigation_matchers_judge_llm_phrasings_fairly() {
    let mut wrong = Vec::new();
    let all = MITIGATION_PHRASINGS
        .iter()
        .chain(phrasings_queues_and_databases::MITIGATION_PHRASINGS)
        .chain(phrasings_edge_and_access::MITIGATION_PHRASINGS);
    for (id, text, expected) in all {
        let verdict = scenario(id).grader().judge_text(text).verdict;
        if verdict != *expected {
            wrong.push(format!(
                "{id}: `{text}` is {verdict:?}, expected {expected:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Escalation targets as an LLM might name them, and whether they are right.
const ESCALATION_PHRASINGS: &[(&str, &str, bool)] = &[
    ("payments_provider_outage", "PayCo support", true),
    (
        "payments_provider_outage",
        "the payment provider's on-call",
        true,
    ),
    (
        "payments_provider_outage",
        "our payments processor (vendor support line)",
        true,
    ),
    ("payments_provider_outage", "the database team", false),
    ("payments_provider_outage", "the platform team", false),
    ("notifications_dns_record_removed", "the network team", true),
    (
        "notifications_dns_record_removed",
        "NetOps on-call (owners of corp.internal)",
        true,
    ),
    ("notifications_dns_record_removed", "the DNS team", true),
    (
        "notifications_dns_record_removed",
        "the MailCo mail provider",
        false,
    ),
    (
        "notifications_dns_record_removed",
        "the database team",
        false,
    ),
];

#[test]
fn escalation_matchers_judge_llm_phrasings_fairly() {
    let mut wrong = Vec::new();
    let all = ESCALATION_PHRASINGS
        .iter()
        .chain(phrasings_queues_and_databases::ESCALATION_PHRASINGS)
        .chain(phrasings_edge_and_access::ESCALATION_PHRASINGS);
    for (id, target, expected) in all {
        let judged = scenario(id)
            .grader()
            .judge_escalation(target, None)
            .unwrap_or_else(|| panic!("{id} does not expect an escalation"));
        if judged.target_right != *expected {
            wrong.push(format!("{id}: `{target}` should be judged {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
