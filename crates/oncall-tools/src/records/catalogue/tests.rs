use serde_json::json;

use super::*;

fn catalogue(value: serde_json::Value) -> Result<ServiceCatalogue, String> {
    serde_json::from_value(value).map_err(|error| error.to_string())
}

fn shop() -> ServiceCatalogue {
    catalogue(json!({
        "services": [
            {"name": "checkout", "team": "shop-team", "depends_on": ["payco", "checkout-db"],
             "hosts": ["checkout-1", "checkout-2"], "datastores": ["checkout-db"]},
            {"name": "checkout-db", "team": "shop-team"}
        ],
        "providers": [{"name": "payco", "used_by": ["checkout"], "aliases": ["PayCo card processing"]}],
        "teams": [{"name": "shop-team", "contact": "#shop-oncall"}],
        "feature_flags": [{"name": "checkout.new_tax_engine", "service": "checkout", "aliases": ["new tax engine"]}]
    }))
    .unwrap()
}

#[test]
fn names_and_hosts_resolve_ignoring_case_and_aliases_do_not() {
    let shop = shop();
    let host = shop.resolve(" CHECKOUT-2 ").unwrap();
    assert_eq!(
        (host.kind, host.name, host.service),
        (EntityKind::Host, "checkout-2", Some("checkout"))
    );
    assert_eq!(shop.resolve("payco").unwrap().kind, EntityKind::Provider);
    assert_eq!(
        shop.resolve("checkout.new_tax_engine").unwrap().kind,
        EntityKind::FeatureFlag
    );
    assert!(shop.resolve("new tax engine").is_none());
    assert!(shop.resolve("").is_none());
    assert_eq!(shop.entities().len(), 7);
    assert!(
        shop.reference_problems().is_empty(),
        "{:?}",
        shop.reference_problems()
    );
    assert!(!shop.is_empty() && ServiceCatalogue::empty().is_empty());
}

#[test]
fn duplicates_blanks_and_misplaced_fields_are_refused_by_path() {
    let error = catalogue(
        json!({"services": [{"name": "a", "hosts": ["a-1"]}], "teams": [{"name": "A-1"}]}),
    )
    .unwrap_err();
    assert!(
        error.starts_with("`teams[0].name`: `A-1` is already used at `services[0].hosts[0]`"),
        "{error}"
    );
    let error = catalogue(json!({"jobs": [{"name": "  "}]})).unwrap_err();
    assert!(
        error.starts_with("`jobs[0].name`: must not be empty"),
        "{error}"
    );
    let error = catalogue(json!({"teams": [{"name": "t", "hosts": ["x"]}]})).unwrap_err();
    assert!(error.starts_with("`teams[0].hosts`: a team has no `hosts`; its fields are: name, description, aliases, contact"), "{error}");
    let error = catalogue(json!({"queues": [{"name": "q", "color": "red"}]})).unwrap_err();
    assert!(error.contains("unknown field `color`"), "{error}");
}

#[test]
fn dangling_references_are_reported_by_path() {
    let broken = catalogue(json!({
        "services": [{"name": "api", "team": "nobody", "depends_on": ["ghost"], "datastores": ["api-team"]}],
        "teams": [{"name": "api-team"}]
    }))
    .unwrap();
    assert_eq!(
        broken.reference_problems(),
        vec![
            "services[0].team: `nobody` should name a team, but names nothing in the catalogue",
            "services[0].depends_on: `ghost` should name a service or provider, but names nothing in the catalogue",
            "services[0].datastores: `api-team` should name a service, but names a team",
        ]
    );
}

#[test]
fn default_hosts_fill_only_services_without_hosts() {
    let hosts = BTreeMap::from([
        ("checkout".to_owned(), vec!["x-1".to_owned()]),
        ("checkout-db".to_owned(), vec!["checkout-db-1".to_owned()]),
    ]);
    let filled = shop().with_default_hosts(&hosts).unwrap();
    assert_eq!(filled.services()[0].hosts(), ["checkout-1", "checkout-2"]);
    assert_eq!(filled.services()[1].hosts(), ["checkout-db-1"]);
    let clash = BTreeMap::from([("checkout-db".to_owned(), vec!["payco".to_owned()])]);
    let error = shop().with_default_hosts(&clash).unwrap_err();
    assert!(
        error.to_string().contains("`payco` is already used"),
        "{error}"
    );
}

#[test]
fn json_round_trips_and_leaves_out_what_is_empty() {
    let shop = shop();
    let json = serde_json::to_value(&shop).unwrap();
    assert!(json.get("queues").is_none());
    assert!(json["teams"][0].get("hosts").is_none());
    let back: ServiceCatalogue = serde_json::from_value(json).unwrap();
    assert_eq!(back, shop);
}
