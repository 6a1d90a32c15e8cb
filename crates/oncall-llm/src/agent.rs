//! [`LlmAgent`]: an [`Agent`] whose every step is one model call.
//!
//! The engine asks for a decision, then for the analysis of the tool's
//! result. One model call answers both: the reply that reads step *n*'s
//! result gives its analysis (the `analysis` argument, or failing that the
//! reply's words) and, in its first tool call, step *n + 1*'s decision,
//! which the agent holds until the engine asks for it. So a run of *n*
//! steps makes about *n* model calls, and every call is reported through
//! [`Agent::take_model_calls`] for the audit log.
//!
//! The rules for replies, documented in the README:
//! - the first tool call of a reply is the step's action; any others are
//!   answered "not run" and the model is told why;
//! - a reply with no tool call gets one nudge; a second fails the step;
//! - arguments that are not a JSON object fail the step, and the model is
//!   told what was wrong; unknown tool names go to the registry, whose
//!   error the model reads like any result;
//! - provider errors that survive the retries end the run (`agent_error`),
//!   as does a conversation that no longer fits the context window; a
//!   spent token budget ends it as `budget_exhausted`.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use serde_json::{Value, json};

use oncall_domain::{Decision, ModelCall, ToolResult};
use oncall_engine::{
    Agent, AgentContext, AgentError, Analysis, HypothesisUpdate, MAX_AGENT_TEXT_BYTES,
    read_flat_analysis,
};
use oncall_tools::{ENDING_ACTIONS, ToolDefinition, decision_from_ending_call};

use crate::client::{CallContext, ModelClient};
use crate::prompt::{self, ANALYSIS_ARGUMENT};
use crate::wire::{Message, ModelReply, ToolCallRequest, cut};

/// The nudge sent after a reply with no tool call.
pub const NUDGE: &str = "Your reply called no tool. Every reply must call exactly one tool: a diagnostic tool to investigate, or propose_mitigation or escalate to end.";

/// What the model is told after its second reply without a tool call.
pub const NO_CALL_TWICE: &str =
    "Your last two replies called no tool, so that step failed and is used up. Call a tool now.";

/// What an LLM run measured outside the log: wall-clock latency and
/// attempts. Shared with whoever reports on the run.
#[derive(Debug, Default)]
pub struct LlmRunStats {
    latency_micros: AtomicU64,
    attempts: AtomicU32,
}

impl LlmRunStats {
    /// The total wall-clock latency of the model calls, in milliseconds.
    pub fn latency_ms(&self) -> f64 {
        self.latency_micros.load(Ordering::Relaxed) as f64 / 1000.0
    }

    /// The HTTP attempts made, retries included (0 when replayed).
    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::Relaxed)
    }
}

/// An agent that asks a model what to do.
#[derive(Debug)]
pub struct LlmAgent {
    name: String,
    client: Arc<ModelClient>,
    seed: u64,
    messages: Vec<Message>,
    tools: Vec<ToolDefinition>,
    /// The decision (or the step's failure) the last reply gave.
    prepared: Option<Result<Decision, AgentError>>,
    /// The tool call whose result is awaited.
    open_call: Option<ToolCallRequest>,
    /// Notes for the model, given with the next tool result.
    notes: Vec<String>,
    /// The hypothesis the last analysis should have left, to tell the model
    /// when the engine refused it.
    expected: Option<Expected>,
    unreported: Vec<ModelCall>,
    tokens_used: u64,
    stats: Arc<LlmRunStats>,
    transcript: Option<PathBuf>,
}

impl LlmAgent {
    /// An agent for one run with this seed (which keys its cassette
    /// entries). Its name is `provider:model`.
    pub fn new(client: Arc<ModelClient>, seed: u64) -> LlmAgent {
        LlmAgent {
            name: client.settings().spec.to_string(),
            client,
            seed,
            messages: Vec::new(),
            tools: Vec::new(),
            prepared: None,
            open_call: None,
            notes: Vec::new(),
            expected: None,
            unreported: Vec::new(),
            tokens_used: 0,
            stats: Arc::new(LlmRunStats::default()),
            transcript: None,
        }
    }

