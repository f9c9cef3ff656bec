"""Spillway: a bounded, checksummed, persistent disk tier for KV-cache blocks.

``spillway.Tier`` drives a tier over caller-owned rows; ``spillway.vllm.SpillwayTier`` is
a vLLM 0.33 secondary tier (``{"type": "SpillwayTier", "module_path": "spillway.vllm"}``).
"""

from .tier import HIT, MISS, PENDING, JobResult, Tier, TierError, parse_bytes

__all__ = ["HIT", "MISS", "PENDING", "JobResult", "Tier", "TierError", "parse_bytes"]
__version__ = "0.1.0"
