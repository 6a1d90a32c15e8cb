//! The MCP server: rmcp's [`ServerHandler`] over one [`McpEpisode`], and
//! [`serve_stdio`], which runs it until the client goes away and then
//! closes the episode.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, GetPromptResult, Implementation, ListPromptsResult, ListToolsResult,
    PaginatedRequestParams, Prompt, PromptMessage, Role, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};

use crate::episode::{CLIENT_LEFT, McpEpisode};
use crate::error::McpError;
use crate::render::Answer;
use crate::tools::{INCIDENT, RECORD_OBSERVATION, mcp_tool_definitions};
use crate::transport::{LineTransport, MAX_MESSAGE_BYTES, TransportCounters, spawn_writer};
use oncall_tools::ENDING_ACTIONS;

/// The prompt that gives the alert and how to work.
pub const INVESTIGATE_PROMPT: &str = "investigate";

/// What a session with a client came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServeSummary {
    /// Messages read from the client and handed to the server.
    pub messages: u64,
    /// Lines refused with a JSON-RPC error by the transport (not JSON, too
    /// long, not a message), or ignored (bad notifications).
    pub refused: u64,
    /// Tool calls answered (errors included).
    pub tool_calls: u64,
    /// Why the session ended early, when the client broke the lifecycle
    /// (for example, a first message that was not `initialize`).
    pub ended_early: Option<String>,
}

/// Serves `episode` on stdin and stdout until the client closes stdin, then
/// closes the episode (judging it, completing its audit log) if it has not
/// ended. Builds its own single-threaded runtime.
pub fn serve_stdio(episode: McpEpisode) -> Result<ServeSummary, McpError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()
        .map_err(McpError::Runtime)?;
    // When stdin and stdout are pipes (as MCP clients launch servers), read
    // and write them on the runtime's own reactor rather than handing each
    // read to a blocking thread; otherwise, the blocking handles.
    let summary = runtime.block_on(async {
        let (read, write) = rmcp::transport::stdio_pipes();
        serve(episode, read, write).await
    });
    // A read of stdin may still be blocked on its thread (when the client
    // broke off the session with stdin open): do not wait for it.
    runtime.shutdown_background();
    summary
}

/// How long the answers still queued at the end may take to be written
/// (a client that stopped reading would otherwise hold the server forever).
const FLUSH_GRACE: Duration = Duration::from_secs(5);

/// Serves `episode` over `read` and `write`, one JSON-RPC message per line,
/// until `read` ends; then closes the episode. It must run on a
/// current-thread runtime, so that calls are carried out in the order they
/// arrive (rmcp spawns a task per request).
pub(crate) async fn serve<R, W>(
    episode: McpEpisode,
    read: R,
    write: W,
) -> Result<ServeSummary, McpError>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let counters = Arc::new(TransportCounters::default());
    let server = IncidentServer::new(episode);
    let episode = Arc::clone(&server.episode);
    let tool_calls = Arc::clone(&server.tool_calls);
    let (outbox, writer) = spawn_writer(write);
    let transport = LineTransport::new(read, outbox, MAX_MESSAGE_BYTES, Arc::clone(&counters));
    let ended_early = match rmcp::serve_server(server, transport).await {
        Ok(running) => match running.waiting().await {
            Ok(_) => None,
            Err(error) => Some(format!("the server stopped: {error}")),
        },
        Err(error) => Some(error.to_string()),
    };
    // However the session ended, the episode is judged and its log closed.
    let reason = match &ended_early {
        Some(why) => format!("the MCP session broke off: {why}"),
        None => CLIENT_LEFT.to_owned(),
    };
    episode
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .close_because(&reason);
    // The transport is gone, so the writer stops once it has written what
    // is queued; a client that no longer reads gets a bounded wait.
    let abort = writer.abort_handle();
    if tokio::time::timeout(FLUSH_GRACE, writer).await.is_err() {
        abort.abort();
    }
    Ok(ServeSummary {
        messages: counters.messages.load(Ordering::Relaxed),
        refused: counters.refused.load(Ordering::Relaxed),
        tool_calls: tool_calls.load(Ordering::Relaxed),
        ended_early,
    })
}

