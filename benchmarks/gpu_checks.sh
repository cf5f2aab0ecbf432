#!/usr/bin/env bash
# Everything that only a CUDA machine can show, in one run (issue 8, goals 6 and 7):
#   1. the CUDA-only tests (Triton kernels against the CPU reference, transformers and learning on CUDA);
#   2. benchmarks/comb_gpu.py (Triton fused / unfused vs torch vs dense conv1d, peak memory);
#   3. benchmarks/frontends_gpu.py (every transformer's transform on CUDA vs the CPU);
#   4. the whole suite with CUDA present (paths that pick CUDA when it exists), as time allows.
# Usage: bash benchmarks/gpu_checks.sh OUTDIR   (python3 must hold torch with CUDA and triton; the
# package's other requirements either installed or on PYTHONPATH). Each step has its own time limit
# and writes its log under OUTDIR; a failing step does not stop the next.
set -u
out=${1:-gpu-checks}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
step() {  # step NAME SECONDS COMMAND...: run with a limit, log to OUTDIR/NAME.log, say the exit status
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    echo "== $name: exit $? in $((SECONDS - t0)) s" | tee -a "$out/summary.txt"
}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv
    $py -c "import torch, triton, numpy, scipy, sklearn; print('torch', torch.__version__, 'triton', triton.__version__, 'numpy', numpy.__version__, 'scipy', scipy.__version__, 'sklearn', sklearn.__version__, 'cuda', torch.cuda.is_available())"
} 2>&1 | tee "$out/summary.txt"
step cuda_tests 120 $py -m pytest -q -rs -o addopts="" -p no:cacheprovider tests -k "cuda or device or triton_backend"
step comb_gpu 180 $py benchmarks/comb_gpu.py
step frontends_gpu 60 $py benchmarks/frontends_gpu.py
xdist=$($py -c "import xdist" 2>/dev/null && echo "-n 12")  # pytest-xdist where installed (not an extra)
step full_suite 90 $py -m pytest -q -rfE -o addopts="" -p no:cacheprovider $xdist -m "not triton_interpret" tests
tail -n 25 "$out/comb_gpu.log"
tail -n 10 "$out/frontends_gpu.log"
tail -n 6 "$out/cuda_tests.log" "$out/full_suite.log"
cat "$out/summary.txt"
