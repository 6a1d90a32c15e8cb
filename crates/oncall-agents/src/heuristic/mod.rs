//! [`HeuristicAgent`]: a generic baseline that works the way an SRE does.

mod structure;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use oncall_domain::{
    ActionClaim, Decision, EntityKind, FaultCategory, HypothesisStatus, RemediationKind,
    RootCauseClaim, ToolResult,
};
use oncall_engine::{Agent, AgentContext, AgentError, Analysis, HypothesisUpdate};

use self::structure::{KnownCatalogue, category_of, step_action};

/// Words in error messages that point outside what the team owns.
const EXTERNAL_HINTS: &[&str] = &[
    "provider",
    "third-party",
    "third party",
    "vendor",
    "status page",
    "external api",
];

/// Words that name an action in a runbook step, most decisive first.
const ACTION_WORDS: &[&str] = &[
    "roll back",
    "rollback",
    "revert",
    "disable",
    "rotate",
    "renew",
    "fail over",
    "failover",
    "restart",
    "scale",
    "increase",
    "raise",
    "flush",
    "drain",
    "purge",
    "resync",
    "throttle",
];

/// Metric names worth reading first, most telling first.
const TELLING_METRICS: &[&str] = &[
    "error",
    "5xx",
    "latency",
    "p99",
    "lag",
    "queue",
    "saturation",
    "cpu",
    "memory",
    "disk",
];

/// Deploys within this many minutes before the incident are suspects.
const SUSPECT_DEPLOY_MINUTES: i64 = 120;

/// A suspect deploy must also have landed at most this many minutes before
/// the failing service's first error seen (when errors were seen): a deploy
/// long before the trouble began is probably not its cause.
const DEPLOY_TO_FIRST_ERROR_MINUTES: i64 = 30;

/// Words that, opening a runbook step, make it a warning rather than an
/// action to take.
const NEGATIONS: &[&str] = &["do not", "don't", "dont", "never", "avoid"];

/// A generic baseline that never sees ground truth. It works the way an SRE
/// does:
///
/// 1. the service catalogue, to know what exists and who owns it;
/// 2. the alerting service's metrics around the alert: the list, then the
///    most telling one over three hours;
/// 3. recent deploys, across services;
/// 4. error logs of the last hour, across services, to see who is failing;
/// 5. a runbook search on the failing service and the symptoms (the
///    errors' words and the alert's), then the best runbook's steps;
/// 6. a hypothesis whose confidence the evidence raises or lowers;
/// 7. then a rollback of a deploy that landed shortly before the trouble on
///    a failing service (and shortly before its first error), or an
///    escalation when the errors point at a third party, or the matching
///    runbook's first action (read top to bottom, skipping warnings such as
///    "never ..."), or a restart.
///
/// It answers in structured form too, inferred from what it read: the
/// action's kind from the runbook step's verb (or rollback, escalation,
/// restart) and its target from the catalogue entity the step or the deploy
/// names; the escalation's team from the provider the errors name, or the
/// team the runbook names; the root cause's service from the same, and its
/// category from the words of the errors. An action the catalogue gives no
/// target for is kind `other`, described by the runbook step.
///
/// It reads only tool results and the incident, and has no knowledge of any
/// scenario.
#[derive(Debug, Default)]
pub struct HeuristicAgent {
    phase: usize,
    deploys: Vec<Value>,
    errors_by_service: BTreeMap<String, usize>,
    first_error_at: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
    error_messages: Vec<String>,
    metric_names: Vec<String>,
    metric_anomaly: Option<f64>,
    runbook_id: Option<String>,
    runbook_steps: Vec<String>,
    catalogue: KnownCatalogue,
}

impl HeuristicAgent {
    /// A fresh agent.
    pub fn new() -> HeuristicAgent {
        HeuristicAgent::default()
    }

