"""The production Dockerfile stays consistent with the repository it builds.

No container engine runs here, so the image is never built in CI; these tests read the Dockerfile and
check everything it relies on: the hashed lock file, the paths it copies, the modules and commands it
runs, the user it runs as, the route its health check asks, its Python version. The lock files are
checked too: hashed pins only, and no index URL or link, so no registry host is ever committed.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from app.settings import Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
LOOPBACK = {"127.0.0.1", "localhost", "0.0.0.0", "[::1]"}
REGISTRY_HINTS = (
    "pypi.org",
    "pythonhosted.org",
    "docker.io",
    "ghcr.io",
    "quay.io",
    "gcr.io",
    "mirrors.",
    "mirror.",
    "aliyun",
    "tuna.tsinghua",
    "douban",
    "ustc.edu",
    "huaweicloud",
    "tencentyun",
)
INDEX_OPTIONS = re.compile(r"(^|\s)(--index-url|--extra-index-url|--find-links|--trusted-host|-i|-f)(\s|=|$)")


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


@dataclass
class Dockerfile:
    args: dict[str, str]
    stages: list[Stage]
    text: str

    @property
    def runtime(self) -> Stage:
        return self.stages[-1]

    def resolve(self, value: str, env: dict[str, str] | None = None) -> str:
        names = {**self.args, **(env or {})}
        return re.sub(r"\$\{?(\w+)\}?", lambda m: names.get(m.group(1), m.group(0)), value)


def _logical_lines(text: str) -> list[str]:
    """Instructions with line continuations joined and comments dropped."""
    lines, buffer = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not buffer):
            continue
        if stripped.endswith("\\"):
            buffer += stripped[:-1] + " "
            continue
        lines.append(buffer + stripped)
        buffer = ""
    if buffer:
        lines.append(buffer)
    return lines


def parse_dockerfile(text: str) -> Dockerfile:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in _logical_lines(text):
        keyword, _, rest = line.partition(" ")
        keyword, rest = keyword.upper(), rest.strip()
        if keyword == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append(Stage(image=parts[0], name=name))
        elif not stages and keyword == "ARG":
            key, _, default = rest.partition("=")
            args[key.strip()] = default.strip()
        elif stages:
            stages[-1].instructions.append((keyword, rest))
    return Dockerfile(args=args, stages=stages, text=text)


def env_of(stage: Stage) -> dict[str, str]:
    env: dict[str, str] = {}
    for args in stage.all("ENV"):
        for token in shlex.split(args):
            key, sep, value = token.partition("=")
            if sep:
                env[key] = value
    return env


def copy_parts(args: str) -> tuple[list[str], list[str], str]:
    """(flags, sources, destination) of a COPY, in shell or JSON form."""
    tokens = json.loads(args) if args.startswith("[") else shlex.split(args)
    flags = [t for t in tokens if t.startswith("--")]
    paths = [t for t in tokens if not t.startswith("--")]
    return flags, paths[:-1], paths[-1]


def exec_form(args: str) -> list[str]:
    """The argument list of an exec-form ENTRYPOINT/CMD (the only form this Dockerfile uses)."""
    assert args.startswith("["), f"use the exec (JSON) form, not {args!r}"
    return json.loads(args)


def entrypoint_script(dockerfile: Dockerfile) -> str:
    entry = dockerfile.runtime.all("ENTRYPOINT")
    assert len(entry) == 1, "the runtime stage needs exactly one ENTRYPOINT"
    return " ".join(exec_form(entry[0]))


def dockerignore_patterns() -> list[str]:
    path = ROOT / ".dockerignore"
    if not path.exists():
        return []
    lines = (line.strip() for line in path.read_text().splitlines())
    return [line.rstrip("/") for line in lines if line and not line.startswith("#")]


def ignored_by_docker(relative: str, patterns: list[str]) -> bool:
    """True if .dockerignore keeps `relative` (or a folder above it) out of the build context."""
    parts = Path(relative).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        for candidate in candidates:
            if fnmatch.fnmatch(candidate, pattern):
                return True
            if pattern.startswith("**/") and fnmatch.fnmatch(Path(candidate).name, pattern[3:]):
                return True
    return False


def files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def lock_files() -> list[Path]:
    """Lock and requirements files that are committed or about to be (untracked, not ignored)."""
    names = re.compile(r"(^|/)(requirements[^/]*\.(txt|lock|in)|[^/]*\.lock)$")
    if shutil.which("git") and (ROOT / ".git").exists():
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    else:
        skip = {".venv", ".tools", ".git", "node_modules"}
        listed = [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]
    return sorted(ROOT / name for name in listed if names.search(name) and (ROOT / name).exists())


def requirement_blocks(text: str) -> list[str]:
    """Each requirement of a pip requirements file, continuation lines joined, comments dropped."""
    blocks, buffer = [], ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            if buffer:
                blocks.append(buffer.strip())
                buffer = ""
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        blocks.append((buffer + line).strip())
        buffer = ""
    if buffer:
        blocks.append(buffer.strip())
    return blocks


def pins(lock: Path) -> dict[str, Version]:
    found = {}
    for block in requirement_blocks(lock.read_text()):
        if block.startswith("-"):
            continue
        requirement = Requirement(block.split(" --hash", 1)[0].strip())
        (spec,) = requirement.specifier
        found[canonicalize_name(requirement.name)] = Version(spec.version)
    return found


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    assert DOCKERFILE.exists(), "the production Dockerfile is missing"
    return parse_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


class TestDependencies:
    def test_the_builder_installs_an_existing_lock_file_with_require_hashes(self, dockerfile: Dockerfile) -> None:
        builder = dockerfile.stages[0]
        installs = [run for run in builder.all("RUN") if "pip install" in run]
        assert installs, "the builder stage installs nothing with pip"
        copied = {}
        for args in builder.all("COPY"):
            _, sources, destination = copy_parts(args)
            for source in sources:
                target = destination + Path(source).name if destination.endswith("/") else destination
                copied[target] = source
        for run in installs:
            assert "--require-hashes" in run, f"pip must refuse unhashed packages: {run}"
            targets = re.findall(r"(?:-r|--requirement)[ =](\S+)", run)
            assert targets, f"pip must install from the lock file, not from names: {run}"
            for target in targets:
                source = copied.get(target, target)
                assert (ROOT / source).is_file(), f"{source} (installed as {target}) is not in the repository"
                assert source.endswith(".lock"), f"{source} is not a lock file"

    def test_the_runtime_copies_the_venv_the_builder_made_and_puts_it_on_path(self, dockerfile: Dockerfile) -> None:
        builder, runtime = dockerfile.stages[0], dockerfile.runtime
        venv = re.search(r"python -m venv (\S+)", " ".join(builder.all("RUN")))
        assert venv, "the builder makes no virtual environment"
        copies = [copy_parts(a) for a in runtime.all("COPY") if f"--from={builder.name}" in a]
        assert any(venv.group(1) in sources for _, sources, _ in copies), "the runtime does not copy the venv"
        assert env_of(runtime)["PATH"].startswith(f"{venv.group(1)}/bin:")

    @pytest.mark.parametrize("lock, extra", [("requirements.lock", None), ("requirements-dev.lock", "dev")])
    def test_every_declared_dependency_is_pinned_in_the_lock_within_its_range(
        self, pyproject: dict, lock: str, extra: str | None
    ) -> None:
        declared = list(pyproject["project"]["dependencies"])
        if extra:
            declared += pyproject["project"]["optional-dependencies"][extra]
        pinned = pins(ROOT / lock)
        for line in declared:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in pinned, f"{requirement.name} is in pyproject.toml but not in {lock}: run `make lock`"
            assert requirement.specifier.contains(pinned[name], prereleases=True), (
                f"{lock} pins {name}=={pinned[name]}, outside pyproject's {requirement.specifier}: run `make lock`"
            )


class TestLockFiles:
    def test_there_are_lock_files_to_check(self) -> None:
        names = {p.name for p in lock_files()}
        assert {"requirements.lock", "requirements-dev.lock"} <= names

    def test_no_lock_file_names_an_index_or_carries_a_link(self) -> None:
        for lock in lock_files():
            for number, line in enumerate(lock.read_text().splitlines(), 1):
                assert not INDEX_OPTIONS.search(line.strip()), f"{lock.name}:{number} names an index: {line.strip()}"
                assert not re.search(r"https?://", line), f"{lock.name}:{number} carries a link: {line.strip()}"

    def test_every_pinned_line_is_exact_and_carries_a_hash(self) -> None:
        for lock in lock_files():
            if lock.suffix == ".in":
                continue  # an input file lists ranges; its compiled .lock is what gets checked
            for block in requirement_blocks(lock.read_text()):
                if block.startswith("-"):
                    continue
                assert "==" in block.split(" --hash", 1)[0], f"{lock.name}: not an exact pin: {block[:80]}"
                assert "--hash=sha256:" in block, f"{lock.name}: no hash for {block.split()[0]}"

    def test_the_lock_checker_notices_a_missing_hash_and_a_link(self) -> None:
        # The checks above must be able to fail: feed them a bad file through the same helpers.
        bad = "--extra-index-url https://example.invalid/simple\nfoo==1.0\nbar==2.0 \\\n    --hash=sha256:abc\n"
        blocks = requirement_blocks(bad)
        assert blocks[1] == "foo==1.0" and "--hash" not in blocks[1]
        assert "--hash=sha256:abc" in blocks[2]
        assert INDEX_OPTIONS.search(bad.splitlines()[0])


class TestImageContents:
    def test_every_copied_source_exists_and_is_not_docker_ignored(self, dockerfile: Dockerfile) -> None:
        patterns = dockerignore_patterns()
        for stage in dockerfile.stages:
            for args in stage.all("COPY") + stage.all("ADD"):
                flags, sources, _ = copy_parts(args)
                if any(f.startswith("--from=") for f in flags):
                    continue
                for source in sources:
                    path = ROOT / source.rstrip("/")
                    assert path.exists(), f"COPY {source}: not in the repository"
                    assert files_under(path), f"COPY {source}: empty (git keeps no empty folder, so a clone lacks it)"
                    assert not ignored_by_docker(source.rstrip("/"), patterns), f"COPY {source}: .dockerignore drops it"

    def test_the_runtime_has_the_folders_the_app_reads_beside_its_code(self, dockerfile: Dockerfile) -> None:
        runtime = dockerfile.runtime
        workdir = runtime.all("WORKDIR")[-1].rstrip("/")
        destinations = {copy_parts(a)[2].rstrip("/") for a in runtime.all("COPY")}
        # app/settings.py finds templates, static and migrations beside the `app` package (ROOT).
        for folder in ("app", "models", "migrations", "templates", "static", "campaigns"):
            assert f"{workdir}/{folder}" in destinations, f"{folder}/ is not copied to {workdir}/{folder}"
        assert env_of(runtime).get("PYTHONPATH") == workdir

    def test_local_state_and_secrets_stay_out_of_the_build_context(self) -> None:
        patterns = dockerignore_patterns()
        for path in (".git", ".venv", "data", ".env", "app/__pycache__/x.pyc"):
            assert ignored_by_docker(path, patterns), f"{path} would be sent to the Docker build"
        assert not ignored_by_docker("app/main.py", patterns)


class TestStartUp:
    def test_the_migration_command_it_runs_exists(self, dockerfile: Dockerfile) -> None:
        script = entrypoint_script(dockerfile)
        found = re.search(r"python -m ([\w.]+) ([\w-]+)", script)
        assert found, "the entrypoint runs no migration command"
        module, command = found.groups()
        assert (module, command) == ("app.cli", "migrate")
        # argparse exits 0 on `<command> --help` only if the command is registered.
        result = subprocess.run(
            [sys.executable, "-m", module, command, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
        assert result.returncode == 0, result.stderr

    def test_migrations_run_before_the_server_starts(self, dockerfile: Dockerfile) -> None:
        script = entrypoint_script(dockerfile)
        assert script.index("app.cli migrate") < script.index("uvicorn ")
        assert "&& exec uvicorn" in script, "a failed migration must stop the container, not start workers"

    def test_uvicorn_serves_the_app_factory_with_several_workers(self, dockerfile: Dockerfile, settings) -> None:
        script = entrypoint_script(dockerfile)
        found = re.search(r"uvicorn ([\w.]+):(\w+)", script)
        assert found, "the entrypoint starts no uvicorn"
        assert "--factory" in script and "--proxy-headers" in script
        assert re.search(r"--workers \$\{WEB_CONCURRENCY:-([2-9]|\d\d+)\}", script)
        module, attribute = found.groups()
        factory = getattr(__import__(module, fromlist=[attribute]), attribute)
        from litestar import Litestar

        assert isinstance(factory(settings), Litestar)

    def test_it_runs_as_a_user_that_is_not_root(self, dockerfile: Dockerfile) -> None:
        runtime = dockerfile.runtime
        users = runtime.all("USER")
        assert users, "the runtime stage sets no USER, so it would run as root"
        user = users[-1].split(":")[0]
        assert user not in {"root", "0"}
        assert any("useradd" in run and run.rstrip().endswith(user) for run in runtime.all("RUN")), (
            f"USER {user} is never created"
        )
        keywords = [kw for kw, _ in runtime.instructions]
        assert keywords.index("USER") < keywords.index("ENTRYPOINT")

    def test_it_starts_in_production_and_refuses_the_development_secrets(self, dockerfile: Dockerfile) -> None:
        env = env_of(dockerfile.runtime)
        assert env["ENVIRONMENT"] == "production"
        with pytest.raises(SettingsError):
            Settings.from_env({k: v for k, v in env.items() if k != "PATH"})

    def test_prometheus_gets_a_multiprocess_directory_emptied_at_start(self, dockerfile: Dockerfile) -> None:
        assert env_of(dockerfile.runtime).get("PROMETHEUS_MULTIPROC_DIR")
        script = entrypoint_script(dockerfile)
        assert script.index('rm -rf "$PROMETHEUS_MULTIPROC_DIR"') < script.index("uvicorn ")

    async def test_the_healthcheck_asks_a_real_route_on_the_served_port(self, dockerfile: Dockerfile, client) -> None:
        checks = dockerfile.runtime.all("HEALTHCHECK")
        assert len(checks) == 1, "the runtime stage needs one HEALTHCHECK"
        assert "curl" not in checks[0] and "wget" not in checks[0], "the slim image has neither curl nor wget"
        found = re.search(r"http://127\.0\.0\.1:(\d+)(/[^'\"\s]*)", checks[0])
        assert found, "the HEALTHCHECK asks no local URL"
        port, path = found.groups()
        assert f"--port {port}" in entrypoint_script(dockerfile)
        assert port in " ".join(dockerfile.runtime.all("EXPOSE")).split()
        response = await client.get(path)
        assert response.status_code == 200, f"{path} is not a route of create_app()"


class TestBaseImage:
    def test_python_version_matches_requires_python(self, dockerfile: Dockerfile, pyproject: dict) -> None:
        allowed = SpecifierSet(pyproject["project"]["requires-python"])
        versions = set()
        for stage in dockerfile.stages:
            image = dockerfile.resolve(stage.image)
            name, _, tag = image.partition(":")
            assert name == "python", f"unexpected base image {image}"
            version = re.match(r"(\d+\.\d+)", tag)
            assert version, f"{image}: pin at least the minor Python version"
            versions.add(version.group(1))
            assert Version(version.group(1) + ".0") in allowed or Version(version.group(1) + ".99") in allowed
        assert len(versions) == 1, "builder and runtime must use the same Python (the venv is copied across)"
        assert dockerfile.resolve(dockerfile.runtime.image).endswith("-slim")

    def test_no_registry_host_is_written_in_it(self, dockerfile: Dockerfile) -> None:
        for stage in dockerfile.stages:
            first = dockerfile.resolve(stage.image).split("/")[0]
            if "/" in dockerfile.resolve(stage.image):
                assert not ("." in first or ":" in first or first == "localhost"), f"{stage.image} names a registry"
        text = DOCKERFILE.read_text()
        for host in re.findall(r"[a-z][a-z0-9+.-]*://([^/\s'\"]+)", text):
            assert host.split(":")[0] in LOOPBACK or host.startswith("[::1]"), f"the Dockerfile names the host {host}"
        for line in _logical_lines(text):
            assert not INDEX_OPTIONS.search(line), f"the Dockerfile names a package index: {line}"
        lowered = text.lower()
        for hint in REGISTRY_HINTS:
            assert hint not in lowered, f"the Dockerfile mentions {hint}"
