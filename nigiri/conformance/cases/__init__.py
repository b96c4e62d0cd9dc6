"""Case generators: each module exposes ``cases() -> Iterator[Case]``."""
