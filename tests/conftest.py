"""Project-wide test settings.

TensorFlow must see ``TF_USE_LEGACY_KERAS=1`` before its first import, and
its C++ logging is noise in test output.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
