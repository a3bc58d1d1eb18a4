"""Search spaces declared in a spec file (YAML or JSON), no code: `from_spec(path)`."""

from narank.specs.edge import EdgeSpecSpace, SpecCell
from narank.specs.ops import OPS, EdgeOp, edge_op
from narank.specs.spec import SpecError, from_spec

__all__ = ["OPS", "EdgeOp", "EdgeSpecSpace", "SpecCell", "SpecError", "edge_op", "from_spec"]
