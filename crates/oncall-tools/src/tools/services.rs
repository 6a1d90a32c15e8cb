//! The `services` tool: the service catalogue, whole or around one name.

use oncall_domain::ToolError;
use serde_json::{Map, Value, json};

use crate::context::{ToolContext, ToolLimits};
use crate::error::ToolExecutionError;
use crate::params::ValidatedParams;
use crate::records::{CATALOGUE_SECTIONS, CatalogueEntry, ServiceCatalogue, cut_list, cut_text};
use crate::source::DataSource;
use crate::tool::{Tool, ToolOutput};
use crate::tools::{object_schema, truncation};

const DESCRIPTION: &str = "The service catalogue: what exists and who owns it. Open it first. Sections: `services` (name, owner `team`, `depends_on` services and providers, `hosts`, `datastores`), `providers` (external; `used_by`, `contact`), `teams` (who to escalate to; `contact`), `feature_flags` (`service`, `team`), `jobs` (scheduled and batch jobs: `service`, `team`, `schedule`), `dns_records` (`zone`, `team`), `certificates` (`service`, `team`) and `queues` (`team`, `producers`, `consumers`); every entry may have a `description` and `aliases` (other names for it). Entity names are unique: use them as the `target` of a proposed action and the `team` of an escalation. \
Filters: `section` (one section; default all) and `name` (only the entries that are, or that mention, this name, ignoring case: \"checkout\" gives checkout's entry, its flags, jobs and certificates, and whatever depends on it). \
Returns {\"services\": [..], \"providers\": [..], ... (the sections asked for, each a list), \"matched\": N, \"returned\": M, \"note\"?}. At most 200 entries come back, in section order; text longer than 1000 characters is cut and marked \"… [cut N chars]\", and a list inside an entry shows at most 50 items, then \"… [cut N items]\".";

/// The `services` tool. See its description for parameters and output.
#[derive(Debug, Clone)]
pub struct ServicesTool {
    schema: Value,
}

impl ServicesTool {
    /// The tool, with its schema.
    pub fn new() -> ServicesTool {
        let mut sections: Vec<Value> = CATALOGUE_SECTIONS
            .iter()
            .map(|(name, _)| json!(name))
            .collect();
        sections.push(Value::Null);
        let schema = object_schema(vec![
            (
                "section",
                json!({
                    "type": ["string", "null"],
                    "enum": sections,
                    "description": "Only this section of the catalogue. Null for every section."
                }),
            ),
            (
                "name",
                json!({
                    "type": ["string", "null"],
                    "description": "Only the entries that are, or that mention, this name (a service, team, provider, host, flag, ...), ignoring case. Null for every entry."
                }),
            ),
        ]);
        ServicesTool { schema }
    }
}

impl Default for ServicesTool {
    fn default() -> ServicesTool {
        ServicesTool::new()
    }
}

impl Tool for ServicesTool {
    fn name(&self) -> &str {
        "services"
    }

    fn description(&self) -> &str {
        DESCRIPTION
    }

    fn parameters_schema(&self) -> &Value {
        &self.schema
    }

    fn check_parameters(
        &self,
        params: &ValidatedParams,
        _context: &ToolContext<'_>,
    ) -> Vec<ToolError> {
        match params.string("name") {
            Some(name) if name.trim().is_empty() => vec![ToolError::parameter(
                "name",
                "must not be empty or whitespace; leave it out (null) for every entry",
            )],
            _ => Vec::new(),
        }
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        let section = params.string("section");
        let name = params.string("name").map(str::trim);
        let fallback;
        let (catalogue, note) = match source.catalogue()? {
            Some(catalogue) => (catalogue, None),
            None => {
                fallback = telemetry_catalogue(source)?;
                (
                    &fallback,
                    Some(
                        "this environment has no service catalogue: the services listed are those with telemetry, without owners or dependencies",
                    ),
                )
            }
        };
        let limits = context.limits();
        let cap = limits.max_catalogue_entries();
        let mut data = Map::new();
        let mut matched = 0usize;
        let mut returned = 0usize;
        for (section_name, _, entries) in catalogue.sections() {
            if section.is_some_and(|wanted| wanted != section_name) {
                continue;
            }
            let mut listed = Vec::new();
            for entry in entries
                .iter()
                .filter(|entry| name.is_none_or(|name| concerns(entry, name)))
            {
                matched += 1;
                if returned < cap {
                    returned += 1;
                    listed.push(bounded(entry, limits)?);
                }
            }
            data.insert(section_name.to_owned(), Value::Array(listed));
        }
        data.insert("matched".to_owned(), json!(matched));
        data.insert("returned".to_owned(), json!(returned));
        if let Some(note) = note {
            data.insert("note".to_owned(), json!(note));
        }
        Ok(ToolOutput::new(
            Value::Object(data),
            truncation("entries", matched as u64, returned, cap),
        ))
    }
}

/// Whether `entry` is, or mentions, `name` (ignoring ASCII case).
fn concerns(entry: &CatalogueEntry, name: &str) -> bool {
    let same = |other: &str| other.eq_ignore_ascii_case(name);
    same(entry.name())
        || entry.aliases().iter().any(|alias| same(alias))
        || entry.related_names().any(same)
}

/// The entry as JSON, every text cut to the field cap and every list to the
/// list cap.
fn bounded(entry: &CatalogueEntry, limits: &ToolLimits) -> Result<Value, ToolExecutionError> {
    let Value::Object(fields) = serde_json::to_value(entry)? else {
        return Ok(Value::Null);
    };
    let fields = fields
        .into_iter()
        .map(|(key, value)| {
            let value = match value {
                Value::String(text) => {
                    json!(cut_text(&text, limits.max_field_chars()))
                }
                Value::Array(items) => {
                    let texts: Vec<String> = items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect();
                    json!(cut_list(
                        &texts,
                        limits.max_list_items(),
                        limits.max_field_chars()
                    ))
                }
                other => other,
            };
            (key, value)
        })
        .collect();
    Ok(Value::Object(fields))
}

/// A catalogue of bare services, from the source's telemetry, for sources
/// without one.
fn telemetry_catalogue(source: &dyn DataSource) -> Result<ServiceCatalogue, ToolExecutionError> {
    let services: Vec<Value> = source
        .services()?
        .into_iter()
        .map(|name| json!({"name": name}))
        .collect();
    // Names from telemetry are distinct and non-blank; should two differ
    // only in case, the catalogue is refused and the listing is empty.
    Ok(serde_json::from_value(json!({"services": services})).unwrap_or_default())
}

#[cfg(test)]
mod tests;
