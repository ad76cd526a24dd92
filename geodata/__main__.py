"""Command line: ``python -m geodata {validate,demo,docs}``.

validate PATH            check a GeoPackage against the schema; exit 1 on any error
demo --out PATH [--seed] [--scale N] [--jobs J]
                         build the deterministic demo district (N copies side by side)
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
    path = write_demo(args.out, seed=args.seed, scale=args.scale, jobs=args.jobs)
    scaled = f", scale {args.scale}" if args.scale != 1 else ""
    print(f"wrote {path} (seed {args.seed}{scaled}) in {time.perf_counter() - started:.1f} s")
    return 0


def _scale(text: str) -> int:
    """``--scale``: a whole number of copies, 1 to :data:`MAX_SCALE`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 1 <= value <= MAX_SCALE:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_SCALE}, not {value}")
    return value


def _docs(_args: argparse.Namespace) -> int:
    from geodata.docs import schema_markdown

    print(schema_markdown())
    return 0


DEFAULT_SEED = 610402
"""Same as ``geodata.demo.DEFAULT_SEED`` (checked by a test); not imported so that
``validate`` does not load the generator."""

MAX_SCALE = 999
"""Same as ``geodata.demo.MAX_SCALE`` (checked by a test): copies' id prefixes have three digits."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m geodata", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a GeoPackage against the schema")
    p.add_argument("path")
    p.set_defaults(run=_validate)
    p = sub.add_parser("demo", help="build the demo district GeoPackage")
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument(
        "--scale",
        type=_scale,
        default=1,
        help="copies of the district laid side by side (10: a city, 100: a province); default 1",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes for the copies (default: one per CPU); the file does not depend on it",
    )
    p.set_defaults(run=_demo)
    p = sub.add_parser("docs", help="print the field reference")
    p.set_defaults(run=_docs)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
