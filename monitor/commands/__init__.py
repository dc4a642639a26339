"""The CLI's subcommands, one module each, imported only when their command runs.

``service`` (run, scan), ``history`` (status, report, restore, prune), ``demo``, ``check``,
``init``, ``validate``, ``verify``. :mod:`monitor.cli` names them by module path, so
``tailwatch --help`` and ``--version`` import none of them (nor numpy, pandas or DuckDB).
"""