    /// The same agent, writing its whole conversation to `path` as JSON
    /// after every model call.
    pub fn with_transcript(self, path: PathBuf) -> LlmAgent {
        LlmAgent {
            transcript: Some(path),
            ..self
        }
    }

    /// Its latency and attempt counts, shared.
    pub fn stats(&self) -> Arc<LlmRunStats> {
        Arc::clone(&self.stats)
    }

    /// The conversation so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// Calls the model, nudging once if the reply has no tool call, and
    /// reads the reply: its words, its `analysis`, and the next decision.
    fn converse(&mut self, context: &AgentContext<'_>) -> Result<Reading, AgentError> {
        let reply = self.call(context)?;
        self.push_reply(&reply);
        let (reply, words) = if reply.tool_calls.is_empty() {
            self.messages.push(Message::User {
                content: NUDGE.to_owned(),
            });
            let again = self.call(context)?;
            self.push_reply(&again);
            let words = join_words(&reply.text, &again.text);
            if again.tool_calls.is_empty() {
                // The next call must not continue the model's own turn.
                self.messages.push(Message::User {
                    content: NO_CALL_TWICE.to_owned(),
                });
                return Ok(Reading {
                    text: words,
                    analysis: None,
                    decision: Err(AgentError::step_failed(
                        "the model replied twice without calling a tool",
                    )),
                });
            }
            (again, words)
        } else {
            let words = reply.text.clone();
            (reply, words)
        };
        for extra in reply.tool_calls.iter().skip(1) {
            self.answer(extra, "Not run: only the first tool call of a reply is carried out, one per step. Call it again in your next reply if you still need it.", true);
        }
        let Some(first) = reply.tool_calls.first() else {
            return Err(AgentError::new("the reply lost its tool call"));
        };
        Ok(self.read_call(first, &words))
    }

