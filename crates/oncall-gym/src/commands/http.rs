//! `oncall-gym serve --http` and `oncall-gym worker`: the product's side of
//! the server ([`LibraryGym`], which plans evals and makes runs exactly as
//! `eval` does), and the two commands.

use std::collections::{BTreeSet, HashMap};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use oncall_gym::agents::AgentChoice;
use oncall_gym::compare::compare;
use oncall_gym::eval::{EvalSettings, TrialRecord, run_trial};
use oncall_gym::library::ScenarioLibrary;
use oncall_gym::models::AgentFactory;
use oncall_gym::scorecard::{TrialScore, scorecard};
use oncall_gym::variants::VariantSource;
use oncall_protocol::ScenarioSource;
use oncall_server::{
    EvalRequest, Gym, Limits, PlannedEval, ServerConfig, ServerError, WorkerOptions,
};
use oncall_sim::{Difficulty, Scenario, check_scenario_name};
use oncall_store::{EvalRow, Job, PreparedRun, RunRow};
use oncall_tools::ToolRegistry;

use crate::cli::{ModelArgs, ServeArgs, WorkerArgs};
use crate::commands::eval::eval_settings;
use crate::commands::history::{eval_k, records_of};
use crate::commands::store::{self, prepare};
use crate::commands::{UsageError, models};
use crate::output;

/// The environment variable that gives `serve --http` its token.
const TOKEN_VARIABLE: &str = "ONCALL_GYM_TOKEN";

/// `serve --http`: until SIGTERM or SIGINT, then exit 0.
pub(crate) fn serve_http(
    library: ScenarioLibrary,
    arguments: &ServeArgs,
) -> anyhow::Result<ExitCode> {
    let Some(address) = arguments.http else {
        return Err(UsageError("serve needs --stdio or --http".to_owned()).into());
    };
    let token = arguments.token.clone().or_else(|| {
        std::env::var(TOKEN_VARIABLE)
            .ok()
            .filter(|token| !token.trim().is_empty())
    });
    let location = store::location(&arguments.store);
    let threads = match (arguments.workers, &location) {
        (Some(threads), _) => threads as usize,
        (None, Some(_)) => 1,
        (None, None) => 0,
    };
    let config = ServerConfig {
        address,
        token,
        store: location.clone(),
        workers: WorkerOptions {
            threads,
            lease: Duration::from_secs(arguments.lease_seconds),
            ..WorkerOptions::default()
        },
        limits: Limits {
            max_open_episodes: arguments.max_episodes as usize,
            episode_idle: Duration::from_secs(arguments.idle_timeout),
            ..Limits::default()
        },
    };
    let gym: Arc<dyn Gym> = Arc::new(LibraryGym::new(library));
    let summary = oncall_server::serve(config, gym, |bound| {
        let store = location.as_deref().map_or_else(
            || "no results store".to_owned(),
            |location| format!("results in {}", oncall_store::display_location(location)),
        );
        eprintln!(
            "oncall-gym serve: listening on http://{bound} (API under /v1, described at /v1/openapi.json); {}, {store}",
            output::count(threads as u64, "worker"),
        );
    })
    .map_err(server_error)?;
    eprintln!(
        "oncall-gym serve: stopped; {} made by its workers ({} failed), {} still open and closed",
        output::count(summary.runs_done, "run"),
        summary.runs_failed,
        output::count(summary.episodes_closed as u64, "episode"),
    );
    Ok(ExitCode::SUCCESS)
}

/// `worker`: until SIGTERM or SIGINT, then exit 0.
pub(crate) fn worker(library: ScenarioLibrary, arguments: &WorkerArgs) -> anyhow::Result<ExitCode> {
    let Some(location) = store::location(&arguments.store) else {
        return Err(UsageError(
            "a worker needs the results store its evals are queued in: give --db PATH_OR_URL"
                .to_owned(),
        )
        .into());
    };
    let options = WorkerOptions {
        threads: arguments.workers as usize,
        lease: Duration::from_secs(arguments.lease_seconds),
        ..WorkerOptions::default()
    };
    let gym: Arc<dyn Gym> = Arc::new(LibraryGym::new(library));
    let (done, failed) = oncall_server::run_workers(&location, gym, &options, |name| {
        eprintln!(
            "oncall-gym worker {name}: {} on {}",
            output::count(options.threads as u64, "thread"),
            oncall_store::display_location(&location)
        );
    })
    .map_err(server_error)?;
    eprintln!(
        "oncall-gym worker: stopped; {} made ({failed} failed)",
        output::count(done, "run")
    );
    Ok(ExitCode::SUCCESS)
}

