"""The web UI in a real browser: headless Chromium (Debian's, at
``/usr/bin/chromium``, or ``$ONCALL_GYM_CHROMIUM``) driven by Playwright,
against ``oncall-gym serve --http`` on a seeded store with two evals and an
imported run whose agent wrote HTML, and against the static report opened
from a ``file://`` URL with the network cut off.

Screenshots go to ``$ONCALL_GYM_SCREENSHOTS`` (else a directory under
pytest's temporary directory); the run's summary line names it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Iterator, List

import pytest
from conftest import HttpServer
from oncall_gym import Client

from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

CHROMIUM = os.environ.get("ONCALL_GYM_CHROMIUM", "/usr/bin/chromium")
SCENARIOS = ["latency_spike", "orders_deploy_errors", "ledger_db_disk_full"]
#: What an agent may write: it must show as text and never run.
HOSTILE = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'


class Store:
    """A results store with two evals (random, then heuristic) and one
    imported run whose decisions hold HTML."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.path = directory / "results.db"
        for agent in ("random", "heuristic"):
            subprocess.run(
                [binary, "eval", *SCENARIOS, "--agent", agent, "--trials", "2", "--db", str(self.path)],
                check=True,
                capture_output=True,
            )
        listed = subprocess.run(
            [binary, "evals", "list", "--json", "--db", str(self.path)],
            check=True,
            capture_output=True,
            text=True,
        )
        evals = json.loads(listed.stdout)
        self.heuristic = next(item["id"] for item in evals if item["agent"] == "heuristic")
        self.random = next(item["id"] for item in evals if item["agent"] == "random")
        audit = directory / "hostile.jsonl"
        with Client(binary) as client:
            episode = client.reset("latency_spike", seed=1, agent="hostile", audit=audit)["episode"]
            client.step(
                episode,
                {"action": "call_tool", "tool_name": "deploys", "params": {}, "reasoning": HOSTILE},
            )
            client.step(
                episode,
                {"action": "escalate", "reason": HOSTILE, "target": "the <i>database</i> team"},
                analysis={"summary": HOSTILE, "significant": True},
            )
            client.close_episode(episode)
        subprocess.run([binary, "import", str(audit), "--db", str(self.path)], check=True, capture_output=True)


class Served(HttpServer):
    """The server of the seeded store, with no workers."""

    def __init__(self, binary: str, store: Path) -> None:
        super().__init__(binary, "--db", str(store), "--workers", "0")
        self.store = store

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path) as answer:
            return json.load(answer)

    def post(self, path: str, body: Any) -> Any:
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)