    /// One model call: the budget is checked first, and the call is
    /// reported, counted and written to the transcript.
    fn call(&mut self, context: &AgentContext<'_>) -> Result<ModelReply, AgentError> {
        if let Some(budget) = self.client.settings().max_tokens_per_run
            && self.tokens_used >= budget
        {
            return Err(AgentError::budget_exhausted(format!(
                "the run used {} tokens of its {budget} (--max-tokens-per-run)",
                self.tokens_used
            )));
        }
        if self.tools.is_empty() {
            self.tools = prompt::model_tools(context.tools());
        }
        let call_context = CallContext {
            seed: self.seed,
            step: context.step_number(),
        };
        let completed = self
            .client
            .complete(&self.messages, &self.tools, call_context)
            .map_err(|error| AgentError::new(format!("{}: {error}", self.name)))?;
        let reply = completed.reply;
        self.stats.latency_micros.fetch_add(
            u64::try_from(completed.latency.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        self.stats
            .attempts
            .fetch_add(completed.attempts, Ordering::Relaxed);
        self.tokens_used = self
            .tokens_used
            .saturating_add(reply.input_tokens)
            .saturating_add(reply.output_tokens);
        let model = if reply.model.trim().is_empty() {
            self.client.settings().spec.model().to_owned()
        } else {
            cut_chars(&reply.model, oncall_domain::MAX_MODEL_NAME_BYTES)
        };
        let stop_reason = cut_chars(&reply.stop_reason, oncall_domain::MAX_STOP_REASON_BYTES);
        let call = ModelCall::new(
            model,
            reply.input_tokens,
            reply.output_tokens,
            reply.cached_tokens,
            stop_reason,
        )
        .map_err(|error| {
            AgentError::new(format!(
                "{}: the reply's usage is not valid: {error}",
                self.name
            ))
        })?;
        self.unreported.push(call);
        Ok(reply)
    }

    fn push_reply(&mut self, reply: &ModelReply) {
        self.messages.push(Message::Assistant {
            text: cut(&reply.text, MAX_AGENT_TEXT_BYTES / 2),
            tool_calls: reply.tool_calls.clone(),
        });
        self.write_transcript();
    }

    /// Answers a tool call in the conversation.
    fn answer(&mut self, call: &ToolCallRequest, content: &str, is_error: bool) {
        self.messages.push(Message::Tool {
            call_id: call.id.clone(),
            name: call.name.clone(),
            content: content.to_owned(),
            is_error,
        });
    }

    /// The decision and analysis one tool call carries.
    fn read_call(&mut self, call: &ToolCallRequest, text: &str) -> Reading {
        let reasoning = cut(text.trim(), MAX_AGENT_TEXT_BYTES / 2);
        let mut arguments = match serde_json::from_str::<Value>(&call.arguments) {
            Ok(Value::Object(arguments)) => arguments,
            Ok(other) => {
                let problem = format!(
                    "the arguments of `{}` must be a JSON object, got {}",
                    call.name,
                    oncall_tools::json_type(&other)
                );
                return self.refuse(call, text, problem);
            }
            Err(error) => {
                let problem = format!(
                    "the arguments of `{}` are not valid JSON: {error}",
                    call.name
                );
                return self.refuse(call, text, problem);
            }
        };
        let analysis = arguments
            .remove(ANALYSIS_ARGUMENT)
            .filter(|value| !value.is_null());
        let decision = if ENDING_ACTIONS.contains(&call.name.as_str()) {
            match decision_from_ending_call(&call.name, &Value::Object(arguments)) {
                Ok(decision) => with_reasoning(decision, &reasoning),
                Err(problem) => return self.refuse(call, text, problem),
            }
        } else {
            Decision::CallTool {
                tool_name: call.name.clone(),
                params: arguments,
                reasoning,
            }
        };
        self.open_call = Some(call.clone());
        Reading {
            text: text.to_owned(),
            analysis,
            decision: Ok(decision),
        }
    }

    /// A call that cannot be carried out: answered with the problem, and
    /// the step fails with it.
    fn refuse(&mut self, call: &ToolCallRequest, text: &str, problem: String) -> Reading {
        let problem = cut(&problem, MAX_NOTE_BYTES);
        self.answer(call, &format!("Not run: {problem}"), true);
        Reading {
            text: text.to_owned(),
            analysis: None,
            decision: Err(AgentError::step_failed(problem)),
        }
    }

    fn write_transcript(&self) {
        let Some(path) = &self.transcript else {
            return;
        };
        let document = json!({
            "agent": self.name,
            "seed": self.seed,
            "messages": self.messages,
        });
        // A transcript is a debugging aid: failing to write one must not
        // change the run, whose log is the record.
        if let Ok(text) = serde_json::to_string_pretty(&document) {
            let _ = std::fs::write(path, text);
        }
    }
}

impl Agent for LlmAgent {
    fn name(&self) -> &str {
        &self.name
    }

    fn decide_next_action(&mut self, context: &AgentContext<'_>) -> Result<Decision, AgentError> {
        if let Some(prepared) = self.prepared.take() {
            return prepared;
        }
        if let Some(call) = self.open_call.take() {
            // The last call got no result: the engine refused it (arguments
            // over its limits, an ending action it could not accept).
            self.answer(&call, "Not run: the step failed (check the arguments against the tool's schema: an ending action needs a confidence from 0 to 1 and a mitigation or actions, and arguments are capped at 16 KiB).", true);
        }
        if self.messages.is_empty() {
            self.messages.push(Message::System {
                content: prompt::system_prompt(),
            });
            self.messages.push(Message::User {
                content: prompt::incident_message(context),
            });
        }
        self.converse(context)?.decision
    }

    fn analyze_result(
        &mut self,
        tool_result: &ToolResult,
        context: &AgentContext<'_>,
    ) -> Result<Analysis, AgentError> {
        let mut notes = std::mem::take(&mut self.notes);
        if let Some(expected) = self.expected.take()
            && !expected.holds(context.hypothesis())
        {
            notes.push(HYPOTHESIS_REFUSED.to_owned());
        }
        // The reply to this result chooses the next step: the steps left
        // after it are one fewer than after this one.
        let after_next = context.steps_remaining().saturating_sub(1);
        let content = prompt::render_result(tool_result, &notes, after_next);
        if let Some(call) = self.open_call.take() {
            self.answer(&call, &content, !tool_result.is_success());
        }
        let reading = self.converse(context)?;
        self.prepared = Some(reading.decision);
        let Some(analysis) = reading.analysis else {
            let summary = reading.text.trim();
            let summary = if summary.is_empty() {
                "(the model gave no analysis of this result)".to_owned()
            } else {
                cut(summary, MAX_AGENT_TEXT_BYTES / 2)
            };
            return Ok(Analysis::new(summary, false));
        };
        let Value::Object(fields) = analysis else {
            let problem = "the `analysis` argument must be an object or null".to_owned();
            self.notes
                .push(format!("your last `analysis` was refused: {problem}"));
            return Err(AgentError::step_failed(problem));
        };
        match read_flat_analysis(&fields, "the `analysis` argument")
            .and_then(|flat| flat.into_analysis(context.hypothesis()))
        {
            Ok(analysis) => {
                self.expected = Expected::of(&analysis);
                Ok(analysis)
            }
            Err(problem) => {
                let problem = cut(&problem, MAX_NOTE_BYTES);
                self.notes
                    .push(format!("your last `analysis` was refused: {problem}"));
                Err(AgentError::step_failed(problem))
            }
        }
    }

    fn take_model_calls(&mut self) -> Vec<ModelCall> {
        std::mem::take(&mut self.unreported)
    }
}

/// The most bytes of a problem told to the model (and of a step's
/// failure reason that quotes it).
const MAX_NOTE_BYTES: usize = 1024;

/// What the model is told when its hypothesis change was not recorded.
const HYPOTHESIS_REFUSED: &str = "your last hypothesis change was not recorded: the engine refused it (a confidence must be from 0 to 1; a status moves investigating -> supported or refuted, supported -> actionable or refuted; actionable needs a proposed_mitigation).";

/// The hypothesis an analysis should leave behind.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    statement: Option<String>,
    confidence: Option<f64>,
    status: Option<oncall_domain::HypothesisStatus>,
}

impl Expected {
    fn of(analysis: &Analysis) -> Option<Expected> {
        match analysis.hypothesis_update.as_ref()? {
            HypothesisUpdate::Create {
                statement,
                confidence,
                ..
            } => Some(Expected {
                statement: Some(statement.clone()),
                confidence: Some(*confidence),
                status: None,
            }),
            HypothesisUpdate::Revise {
                statement,
                confidence,
                status,
                ..
            } => Some(Expected {
                statement: statement.clone(),
                confidence: *confidence,
                status: *status,
            }),
        }
    }