/// A server error, as a usage error (exit 2) when the flags were wrong.
fn server_error(error: ServerError) -> anyhow::Error {
    match error {
        ServerError::TokenRequired { .. }
        | ServerError::WeakToken { .. }
        | ServerError::WorkersNeedStore => UsageError(error.to_string()).into(),
        other => other.into(),
    }
}

/// The library as the server's [`Gym`]: evals are planned and runs made as
/// `eval` plans and makes them, so a queued eval's runs are the runs `eval`
/// would have stored, seed for seed.
pub(crate) struct LibraryGym {
    library: ScenarioLibrary,
    /// Every scenario offered, listed (loading each) on first use: a
    /// worker or a report never needs it.
    listed: OnceLock<Vec<(String, Difficulty)>>,
    registry: Arc<ToolRegistry>,
    scenarios: Mutex<HashMap<String, Scenario>>,
    /// Each scenario's spec, read once for all its variant jobs.
    sources: Mutex<HashMap<String, VariantSource>>,
    agents: Mutex<HashMap<String, AgentFactory>>,
}

impl LibraryGym {
    pub(crate) fn new(library: ScenarioLibrary) -> LibraryGym {
        LibraryGym {
            library,
            listed: OnceLock::new(),
            registry: Arc::new(ToolRegistry::with_default_tools()),
            scenarios: Mutex::new(HashMap::new()),
            sources: Mutex::new(HashMap::new()),
            agents: Mutex::new(HashMap::new()),
        }
    }

    fn listed(&self) -> &[(String, Difficulty)] {
        self.listed.get_or_init(|| self.library.list())
    }

    /// The scenario, loaded once.
    fn scenario(&self, name: &str) -> Result<Scenario, String> {
        if let Some(scenario) = lock(&self.scenarios).get(name) {
            return Ok(scenario.clone());
        }
        check_scenario_name(name).map_err(|error| error.to_string())?;
        let scenario = ScenarioSource::load(&self.library, name)?;
        lock(&self.scenarios).insert(name.to_owned(), scenario.clone());
        Ok(scenario)
    }

    /// The spec `name`'s variants are rendered from, read once.
    fn variant_source(&self, name: &str) -> Result<VariantSource, String> {
        if let Some(source) = lock(&self.sources).get(name) {
            return Ok(source.clone());
        }
        let scenario = self.scenario(name)?;
        let source = VariantSource::of(&scenario).map_err(|error| error.to_string())?;
        lock(&self.sources).insert(name.to_owned(), source.clone());
        Ok(source)
    }

    /// The agent factory for `choice`, built once: a model's key, endpoint
    /// and defaults come from this process's environment.
    fn agent(&self, choice: &str) -> Result<AgentFactory, String> {
        if let Some(factory) = lock(&self.agents).get(choice) {
            return Ok(factory.clone());
        }
        let parsed: AgentChoice = choice.parse()?;
        let factory = models::agent_factory(&parsed, &ModelArgs::default(), None)
            .map_err(|error| format!("agent {choice}: {error:#}"))?;
        lock(&self.agents).insert(choice.to_owned(), factory.clone());
        Ok(factory)
    }
}

impl Gym for LibraryGym {
    fn scenarios(&self) -> Vec<(String, Difficulty)> {
        self.listed().to_vec()
    }

    fn load(&self, name: &str) -> Result<Scenario, String> {
        self.scenario(name)
    }

    fn plan_eval(&self, request: &EvalRequest) -> Result<PlannedEval, String> {
        let choice: AgentChoice = request.agent.parse()?;
        let names: Vec<String> = match &request.scenarios {
            Some(names) if names.is_empty() => {
                return Err(
                    "scenarios is empty: name at least one, or leave it out for every scenario"
                        .to_owned(),
                );
            }
            Some(names) => names.clone(),
            None => self.listed().iter().map(|(name, _)| name.clone()).collect(),
        };
        let mut seen = BTreeSet::new();
        for name in &names {
            if !seen.insert(name.as_str()) {
                return Err(format!("scenarios names `{name}` twice"));
            }
            self.scenario(name)
                .map_err(|error| format!("scenarios: {error}"))?;
        }
        if request.variants.is_some() {
            for name in &names {
                self.variant_source(name)
                    .map_err(|error| format!("variants: {error}"))?;
            }
        }
        let seed = request.seed.unwrap_or(0);
        let runs = request.trials.saturating_mul(request.variants.unwrap_or(1));
        let pairs = names
            .iter()
            .flat_map(|name| (0..runs).map(move |trial| (name.clone(), trial)))
            .collect();
        let ids: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut settings = eval_settings(
            &ids,
            request.trials,
            seed,
            request.max_steps,
            None,
            request.variants,
        );
        // The workers build the agent from its choice as written.
        if let Some(object) = settings.as_object_mut() {
            object.insert("agent".to_owned(), choice.to_string().into());
        }
        Ok(PlannedEval {
            agent: choice.to_string(),
            model: choice.model().map(ToString::to_string),
            settings,
            pairs,
        })
    }

