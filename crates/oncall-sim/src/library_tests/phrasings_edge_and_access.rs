//! Phrasings for the scenarios of the network, the edge, security, access
//! and providers (load balancer, packet loss, zone outage, CDN, leaked
//! key, credential stuffing, IAM, quota, SSO, a downstream deploy, debug
//! logging), each checked with `oncall-gym judge` when the scenario was
//! written. The tests are `phrasings.rs`'s.

use crate::evaluation::MitigationVerdict;

/// How an LLM might phrase a fix, and the verdict it deserves.
pub(super) const MITIGATION_PHRASINGS: &[(&str, &str, MitigationVerdict)] = &[
    // gateway_lb_connection_limit
    (
        "gateway_lb_connection_limit",
        "Raise max_connections on edge-lb from 10000 to 20000",
        MitigationVerdict::Correct,
    ),
    (
        "gateway_lb_connection_limit",
        "Revert the edge-lb config change r311 to bring the keep-alive idle timeout back to 60s",
        MitigationVerdict::Correct,
    ),
    (
        "gateway_lb_connection_limit",
        "Roll back edge-lb-config-r311 on the api load balancer",
        MitigationVerdict::Correct,
    ),
    (
        "gateway_lb_connection_limit",
        "Add two more edge-lb nodes to spread the connections",
        MitigationVerdict::Acceptable,
    ),
    (
        "gateway_lb_connection_limit",
        "Restart the public-api pods",
        MitigationVerdict::Harmful,
    ),
    (
        "gateway_lb_connection_limit",
        "Scale out public-api to 12 replicas to handle the load",
        MitigationVerdict::Harmful,
    ),
    (
        "gateway_lb_connection_limit",
        "Roll back public-api v5.8.0",
        MitigationVerdict::Wrong,
    ),
    (
        "gateway_lb_connection_limit",
        "Raise public-api's connection limit",
        MitigationVerdict::Wrong,
    ),
    // payments_host_packet_loss
    (
        "payments_host_packet_loss",
        "Drain payments-2 and open a ticket with the network team for its NIC",
        MitigationVerdict::Correct,
    ),
    (
        "payments_host_packet_loss",
        "Take payments-2 out of the load balancer pool",
        MitigationVerdict::Correct,
    ),
    (
        "payments_host_packet_loss",
        "Scale out payments so the healthy hosts absorb the traffic",
        MitigationVerdict::Acceptable,
    ),
    (
        "payments_host_packet_loss",
        "Roll back payments to v6.3.2",
        MitigationVerdict::Harmful,
    ),
    (
        "payments_host_packet_loss",
        "Fail over payments-db to the standby",
        MitigationVerdict::Harmful,
    ),
    (
        "payments_host_packet_loss",
        "Do a rolling restart of all payments pods",
        MitigationVerdict::Harmful,
    ),
    (
        "payments_host_packet_loss",
        "Reboot payments-2",
        MitigationVerdict::Harmful,
    ),
    // checkout_zone_outage
    (
        "checkout_zone_outage",
        "Drain checkout-2, checkout-5 and cart-2 (the eu-central-1b hosts)",
        MitigationVerdict::Acceptable,
    ),
    (
        "checkout_zone_outage",
        "Shift checkout traffic out of eu-central-1b to the healthy zones",
        MitigationVerdict::Acceptable,
    ),
    (
        "checkout_zone_outage",
        "Roll back checkout v14.2.0",
        MitigationVerdict::Harmful,
    ),
    (
        "checkout_zone_outage",
        "Fail over orders-db to the standby",
        MitigationVerdict::Harmful,
    ),
    (
        "checkout_zone_outage",
        "Restart checkout",
        MitigationVerdict::Wrong,
    ),
    // media_cdn_cache_poisoned
    (
        "media_cdn_cache_poisoned",
        "Purge the cached 503s from the media CDN (invalidate /img/*)",
        MitigationVerdict::Correct,
    ),
    (
        "media_cdn_cache_poisoned",
        "Invalidate the media-cdn cache and restrict the negative caching rule to 404s",
        MitigationVerdict::Correct,
    ),
    (
        "media_cdn_cache_poisoned",
        "Revert media-cdn config r88",
        MitigationVerdict::Acceptable,
    ),
    (
        "media_cdn_cache_poisoned",
        "Restart media-origin",
        MitigationVerdict::Harmful,
    ),
    (
        "media_cdn_cache_poisoned",
        "Roll back media-origin to v3.9.0",
        MitigationVerdict::Harmful,
    ),
    (
        "media_cdn_cache_poisoned",
        "Bypass the CDN and serve images directly from the origin",
        MitigationVerdict::Harmful,
    ),
    // api_key_leaked
    (
        "api_key_leaked",
        "Rate-limit the leaked key pk_live_7f3a...a41f at partner-api",
        MitigationVerdict::Acceptable,
    ),
    (
        "api_key_leaked",
        "Block the abusive IPs using the acme-logistics key at partner-api",
        MitigationVerdict::Acceptable,
    ),
    (
        "api_key_leaked",
        "Revoke the compromised partner key",
        MitigationVerdict::Acceptable,
    ),
    (
        "api_key_leaked",
        "Scale out partner-api to absorb the traffic",
        MitigationVerdict::Harmful,
    ),
    (
        "api_key_leaked",
        "Raise the MapCo quota on geocoding so requests stop failing",
        MitigationVerdict::Harmful,
    ),
    (
        "api_key_leaked",
        "Restart partner-api",
        MitigationVerdict::Wrong,
    ),
    (
        "api_key_leaked",
        "Ask MapCo for a higher quota",
        MitigationVerdict::Harmful,
    ),
    // login_credential_stuffing
    (
        "login_credential_stuffing",
        "Rate-limit POST /login per IP at the api-gateway",
        MitigationVerdict::Correct,
    ),
    (
        "login_credential_stuffing",
        "Block the attacking IPs and the python-requests user agent at api-gateway",
        MitigationVerdict::Correct,
    ),
    (
        "login_credential_stuffing",
        "Enable a CAPTCHA challenge on login in auth",
        MitigationVerdict::Acceptable,
    ),
    (
        "login_credential_stuffing",
        "Restart the auth pods to clear the hash queue",
        MitigationVerdict::Harmful,
    ),
    (
        "login_credential_stuffing",
        "Roll back auth v12.4.0 (argon2id)",
        MitigationVerdict::Harmful,
    ),
    (
        "login_credential_stuffing",
        "Disable account lockout so real users can get back in",
        MitigationVerdict::Harmful,
    ),
    (
        "login_credential_stuffing",
        "Scale out auth",
        MitigationVerdict::Wrong,
    ),
    // uploads_iam_policy_change
    (
        "uploads_iam_policy_change",
        "Revert the iam-policies change 2026-11-03.4 (PLAT-1432) so uploads-role gets s3:PutObject on uploads-user-content back.",
        MitigationVerdict::Correct,
    ),
    (
        "uploads_iam_policy_change",
        "Re-grant s3:PutObject on the uploads-user-content bucket to uploads-role.",
        MitigationVerdict::Correct,
    ),
    (
        "uploads_iam_policy_change",
        "Add uploads-role back to the media-writers group until platform-team ships a scoped grant.",
        MitigationVerdict::Correct,
    ),
    (
        "uploads_iam_policy_change",
        "Enable uploads.local_spool so uploads are buffered locally until write access is restored.",
        MitigationVerdict::Acceptable,
    ),
    (
        "uploads_iam_policy_change",
        "Rotate the uploads storage access key; it has probably expired.",
        MitigationVerdict::Harmful,
    ),
    (
        "uploads_iam_policy_change",
        "Roll back uploads from v5.8.0 to v5.7.3.",
        MitigationVerdict::Harmful,
    ),
    (
        "uploads_iam_policy_change",
        "Do a rolling restart of the uploads pods.",
        MitigationVerdict::Harmful,
    ),
    (
        "uploads_iam_policy_change",
        "Revert the IAM policy",
        MitigationVerdict::Correct,
    ),
    // geocoding_provider_rate_limit
    (
        "geocoding_provider_rate_limit",
        "Suspend the address-geocode-backfill job to free the shared GeoLoc rate limit for delivery.",
        MitigationVerdict::Correct,
    ),
    (
        "geocoding_provider_rate_limit",
        "Pause the geocode backfill now and resume it tonight throttled to 10 req/s.",
        MitigationVerdict::Correct,
    ),
    (
        "geocoding_provider_rate_limit",
        "Ask GeoLoc to temporarily raise our account rate limit.",
        MitigationVerdict::Acceptable,
    ),
    (
        "geocoding_provider_rate_limit",
        "Increase the geo-gateway cache TTL so more delivery lookups are served from cache.",
        MitigationVerdict::Acceptable,
    ),
    (
        "geocoding_provider_rate_limit",
        "Add retries with exponential backoff for 429 responses in delivery.",
        MitigationVerdict::Harmful,
    ),
    (
        "geocoding_provider_rate_limit",
        "Fail geo-gateway over to MapGrid until GeoLoc recovers.",
        MitigationVerdict::Harmful,
    ),
    (
        "geocoding_provider_rate_limit",
        "Rotate the GeoLoc API key on geo-gateway.",
        MitigationVerdict::Harmful,
    ),
    (
        "geocoding_provider_rate_limit",
        "Suspend the address-book job",
        MitigationVerdict::Correct,
    ),
    // sso_identity_provider_outage
    (
        "sso_identity_provider_outage",
        "Raise the accounts-web session TTL so customers who are still logged in are not forced to re-authenticate.",
        MitigationVerdict::Acceptable,
    ),
    (
        "sso_identity_provider_outage",
        "Put up a status banner on the login page saying sign-in is temporarily unavailable.",
        MitigationVerdict::Acceptable,
    ),
    (
        "sso_identity_provider_outage",
        "Have staff use the break-glass accounts for admin-console until SSO is back.",
        MitigationVerdict::Acceptable,
    ),
    (
        "sso_identity_provider_outage",
        "Roll back accounts-web to v12.3.2.",
        MitigationVerdict::Harmful,
    ),
    (
        "sso_identity_provider_outage",
        "Restart the accounts-web pods to clear the failing OIDC connections.",
        MitigationVerdict::Harmful,
    ),
    (
        "sso_identity_provider_outage",
        "Temporarily disable SSO authentication on admin-console so staff can keep working.",
        MitigationVerdict::Harmful,
    ),
    // checkout_pricing_deploy_regression
    (
        "checkout_pricing_deploy_regression",
        "Roll back pricing to v4.8.3 (revert dep-pricing-490).",
        MitigationVerdict::Correct,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Revert the pricing v4.9.0 deploy; the checkout v7.3.0 release is unrelated.",
        MitigationVerdict::Correct,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Scale out pricing to absorb the extra rule evaluation while the rollback is prepared.",
        MitigationVerdict::Acceptable,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Roll back checkout to v7.2.6.",
        MitigationVerdict::Wrong,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Fail over pricing-db to the replica to relieve the CPU pressure.",
        MitigationVerdict::Harmful,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Increase checkout's pricing timeout to 5s so quotes can complete.",
        MitigationVerdict::Harmful,
    ),
    (
        "checkout_pricing_deploy_regression",
        "Revert PRICE-812",
        MitigationVerdict::Correct,
    ),
    // reports_disk_full_debug_logging
    (
        "reports_disk_full_debug_logging",
        "Revert config push cfg-311 to set LOG_LEVEL back to info on the reports hosts, then delete the rotated debug logs in /var/log/reports.",
        MitigationVerdict::Correct,
    ),
    (
        "reports_disk_full_debug_logging",
        "Switch off debug logging on reports.",
        MitigationVerdict::Correct,
    ),
    (
        "reports_disk_full_debug_logging",
        "Expand the root volume on the reports hosts.",
        MitigationVerdict::Acceptable,
    ),
    (
        "reports_disk_full_debug_logging",
        "Free up space by deleting /var/lib/reports/data on the reports hosts.",
        MitigationVerdict::Harmful,
    ),
    (
        "reports_disk_full_debug_logging",
        "Keep restarting reports every few minutes until it recovers.",
        MitigationVerdict::Harmful,
    ),
    (
        "reports_disk_full_debug_logging",
        "Roll back reports to v6.2.7.",
        MitigationVerdict::Wrong,
    ),
];

/// Escalation targets as an LLM might name them, and whether they are right.
pub(super) const ESCALATION_PHRASINGS: &[(&str, &str, bool)] = &[
    ("checkout_zone_outage", "Nimbus enterprise support", true),
    ("checkout_zone_outage", "our cloud provider", true),
    ("checkout_zone_outage", "the checkout team", false),
    ("checkout_zone_outage", "the database team", false),
    ("api_key_leaked", "the security team on-call", true),
    ("api_key_leaked", "secops (SEC-4471)", true),
    ("api_key_leaked", "MapCo support", false),
    ("api_key_leaked", "the partner team", false),
    ("api_key_leaked", "#sec-oncall", true),
    (
        "sso_identity_provider_outage",
        "the identity team (#identity-oncall)",
        true,
    ),
    ("sso_identity_provider_outage", "SSO on-call", true),
    (
        "sso_identity_provider_outage",
        "the owners of the SSO platform",
        true,
    ),
    ("sso_identity_provider_outage", "the accounts team", false),
    (
        "sso_identity_provider_outage",
        "the captcha provider",
        false,
    ),
];
