"""Training-cache fingerprints for our NLU components.

Rasa reuses a component's cached training output when the component class's own source, its
config and its inputs are unchanged. Our components do their work in module-level code too
(the sentence encoder's graph, the classifier's features), so each adds its modules' source
(`fingerprint_addon`): a change there retrains, instead of mixing features from two versions.
"""

from __future__ import annotations

import hashlib
import inspect
from types import ModuleType


def source_fingerprint(*modules: ModuleType) -> str:
    """A hash of the modules' source code."""
    digest = hashlib.sha256()
    for module in modules:
        digest.update(inspect.getsource(module).encode("utf-8"))
    return digest.hexdigest()
