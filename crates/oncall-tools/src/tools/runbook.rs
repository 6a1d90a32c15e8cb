//! The `runbook` tool: search runbooks by service and keywords, ranked, or
//! fetch one by id.

use std::collections::BTreeSet;

use oncall_domain::ToolError;
use serde_json::{Value, json};

use crate::context::{ToolContext, ToolLimits};
use crate::error::ToolExecutionError;
use crate::params::{ValidatedParams, preview};
use crate::records::{Runbook, cut_text};
use crate::source::DataSource;
use crate::tool::{Tool, ToolOutput};
use crate::tools::{list_names, object_schema, resolve_limit, truncation};

/// How many results come back when `limit` is not given (never more than
/// [`ToolLimits::max_runbook_results`](crate::ToolLimits::max_runbook_results)).
pub const RUNBOOK_DEFAULT_LIMIT: usize = 5;
/// The most search terms taken from `keywords`; the rest are ignored.
pub const RUNBOOK_MAX_TERMS: usize = 32;

/// Score for a runbook that names the searched service.
const SERVICE_SCORE: u32 = 5;
/// Score for a runbook that names no service (it applies to any).
const ANY_SERVICE_SCORE: u32 = 1;
/// Score per term found among the runbook's keywords.
const KEYWORD_SCORE: u32 = 3;
/// Score per term found in the title (and not among the keywords).
const TITLE_SCORE: u32 = 2;
/// Score per term found only in a step.
const STEP_SCORE: u32 = 1;

const DESCRIPTION: &str = "Find the runbook for a problem, or read one. Search with `service` and/or `keywords` (symptoms or terms, e.g. \"connection pool timeout\"); results are ranked by relevance: +5 if the runbook names the service (+1 if it applies to any service), and per search term +3 if it is one of the runbook's keywords, else +2 if in the title, else +1 if in a step. Returns {\"results\": [{\"id\", \"title\", \"services\", \"keywords\", \"score\", \"reasons\": [..]}], \"matched\": N, \"returned\": M}, best first, without steps; with neither service nor keywords, lists every runbook. \
Fetch one with `runbook_id` (alone) to get its steps: {\"runbook\": {\"id\", \"title\", \"services\", \"keywords\", \"steps\"}}; at most the first 50 steps come back, and a \"note\" says when there are more. \
Text longer than 1000 characters is cut and marked \"… [cut N chars]\"; a runbook shows at most 50 services and 50 keywords, then \"… [cut N items]\".";

/// The `runbook` tool. See its description for parameters and output.
#[derive(Debug, Clone)]
pub struct RunbookTool {
    schema: Value,
}

impl RunbookTool {
    /// The tool, with its schema.
    pub fn new() -> RunbookTool {
        let schema = object_schema(vec![
            (
                "runbook_id",
                json!({
                    "type": ["string", "null"],
                    "description": "Fetch this runbook, with its steps, by id (from a search result). Not with `service` or `keywords`."
                }),
            ),
            (
                "service",
                json!({
                    "type": ["string", "null"],
                    "description": "Search for runbooks about this service, e.g. \"checkout\"."
                }),
            ),
            (
                "keywords",
                json!({
                    "type": ["string", "null"],
                    "description": "Search terms: symptoms, components or errors, separated by spaces or commas, e.g. \"connection pool exhausted timeout\"."
                }),
            ),
            (
                "limit",
                json!({
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "description": "The most search results to return, at most 10. Default: 5."
                }),
            ),
        ]);
        RunbookTool { schema }
    }
}

impl Default for RunbookTool {
    fn default() -> RunbookTool {
        RunbookTool::new()
    }
}

impl Tool for RunbookTool {
    fn name(&self) -> &str {
        "runbook"
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
        let mut errors = Vec::new();
        if params.string("runbook_id").is_some()
            && (params.string("service").is_some() || params.string("keywords").is_some())
        {
            errors.push(ToolError::parameter(
                "runbook_id",
                "give either `runbook_id` (to fetch one) or `service`/`keywords` (to search), not both",
            ));
        }
        let cap = context.limits().max_runbook_results();
        errors.extend(resolve_limit(params, RUNBOOK_DEFAULT_LIMIT, cap, "runbooks").err());
        errors
    }

    fn execute(
        &self,
        params: &ValidatedParams,
        context: &ToolContext<'_>,
        source: &dyn DataSource,
    ) -> Result<ToolOutput, ToolExecutionError> {
        let problems = self.check_parameters(params, context);
        if !problems.is_empty() {
            return Err(ToolExecutionError::InvalidParameters(problems));
        }
        let limits = context.limits();
        if let Some(id) = params.string("runbook_id") {
            return fetch(source, id, limits);
        }
        let cap = limits.max_runbook_results();
        let limit = resolve_limit(params, RUNBOOK_DEFAULT_LIMIT, cap, "runbooks")
            .map_err(|error| ToolExecutionError::InvalidParameters(vec![error]))?;
        let ranked = rank_runbooks(
            source.runbooks()?,
            params.string("service"),
            params.string("keywords").unwrap_or(""),
        );
        let matched = u64::try_from(ranked.len()).unwrap_or(u64::MAX);
        let results: Vec<Value> = ranked
            .iter()
            .take(limit)
            .map(|ranked| {
                let runbook = ranked.runbook.bounded(limits);
                let reasons: Vec<_> = ranked
                    .reasons
                    .iter()
                    .map(|reason| cut_text(reason, limits.max_field_chars()))
                    .collect();
                json!({
                    "id": runbook.id(),
                    "title": runbook.title(),
                    "services": runbook.services(),
                    "keywords": runbook.keywords(),
                    "score": ranked.score,
                    "reasons": reasons,
                })
            })
            .collect();
        let returned = results.len();
        let data = json!({"results": results, "matched": matched, "returned": returned});
        Ok(ToolOutput::new(
            data,
            truncation("runbooks", matched, returned, limit),
        ))
    }
}

