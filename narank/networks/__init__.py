"""PyTorch networks of the built-in spaces: NB201 (`nb201`, its ops also build the NATS-SSS and
one-shot networks), NB101 (`nb101`) and NATS-SSS (`natsss`).

They sit above `narank.spaces` and below the proxies that build them: `builtin` registers each
space's `net_config`/`network` in `narank.spaces.base.NETWORKS`, where `SearchSpace.network`
finds them. Importing this package does not import torch.
"""
