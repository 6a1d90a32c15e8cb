//! [`RandomAgent`]: a seeded lower bound.

use oncall_domain::{
    ActionClaim, Decision, EntityKind, FaultCategory, RemediationKind, RootCauseClaim,
    SeededRandom, ToolResult,
};
use oncall_engine::{Agent, AgentContext, AgentError, Analysis};
use oncall_tools::CATALOGUE_SECTIONS;

/// Generic actions an on-call engineer might take anywhere. They are not
/// drawn from any scenario.
const GENERIC_MITIGATIONS: &[&str] = &[
    "restart the alerting service",
    "roll back the most recent deploy",
    "scale up the alerting service",
    "flush the cache",
    "fail over the primary database",
    "increase the connection pool size",
    "disable the newest feature flag",
    "clear the message queue",
];

/// Generic teams one might escalate to. None is a bundled scenario's
/// escalation target (`library_tests` checks).
const GENERIC_TEAMS: &[&str] = &[
    "the platform team",
    "the database team",
    "the compliance team",
];

/// A seeded lower bound: the service catalogue first, then a random number
/// of valid tool calls with random parameters drawn from each tool's
/// schema, then a random answer (or, now and then, an escalation to a
/// random team).
///
/// The answer is drawn from the vocabulary and the catalogue: a random
/// remediation kind on a random catalogue entity it can act on (the
/// alerting service when the catalogue names none), a root cause of a
/// random service and a random category, with a generic text. It reads
/// only the catalogue, never another result. The same seed gives the same
/// run.
#[derive(Debug)]
pub struct RandomAgent {
    random: SeededRandom,
    calls_left: Option<u32>,
    asked_catalogue: bool,
    catalogue: Vec<(EntityKind, String)>,
}

impl RandomAgent {
    /// A random agent fixed by `seed`.
    pub fn new(seed: u64) -> RandomAgent {
        RandomAgent {
            random: SeededRandom::new(seed ^ 0x5EED_0F4A_4D0E),
            calls_left: None,
            asked_catalogue: false,
            catalogue: Vec::new(),
        }
    }

    /// A random entity of one of `kinds` from the catalogue, if it lists
    /// one.
    fn pick_entity(&self, kinds: &[EntityKind]) -> Option<String> {
        let fitting: Vec<&String> = self
            .catalogue
            .iter()
            .filter(|(kind, _)| kinds.contains(kind))
            .map(|(_, name)| name)
            .collect();
        let index = self.random.next_below(fitting.len().max(1) as u64) as usize;
        fitting.get(index).map(|name| (*name).clone())
    }

    fn pick_of<T: Copy>(&self, items: &[T]) -> Option<T> {
        let index = self.random.next_below(items.len().max(1) as u64) as usize;
        items.get(index).copied()
    }

    /// A random root cause: a catalogue service (or the alerting one) and
    /// a category.
    fn random_root_cause(&self, context: &AgentContext<'_>) -> RootCauseClaim {
        let service = self
            .pick_entity(&[EntityKind::Service])
            .unwrap_or_else(|| context.incident().service().to_owned());
        let category = self
            .pick_of(FaultCategory::ALL)
            .unwrap_or(FaultCategory::DeployRegression);
        RootCauseClaim::of(service, category)
    }

    fn pick<'a>(&self, items: &[&'a str]) -> &'a str {
        let index = self.random.next_below(items.len() as u64) as usize;
        items.get(index).copied().unwrap_or("")
    }

    fn random_params(
        &self,
        schema: &serde_json::Value,
        context: &AgentContext<'_>,
    ) -> serde_json::Map<String, serde_json::Value> {
        let mut params = serde_json::Map::new();
        let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else {
            return params;
        };
        for (name, property) in properties {
            if self.random.next_below(2) == 0 {
                continue;
            }
            if let Some(value) = self.random_value(name, property, context) {
                params.insert(name.clone(), value);
            }
        }
        params
    }

    fn random_value(
        &self,
        name: &str,
        property: &serde_json::Value,
        context: &AgentContext<'_>,
    ) -> Option<serde_json::Value> {
        if let Some(options) = property.get("enum").and_then(|e| e.as_array()) {
            let options: Vec<&serde_json::Value> =
                options.iter().filter(|v| !v.is_null()).collect();
            let index = self.random.next_below(options.len() as u64) as usize;
            return options.get(index).map(|value| (*value).clone());
        }
        let types = property_types(property);
        if types.contains(&"integer") {
            let minimum = property
                .get("minimum")
                .and_then(|m| m.as_i64())
                .unwrap_or(1);
            let maximum = property
                .get("maximum")
                .and_then(|m| m.as_i64())
                .unwrap_or(minimum + 100)
                .min(minimum + 1_000);
            let span = u64::try_from(maximum - minimum + 1).unwrap_or(1);
            return Some(serde_json::json!(
                minimum + self.random.next_below(span) as i64
            ));
        }
        if types.contains(&"string") && name == "service" {
            return Some(serde_json::json!(context.incident().service()));
        }
        None
    }
}