@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = Path(os.environ.get("ONCALL_GYM_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    # conftest's terminal summary names it, captured output or not.
    os.environ["ONCALL_GYM_SCREENSHOTS_WRITTEN"] = str(directory)
    return directory


@pytest.fixture(scope="module")
def store(binary: str, tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(binary, tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def served(binary: str, store: Store) -> Iterator[Served]:
    server = Served(binary, store.path)
    yield server
    assert server.stop() == 0


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run does)", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield launched
        launched.close()


class Tab:
    """A page that keeps every console error and uncaught exception."""

    def __init__(self, browser: Browser, width: int = 1366) -> None:
        self.page: Page = browser.new_page(viewport={"width": width, "height": 900})
        self.errors: List[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def open(self, url: str, ready: str) -> Page:
        self.page.goto(url)
        self.page.wait_for_selector(ready)
        return self.page


def heading(page: Page) -> str:
    return page.locator("h1").first.inner_text()


def test_evals_scorecard_comparison_and_run_pages(
    browser: Browser, served: Served, store: Store, screenshots: Path
) -> None:
    tab = Tab(browser)
    page = tab.open(served.url + "/#/evals", "table#evals tbody tr")
    ids = page.locator("table#evals tbody tr").evaluate_all("rows => rows.map(row => row.dataset.eval)")
    assert store.heuristic in ids and store.random in ids
    page.wait_for_function("() => !document.querySelector('table#evals').innerText.includes('…')")
    page.screenshot(path=str(screenshots / "evals.png"))

    page = tab.open(f"{served.url}/#/evals/{store.heuristic}", "table#scorecard tbody tr")
    assert heading(page) == f"Eval {store.heuristic[:8]}"
    scenarios = page.locator("table#scorecard tbody tr").evaluate_all("rows => rows.map(row => row.dataset.scenario)")
    assert scenarios == sorted(SCENARIOS)
    view = served.get(f"/v1/evals/{store.heuristic}")
    scores = {row["id"]: row["mean_score"] for row in view["scorecard"]["scenarios"]}
    page.get_by_role("button", name="Mean score").click()
    page.get_by_role("button", name="Mean score").click()
    after = page.locator("table#scorecard tbody tr").evaluate_all("rows => rows.map(row => row.dataset.scenario)")
    assert after == sorted(SCENARIOS, key=lambda scenario: -scores[scenario])
    assert page.locator('th[data-key="mean_score"]').get_attribute("aria-sort") == "descending"
    assert page.locator("table#runs tbody tr").count() == 2 * len(SCENARIOS)
    page.screenshot(path=str(screenshots / "scorecard.png"))

    page = tab.open(f"{served.url}/#/compare?a={store.random}&b={store.heuristic}", "table#comparison tbody tr")
    comparison = served.get(f"/v1/compare?a={store.random}&b={store.heuristic}")
    assert page.locator("table#comparison tbody tr").count() == len(SCENARIOS) + 1
    passing = page.locator("tr.newly-passing").evaluate_all("rows => rows.map(row => row.dataset.scenario)")
    assert passing == comparison["newly_passing"] and passing, comparison
    page.screenshot(path=str(screenshots / "compare.png"))

    runs = served.get(f"/v1/runs?eval={store.heuristic}&scenario=latency_spike")["runs"]
    run = runs[0]
    record = served.get(f"/v1/runs/{run['run_id']}?eval={store.heuristic}")["record"]
    answer = served.get("/v1/scenarios/latency_spike/answer")
    page = tab.open(f"{served.url}/#/runs/{run['run_id']}?eval={store.heuristic}", "ol#timeline")
    assert page.locator("ol#timeline > li").count() == run["steps"]
    assert page.locator("#chart svg path.line").get_attribute("d").startswith("M")
    assert page.locator("#chart svg circle").count() >= 2
    verdict = page.locator("#verdict").inner_text()
    assert ("passed" if record["score"]["passed"] else "failed") in verdict
    assert page.locator("#mitigation-verdict").inner_text() == record["score"]["mitigation"]
    found = page.locator("#evidence-found").inner_text()
    assert found == (", ".join(record["score"]["evidence"]["ids"]) or "none")
    missed = page.locator("#evidence-missed").inner_text()
    assert missed == (", ".join(record["score"]["evidence"]["missing"]) or "none")
    assert "verified" in page.locator("#chain").inner_text()
    assert run["head_hash"] in page.locator("#chain").inner_text()
    truth = page.locator("#ground-truth").inner_text()
    assert answer["ground_truth"]["root_cause"]["statement"] in truth
    page.locator("ol#timeline details").first.click()
    page.screenshot(path=str(screenshots / "run.png"), full_page=True)
    assert tab.errors == []

    narrow = Tab(browser, width=800)
    narrow.open(f"{served.url}/#/evals/{store.heuristic}", "table#scorecard")
    narrow.page.screenshot(path=str(screenshots / "scorecard-narrow.png"))
    assert narrow.errors == []


def test_a_scenario_hides_its_answer_until_asked(browser: Browser, served: Served, screenshots: Path) -> None:
    answer = served.get("/v1/scenarios/latency_spike/answer")
    tab = Tab(browser)
    page = tab.open(served.url + "/#/scenarios", "table#scenarios tbody tr")
    assert "latency_spike" in page.locator("table#scenarios").inner_text()
    page.get_by_role("link", name="latency_spike").click()
    page.wait_for_selector("#reveal")
    content = page.content()
    assert answer["summary"] not in content
    assert answer["ground_truth"]["root_cause"]["statement"] not in content
    assert "checkout p99 latency" in page.locator("main").inner_text()
    page.get_by_role("button", name="Show the answer").click()
    page.wait_for_selector("#answer #ground-truth")
    assert answer["ground_truth"]["root_cause"]["statement"] in page.locator("#answer").inner_text()
    page.screenshot(path=str(screenshots / "scenario.png"), full_page=True)
    assert tab.errors == []


def test_text_from_an_agent_is_shown_as_text_and_never_runs(browser: Browser, served: Served) -> None:
    runs = served.get("/v1/runs?agent=hostile")["runs"]
    assert len(runs) == 1
    tab = Tab(browser)
    page = tab.open(f"{served.url}/#/runs/{runs[0]['run_id']}", "ol#timeline")
    assert page.evaluate("() => window.pwned") is None
    text = page.locator("main").inner_text()
    assert HOSTILE in text
    assert page.locator("main img").count() == 0
    assert page.locator("main script").count() == 0
    assert page.locator("main b").count() == 0
    assert tab.errors == []


def test_unknown_ids_get_a_not_found_page(browser: Browser, served: Served) -> None:
    for route, says in [
        ("#/runs/ffffffff", "no run"),
        ("#/evals/ffffffff", "no eval"),
        ("#/scenarios/no_such_scenario", "no_such_scenario"),
        ("#/nothing/here", "no such page"),
        ("#/evals/%E0", "no such page"),
    ]:
        # A new tab each time, so that no earlier page can answer for it.
        tab = Tab(browser)
        page = tab.open(f"{served.url}/{route}", "[role=alert]")
        assert heading(page) == "Not found", route
        assert says in page.locator("[role=alert]").inner_text(), route
        # The only console errors are the browser's own notes of the 404s.
        assert all("404" in error for error in tab.errors), tab.errors
        tab.page.close()


def test_a_run_without_an_audit_log_still_has_its_page(
    binary: str, browser: Browser, served: Served, tmp_path: Path
) -> None:
    lines = tmp_path / "runs.jsonl"
    subprocess.run(
        [binary, "eval", "latency_spike", "--no-db", "--out", str(lines)], check=True, capture_output=True
    )
    imported = subprocess.run(
        [binary, "import", str(lines), "--db", str(served.store)], check=True, capture_output=True, text=True
    )
    eval_id = re.search(r"eval ([0-9a-f-]{36})", imported.stderr)
    assert eval_id, imported.stderr
    runs = served.get(f"/v1/runs?eval={eval_id.group(1)}")["runs"]
    tab = Tab(browser)
    page = tab.open(f"{served.url}/#/runs/{runs[0]['run_id']}?eval={eval_id.group(1)}", "#verdict")
    assert "no audit log" in page.locator("#chain").inner_text()
    assert "no audit log" in page.locator("#timeline").inner_text()
    assert page.locator("#ground-truth").inner_text() != ""
    assert all("404" in error for error in tab.errors), tab.errors


def test_the_report_opens_from_disk_with_no_server_and_no_network(
    binary: str, browser: Browser, store: Store, tmp_path: Path, screenshots: Path
) -> None:
    report = tmp_path / "report.html"
    made = subprocess.run(
        [binary, "report", store.heuristic[:8], "--out", str(report), "--db", str(store.path)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    assert "6 runs" in made.stderr
    tab = Tab(browser)
    requested: List[str] = []
    tab.page.route(re.compile(r"^(https?|wss?)://"), lambda route: (requested.append(route.request.url), route.abort()))
    page = tab.open(report.as_uri(), "table#scorecard tbody tr")
    assert heading(page) == f"Eval {store.heuristic[:8]}"
    assert page.locator("table#scorecard tbody tr").count() == len(SCENARIOS)
    page.screenshot(path=str(screenshots / "report.png"))
    page.locator("table#runs a").first.click()
    page.wait_for_selector("ol#timeline > li")
    assert page.locator("#chart svg path.line").count() == 1
    assert "verified" in page.locator("#chain").inner_text()
    assert page.locator("#ground-truth").inner_text() != ""
    page.get_by_role("link", name="Scenarios").click()
    page.wait_for_selector("table#scenarios tbody tr")
    assert page.locator("table#scenarios tbody tr").count() == len(SCENARIOS)
    assert requested == []
    assert tab.errors == []
    refused = subprocess.run(
        [binary, "report", "ffffffff", "--out", str(tmp_path / "no.html"), "--db", str(store.path)],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "ffffffff" in refused.stderr
    assert not (tmp_path / "no.html").exists()


def test_a_running_eval_shows_its_progress_live(
    binary: str, browser: Browser, served: Served, store: Store, screenshots: Path
) -> None:
    queued = served.post("/v1/evals", {"agent": "heuristic", "scenarios": ["latency_spike"], "trials": 3, "seed": 2})
    eval_id = queued["id"]
    row = f'tr[data-eval="{eval_id}"]'
    tab = Tab(browser)
    page = tab.open(served.url + "/#/evals", row)
    # The first event, before any worker runs: queued, nothing done.
    page.wait_for_function(f"() => document.querySelector('{row}').innerText.includes('queued 0/3')")
    page.screenshot(path=str(screenshots / "evals-live.png"))
    worker = subprocess.Popen(
        [binary, "worker", "--db", str(store.path)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # No reload: the row changes as the events arrive.
        page.wait_for_function(
            f"() => document.querySelector('{row}').innerText.includes('completed 3/3')", timeout=60_000
        )
    finally:
        worker.terminate()
        assert worker.wait(timeout=60) == 0
    assert "3" in page.locator(row).locator("td").nth(5).inner_text()
    assert tab.errors == []
