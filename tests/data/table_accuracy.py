"""A user's evaluation program for the command evaluator's tests: prints the NB201 table's
CIFAR-10 validation accuracy of `--arch` (as a training script would print its result)."""

import argparse
import csv
import json
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--arch", required=True)
parser.add_argument("--out")
parser.add_argument("--fail-on", default="", help="exit 1 for this arch (a crashing training)")
args = parser.parse_args()
if args.arch == args.fail_on:
    raise SystemExit("simulated crash")
with open(Path(os.environ["NARANK_DATA"]) / "nb201" / "nb201.csv") as fh:
    row = next(r for r in csv.DictReader(fh) if r["arch_str"] == args.arch)
if args.out:
    Path(args.out).write_text(json.dumps({"accuracy": float(row["cifar10_valid_acc"]),
                                          "test_accuracy": float(row["cifar10_test_acc"])}))
else:
    print(f"epoch 200 loss 0.01\nfinal accuracy {row['cifar10_valid_acc']}")
