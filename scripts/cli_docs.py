"""Write docs/cli.md from the Typer app: each command's usage, options and the JSON it prints."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer.main

from enlist.cli import app

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "cli.md"
JSON_MARK = "With --json:"
COMMON = ("--json", "--database-url")  # on (nearly) every command: told once, in the preamble

PREAMBLE = """\
# The `enlist` command

<!-- Generated from src/enlist/cli/ by ./scripts/docs; tests/test_docs.py fails when this
file is out of date. Change a command's help there, then run ./scripts/docs. -->

Operators and scripts drive Enlist through this command; the HTTP side is in
[http.md](http.md).

`pip install -e .` at the repository root installs the package `enlist` and the console
command `enlist` (Python 3.11+).

Every command:

- takes `--database-url URL` (or `ENLIST_DATABASE_URL`): a SQLAlchemy URL. The default is an
  embedded SQLite file, `enlist.db` in the working directory;
  `postgresql+psycopg://USER@HOST:PORT/DB` works the same way. The other settings are
  `ENLIST_*` environment variables (the README lists them).
- creates or upgrades the schema as needed (Alembic migrations), so it is safe to run against
  an empty or an older database.
- with `--json`, prints exactly one JSON object on stdout and nothing else, and exits 0; when
  it fails (an unknown id, an unverified domain, a duplicate name, ...) it exits non-zero with
  a one-line reason on stderr and prints nothing on stdout. The JSON below shows each key
  with an example value; scripts can rely on the keys.
"""


def commands() -> Iterator[tuple[list[str], Any]]:
    """(path, command) of every command: the groups' commands first, then the single ones."""
    root: Any = typer.main.get_command(app)
    entries = list(root.commands.items())
    for name, group in entries:
        if hasattr(group, "commands"):
            for sub_name, command in group.commands.items():
                yield [name, sub_name], command
    for name, command in entries:
        if not hasattr(command, "commands"):
            yield [name], command


def _paragraphs(command: Any) -> list[str]:
    text = command.help or ""
    return [" ".join(p.split()) for p in text.split("\n\n") if p.strip()]


def documented_json(command: Any) -> dict[str, Any] | None:
    """The example JSON object a command's help shows after "With --json:"."""
    for paragraph in _paragraphs(command):
        if paragraph.startswith(JSON_MARK):
            found: dict[str, Any] = json.loads(paragraph.removeprefix(JSON_MARK))
            return found
    return None


def _name(param: Any) -> str:
    if param.param_type_name == "argument":
        return str(param.metavar or param.name.upper())
    if param.is_flag:
        return str(param.opts[0])
    if not param.metavar:
        raise SystemExit(f"{param.opts[0]} needs a metavar (e.g. metavar='ID') to be documented")
    return f"{param.opts[0]} {param.metavar}"


def _synopsis(path: list[str], command: Any) -> str:
    words = ["enlist", *path]
    for param in command.params:
        if param.name == "help":
            continue
        words.append(_name(param) if param.required else f"[{_name(param)}]")
    return " ".join(words)


def _options_table(command: Any) -> list[str]:
    rows = []
    for param in command.params:
        if param.name == "help" or (param.opts and param.opts[0] in COMMON):
            continue
        meaning = (getattr(param, "help", None) or "").replace("|", "\\|")
        if param.required:
            default = "required"
        elif param.param_type_name == "option" and param.is_flag:
            default = "off"
        else:
            default = "" if param.default is None else f"`{param.default}`"
        rows.append(f"| `{_name(param)}` | {meaning} | {default} |")
    if not rows:
        return []
    return ["| argument or option | meaning | default |", "| --- | --- | --- |", *rows, ""]


def _section(path: list[str], command: Any) -> list[str]:
    name = " ".join(["enlist", *path])
    lines = [f"### `{name}`", ""]
    lines += [f"{p}\n" for p in _paragraphs(command) if not p.startswith(JSON_MARK)]
    lines += ["```sh", _synopsis(path, command), "```", ""]
    lines += _options_table(command)
    takes_json = any(p.opts and p.opts[0] == "--json" for p in command.params)
    documented = documented_json(command)
    if takes_json and documented is None:
        raise SystemExit(f"`{name}` takes --json: say what it prints ({JSON_MARK} {{...}})")
    if documented is not None:
        example = json.dumps(documented, indent=2, ensure_ascii=False)
        lines += ["With `--json` it prints:", "", "```json", example, "```", ""]
    elif not takes_json:
        lines += ["It prints no JSON.", ""]
    return lines


def render() -> str:
    """The whole of docs/cli.md."""
    root: Any = typer.main.get_command(app)
    lines = [PREAMBLE, "## Commands", "", "| command | what it does |", "| --- | --- |"]
    found = list(commands())
    for path, command in found:
        name = " ".join(["enlist", *path])
        anchor = name.replace(" ", "-")
        summary = _paragraphs(command)[0] if _paragraphs(command) else ""
        lines.append(f"| [`{name}`](#{anchor}) | {summary} |")
    lines.append("")
    group = None
    for path, command in found:
        if len(path) > 1 and path[0] != group:
            group = path[0]
            lines += [f"## `enlist {group}`: {root.commands[group].help}", ""]
        elif len(path) == 1 and group != "":
            group = ""
            lines += ["## Other commands", ""]
        lines += _section(path, command)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run ./scripts/docs", file=sys.stderr)
            return 1
        return 0
    TARGET.parent.mkdir(exist_ok=True)
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
