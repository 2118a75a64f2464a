"""dbt's copy of the evaluator registry: `dbt_project/macros/evaluators.sql`, generated from
`evals.registry` and checked in, so a plain `dbt build` by hand compiles the same columns the
pipeline does. `tests/dbt/test_dbt_evaluators.py` fails while the file is stale.

    python -m orchestration.dbt_evaluators          # rewrite the macro from the registry
    python -m orchestration.dbt_evaluators --check  # exit 1 if it differs
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from evals import registry

MACRO_PATH = Path(__file__).resolve().parent.parent / "dbt_project" / "macros" / "evaluators.sql"

_HEADER = """{#
    GENERATED from evals/registry.py by `python -m orchestration.dbt_evaluators`: do not edit.
    The evaluators whose verdicts the marts pivot into columns, keyed by the column prefix the
    marts use (`resolution_score`, `quality_passed`, ...), in the registry's order. The names
    are those in raw.evaluations.evaluator.
#}
"""


def render_macro() -> str:
    """The macro file's text for the evaluators registered now."""
    entries = "".join(f"        '{s.prefix}': '{s.name}',\n" for s in registry.specs())
    return f"{_HEADER}{{% macro evaluators() -%}}\n    {{{{ return({{\n{entries}    }}) }}}}\n{{%- endmacro %}}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the macro is current")
    args = parser.parse_args(argv)
    wanted = render_macro()
    current = MACRO_PATH.read_text(encoding="utf-8") if MACRO_PATH.exists() else ""
    if current == wanted:
        print(f"{MACRO_PATH.name} matches evals/registry.py")
        return 0
    if args.check:
        print(f"{MACRO_PATH} is stale: run `python -m orchestration.dbt_evaluators`", file=sys.stderr)
        return 1
    MACRO_PATH.write_text(wanted, encoding="utf-8")
    print(f"wrote {MACRO_PATH} from evals/registry.py ({len(registry.names())} evaluators)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
