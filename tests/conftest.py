"""Shared test configuration."""

import torch

# The suite is many tiny tensor operations (gradchecks, short signals): one intra-op thread avoids
# thread-pool overhead and keeps run times stable on the 2-core CI machine.
torch.set_num_threads(1)
