"""The Ray runtime and the cluster: addresses, per-node fit, node ids, Ray Jobs."""
