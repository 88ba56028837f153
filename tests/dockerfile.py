"""A small reader of Dockerfiles and .dockerignore files, for tests/test_dockerfile.py.

That test runs the build stage's own commands outside a container and serves the runtime's
ENTRYPOINT, so it needs the instructions as Docker reads them: continuations joined, exec and
shell forms told apart, stages, COPY's flags, ENV, ARG and LABEL pairs. It reads only what the
gateway's Dockerfile uses, and raises ValueError on what it does not read (heredocs, FROM
flags) instead of guessing.
"""

from __future__ import annotations

import json
import posixpath
import re
import shlex
from dataclasses import dataclass, field

SHELL = ["/bin/sh", "-c"]  # Docker's default SHELL on Linux


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case
    value: str  # the arguments, continuation lines joined
    line: int  # where the instruction starts

    def is_exec_form(self) -> bool:
        return self.value.startswith("[")

    def words(self) -> list[str]:
        """The arguments: a JSON array's items in exec form, else shell-like words."""
        if self.is_exec_form():
            parsed = json.loads(self.value)
            if not (isinstance(parsed, list) and all(isinstance(w, str) for w in parsed)):
                raise ValueError(f"line {self.line}: {self.keyword} is not a JSON string array")
            return parsed
        return shlex.split(self.value)

    def options(self) -> tuple[dict[str, str], list[str]]:
        """The leading ``--name=value`` flags (COPY --from, HEALTHCHECK --interval) and the
        words after them."""
        flags: dict[str, str] = {}
        words = shlex.split(self.value)
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        return flags, words

    def command(self) -> list[str]:
        """What RUN, CMD or ENTRYPOINT execute: exec form as is, shell form through the shell;
        for HEALTHCHECK, its CMD."""
        value = self.value
        if self.keyword == "HEALTHCHECK":
            value = re.sub(r"^(?:--\S+\s+)*", "", value)
            kind, _, value = value.partition(" ")
            if kind.upper() != "CMD":
                raise ValueError(f"line {self.line}: HEALTHCHECK {kind} runs no command")
            value = value.strip()
        elif self.keyword not in ("RUN", "CMD", "ENTRYPOINT"):
            raise ValueError(f"line {self.line}: {self.keyword} runs no command")
        form = Instruction(self.keyword, value, self.line)
        return form.words() if form.is_exec_form() else [*SHELL, value]

    def pairs(self) -> dict[str, str]:
        """ENV, ARG or LABEL as name to value (ARG without a default gives ""); values keep
        their ``$VAR`` references."""
        words = shlex.split(self.value)
        if self.keyword == "ENV" and words and "=" not in words[0]:
            if len(words) < 2:
                raise ValueError(f"line {self.line}: ENV {words[0]} has no value")
            return {words[0]: self.value.split(None, 1)[1]}  # the legacy `ENV NAME value`
        found = {}
        for word in words:
            name, sep, value = word.partition("=")
            if not sep and self.keyword != "ARG":
                raise ValueError(f"line {self.line}: {self.keyword} wants NAME=value")
            found[name] = value
        return found


@dataclass
class Stage:
    base: str
    name: str | None
    line: int
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def only(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        if len(found) != 1:
            raise ValueError(f"stage {self.name or self.base} has {len(found)} {keyword}")
        return found[0]

    def merged(self, keyword: str) -> dict[str, str]:
        """Every ENV, ARG or LABEL of the stage, later ones winning."""
        merged: dict[str, str] = {}
        for instruction in self.all(keyword):
            merged.update(instruction.pairs())
        return merged

    @property
    def workdir(self) -> str:
        """The working directory after the stage's last WORKDIR."""
        directory = "/"
        for instruction in self.all("WORKDIR"):
            directory = posixpath.join(directory, instruction.value)
        return directory


@dataclass
class Dockerfile:
    preamble: list[Instruction]  # before the first FROM: global ARGs
    stages: list[Stage]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(f"the Dockerfile has no stage named {name!r}")

    @property
    def final(self) -> Stage:
        return self.stages[-1]


def logical_lines(text: str) -> list[tuple[int, str]]:
    """The instructions' lines: comments and blank lines dropped (inside a continued
    instruction too), lines ending in a backslash joined to the next."""
    logical: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1].strip())
            continue
        pending.append(line)
        logical.append((start, " ".join(part for part in pending if part)))
        pending = []
    if pending:
        raise ValueError(f"line {start}: the Dockerfile ends inside a continued instruction")
    return logical


def parse(text: str) -> Dockerfile:
    preamble: list[Instruction] = []
    stages: list[Stage] = []
    for number, line in logical_lines(text):
        keyword, _, value = line.partition(" ")
        instruction = Instruction(keyword.upper(), value.strip(), number)
        if "<<" in instruction.value:
            raise ValueError(f"line {number}: heredocs are not read here")
        if instruction.keyword == "FROM":
            words = instruction.words()
            if words[0].startswith("--"):
                raise ValueError(f"line {number}: FROM flags are not read here")
            if not (len(words) == 1 or (len(words) == 3 and words[1].upper() == "AS")):
                raise ValueError(f"line {number}: FROM image [AS name]")
            stages.append(Stage(words[0], words[2] if len(words) == 3 else None, number))
        elif stages:
            stages[-1].instructions.append(instruction)
        else:
            preamble.append(instruction)
    return Dockerfile(preamble, stages)


def expand(value: str, variables: dict[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` replaced as Docker does in ENV and LABEL (unset: empty)."""
    if re.search(r"\$\{\w+:", value):
        raise ValueError(f"{value}: ${{NAME:...}} modifiers are not read here")
    return re.sub(r"\$(?:\{(\w+)\}|(\w+))", lambda m: variables.get(m[1] or m[2], ""), value)


class DockerIgnore:
    """A .dockerignore, matched as Docker does: a pattern matches a path or one of its parent
    directories, ``**`` spans directories, ``!`` re-includes, and the last match decides."""

    def __init__(self, text: str) -> None:
        self.patterns: list[tuple[re.Pattern[str], bool]] = []
        for raw in text.splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                include = line.startswith("!")
                pattern = posixpath.normpath(line.removeprefix("!").strip()).strip("/")
                self.patterns.append((re.compile(_glob_to_regex(pattern)), include))

    def includes(self, path: str) -> bool:
        """Whether the repository's ``path`` reaches the build context."""
        parts = path.strip("/").split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        included = True
        for regex, include in self.patterns:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                included = include
        return included


def _glob_to_regex(pattern: str) -> str:
    regex = ""
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            regex, index = regex + "(?:.*/)?", index + 3
        elif pattern.startswith("**", index):
            regex, index = regex + ".*", index + 2
        elif pattern[index] == "*":
            regex, index = regex + "[^/]*", index + 1
        elif pattern[index] == "?":
            regex, index = regex + "[^/]", index + 1
        elif pattern[index] == "[":
            end = pattern.index("]", index)
            regex, index = regex + pattern[index : end + 1], end + 1
        else:
            regex, index = regex + re.escape(pattern[index]), index + 1
    return regex
