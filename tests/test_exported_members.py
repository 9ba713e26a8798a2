"""The package's public names and `__all__` stay in step (as httpx tests its exports)."""

from __future__ import annotations

import trialfinder


def test_all_names_exist_and_are_public() -> None:
    for name in trialfinder.__all__:
        assert hasattr(trialfinder, name), name


def test_every_public_attribute_is_exported() -> None:
    public = {
        name
        for name, value in vars(trialfinder).items()
        if not name.startswith("_") and not isinstance(value, type(trialfinder))
    }
    assert public == set(trialfinder.__all__) - {"__version__"}
