#!/usr/bin/env bash
# Reproduces the committed NVIDIA GPU figures. Run from the repository root on a machine
# with an NVIDIA GPU, CuPy and PyTorch; missing Python packages (pyopencl and its
# dependencies, nvidia-cudnn-frontend, hypothesis, tqdm) may be put as wheels in .whl/.
# Usage: OUT=DIR bash bench/gpu_session.sh conformance|bench|all|recheck
# recheck: what the 2026-11-26 sessions left unrun on the GPU (issues 6, 7, 8): the full
# conformance tier on opencl:0 and cupy, the cupy tests, the LeNet conv-backward
# diagnosis, and the elementwise/reduce/transfer/layers suites over cupy and opencl.
set -u
export PYTHONUNBUFFERED=1
OUT=${OUT:-bench/results/gpu-run}
mkdir -p "$OUT"
if [ -d .whl ]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD
else
    export PYTHONPATH=$PWD
fi
# NVIDIA's OpenCL driver is often installed but not registered with the ICD loader.
lib=$(ldconfig -p | grep -m1 libnvidia-opencl.so.1 | awk '{print $NF}')
if [ -n "$lib" ] && [ ! -s /etc/OpenCL/vendors/nvidia.icd ]; then
    mkdir -p /etc/OpenCL/vendors && echo "$lib" > /etc/OpenCL/vendors/nvidia.icd
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -m nigiri backends | tee "$OUT/backends.txt"
what=${1:-all}
if [ "$what" = conformance ] || [ "$what" = all ]; then
    timeout 200 python3 -m nigiri conformance --backend cupy --quick --plain \
        --json "$OUT/conformance_cupy_quick.json" > "$OUT/conformance_cupy_quick.log" 2>&1
    echo "quick conformance rc=$?"; tail -3 "$OUT/conformance_cupy_quick.log"
    timeout "${CONF_SECONDS:-330}" python3 -m nigiri conformance --backend cupy \
        --max-examples "${CONF_EXAMPLES:-25}" --plain --problems-only \
        --json "$OUT/conformance_cupy.json" > "$OUT/conformance_cupy.log" 2>&1
    echo "full conformance rc=$?"; tail -4 "$OUT/conformance_cupy.log"
    [ -n "${SKIP_TRAIN:-}" ] || timeout 200 python3 -m nigiri train lenet --backend cupy --epochs 10 --no-progress \
        --out /tmp/lenet-cupy --json > "$OUT/train_lenet_cupy.log" 2>&1
    echo "train rc=$?"; tail -3 "$OUT/train_lenet_cupy.log"
fi
if [ "$what" = bench ] || [ "$what" = all ]; then
    timeout "${BENCH_SECONDS:-480}" python3 -m bench "${BENCH_SUITES:-table1,gemm,elementwise,reduce,overhead,transfer,layers,train}" \
        --backends cupy,opencl --peers cupy,torch --out /tmp/bench-gpu > "$OUT/bench.log" 2>&1
    echo "bench rc=$?"; tail -40 "$OUT/bench.log"
    tar -C /tmp -czf "$OUT/bench-gpu.tar.gz" bench-gpu
fi
if [ "$what" = recheck ]; then
    timeout 300 python3 -m nigiri conformance --backend opencl:0 --max-examples 25 --plain \
        --problems-only --json "$OUT/conformance_opencl_h100.json" > "$OUT/conformance_opencl.log" 2>&1
    echo "opencl conformance rc=$?"; tail -3 "$OUT/conformance_opencl.log"
    timeout "${CONF_SECONDS:-400}" python3 -m nigiri conformance --backend cupy --max-examples 25 \
        --plain --problems-only --json "$OUT/conformance_cupy.json" > "$OUT/conformance_cupy.log" 2>&1
    echo "cupy conformance rc=$?"; tail -3 "$OUT/conformance_cupy.log"
    timeout 300 python3 -m pytest -q -p no:cacheprovider tests/backends/cupy > "$OUT/cupy_tests.log" 2>&1
    echo "cupy tests rc=$?"; tail -3 "$OUT/cupy_tests.log"
    timeout 120 python3 bench/conv_backward_diag.py > "$OUT/conv_backward_diag.log" 2>&1
    echo "diag rc=$?"; cat "$OUT/conv_backward_diag.log"
    timeout "${BENCH_SECONDS:-480}" python3 -m bench "${BENCH_SUITES:-elementwise,reduce,transfer,layers}" \
        --backends cupy,opencl --peers cupy,torch --out /tmp/bench-gpu-recheck > "$OUT/bench.log" 2>&1
    echo "bench rc=$?"; tail -30 "$OUT/bench.log"
    tar -C /tmp -czf "$OUT/bench-gpu-recheck.tar.gz" bench-gpu-recheck
fi
