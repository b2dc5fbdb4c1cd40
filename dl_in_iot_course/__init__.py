"""Deep learning in IoT: the course package of the model-compression labs.

Importing this package selects Keras 2 (the ``tf-keras`` package) for
TensorFlow, because the TensorFlow Model Optimization Toolkit does not work
with Keras 3. The variable must be set before TensorFlow is imported for the
first time, so import ``dl_in_iot_course`` (or any module in it) before
``tensorflow`` in your own scripts.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"
# TensorFlow's C++ start-up messages hide the lab output; keep a value the user set.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
