"""CUDA C++ sources of the cupy backend (package data: the *.cu files)."""