    fn run_job(&self, job: &Job) -> Result<PreparedRun, String> {
        let setting = |name: &str| job.settings.get(name).and_then(serde_json::Value::as_u64);
        let choice = job
            .settings
            .get("agent")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&job.agent);
        let settings = EvalSettings {
            agent: self.agent(choice)?,
            trials: setting("trials")
                .and_then(|trials| u32::try_from(trials).ok())
                .unwrap_or(1),
            seed: setting("seed").unwrap_or(0),
            max_steps: setting("max_steps").and_then(|steps| u32::try_from(steps).ok()),
            max_cost: None,
            keep_audit: true,
            skip: BTreeSet::new(),
            validate_variants: true,
        };
        let scenario = self.scenario(&job.scenario)?;
        // With variants, trial `v * trials + t` runs on variant `v`, as
        // `eval --variants` numbers them.
        let variant = match setting("variants") {
            Some(_) => {
                let source = self.variant_source(&job.scenario)?;
                let variant = source.variant(settings.seed, job.trial / settings.trials.max(1));
                let rendered = source
                    .render_checked(variant, true)
                    .map_err(|error| error.to_string())?;
                Some((rendered, variant))
            }
            None => None,
        };
        let target = variant.as_ref().map_or(&scenario, |(rendered, _)| rendered);
        let (record, audit) = run_trial(target, job.trial, &settings, Arc::clone(&self.registry))
            .map_err(|error| error.to_string())?;
        let record = match variant {
            Some((_, variant)) => record.of_variant(variant),
            None => record,
        };
        Ok(prepare(Some(&job.eval_id), &record, audit.as_deref()))
    }

    fn scorecard(
        &self,
        eval: &EvalRow,
        runs: &[RunRow],
    ) -> Result<Option<serde_json::Value>, String> {
        let records = records_of(runs).map_err(|error| format!("{error:#}"))?;
        if records.is_empty() {
            return Ok(None);
        }
        let scores: Vec<TrialScore> = records.iter().map(TrialRecord::trial_score).collect();
        let k = eval_k(eval, &scores);
        let mut card =
            serde_json::to_value(scorecard(&scores, k)).map_err(|error| error.to_string())?;
        if let Some(object) = card.as_object_mut() {
            object.insert("k".to_owned(), serde_json::json!(k));
        }
        Ok(Some(card))
    }

    fn describe_scenario(&self, name: &str) -> Option<serde_json::Value> {
        self.scenario(name)
            .ok()
            .map(|scenario| scenario_view(&scenario))
    }

    fn scenario_answer(&self, name: &str) -> Option<serde_json::Value> {
        self.scenario(name)
            .ok()
            .map(|scenario| scenario_answer(&scenario))
    }

    fn compare(
        &self,
        a: &[RunRow],
        b: &[RunRow],
        resamples: u32,
    ) -> Result<serde_json::Value, String> {
        let a = records_of(a).map_err(|error| format!("{error:#}"))?;
        let b = records_of(b).map_err(|error| format!("{error:#}"))?;
        serde_json::to_value(compare(&a, &b, resamples)).map_err(|error| error.to_string())
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the library browser shows of a scenario before its answer: the
/// alert as an agent sees it, and its title, difficulty, category and tags.
pub(crate) fn scenario_view(scenario: &Scenario) -> serde_json::Value {
    serde_json::json!({
        "id": scenario.id(),
        "title": scenario.title(),
        "difficulty": scenario.difficulty().as_str(),
        "category": scenario.category().as_str(),
        "tags": scenario.tags(),
        "incident": scenario.incident_spec(),
    })
}

/// A scenario's answer, for a person: its summary and ground truth.
pub(crate) fn scenario_answer(scenario: &Scenario) -> serde_json::Value {
    serde_json::json!({
        "id": scenario.id(),
        "summary": scenario.summary(),
        "ground_truth": scenario.ground_truth(),
    })
}
