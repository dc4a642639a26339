"""``tailwatch demo``: the daemon on a built-in collapsing (or healthy, or text) scenario."""

from __future__ import annotations

import argparse
import importlib.util
import sys
import threading
import time
from pathlib import Path

from monitor.commands.service import stop_on_signals
from monitor.daemon import Daemon, apply_umask, open_store
from monitor.demo import (
    CORPUS_BUDGET,
    TEXT_GENERATOR,
    TEXT_SHOWN,
    DemoScenario,
    TextDemoScenario,
)
from monitor.demo.progress import DemoProgress, print_tables
from monitor.demo.sequences import (
    CONTROL_GENERATOR,
    SEQUENCE_GENERATOR,
    SEQUENCE_SHOWN,
    SequenceDemoScenario,
)
from monitor.logs import LOG_FORMATS, configure_logging, structured_logs
from monitor.settings import load_settings
from monitor.status import KEY_METRICS

__all__ = ["add_arguments", "command_demo"]

EXIT_OK, EXIT_USAGE = 0, 2
FIRST_WAIT_SECONDS = 300.0  # the longest the second version waits for the first's measurement


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch demo``'s arguments."""
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("tailwatch-demo"),
        help="folder for the scenario's data, config and store (default: ./tailwatch-demo; "
        "a second run reuses what is there)",
    )
    parser.add_argument(
        "--scenario",
        choices=("collapse", "healthy", "text", "sequences"),
        default="collapse",
        help="collapse: a self-consuming tabular generator loses its tails and its corpus leaks; "
        "healthy: fresh real draws, a clean corpus (no alert should fire); text: a language "
        "model loses its rare words; sequences: a self-consuming sequence generator loses the "
        "order within its sequences beside a healthy control (default: collapse)",
    )
    parser.add_argument(
        "--generations", type=int, default=10, help="versions the generator publishes (default: 10)"
    )
    parser.add_argument(
        "--every",
        type=float,
        default=4.0,
        help="seconds between versions, counted from the first version's measurement (default: 4)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=2.0,
        help="the daemon's scan interval, seconds (default: 2)",
    )
    parser.add_argument(
        "--sample-size",
        type=int,
        default=2000,
        help="rows per version, and rows the daemon samples from each (default: 2000)",
    )
    parser.add_argument(
        "--port", type=int, default=9108, help="port of /metrics on 127.0.0.1 (default: 9108)"
    )
    parser.add_argument(
        "--exit-when-done",
        action="store_true",
        help="stop once every version and snapshot is measured and print the tables (default: "
        "serve /metrics until Ctrl-C)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        help="the daemon's log level: DEBUG, INFO, WARNING, ERROR (default: WARNING; the "
        "progress lines are printed whatever the level)",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="log lines as JSON objects or text (default: text on a terminal, else JSON)",
    )


Scenario = DemoScenario | TextDemoScenario | SequenceDemoScenario


def _demo_config(workdir: Path, scenario: Scenario, args: argparse.Namespace) -> Path:
    config = workdir / "tailwatch.toml"
    if isinstance(scenario, TextDemoScenario | SequenceDemoScenario):  # no corpora
        config.write_text(scenario.config(workdir, args.port, args.interval), encoding="utf-8")
        return config
    config.write_text(
        scenario.config(workdir, args.port, args.interval, args.sample_size), encoding="utf-8"
    )
    return config


