"""The CLI's bigger subcommands, one module each: ``check``, ``init``, ``validate``, ``verify``."""

from monitor.commands.check import DEFAULT_FAIL_ON, FINDINGS, report_findings
from monitor.commands.validate import command_validate, config_note

__all__ = ["DEFAULT_FAIL_ON", "FINDINGS", "command_validate", "config_note", "report_findings"]