/// The handler rmcp calls: the episode behind one lock, and what is fixed
/// for the session (the tool list and the instructions).
#[derive(Debug, Clone)]
struct IncidentServer {
    episode: Arc<Mutex<McpEpisode>>,
    tools: Arc<[Tool]>,
    instructions: Arc<str>,
    tool_calls: Arc<AtomicU64>,
}

impl IncidentServer {
    fn new(episode: McpEpisode) -> IncidentServer {
        let tools: Vec<Tool> = mcp_tool_definitions()
            .iter()
            .filter_map(|definition| {
                let Value::Object(schema) = definition.parameters().clone() else {
                    return None;
                };
                let name = definition.name().to_owned();
                let annotations = annotations(&name);
                let mut tool = Tool::new(name, definition.description().to_owned(), schema);
                tool.annotations = Some(annotations);
                Some(tool)
            })
            .collect();
        IncidentServer {
            instructions: Arc::from(episode.instructions()),
            episode: Arc::new(Mutex::new(episode)),
            tools: Arc::from(tools),
            tool_calls: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// Hints for clients: the diagnostic tools and `incident` only read (but
/// each diagnostic call takes a step, so none is idempotent); the ending
/// actions end the episode.
fn annotations(name: &str) -> ToolAnnotations {
    let ending = ENDING_ACTIONS.contains(&name);
    let reads = !ending && name != RECORD_OBSERVATION;
    ToolAnnotations::from_raw(
        None,
        Some(reads),
        Some(ending),
        Some(name == INCIDENT),
        Some(false),
    )
}

impl ServerHandler for IncidentServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_prompts()
                .enable_tools()
                .build(),
        )
        .with_server_info(Implementation::new("oncall-gym", env!("CARGO_PKG_VERSION")))
        .with_instructions(self.instructions.to_string())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.tools.to_vec()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = request.arguments.unwrap_or_default();
        let answer = self
            .episode
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .call_tool(&request.name, &arguments);
        let Some(answer) = answer else {
            let names: Vec<&str> = self.tools.iter().map(|tool| tool.name.as_ref()).collect();
            return Err(ErrorData::invalid_params(
                format!("Unknown tool: {}", request.name),
                Some(json!({"tools": names})),
            ));
        };
        self.tool_calls.fetch_add(1, Ordering::Relaxed);
        Ok(CallToolResponse::Complete(tool_result(answer)))
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(vec![Prompt::new(
            INVESTIGATE_PROMPT,
            Some("Investigate the incident: the alert, and how to work with the tools"),
            None,
        )]))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        if request.name != INVESTIGATE_PROMPT {
            return Err(ErrorData::invalid_params(
                format!(
                    "Unknown prompt: {} (the one prompt is `{INVESTIGATE_PROMPT}`)",
                    request.name
                ),
                None,
            ));
        }
        if request
            .arguments
            .as_ref()
            .is_some_and(|arguments| !arguments.is_empty())
        {
            return Err(ErrorData::invalid_params(
                format!("`{INVESTIGATE_PROMPT}` takes no arguments"),
                None,
            ));
        }
        Ok(GetPromptResponse::Complete(
            GetPromptResult::new(vec![PromptMessage::new_text(
                Role::User,
                self.instructions.to_string(),
            )])
            .with_description("The incident to investigate"),
        ))
    }
}

/// An answer as MCP's tool result.
fn tool_result(answer: Answer) -> CallToolResult {
    let content = vec![ContentBlock::text(answer.text)];
    let mut result = if answer.is_error {
        CallToolResult::error(content)
    } else {
        CallToolResult::success(content)
    };
    result.structured_content = Some(answer.structured);
    result
}
