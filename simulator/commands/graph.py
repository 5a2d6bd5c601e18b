"""Draw a scenario as a graph: Graphviz DOT or Mermaid, on standard output.

States are nodes, endings are shaped and coloured by outcome, choices are edges
labelled with their number and rating, 'next' branches are dashed, time-outs dotted.
--path plays a route (as 'groupsim run --choose' does) and highlights it.

    groupsim graph scenarios/subgrouping.yaml --format dot | dot -Tsvg > map.svg
    groupsim graph scenarios/subgrouping.yaml --format mermaid --path 1,2,1 > map.mmd
"""

from __future__ import annotations

import argparse
import sys

from simulator.commands.run import parse_path

HELP = "draw a scenario's states and choices as Graphviz DOT or Mermaid"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="a scenario file, or a shipped scenario's id")
    p.add_argument("--format", choices=("dot", "mermaid"), default="dot", help="output language (default: dot)")
    p.add_argument(
        "--path",
        type=parse_path,
        default=None,
        metavar="1,2,1",
        help="highlight the route these choices take (choice numbers, or timeout)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed for chance branches along --path (default 0)")


def run(args: argparse.Namespace) -> int:
    from simulator.authoring.graph import to_dot, to_mermaid, trace
    from simulator.commands import load_one
    from simulator.engine.session import SessionError

    scenario, code = load_one(args.file, "graph")
    if scenario is None:
        return code
    route = None
    if args.path is not None:
        try:
            route = trace(scenario, args.path, args.seed)
        except SessionError as exc:
            print(f"groupsim graph: --path: {exc}", file=sys.stderr)
            return 1
    sys.stdout.write(to_dot(scenario, route) if args.format == "dot" else to_mermaid(scenario, route))
    return 0