    fn failing_service(&self, context: &AgentContext<'_>) -> String {
        self.errors_by_service
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(service, _)| service.clone())
            .unwrap_or_else(|| context.incident().service().to_owned())
    }

    fn suspect_deploy(&self, context: &AgentContext<'_>) -> Option<&Value> {
        let failing = self.failing_service(context);
        let alerting = context.incident().service();
        let now = context.incident().created_at();
        let first_error = self.first_error_at.get(&failing).copied();
        self.deploys.iter().find(|deploy| {
            let service = deploy["service"].as_str().unwrap_or_default();
            let deployed_at = deploy["deployed_at"]
                .as_str()
                .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&chrono::Utc));
            let recent =
                deployed_at.is_some_and(|at| (now - at).num_minutes() <= SUSPECT_DEPLOY_MINUTES);
            let before_trouble = match (deployed_at, first_error) {
                (Some(at), Some(first)) => {
                    let lead = (first - at).num_minutes();
                    (-2..=DEPLOY_TO_FIRST_ERROR_MINUTES).contains(&lead)
                }
                _ => true,
            };
            let landed = deploy["status"].as_str() == Some("succeeded");
            recent && before_trouble && landed && (service == failing || service == alerting)
        })
    }

    fn points_outside(&self) -> bool {
        let text = self.error_messages.join(" ").to_lowercase();
        EXTERNAL_HINTS.iter().any(|hint| text.contains(hint))
    }

    fn search_keywords(&self, context: &AgentContext<'_>) -> String {
        let mut words: Vec<String> = Vec::new();
        let sources = self
            .error_messages
            .iter()
            .take(3)
            .map(String::as_str)
            .chain(std::iter::once(context.incident().description()));
        for source in sources {
            for word in source.split(|c: char| !c.is_alphanumeric()) {
                let word = word.to_lowercase();
                if word.len() > 3
                    && !word.chars().all(|c| c.is_ascii_digit())
                    && !words.contains(&word)
                {
                    words.push(word);
                }
            }
        }
        words.truncate(8);
        words.join(" ")
    }

    /// The runbook's first step, top to bottom, with a clause that starts
    /// with an action ("If X, roll back Y."); failing that, the step with
    /// the most decisive action word anywhere. Warnings ("Never flush ...")
    /// are skipped.
    fn runbook_action(&self) -> Option<String> {
        let actionable: Vec<&String> = self
            .runbook_steps
            .iter()
            .filter(|step| {
                let lower = step.trim().to_lowercase();
                !NEGATIONS.iter().any(|negation| lower.starts_with(negation))
            })
            .collect();
        let imperative = actionable.iter().find(|step| {
            step.to_lowercase()
                .split([',', ';', ':', '.'])
                .map(str::trim)
                .any(|clause| ACTION_WORDS.iter().any(|action| clause.starts_with(action)))
        });
        imperative.map(|step| (*step).clone()).or_else(|| {
            ACTION_WORDS.iter().find_map(|action| {
                actionable
                    .iter()
                    .find(|step| step.to_lowercase().contains(action))
                    .map(|step| (*step).clone())
            })
        })
    }

    fn escalation_target(&self) -> String {
        self.runbook_steps
            .iter()
            .find_map(|step| {
                // Search the original bytes: lowercasing can change a
                // character's length, so an offset into a lowercased copy
                // may not be a boundary in the original. An ASCII match
                // always is.
                const NEEDLE: &[u8] = b"escalate to";
                let at = step
                    .as_bytes()
                    .windows(NEEDLE.len())
                    .position(|window| window.eq_ignore_ascii_case(NEEDLE))?;
                let rest = step.get(at + NEEDLE.len()..)?;
                Some(rest.trim().trim_end_matches('.').to_owned())
            })
            .filter(|target| !target.is_empty())
            .unwrap_or_else(|| "the owner of the failing third-party dependency".to_owned())
    }

    fn conclude(&self, context: &AgentContext<'_>) -> Decision {
        let failing = self.failing_service(context);
        if let Some(deploy) = self.suspect_deploy(context) {
            let service = deploy["service"].as_str().unwrap_or_default();
            let version = deploy["version"].as_str().unwrap_or_default();
            let mitigation = match deploy["previous_version"].as_str() {
                Some(previous) => format!("Roll back {service} from {version} to {previous}"),
                None => format!("Roll back the {service} deploy {version}"),
            };
            let category = category_of(&self.error_messages, true, false);
            return self.structured(
                Decision::mitigation(
                    mitigation,
                    0.75,
                    format!("{service} deployed {version} shortly before the errors began"),
                ),
                Some(ActionClaim::of(RemediationKind::Rollback, service)),
                service,
                category,
            );
        }
        if self.points_outside() {
            let text = self.error_messages.join(" ");
            let provider = self.catalogue.named_in(&text, &[EntityKind::Provider]);
            let team = provider.clone().or_else(|| {
                self.runbook_steps.iter().find_map(|step| {
                    self.catalogue
                        .named_in(step, &[EntityKind::Team, EntityKind::Provider])
                })
            });
            let culprit = provider.unwrap_or_else(|| failing.clone());
            let mut decision = Decision::escalation(
                "errors point at a dependency outside our control",
                self.escalation_target(),
            );
            if let Some(team) = team {
                decision = decision.with_team(team);
            }
            return decision
                .with_root_cause(RootCauseClaim::of(culprit, FaultCategory::DependencyOutage));
        }
        let category = category_of(&self.error_messages, false, false);
        if let Some(step) = self.runbook_action() {
            let errors = self.error_messages.join(" ");
            let action = match step_action(&step, &errors, &self.catalogue) {
                Some((kind, target)) => ActionClaim::of(kind, target),
                None => ActionClaim::of(RemediationKind::Other, failing.as_str())
                    .with_description(step.as_str()),
            };
            return self.structured(
                Decision::mitigation(step, 0.55, "the best-matching runbook's first action"),
                Some(action),
                &failing,
                category,
            );
        }
        self.structured(
            Decision::mitigation(
                format!("Restart {failing}"),
                0.3,
                "no stronger lead; a restart is the generic first aid",
            ),
            Some(ActionClaim::of(RemediationKind::Restart, failing.as_str())),
            &failing,
            category,
        )
    }

    /// `decision` with its structured answer: the root cause always, the
    /// action only when there is a catalogue to name its target in.
    fn structured(
        &self,
        decision: Decision,
        action: Option<ActionClaim>,
        culprit: &str,
        category: FaultCategory,
    ) -> Decision {
        let decision = decision.with_root_cause(RootCauseClaim::of(culprit, category));
        match action {
            Some(action) if !self.catalogue.is_empty() => decision.with_actions(vec![action]),
            _ => decision,
        }
    }

    fn call(tool: &str, params: Value, reasoning: &str) -> Decision {
        Decision::CallTool {
            tool_name: tool.to_owned(),
            params: params.as_object().cloned().unwrap_or_default(),
            reasoning: reasoning.to_owned(),
        }
    }
}

