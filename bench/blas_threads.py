"""Keeps a PyTorch baseline to the threads it is asked for.

torch.set_num_threads sets libtorch's own thread pools, but Debian's python3-torch does its matrix
products through the system BLAS (OpenBLAS, pthreads build), whose thread count it does not
change: OpenBLAS reads it from the environment once, when torch loads, and otherwise uses every
core. So a baseline asked for one thread ran its products on two on this machine, and was compared
with a JVM side on one. Call limit(n) before the first `import torch`.
"""
import os


def limit(threads):
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(threads)


def from_argv(argv, flag="--threads", default=2):
    """The value of `flag` in argv, read before torch loads (so before a script's argparse runs)."""
    return int(argv[argv.index(flag) + 1]) if flag in argv[:-1] else default
