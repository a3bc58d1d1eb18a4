"""Search spaces declared in a spec file (YAML or JSON), no code: `from_spec(path)`. Two families:
edge-labelled cells (NB201-like, `EdgeSpecSpace`) and node-labelled DAGs (NB101-like,
`NodeSpecSpace`)."""

from narank.specs.edge import EdgeSpecSpace, SpecCell
from narank.specs.node import NodeCell, NodeSpecSpace
from narank.specs.ops import OPS, EdgeOp, edge_op
from narank.specs.spec import SpecError, from_spec

__all__ = ["OPS", "EdgeOp", "EdgeSpecSpace", "NodeCell", "NodeSpecSpace", "SpecCell", "SpecError", "edge_op",
           "from_spec"]
