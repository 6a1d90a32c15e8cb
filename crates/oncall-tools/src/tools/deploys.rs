//! The `deploys` tool: recent deploys, newest first.

use oncall_domain::ToolError;
use serde_json::{Value, json};

use crate::context::ToolContext;
use crate::error::ToolExecutionError;
use crate::params::ValidatedParams;
use crate::source::{DataSource, DeployQuery};
use crate::tool::{Tool, ToolOutput};
use crate::tools::{
    object_schema, resolve_limit, resolve_service, resolve_window, truncation,
    window_and_limit_problems, window_properties,
};

/// The window when none is given, in minutes before the incident time (one
/// day: deploys are sparse and a bad one may have gone out hours earlier).
pub const DEPLOYS_DEFAULT_WINDOW_MINUTES: i64 = 1_440;
/// How many deploys come back when `limit` is not given (never more than
/// [`ToolLimits::max_deploys`](crate::ToolLimits::max_deploys)).
pub const DEPLOYS_DEFAULT_LIMIT: usize = 20;

const DESCRIPTION: &str = "List deploys before the incident, newest first: recent changes are the usual suspects. Filters: `service` (default: all services) and a time window over the deploy time (`last_minutes`, or `start`/`end` in RFC 3339, edges inclusive; default: the last 1440 minutes, one day, before the incident). Nothing after the incident time is ever returned. \
Returns {\"window\": {\"start\", \"end\"}, \"deploys\": [{\"id\", \"service\", \"version\", \"previous_version\"?, \"deployed_at\", \"author\"?, \"change_summary\"?, \"status\"}], \"matched\": N, \"returned\": M}; status is one of in_progress, succeeded, failed, rolled_back. At most `limit` deploys (default 20, cap 50) come back, the most recent ones. Text longer than 1000 characters is cut and marked \"… [cut N chars]\".";

/// The `deploys` tool. See its description for parameters and output.
#[derive(Debug, Clone)]
pub struct DeploysTool {
    schema: Value,
}

impl DeploysTool {
    /// The tool, with its schema.
    pub fn new() -> DeploysTool {
        let [start, end, last_minutes] = window_properties(DEPLOYS_DEFAULT_WINDOW_MINUTES);
        let schema = object_schema(vec![
            (
                "service",
                json!({
                    "type": ["string", "null"],
                    "description": "Only this service's deploys, e.g. \"checkout\". Null for all services."
                }),
            ),
            start,
            end,
            last_minutes,
            (
                "limit",
                json!({
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "The most deploys to return, at most 50. Default: 20."
                }),
            ),
        ]);
        DeploysTool { schema }
    }
}

impl Default for DeploysTool {
    fn default() -> DeploysTool {
        DeploysTool::new()
    }
}

impl Tool for DeploysTool {
    fn name(&self) -> &str {
        "deploys"
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
        context: &ToolContext<'_>,
    ) -> Vec<ToolError> {
        let limit = (
            DEPLOYS_DEFAULT_LIMIT,
            context.limits().max_deploys(),
            "deploys",
        );
        window_and_limit_problems(params, context, DEPLOYS_DEFAULT_WINDOW_MINUTES, Some(limit))
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        let window = resolve_window(params, context.now(), DEPLOYS_DEFAULT_WINDOW_MINUTES)
            .map_err(ToolExecutionError::InvalidParameters)?;
        let limit = resolve_limit(
            params,
            DEPLOYS_DEFAULT_LIMIT,
            context.limits().max_deploys(),
            "deploys",
        )
        .map_err(|error| ToolExecutionError::InvalidParameters(vec![error]))?;
        let service = match params.string("service") {
            Some(service) => Some(resolve_service(source, service)?),
            None => None,
        };
        let page = source.deploys(&DeployQuery {
            service: service.as_deref(),
            window,
            limit,
        })?;
        let deploys: Vec<Value> = page
            .deploys
            .iter()
            .filter(|deploy| window.contains(deploy.deployed_at()))
            .take(limit)
            .map(|deploy| serde_json::to_value(deploy.bounded(context.limits())))
            .collect::<Result<_, _>>()?;
        let returned = deploys.len();
        let data = json!({
            "window": window.to_json(),
            "deploys": deploys,
            "matched": page.matched,
            "returned": returned,
        });
        Ok(ToolOutput::new(
            data,
            truncation("deploys", page.matched, returned, limit),
        ))
    }
}

#[cfg(test)]
mod tests;