def command_demo(args: argparse.Namespace) -> int:
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario: Scenario
    if args.scenario == "text":
        scenario = TextDemoScenario(workdir, rows=args.sample_size)
    elif args.scenario == "sequences":  # issue 28: a loop and its healthy control
        scenario = SequenceDemoScenario(workdir)
    else:
        scenario = DemoScenario(workdir, rows=args.sample_size, healthy=args.scenario == "healthy")
    if isinstance(scenario, TextDemoScenario) and importlib.util.find_spec("markovify") is None:
        print("tailwatch demo: the text scenario needs markovify: pip install 'tailwatch[text]'",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    if not scenario.reference_path.exists():
        say(f"Writing the {args.scenario} scenario's real reference and holdout into {workdir} ...")
    scenario.write_reference()
    scenario.versions_dir.mkdir(parents=True, exist_ok=True)
    scenario.corpus_dir.mkdir(parents=True, exist_ok=True)
    scenario.eval_dir.mkdir(parents=True, exist_ok=True)
    settings = load_settings(_demo_config(workdir, scenario, args))
    structured = structured_logs(args.log_format, default=not sys.stderr.isatty())
    configure_logging(args.log_level, structured=structured)
    apply_umask(settings)
    print(
        f"Tailwatch demo ({args.scenario}) in {workdir}: a generator publishes a new version every "
        f"{args.every:g} s ({args.generations} in all).\n"
        f"Metrics: http://127.0.0.1:{args.port}/metrics  status: tailwatch status --config "
        f"{workdir / 'tailwatch.toml'}\n"
        "Watch tailwatch_generator_coverage and _recall fall while _precision holds and "
        "_density climbs;\ntailwatch_generator_check_breach_versions counts versions in a row "
        "that breach a collapse check.\nCtrl-C stops the demo.",
        flush=True,
    )
    generator = TEXT_GENERATOR if isinstance(scenario, TextDemoScenario) else "demo-gan"
    if isinstance(scenario, SequenceDemoScenario):
        generator = SEQUENCE_GENERATOR
    compiling = _compiling()
    if compiling:
        say("Compiling the measuring kernels (first run only, cached afterwards): the first "
            "version takes longer; a line follows every measurement.")  # fmt: skip
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        stop_on_signals(daemon.stop)
        progress = DemoProgress(
            store,
            [(w.kind, w.name) for w in daemon.watches],
            thresholds=settings.thresholds_for,
            out=say,
            compiling=compiling,
        )

        failures: list[str] = []

        def publish() -> None:
            """Publish the versions; a failure is printed and stops the demo (never silent)."""
            try:
                publish_versions()
            except BaseException as error:  # SystemExit too: a thread would drop it silently
                failures.append(str(error) or type(error).__name__)
                print(f"tailwatch demo: publishing failed: {failures[-1]}", file=sys.stderr)
                daemon.stop.set()

        def publish_versions() -> None:
            generations = scenario.generations()
            published: list = []
            for index in range(args.generations):
                published.append(next(generations))
                name = f"gen-{index:03d}"
                if (scenario.versions_dir / f"{name}.parquet").exists():
                    continue
                if index == 1:  # versions paced from the first one's measurement (compiling)
                    deadline = time.monotonic() + FIRST_WAIT_SECONDS
                    while progress.measured("generator", generator) < 1:
                        if daemon.stop.wait(0.5) or time.monotonic() > deadline:
                            break
                if daemon.stop.wait(args.every if index else 0):
                    return
                scenario.write_version(index, published[-1])
                scenario.write_snapshot(published)
                progress.published.append(name)
                say(f"published {name} ({index + 1}/{args.generations})")
            if args.exit_when_done:
                while not daemon.stop.is_set():
                    done = all(
                        len(store.measured(watch.kind, watch.name)) >= args.generations
                        and watch.pending == 0
                        for watch in daemon.watches
                    )
                    if done:
                        daemon.stop.set()
                    time.sleep(0.5)

        publisher = threading.Thread(target=publish, name="demo-publisher", daemon=True)
        progress.start()
        publisher.start()
        try:
            daemon.run()
        finally:
            progress.stop()
    if failures:
        return EXIT_USAGE
    corpora = [c.name for c in settings.corpora]
    shown = TEXT_SHOWN if isinstance(scenario, TextDemoScenario) else KEY_METRICS
    if isinstance(scenario, SequenceDemoScenario):
        shown = SEQUENCE_SHOWN
    say()
    print_tables(settings.storage.path, generator, shown, corpora)
    if isinstance(scenario, SequenceDemoScenario):
        say()
        print_tables(settings.storage.path, CONTROL_GENERATOR, shown)
        say(
            "\nCollapse signature: demo-seq's autocorrelation difference from the reference "
            "grows version by version (temporal_structure_loss) while every column's "
            "distribution holds; demo-seq-control stays near its first version."
        )
    elif isinstance(scenario, TextDemoScenario):
        say(
            "\nCollapse signature: the vocabulary and the rare words' mass fall version by version."
        )
    else:
        say("\nCollapse signature: recall and coverage fall while precision holds and density "
            "climbs.")  # fmt: skip
    if corpora and args.scenario == "collapse":
        say("Leakage: from the second snapshot on, rows of the previous generation enter "
            "demo-corpus labelled human (unlabelled synthetic rows), and its synthetic share "
            f"outgrows the {CORPUS_BUDGET:.0%} budget; demo-eval stays human-only.")  # fmt: skip
    say(f"History: {settings.storage.path}")
    return EXIT_OK


def say(text: str = "") -> None:
    """One progress line on stdout, at once (the daemon's threads print too)."""
    print(text, flush=True)


def _compiling() -> bool:
    """True when the k-NN kernels are not in Numba's cache yet (their first run compiles)."""
    try:
        from monitor.kernel_cache import kernels_cached

        return not kernels_cached()
    except Exception:  # Numba internals moved: say nothing rather than fail the demo
        return False
