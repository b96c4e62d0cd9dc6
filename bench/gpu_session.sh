#!/usr/bin/env bash
# Reproduces the committed NVIDIA GPU figures. Run from the repository root on a machine
# with an NVIDIA GPU, CuPy and PyTorch; missing Python packages (pyopencl and its
# dependencies, nvidia-cudnn-frontend, hypothesis, tqdm) may be put as wheels in .whl/.
# Usage: OUT=DIR bash bench/gpu_session.sh conformance|bench|all
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