/// The runbook `id` (exact, then case-insensitive), fit to `limits`; when
/// it has more than [`ToolLimits::max_runbook_steps`] steps, the first ones
/// come back with a note and a truncation report.
fn fetch(
    source: &dyn DataSource,
    id: &str,
    limits: &ToolLimits,
) -> Result<ToolOutput, ToolExecutionError> {
    let wanted = id.trim();
    let runbook = match source.runbook(wanted)? {
        Some(runbook) => Some(runbook),
        None => source
            .runbooks()?
            .iter()
            .find(|runbook| runbook.id().eq_ignore_ascii_case(wanted)),
    };
    let Some(runbook) = runbook else {
        return Err(ToolExecutionError::NotFound {
            parameter: "runbook_id".to_owned(),
            message: format!(
                "no runbook with id `{}`; known ids: {}",
                preview(id),
                list_names(source.runbooks()?.iter().map(Runbook::id))
            ),
        });
    };
    let bounded = runbook.bounded(limits);
    let total = runbook.steps().len();
    let returned = bounded.steps().len();
    let mut data = json!({ "runbook": serde_json::to_value(bounded)? });
    let truncation = truncation(
        "steps",
        u64::try_from(total).unwrap_or(u64::MAX),
        returned,
        limits.max_runbook_steps(),
    );
    if truncation.is_some() {
        data["note"] = json!(format!("showing the first {returned} of {total} steps"));
    }
    Ok(ToolOutput::new(data, truncation))
}

/// One search result: a runbook, its score and why it matched.
#[derive(Debug, Clone, PartialEq)]
pub struct RankedRunbook<'r> {
    /// The runbook.
    pub runbook: &'r Runbook,
    /// Its relevance; higher is better.
    pub score: u32,
    /// Why it scored, e.g. "service `checkout`", "keyword `pool`".
    pub reasons: Vec<String>,
}

/// Ranks `runbooks` for a search by `service` (matched case-insensitively)
/// and the terms of `keywords` (split on anything but letters, digits, `-`
/// and `_`; case-insensitive; a trailing plural `s` ignored). Scores are as
/// the tool's description says. With neither, every runbook is listed with
/// score 0; otherwise runbooks scoring 0 are left out. Best first, then by
/// id.
pub fn rank_runbooks<'r>(
    runbooks: &'r [Runbook],
    service: Option<&str>,
    keywords: &str,
) -> Vec<RankedRunbook<'r>> {
    let terms: Vec<String> = tokens(keywords)
        .into_iter()
        .take(RUNBOOK_MAX_TERMS)
        .collect();
    let service = service.map(str::trim).filter(|service| !service.is_empty());
    let mut ranked: Vec<RankedRunbook<'r>> = runbooks
        .iter()
        .map(|runbook| score(runbook, service, &terms))
        .filter(|ranked| ranked.score > 0 || (service.is_none() && terms.is_empty()))
        .collect();
    ranked.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.runbook.id().cmp(b.runbook.id()))
    });
    ranked
}

fn score<'r>(runbook: &'r Runbook, service: Option<&str>, terms: &[String]) -> RankedRunbook<'r> {
    let mut score = 0;
    let mut reasons = Vec::new();
    if let Some(service) = service {
        if runbook
            .services()
            .iter()
            .any(|named| named.eq_ignore_ascii_case(service))
        {
            score += SERVICE_SCORE;
            reasons.push(format!("service `{}`", preview(service)));
        } else if runbook.services().is_empty() {
            score += ANY_SERVICE_SCORE;
            reasons.push("applies to any service".to_owned());
        }
    }
    let keyword_tokens: BTreeSet<String> = runbook
        .keywords()
        .iter()
        .flat_map(|keyword| tokens(keyword))
        .collect();
    let title_tokens: BTreeSet<String> = tokens(runbook.title()).into_iter().collect();
    let step_tokens: BTreeSet<String> = runbook
        .steps()
        .iter()
        .flat_map(|step| tokens(step))
        .collect();
    for term in terms {
        if keyword_tokens.contains(term) {
            score += KEYWORD_SCORE;
            reasons.push(format!("keyword `{term}`"));
        } else if title_tokens.contains(term) {
            score += TITLE_SCORE;
            reasons.push(format!("title mentions `{term}`"));
        } else if step_tokens.contains(term) {
            score += STEP_SCORE;
            reasons.push(format!("a step mentions `{term}`"));
        }
    }
    RankedRunbook {
        runbook,
        score,
        reasons,
    }
}

/// Lowercase words of `text`, without duplicates, in order of appearance;
/// a trailing `s` is dropped from words longer than 3 characters.
fn tokens(text: &str) -> Vec<String> {
    let mut seen = BTreeSet::new();
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .filter(|word| !word.is_empty())
        .map(|word| {
            let word = word.to_lowercase();
            match word.strip_suffix('s') {
                Some(stem) if word.chars().count() > 3 => stem.to_owned(),
                _ => word,
            }
        })
        .filter(|word| seen.insert(word.clone()))
        .collect()
}

#[cfg(test)]
mod tests;
