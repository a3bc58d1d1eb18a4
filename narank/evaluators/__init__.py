"""Evaluators: what measures a cell a search asks for. One interface (`Evaluator`), three kinds:
a benchmark table (`TableEvaluator`), training the space's own network on an image set
(`TrainingEvaluator`), and any program run per cell (`CommandEvaluator`)."""

from narank.evaluators.base import Evaluation, Evaluator, evaluate_safely
from narank.evaluators.command import CommandEvaluator
from narank.evaluators.table import TableEvaluator
from narank.evaluators.training import TrainingEvaluator

__all__ = ["CommandEvaluator", "Evaluation", "Evaluator", "TableEvaluator", "TrainingEvaluator",
           "evaluate_safely"]
