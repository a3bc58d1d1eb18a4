"""EZNAS: zero-cost proxies evolved by genetic programming over statistics of networks at initialization."""
