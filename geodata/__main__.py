"""Command line: ``python -m geodata {validate,demo,docs}``.

validate PATH            check a GeoPackage against the schema; exit 1 on any error
demo --out PATH [--seed] build the deterministic demo district
docs                     print the field reference (Markdown) generated from the schema
"""

from __future__ import annotations

import argparse
import sys
import time


def _validate(args: argparse.Namespace) -> int:
    from geodata.validate import format_problems, validate_path

    problems = validate_path(args.path)
    errors = [p for p in problems if p.severity == "error"]
    if problems:
        print(format_problems(problems), file=sys.stderr if errors else sys.stdout)
    if errors:
        print(f"{args.path}: {len(errors)} error(s); the file is not usable.", file=sys.stderr)
        return 1
    print(f"{args.path}: valid ({len(problems)} warning(s)).")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from geodata.demo import write_demo

    started = time.perf_counter()
    path = write_demo(args.out, seed=args.seed)
    print(f"wrote {path} (seed {args.seed}) in {time.perf_counter() - started:.1f} s")
    return 0


def _docs(_args: argparse.Namespace) -> int:
    from geodata.docs import schema_markdown

    print(schema_markdown())
    return 0


DEFAULT_SEED = 610402
"""Same as ``geodata.demo.DEFAULT_SEED`` (checked by a test); not imported so that
``validate`` does not load the generator."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geodata", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a GeoPackage against the schema")
    p.add_argument("path")
    p.set_defaults(run=_validate)
    p = sub.add_parser("demo", help="build the demo district GeoPackage")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.set_defaults(run=_demo)
    p = sub.add_parser("docs", help="print the field reference")
    p.set_defaults(run=_docs)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