/// Every entity the `services` tool listed, hosts included, with its kind.
fn catalogue_entities(data: &serde_json::Value) -> Vec<(EntityKind, String)> {
    let mut entities = Vec::new();
    for (section, kind) in CATALOGUE_SECTIONS {
        for entry in data[section].as_array().into_iter().flatten() {
            if let Some(name) = entry["name"].as_str() {
                entities.push((kind, name.to_owned()));
            }
            for host in entry["hosts"].as_array().into_iter().flatten() {
                if let Some(host) = host.as_str() {
                    entities.push((EntityKind::Host, host.to_owned()));
                }
            }
        }
    }
    entities
}

fn property_types(property: &serde_json::Value) -> Vec<&str> {
    match property.get("type") {
        Some(serde_json::Value::String(single)) => vec![single.as_str()],
        Some(serde_json::Value::Array(many)) => many.iter().filter_map(|t| t.as_str()).collect(),
        _ => Vec::new(),
    }
}

impl Agent for RandomAgent {
    fn name(&self) -> &str {
        "random"
    }

    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        let budget = context.steps_remaining().saturating_add(1).max(1);
        let calls_left = *self.calls_left.get_or_insert_with(|| {
            let most = (budget / 2).max(1);
            self.random.next_below(u64::from(most)) as u32
        });
        let tools = context.tools();
        let has_catalogue = tools.iter().any(|tool| tool.name() == "services");
        if !self.asked_catalogue && has_catalogue && context.steps_remaining() > 0 {
            self.asked_catalogue = true;
            return Ok(Decision::CallTool {
                tool_name: "services".to_owned(),
                params: serde_json::Map::new(),
                reasoning: "what exists".to_owned(),
            });
        }
        if calls_left > 0 && !tools.is_empty() && context.steps_remaining() > 0 {
            self.calls_left = Some(calls_left - 1);
            let tool = &tools[self.random.next_below(tools.len() as u64) as usize];
            return Ok(Decision::CallTool {
                tool_name: tool.name().to_owned(),
                params: self.random_params(tool.parameters(), context),
                reasoning: "random exploration".to_owned(),
            });
        }
        if self.random.next_below(5) == 0 {
            let mut decision = Decision::escalation("random escalation", self.pick(GENERIC_TEAMS));
            if let Some(team) = self.pick_entity(oncall_domain::ESCALATION_TEAM_KINDS) {
                decision = decision.with_team(team);
            }
            return Ok(decision.with_root_cause(self.random_root_cause(context)));
        }
        let kinds: Vec<RemediationKind> = RemediationKind::ALL
            .iter()
            .copied()
            .filter(|kind| *kind != RemediationKind::Other)
            .collect();
        let kind = self.pick_of(&kinds).unwrap_or(RemediationKind::Restart);
        let decision = Decision::mitigation(
            self.pick(GENERIC_MITIGATIONS),
            self.random.next_f64(),
            "random guess",
        )
        .with_root_cause(self.random_root_cause(context));
        if self.catalogue.is_empty() {
            return Ok(decision);
        }
        let target = self
            .pick_entity(kind.target_kinds())
            .unwrap_or_else(|| context.incident().service().to_owned());
        Ok(decision.with_actions(vec![ActionClaim::of(kind, target)]))
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        _context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        if tool_result.tool_name() == "services"
            && let Some(data) = tool_result.data()
        {
            self.catalogue = catalogue_entities(data);
        }
        Ok(Analysis::new(
            format!("looked at `{}`", tool_result.tool_name()),
            false,
        ))
    }
}
