"""`python -m benchmarks list [--markdown] | run NAME|all [--quick] [--workers N] | provenance
[--check | --acknowledge NAME|all [--reason TEXT]]`."""

from __future__ import annotations

import argparse
import sys

from benchmarks import common, harness
from benchmarks.registry import BENCHMARKS, BY_NAME


def _provenance(check_only: bool, acknowledge: str | None = None, reason: str | None = None) -> int:
    old = common.read_provenance(common.RESULTS)
    entries = harness.compute(old)
    if acknowledge:
        names = list(BY_NAME) if acknowledge == "all" else [acknowledge]
        done = harness.acknowledge(entries, names, reason)
        print(f"acknowledged {len(done)} results file(s) as produced by older code: "
              + (", ".join(p.rsplit("/", 1)[1] for p in done) or "none stale"))
    if check_only:
        if entries != old:
            changed = sorted(p for p in set(entries) | set(old) if entries.get(p) != old.get(p))
            print(f"{common.PROVENANCE} is out of date for {len(changed)} file(s): "
                  + ", ".join(changed[:10]), file=sys.stderr)
    else:
        common.write_provenance(common.RESULTS, entries)
        print(f"wrote {common.RESULTS / common.PROVENANCE} ({len(entries)} files)")
    report = harness.check(entries)
    for label, items in (("not declared by any benchmark", report.undeclared),
                         ("without provenance", report.missing),
                         ("linked from README but partial", report.partial_linked)):
        for p in items:
            print(f"{label}: {p}")
    groups: dict[tuple[str, str], list[str]] = {}
    for p in sorted(report.stale):
        e = entries[p]
        groups.setdefault((e["benchmark"], e["commit"]), []).append(p.rsplit("/", 1)[1])
    for (name, commit), files in groups.items():
        changed = harness.changed_code(BY_NAME[name], commit)
        print(f"stale ({name}, produced at {commit[:10]}): {', '.join(files)}\n  code changed since: "
              + ", ".join(changed[:12]) + (f" and {len(changed) - 12} more" if len(changed) > 12 else ""))
    if report.stale:
        print("re-run them (`python -m benchmarks run NAME`; after a commit, `python -m benchmarks "
              "provenance`), or record that they come from older code: `python -m benchmarks "
              "provenance --acknowledge NAME [--reason TEXT]` (then `python -m benchmarks list --markdown`)")
    bad = report.undeclared or report.missing or report.partial_linked or report.stale
    bad = bad or (check_only and entries != old)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="each benchmark: outputs, inputs, last full run")
    ls.add_argument("--markdown", action="store_true", help="rewrite README's generated benchmark list")
    run = sub.add_parser("run", help="run one benchmark, or all")
    run.add_argument("name", choices=[*BY_NAME, "all"])
    run.add_argument("--quick", action="store_true",
                     help=f"tiny sizes, one seed, written under {common.SCRATCH}/")
    run.add_argument("--workers", type=int, help="worker processes, for benchmarks that take them")
    prov = sub.add_parser("provenance", help=f"(re)write benchmarks/results/{common.PROVENANCE}")
    what = prov.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="write nothing; exit 1 on any problem")
    what.add_argument("--acknowledge", metavar="NAME", choices=[*BY_NAME, "all"],
                      help="record that the stale results of benchmark NAME (or all) come from older code "
                      "and were not re-run; any later change of their code makes them stale again")
    prov.add_argument("--reason", help="why they were not re-run (with --acknowledge)")
    args = parser.parse_args(argv)

    if args.command == "list":
        if args.markdown:
            if not harness.write_readme_block():
                print("README.md has no generated-list markers", file=sys.stderr)
                return 1
            print(f"rewrote the benchmark list in {harness.README.name}")
        else:
            print(harness.listing())
        return 0
    if args.command == "provenance":
        if args.reason and not args.acknowledge:
            parser.error("--reason goes with --acknowledge")
        return _provenance(args.check, args.acknowledge, args.reason)
    chosen = BENCHMARKS if args.name == "all" else (BY_NAME[args.name],)
    for b in chosen:
        if args.quick and b.quick is None and args.name == "all":
            print(f"{b.name}: skipped, no --quick profile ({b.no_quick})", file=sys.stderr)
            continue
        code = harness.run(b, quick=args.quick, workers=args.workers)
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
