"""``tailwatch demo``: the daemon on a built-in collapsing (or healthy, or text) scenario."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

from monitor.commands.service import stop_on_signals
from monitor.daemon import Daemon, apply_umask, open_store
from monitor.demo import (
    TEXT_GENERATOR,
    TEXT_SHOWN,
    DemoScenario,
    TextDemoScenario,
)
from monitor.logs import LOG_FORMATS, configure_logging, structured_logs
from monitor.settings import Settings, load_settings
from monitor.status import KEY_METRICS
from monitor.store import figures_by_version, latest_level, open_history

__all__ = ["add_arguments", "command_demo"]

EXIT_OK = 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``tailwatch demo``'s arguments."""
    parser.add_argument("--workdir", type=Path, default=Path("tailwatch-demo"))
    parser.add_argument("--scenario", choices=("collapse", "healthy", "text"), default="collapse")
    parser.add_argument("--generations", type=int, default=10)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between versions")
    parser.add_argument("--interval", type=float, default=2.0, help="scan interval, seconds")
    parser.add_argument("--sample-size", type=int, default=2000)
    parser.add_argument("--port", type=int, default=9108)
    parser.add_argument("--exit-when-done", action="store_true")
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default=None,
        help="log lines as JSON objects or text (default: text on a terminal, else JSON)",
    )


def _demo_config(
    workdir: Path, scenario: DemoScenario | TextDemoScenario, args: argparse.Namespace
) -> Path:
    config = workdir / "tailwatch.toml"
    if isinstance(scenario, TextDemoScenario):  # one text generator, no corpora
        config.write_text(scenario.config(workdir, args.port, args.interval), encoding="utf-8")
        return config
    config.write_text(
        scenario.config(workdir, args.port, args.interval, args.sample_size), encoding="utf-8"
    )
    return config


def _print_table(
    settings: Settings, generator: str = "demo-gan", shown: tuple[str, ...] = KEY_METRICS
) -> None:
    store, _ = open_history(settings.storage.path)
    with store:
        history = store.history("generator", generator)
    if history.empty:
        print("No version measured yet.")
        return
    names = history.drop_duplicates("version_index").set_index("version_index")["version"]
    levels = latest_level(history, "healthy")
    print(f"{'version':<10}" + "".join(f"{n.removeprefix('text_')[:12]:>13}" for n in shown))
    print(f"{'healthy':<10}" + "".join(f"{levels.get(n, float('nan')):>13.3f}" for n in shown))
    for index, figures in figures_by_version(history, "reference").items():
        row = "".join(f"{figures.get(n, float('nan')):>13.3f}" for n in shown)
        print(f"{names[index]:<10}" + row)


def command_demo(args: argparse.Namespace) -> int:
    workdir = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scenario: DemoScenario | TextDemoScenario = (
        TextDemoScenario(workdir, rows=args.sample_size)
        if args.scenario == "text"
        else DemoScenario(workdir, rows=args.sample_size, healthy=args.scenario == "healthy")
    )
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
    with open_store(settings) as store:
        daemon = Daemon(settings, store)
        stop_on_signals(daemon.stop)

        def publish() -> None:
            generations = scenario.generations()
            published: list = []
            for index in range(args.generations):
                published.append(next(generations))
                if (scenario.versions_dir / f"gen-{index:03d}.parquet").exists():
                    continue
                if daemon.stop.wait(args.every if index else 0):
                    return
                scenario.write_version(index, published[-1])
                scenario.write_snapshot(published)
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
        publisher.start()
        daemon.run()
    if isinstance(scenario, TextDemoScenario):
        _print_table(settings, TEXT_GENERATOR, TEXT_SHOWN)
    else:
        _print_table(settings)
    print(
        "\nCollapse signature: recall and coverage fall while precision holds and density climbs."
        f"\nHistory: {settings.storage.path}"
    )
    return EXIT_OK
