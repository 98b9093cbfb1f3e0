"""Fixtures for the training tests (helpers live in train_build.py)."""

import pytest
from train_build import HostBuild


@pytest.fixture
def host(tmp_path):
    return HostBuild(tmp_path)
