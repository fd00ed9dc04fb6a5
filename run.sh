#!/usr/bin/env bash
# Set up the development environment (.venv) if needed, then run a job:
#   bash run.sh demo   the main job: restore and generate with the zoo models (docs/img/*.png)
#   bash run.sh test   run the whole test suite (what CI runs)
set -euo pipefail
cd "$(dirname "$0")"

job="${1:-}"
case "$job" in
  demo|test) shift ;;
  *) echo "usage: bash run.sh demo|test [extra arguments]" >&2; exit 2 ;;
esac

venv=.venv
stamp="$venv/.installed"
if [[ ! -x "$venv/bin/python" ]]; then
  echo "setting up $venv (first run only)..." >&2
  python3 -m venv "$venv"
fi
# Reinstall when a pyproject.toml changed since the last set-up.
if [[ ! -f "$stamp" ]] || [[ -n "$(find . -name pyproject.toml -newer "$stamp" -not -path "./$venv/*" -print -quit)" ]]; then
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
  {
    # The CPU build of torch first: an open `torch` requirement can pull a multi-GB CUDA build.
    "${pip[@]}" torch==2.13.0 \
      || "${pip[@]}" torch --index-url https://download.pytorch.org/whl/cpu
    "${pip[@]}" -e ".[dev]"
  } 2> >(grep -v "^WARNING: Location 'file:" >&2)  # noise from this machine's pip config
  touch "$stamp"
fi

case "$job" in
  demo) exec "$venv/bin/colddiff" demo --out docs/img "$@" ;;
  test) exec "$venv/bin/python" -m pytest "$@" ;;
esac
