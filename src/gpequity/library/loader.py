"""Reading the library: every ``*.md`` file of the content folder, checked, or a clear error.

An author adds a resource by adding a file. A file that cannot be used (no front matter, YAML
that does not parse, a missing or malformed field, an unknown shortcode, a slug used twice, a
related resource that does not exist) stops the app at start-up with a message naming the
file, the field or line, and what is wrong: never a crash with a traceback, never a resource
silently left out. Every problem of every file is reported at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gpequity.errors import GpequityError
from gpequity.library.markdown import render_markdown
from gpequity.library.model import FrontMatter, Resource, ShortcodeCall
from gpequity.library.shortcodes import MISPLACED, ShortcodeProblem, find_shortcodes

#: The project's own resources: the package data folder ``gpequity/library/content/``, so an
#: installed wheel has the same library as the checkout (the folder used to sit at the root of
#: the repository, which a wheel does not carry: the library of an installation was empty).
#: ``GPEQUITY_CONTENT`` overrides it.
DEFAULT_CONTENT_DIR = Path(str(files("gpequity.library").joinpath("content")))
FRONT_MATTER_FENCE = "---"
RESOURCE_SUFFIX = ".md"


def content_dir(explicit: Path | None = None) -> Path:
    """The content folder: the explicit one, else ``GPEQUITY_CONTENT``, else the package's."""
    if explicit is not None:
        return explicit
    env = os.environ.get("GPEQUITY_CONTENT")
    return Path(env) if env else DEFAULT_CONTENT_DIR


class ResourceProblem(GpequityError):
    """One thing wrong with one resource file: the file, the field or line, and what."""

    def __init__(self, path: Path, where: str, message: str) -> None:
        self.path = path
        self.where = where
        self.reason = message
        super().__init__(f"{path}: {where}: {message}")


class ContentError(GpequityError):
    """The library cannot be loaded; ``problems`` lists every problem of every file."""

    def __init__(self, folder: Path, problems: list[ResourceProblem]) -> None:
        self.folder = folder
        self.problems = problems
        listed = "\n".join(f"- {p}" for p in problems)
        super().__init__(
            f"The library in {folder} has {len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}; fix them and start again:\n{listed}"
        )


#: libyaml's parser when PyYAML was built with it (several times faster), else PyYAML's own.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FrontMatterLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    """YAML without implicit dates: ``published: 2025-02-30`` must reach pydantic as text, to
    be reported against its field, not fail inside the YAML parser."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def split_front_matter(path: Path, text: str) -> tuple[dict[str, Any], str, int]:
    """Return (front matter, Markdown body, file line number of the body's first line)."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise ResourceProblem(
            path, "front matter", "the file must start with a line '---', then YAML, then '---'"
        )
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == FRONT_MATTER_FENCE)
    except StopIteration:
        raise ResourceProblem(
            path, "front matter", "no closing '---' line after the YAML"
        ) from None
    try:
        data = yaml.load("\n".join(lines[1:end]), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"front matter, line {mark.line + 2}" if mark is not None else "front matter"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ResourceProblem(path, where, f"the YAML does not parse: {problem}") from None
    if not isinstance(data, dict):
        raise ResourceProblem(path, "front matter", "must be YAML fields (key: value)")
    return data, "\n".join(lines[end + 1 :]), end + 2


def _field_name(location: tuple[int | str, ...]) -> str:
    name = ""
    for part in location:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name


def load_resource(path: Path) -> Resource:
    """Read, validate and render one resource file; raise :class:`ContentError` if unusable."""
    problems: list[ResourceProblem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(
            path.parent, [ResourceProblem(path, "file", f"is not UTF-8 text ({exc.reason})")]
        ) from None
    try:
        data, body, body_line = split_front_matter(path, text)
    except ResourceProblem as problem:
        raise ContentError(path.parent, [problem]) from None
    meta: FrontMatter | None = None
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            field = _field_name(tuple(error["loc"])) or "front matter"
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = "is not a field of a resource (see docs/library.md)"
            elif error["type"] == "missing":
                message = "is required"
            elif error["type"] == "enum":
                message = f"{message}, not {error.get('input')!r}"
            problems.append(ResourceProblem(path, f"field '{field}'", message))

    shortcode_problem: ResourceProblem | None = None
    try:
        found = find_shortcodes(body, first_line=body_line)
    except ShortcodeProblem as problem:
        shortcode_problem = ResourceProblem(path, f"line {problem.line}", str(problem))
        found = []
    rendered = render_markdown(body, [i for i, _ in found])
    for index in rendered.level_one_headings:
        problems.append(
            ResourceProblem(
                path,
                f"line {body_line + index}",
                "a level-1 heading ('# ...'): the title is the page's only one; start at '##'",
            )
        )
    if shortcode_problem is not None:
        problems.append(shortcode_problem)
    for number in rendered.misplaced:
        problems.append(ResourceProblem(path, f"line {found[number][1].line}", MISPLACED))
    if problems or meta is None:
        raise ContentError(path.parent, problems)
    calls = [
        ShortcodeCall(name=s.name, params=s.params, line=s.line, index=n)
        for n, (_, s) in enumerate(found)
    ]
    parts = tuple(calls[p] if isinstance(p, int) else p for p in rendered.parts)
    return Resource(path=path, meta=meta, body=body, html_parts=parts, text=rendered.text)


def resource_files(folder: Path) -> list[Path]:
    """The resource files of a folder and its subfolders, in a stable order."""
    return sorted(p for p in folder.rglob(f"*{RESOURCE_SUFFIX}") if p.is_file())


def load_resources(folder: Path) -> list[Resource]:
    """Load every resource in ``folder``; raise :class:`ContentError` listing every problem."""
    if not folder.is_dir():
        raise ContentError(
            folder,
            [ResourceProblem(folder, "folder", "does not exist (set GPEQUITY_CONTENT?)")],
        )
    resources: list[Resource] = []
    problems: list[ResourceProblem] = []
    for path in resource_files(folder):
        try:
            resources.append(load_resource(path))
        except ContentError as exc:
            problems.extend(exc.problems)
    problems.extend(_cross_checks(resources))
    if problems:
        raise ContentError(folder, problems)
    return resources


def _cross_checks(resources: Iterable[Resource]) -> list[ResourceProblem]:
    """Problems between files: a slug used twice, a related resource that does not exist."""
    problems: list[ResourceProblem] = []
    first: dict[str, Path] = {}
    for resource in resources:
        if resource.slug in first:
            problems.append(
                ResourceProblem(
                    resource.path,
                    "field 'slug'",
                    f"'{resource.slug}' is already the slug of {first[resource.slug]}",
                )
            )
        else:
            first[resource.slug] = resource.path
    for resource in resources:
        for n, slug in enumerate(resource.meta.related.resources):
            if slug not in first:
                problems.append(
                    ResourceProblem(
                        resource.path,
                        f"field 'related.resources[{n}]'",
                        f"no resource has the slug '{slug}'",
                    )
                )
            elif slug == resource.slug:
                problems.append(
                    ResourceProblem(
                        resource.path,
                        f"field 'related.resources[{n}]'",
                        "a resource cannot be related to itself",
                    )
                )
    return problems