impl Agent for HeuristicAgent {
    fn name(&self) -> &str {
        "heuristic"
    }

    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        let alerting = context.incident().service().to_owned();
        // Leave the last step for a conclusion.
        if context.steps_remaining() == 0 {
            return Ok(self.conclude(context));
        }
        loop {
            let phase = self.phase;
            self.phase += 1;
            let decision = match phase {
                0 => Self::call("services", json!({}), "what exists and who owns it"),
                1 => Self::call(
                    "metrics",
                    json!({"service": alerting}),
                    "what the alerting service measures",
                ),
                2 => {
                    let Some(metric) = pick_metric(&self.metric_names) else {
                        continue;
                    };
                    Self::call(
                        "metrics",
                        json!({"service": alerting, "metric": metric, "last_minutes": 180, "aggregation": "buckets", "bucket_seconds": 900}),
                        "the shape of the most telling metric around the alert",
                    )
                }
                3 => Self::call(
                    "deploys",
                    json!({}),
                    "recent changes are the usual suspects",
                ),
                4 => Self::call(
                    "logs",
                    json!({"min_level": "error", "last_minutes": 60, "limit": 200}),
                    "who is failing, and how",
                ),
                5 => Self::call(
                    "runbook",
                    json!({"service": self.failing_service(context), "keywords": self.search_keywords(context)}),
                    "what the team wrote down for this",
                ),
                6 => {
                    let Some(id) = self.runbook_id.clone() else {
                        continue;
                    };
                    Self::call(
                        "runbook",
                        json!({"runbook_id": id}),
                        "read the runbook's steps",
                    )
                }
                _ => self.conclude(context),
            };
            return Ok(decision);
        }
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        let Some(data) = tool_result.data() else {
            return Ok(Analysis::new(
                format!("`{}` failed; moving on", tool_result.tool_name()),
                false,
            ));
        };
        let (summary, significant) = match tool_result.tool_name() {
            "services" => {
                self.catalogue = KnownCatalogue::read(data);
                let services = self.catalogue.names_of(EntityKind::Service).len();
                (format!("the catalogue lists {services} services"), false)
            }
            "deploys" => {
                self.deploys = data["deploys"].as_array().cloned().unwrap_or_default();
                (
                    format!("{} recent deploys", self.deploys.len()),
                    !self.deploys.is_empty(),
                )
            }
            "logs" => {
                for entry in data["entries"].as_array().into_iter().flatten() {
                    let service = entry["service"].as_str().unwrap_or_default().to_owned();
                    if let Some(at) = entry["timestamp"]
                        .as_str()
                        .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
                    {
                        let at = at.with_timezone(&chrono::Utc);
                        self.first_error_at
                            .entry(service.clone())
                            .and_modify(|first| *first = (*first).min(at))
                            .or_insert(at);
                    }
                    *self.errors_by_service.entry(service).or_default() += 1;
                    if let Some(message) = entry["message"].as_str()
                        && !self.error_messages.iter().any(|known| known == message)
                    {
                        self.error_messages.push(message.to_owned());
                    }
                }
                let failing = self.failing_service(context);
                (
                    format!("error logs concentrate in {failing}"),
                    !self.errors_by_service.is_empty(),
                )
            }
            "metrics" if data.get("metrics").is_some() => {
                self.metric_names = data["metrics"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|metric| metric["name"].as_str().map(str::to_owned))
                    .collect();
                (
                    format!("{} metrics available", self.metric_names.len()),
                    false,
                )
            }
            "metrics" => {
                self.metric_anomaly = anomaly_ratio(data);
                let ratio = self.metric_anomaly.unwrap_or(1.0);
                (
                    format!("latest bucket is {ratio:.1}x the earliest"),
                    !(0.5..=1.5).contains(&ratio),
                )
            }
            "runbook" if data.get("runbook").is_some() => {
                self.runbook_steps = data["runbook"]["steps"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|step| step.as_str().map(str::to_owned))
                    .collect();
                (
                    format!("runbook has {} steps", self.runbook_steps.len()),
                    true,
                )
            }
            "runbook" => {
                self.runbook_id = data["results"][0]["id"].as_str().map(str::to_owned);
                (
                    format!(
                        "best runbook: {}",
                        self.runbook_id.as_deref().unwrap_or("none")
                    ),
                    self.runbook_id.is_some(),
                )
            }
            other => (format!("read `{other}`"), false),
        };
        let mut analysis = Analysis::new(summary, significant);
        analysis.hypothesis_update = self.hypothesis_update(context);
        Ok(analysis)
    }
}

