#!/bin/bash
# The OpenCL backend's GPU session (issue 6), run on the lent NVIDIA machine from this
# worktree: installs pyopencl and its dependencies from .whl/, registers NVIDIA's
# OpenCL ICD, then runs the GPU benchmark and the OpenCL test suite, writing
# everything under $1 (the device tool's $OUT).
set -u
OUT=${1:?usage: bench/opencl_gpu_run.sh OUTDIR}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD PYTHONUNBUFFERED=1 NIGIRI_CACHE_DIR=/tmp/nigiri-cache
unset CUPY_TF32
mkdir -p /etc/OpenCL/vendors
echo "$(ldconfig -p | grep -m1 libnvidia-opencl.so.1 | awk '{print $NF}')" > /etc/OpenCL/vendors/nvidia.icd
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUT/gpu.txt" 2>&1
python3 -c "import json, nigiri.backends as b; print(json.dumps([r for r in b.info() if r['backend'] == 'opencl'], indent=1, default=str))" > "$OUT/opencl_info.json" 2>&1
timeout 300 python3 bench/opencl_backend.py --mode gpu --out "$OUT/opencl_backend_gpu.json" 2>&1 | tee "$OUT/bench.log" | tail -40
timeout 200 python3 -m pytest -q -p no:cacheprovider tests/backends/opencl 2>&1 | tee "$OUT/tests.log" | tail -25
