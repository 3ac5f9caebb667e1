"""What ties the lock files to pyproject.toml; run by the Makefile (standard library only).

    python scripts/lockfile.py build-requires         print [build-system] requires, one a line
    python scripts/lockfile.py stamp LOCK [EXTRA...]  record in LOCK the dependencies it was made
                                                      from (pyproject's, with those extras)
    python scripts/lockfile.py check LOCK [EXTRA...]  exit 1, saying "make lock", when
                                                      pyproject.toml no longer lists those

pyproject.toml is the list people edit; requirements*.txt are written from it by `make lock`.
A merge or an edit can change the first and not the others; `make` would then install a lock
that lacks (say) a new dependency, and the failure would show up as an ImportError somewhere.
The check catches that before anything is installed, and names the one command that fixes it.
"""

import hashlib
import json
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
MARK = "# pyproject.toml digest: "


def _pyproject() -> dict:
    with PYPROJECT.open("rb") as f:
        return tomllib.load(f)


def _normal(requirements: list[str]) -> list[str]:
    # Spacing, case and order don't change what gets resolved.
    return sorted("".join(r.split()).lower() for r in requirements)


def digest(extras: list[str]) -> str:
    data = _pyproject()
    project = data["project"]
    optional = project.get("optional-dependencies", {})
    unknown = [e for e in extras if e not in optional]
    if unknown:
        sys.exit(f"pyproject.toml has no extra {', '.join(unknown)}")
    inputs = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": _normal(project.get("dependencies", [])),
        "extras": {e: _normal(optional[e]) for e in sorted(extras)},
        "build-system": _normal(data.get("build-system", {}).get("requires", [])),
    }
    encoded = json.dumps(inputs, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def stamp(lock: Path, extras: list[str]) -> None:
    lines = [line for line in lock.read_text().splitlines() if not line.startswith(MARK)]
    header = 0
    while header < len(lines) and lines[header].startswith("#"):
        header += 1
    lines.insert(header, f"{MARK}{digest(extras)} (checked by make before it installs)")
    lock.write_text("\n".join(lines) + "\n")


def check(lock: Path, extras: list[str]) -> None:
    if not lock.exists():
        sys.exit(f"{lock} is missing: run `make lock`.")
    marks = [line for line in lock.read_text().splitlines() if line.startswith(MARK)]
    recorded = marks[0][len(MARK) :].split()[0] if marks else None
    if recorded != digest(extras):
        sys.exit(
            f"{lock} was not locked from the dependencies pyproject.toml lists now.\n"
            f"Run `make lock` and commit pyproject.toml with requirements*.txt."
        )


def main(argv: list[str]) -> None:
    match argv:
        case ["build-requires"]:
            print("\n".join(_pyproject().get("build-system", {}).get("requires", [])))
        case ["stamp", lock, *extras]:
            stamp(Path(lock), extras)
        case ["check", lock, *extras]:
            check(Path(lock), extras)
        case _:
            sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