impl HeuristicAgent {
    /// Forms a hypothesis once errors are seen, and revises its confidence
    /// as the deploy and metric evidence comes in.
    fn hypothesis_update(&self, context: &AgentContext<'_>) -> Option<HypothesisUpdate> {
        if self.errors_by_service.is_empty() && self.metric_anomaly.is_none() {
            return None;
        }
        let failing = self.failing_service(context);
        let mut confidence: f64 = 0.35;
        if self.suspect_deploy(context).is_some() {
            confidence += 0.3;
        }
        if self
            .metric_anomaly
            .is_some_and(|ratio| !(0.5..=1.5).contains(&ratio))
        {
            confidence += 0.15;
        }
        if self.runbook_id.is_some() {
            confidence += 0.05;
        }
        let confidence = confidence.min(0.9);
        let statement = match self.suspect_deploy(context) {
            Some(deploy) => format!(
                "{failing} is failing since deploy {} of {}",
                deploy["version"].as_str().unwrap_or("?"),
                deploy["service"].as_str().unwrap_or("?")
            ),
            None => format!("{failing} is the source of the trouble"),
        };
        match context.hypothesis() {
            None => Some(HypothesisUpdate::Create {
                statement,
                confidence,
                cite_observation: true,
                cite_observations: Vec::new(),
            }),
            Some(current) => {
                let promote =
                    current.status() == HypothesisStatus::Investigating && confidence >= 0.6;
                Some(HypothesisUpdate::Revise {
                    statement: (current.statement() != statement).then_some(statement),
                    confidence: Some(confidence),
                    cite_observation: true,
                    cite_observations: Vec::new(),
                    proposed_mitigation: None,
                    status: promote.then_some(HypothesisStatus::Supported),
                })
            }
        }
    }
}

fn pick_metric(names: &[String]) -> Option<String> {
    TELLING_METRICS
        .iter()
        .find_map(|telling| {
            names
                .iter()
                .find(|name| name.to_lowercase().contains(telling))
        })
        .or_else(|| names.first())
        .cloned()
}

/// The last bucket's average over the first's.
fn anomaly_ratio(data: &Value) -> Option<f64> {
    let buckets = data["buckets"].as_array()?;
    let first = buckets.first()?["avg"].as_f64()?;
    let last = buckets.last()?["avg"].as_f64()?;
    (first.abs() > f64::EPSILON).then(|| last / first)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn with_steps(steps: &[&str]) -> HeuristicAgent {
        HeuristicAgent {
            runbook_steps: steps.iter().map(|step| (*step).to_owned()).collect(),
            ..HeuristicAgent::default()
        }
    }

    #[test]
    fn the_escalation_target_survives_characters_that_change_length_when_lowercased() {
        let kelvin = "\u{212A}".repeat(7);
        let agent = with_steps(&[&format!("{kelvin} Escalate to the Example vendor.")]);
        assert_eq!(agent.escalation_target(), "the Example vendor");
        let agent = with_steps(&["ȺȺȺ ESCALATE TO the Sample crew"]);
        assert_eq!(agent.escalation_target(), "the Sample crew");
    }

    proptest! {
        #[test]
        fn reading_any_runbook_step_never_panics(step in "\\PC{0,40}(escalate to|Escalate To)?\\PC{0,20}") {
            let agent = with_steps(&[&step]);
            let _ = agent.escalation_target();
            let _ = agent.runbook_action();
        }
    }
}