    /// Whether `current` is what the update asked for.
    fn holds(&self, current: Option<&oncall_domain::Hypothesis>) -> bool {
        let Some(current) = current else {
            return false;
        };
        self.statement
            .as_deref()
            .is_none_or(|s| s == current.statement())
            && self
                .confidence
                .is_none_or(|c| c == current.confidence().value())
            && self.status.is_none_or(|status| status == current.status())
    }
}

/// What one reply said.
#[derive(Debug)]
struct Reading {
    text: String,
    analysis: Option<Value>,
    decision: Result<Decision, AgentError>,
}

/// An ending decision with the reply's words as its reasoning when the
/// model gave none in the arguments.
fn with_reasoning(decision: Decision, words: &str) -> Decision {
    match decision {
        Decision::ProposeMitigation {
            mitigation,
            confidence,
            reasoning,
            root_cause,
            actions,
        } => Decision::ProposeMitigation {
            mitigation,
            confidence,
            reasoning: if reasoning.trim().is_empty() {
                words.to_owned()
            } else {
                reasoning
            },
            root_cause,
            actions,
        },
        other => other,
    }
}

fn join_words(first: &str, second: &str) -> String {
    match (first.trim().is_empty(), second.trim().is_empty()) {
        (true, _) => second.to_owned(),
        (_, true) => first.to_owned(),
        _ => format!("{}\n{}", first.trim_end(), second.trim_start()),
    }
}

/// `text` cut on a character boundary to at most `limit` bytes, unmarked.
fn cut_chars(text: &str, limit: usize) -> String {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}
