"""nigiri's backend-comparison benchmarks (issue 8; DESIGN section 9).

Run ``python -m bench SUITE`` from the repository root; see bench/README.md.
"""
