"""The lab 02 grading-accuracy corpus: the submissions and the instructor's points.

Like ``corpus.py`` for lab 03: each submission is a template version, the
student's commits and the points an instructor gives for each automatic
item, decided from the code, the history and the summary *before* the
grader ran, with one reason per deduction. The instructor applies the
rubric's partial-credit weights (grading/labs/l02_quantization.toml):

- FP32Model (4): the written model is FP32 with the Keras outputs 1,
  construction 0.5, the steps give the Keras scores 1, invoke only in
  run_inference 0.5, test_inference 0.5, saved outputs = grader's run 0.5;
- INT8Model (4), variants 0.3 and 0.8: calibration share 1, int8 model 1,
  input quantized 1, output dequantized 0.5, saved outputs = grader's run 0.5;
- ImbalancedINT8Model (2): one class 1, int8 model 0.5, inference 0.5;
- hardware (2): a CPU model and a RAM size, 1 each; parameters (1); sizes
  (1): FP32 size, INT8 size, reduction, a third each; NativeModel (1).

What the hidden tests see in the student's process counts only with the
grader's out-of-process proof (``[proof]`` of the lab's artifacts.toml):
FP32 credit when the written FP32 model gives the Keras outputs, INT8
credit when the written model has calibrated (int8) activations. That
changes no point here, decided before it ran: no-allocate writes correct
models (only inference fails), and float-io's model is calibrated inside
(int8 activations and weights) with float input and output, so its
calibration and one-class credit stay.

An item a submission's template version does not ask for (``NOT_ASKED``
as its points: the platform before the course's ab4f203) is not graded at
all: it is absent from the results and its points from the maximum.

What each mistake costs follows from the rubric: without
``allocate_tensors`` the conversion is right and every inference step
fails; with ``inference_input_type`` left float the model is not
full-integer and the README's quantizing ``preprocess_input`` divides by a
zero scale and sets int8 values into a float input, so only the
calibration stands.
"""

from __future__ import annotations

from pathlib import Path

from corpus_build import Commit, Import, Method, Submission, Write

ROOT = Path(__file__).resolve().parents[2]
LAB = "l02_quantization"
MODULE = "dl_in_iot_course/l02_quantization/quantization_experiments.py"
SUMMARY = "summaries/l02_quantization/summary.md"
AUTO_ITEMS = {
    "hardware": 2,
    "native_model": 1,
    "parameters": 1,
    "fp32_model": 4,
    "int8_model": 4,
    "imbalanced_int8_model": 2,
    "sizes": 1,
    "git_history": 2,
}
#: Items the summary alone decides.
SUMMARY_ITEMS = ("hardware", "parameters", "sizes")
#: Items the hidden tests decide.
CODE_ITEMS = ("native_model", "fp32_model", "int8_model", "imbalanced_int8_model")
#: The points of an item the submission's version does not ask for.
NOT_ASKED = None
#: The maximum with every item, and without the two platform items.
FULL_MARKS = 23.0
WITHOUT_PLATFORM = 19.0
REFERENCE = (
    ROOT / "grading/private/reference/l02_quantization/quantization_experiments.py"
).read_text(encoding="utf-8")
STUB = (ROOT / MODULE).read_text(encoding="utf-8")


def solution(*replacements: tuple[str, str]) -> str:
    """Our reference solution with ``replacements``."""
    text = REFERENCE
    for old, new in replacements:
        assert text.count(old) >= 1, old
        text = text.replace(old, new)
    return text


def first_step(module: str) -> str:
    """The stub with NativeModel and FP32Model of ``module``: the first commit."""

    def part(text: str) -> tuple[int, int]:
        return text.index("class NativeModel"), text.index("class INT8Model")

    start, end = part(module)
    stub_start, stub_end = part(STUB)
    return STUB[:stub_start] + module[start:end] + STUB[stub_end:]


NO_ALLOCATE = ("        self.interpreter.allocate_tensors()\n", "")
NO_SCALE_IN = (
    """        scale, zero_point = self.input_details["quantization"]
        quantized = np.round(X / scale + zero_point)
        quantized = np.clip(quantized, -128, 127).astype(np.int8)
""",
    "        quantized = X.astype(np.int8)\n",
)
NO_SCALE_OUT = (
    """        scale, zero_point = self.output_details["quantization"]
        return (Y.astype(np.float32) - zero_point) * scale
""",
    "        return Y\n",
)
FLOAT_IO = (
    """        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
""",
    "",
)

SUMMARY_EN = """# Lab 02 summary

## The platform

- CPU: model name: Intel(R) Core(TM) i7-8565U CPU @ 1.80GHz
- 4 cores, 8 threads; flags include avx2 and sse4_2
- RAM: 16 GB (free -h shows 15Gi)

The CPU has AVX2, so the TFLite kernels can use 256-bit vector instructions
for both float and integer arithmetic.

## Model

Total params: 4,164,965 (model.summary() of the native model).

## Results

| variant | accuracy | mean precision | mean sensitivity | G-mean | time [ms] |
| --- | --- | --- | --- | --- | --- |
| native | 0.8364 | 0.8401 | 0.8352 | 0.8310 | 61.2 |
| tflite-fp32 | 0.8364 | 0.8401 | 0.8352 | 0.8310 | 22.4 |
| tflite-int8-0.01 | 0.8012 | 0.8100 | 0.8005 | 0.7950 | 9.8 |
| tflite-int8-0.08 | 0.8230 | 0.8290 | 0.8221 | 0.8170 | 9.7 |
| tflite-int8-0.3 | 0.8290 | 0.8330 | 0.8280 | 0.8240 | 9.9 |
| tflite-int8-0.8 | 0.8301 | 0.8344 | 0.8295 | 0.8250 | 9.8 |
| tflite-imbint8 | 0.7605 | 0.7810 | 0.7590 | 0.7400 | 9.9 |

## Sizes

- FP32 model: 16.42 MB
- INT8 model: 4.35 MB
- the INT8 model is 3.8 times smaller

## Question 1: how does the TFLite FP32 model compare with the native model?

Both give the same predictions and metrics, because the FP32 conversion keeps
every weight; TFLite is almost three times faster on one image.

## Question 2: how does the best INT8 model compare with FP32?

The best INT8 model (calibration on 0.8 of the data) loses about 0.6 points of
accuracy and runs more than twice as fast as the FP32 model.

## Question 3: how does the size of the calibration set change INT8 quality?

More calibration images give better ranges for the activations; the gain is
large from 0.01 to 0.08 and small after that.

## Question 4: how does the one-class calibration compare with the other INT8 models?

Calibrating on one class only gives activation ranges that fit that class and
clip the others, so it is clearly worse than every balanced calibration.
"""

SUMMARY_PL = """# Podsumowanie laboratorium 02

## Platforma

Procesor: AMD Ryzen 7 5800H, 8 rdzeni i 16 wątków, flagi avx2, fma.
Pamięć RAM: 32 GB.

## Model

Liczba parametrów: 4 164 967 (Total params z model.summary()).

## Wyniki

- native: accuracy 0.8364, czas 58.0 ms
- tflite-fp32: accuracy 0.8364, czas 20.1 ms
- tflite-int8-0.3: accuracy 0.8290, czas 8.9 ms
- tflite-int8-0.8: accuracy 0.8301, czas 8.8 ms
- tflite-imbint8: accuracy 0.7605, czas 8.9 ms

## Rozmiary

Model FP32 ma 16 420 kB, model INT8 ma 4 350 kB, czyli jest 3,8 razy mniejszy.

## Pytanie 1: porównanie modelu TFLite FP32 z modelem natywnym

Wyniki są identyczne, bo konwersja do FP32 nie zmienia wag; TFLite jest
prawie trzy razy szybszy przy jednym obrazie.

## Pytanie 2: porównanie najlepszego modelu INT8 z FP32

Najlepszy model INT8 traci około 0,6 punktu dokładności i jest ponad dwa
razy szybszy niż FP32.

## Pytanie 3: jak rozmiar zbioru kalibracyjnego wpływa na jakość INT8?

Im więcej obrazów kalibracyjnych, tym lepsze zakresy aktywacji; największa
różnica jest między 0.01 a 0.08.

## Pytanie 4: kalibracja na jednej klasie w porównaniu z pozostałymi modelami INT8

Kalibracja na obrazach jednej klasy daje zakresy dopasowane do tej klasy,
więc model jest wyraźnie gorszy od pozostałych modeli INT8.
"""

#: The English summary without a RAM size and without the reduction.
SUMMARY_EN_PARTIAL = SUMMARY_EN.replace(
    "- RAM: 16 GB (free -h shows 15Gi)\n", ""
).replace("- the INT8 model is 3.8 times smaller\n", "")

#: The English summary with no platform section (a README that never asked).
SUMMARY_EN_NO_PLATFORM = (
    SUMMARY_EN[: SUMMARY_EN.index("## The platform")]
    + (SUMMARY_EN[SUMMARY_EN.index("## Model") :])
)

# The original course's template (2025-03, 0aa9cc3): the interpreter is
# self.model, preprocess_input is given, the generator is the student's.
FORK_FP32 = """
def optimize_model(self, originalmodel: Path):
    keras_model = tf.keras.models.load_model(str(originalmodel))
    tflite = tf.lite.TFLiteConverter.from_keras_model(keras_model).convert()
    with open(self.modelpath, "wb") as out:
        out.write(tflite)

def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.model.allocate_tensors()

def run_inference(self):
    self.model.invoke()
    return self.model.get_tensor(self.model.get_output_details()[0]["index"])

def postprocess_outputs(self, Y):
    return Y
"""
#: Calibrates on every training image, whatever calibrationdatasetpercent says.
FORK_INT8_WHOLE = """
def optimize_model(self, originalmodel: Path):
    def every_training_image():
        for path in self.dataset.trainvalX:
            yield [self.dataset.prepare_input_sample(path)]

    keras_model = tf.keras.models.load_model(str(originalmodel))
    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = every_training_image
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with open(self.modelpath, "wb") as out:
        out.write(converter.convert())

def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.model.allocate_tensors()

def preprocess_input(self, X):
    details = self.model.get_input_details()[0]
    scale, zero = details["quantization"]
    X = np.clip(np.round(X / scale + zero), -128, 127).astype(np.int8)
    self.model.set_tensor(details["index"], X)

def run_inference(self):
    self.model.invoke()
    return self.model.get_tensor(self.model.get_output_details()[0]["index"])

def postprocess_outputs(self, Y):
    scale, zero = self.model.get_output_details()[0]["quantization"]
    return (Y.astype(np.float32) - zero) * scale
"""
#: The template's generator of the share, the rest as FORK_INT8_WHOLE.
FORK_INT8_SHARE = FORK_INT8_WHOLE.replace(
    """    def every_training_image():
        for path in self.dataset.trainvalX:
            yield [self.dataset.prepare_input_sample(path)]
""",
    """    def calibration_dataset_generator():
        return self.dataset.calibration_dataset_generator(
            self.calibrationdatasetpercent, 1234
        )
""",
).replace("= every_training_image", "= calibration_dataset_generator")
FORK_IMBALANCED = """
def optimize_model(self, originalmodel: Path):
    def first_class_only():
        labels = self.dataset.trainvalY
        for path, label in zip(self.dataset.trainvalX, labels):
            if label == labels[0]:
                yield [self.dataset.prepare_input_sample(path)]

    keras_model = tf.keras.models.load_model(str(originalmodel))
    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = first_class_only
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    with open(self.modelpath, "wb") as out:
        out.write(converter.convert())
"""
FORK_NATIVE = """
def prepare_model(self):
    self.model = tf.keras.models.load_model(str(self.modelpath))
    self.model.summary()
"""


def _ours(name: str, module: str, summary: str, expected: dict, note: str):
    commits = (
        Commit(
            "l02_quantization: Implement FP32Model",
            (Write(MODULE, first_step(module)),),
            body="Convert with the TFLite converter and run the LiteRT interpreter.",
            day=2,
        ),
        Commit(
            "l02_quantization: Implement the INT8 models",
            (Write(MODULE, module),),
            day=3,
        ),
        Commit(
            "summaries: Add the lab 02 summary",
            (Write(SUMMARY, summary),),
            day=4,
        ),
    )
    full = {k: (v, "") for k, v in AUTO_ITEMS.items()}
    full.update(expected)
    return Submission(name, "ours", "", commits, full, note=note)


FULL = {}
SUBMISSIONS = [
    _ours("ours-correct", solution(), SUMMARY_EN, FULL, "the reference solution"),
    _ours(
        "ours-no-allocate",
        solution(NO_ALLOCATE),
        SUMMARY_EN,
        {
            "fp32_model": (1.5, "no allocate_tensors: every inference step fails"),
            "int8_model": (2.0, "no allocate_tensors: the inference fails"),
            "imbalanced_int8_model": (1.5, "no allocate_tensors: inference fails"),
        },
        "the interpreters are never allocated",
    ),
    _ours(
        "ours-no-scale",
        solution(NO_SCALE_IN, NO_SCALE_OUT),
        SUMMARY_EN_PARTIAL,
        {
            "int8_model": (2.0, "input cast, not quantized; output not dequantized"),
            "imbalanced_int8_model": (1.5, "inherits the wrong inference"),
            "hardware": (1.0, "no RAM size"),
            "sizes": (2 / 3, "no reduction given"),
        },
        "no scale and zero point on input or output; a partial summary",
    ),
    _ours(
        "ours-float-io",
        solution(FLOAT_IO),
        SUMMARY_EN,
        {
            "int8_model": (1.0, "float io: not full-integer; inference fails"),
            "imbalanced_int8_model": (1.0, "float input/output, inference fails"),
        },
        "inference_input_type and inference_output_type left float",
    ),
    Submission(
        "fork-whole-dataset",
        "antmicro-2025-03-29",
        "0aa9cc353011d6b0b9dc6ccf0cc53cd41e83f2a2",
        (
            Commit(
                "l02_quantization: Implemented FP32Model",
                (
                    Method(MODULE, "NativeModel", FORK_NATIVE),
                    Method(MODULE, "FP32Model", FORK_FP32),
                ),
                day=2,
            ),
            Commit(
                "l02_quantization: Implemented INT8 models",
                (
                    Import(MODULE, "import numpy as np"),
                    Method(MODULE, "INT8Model", FORK_INT8_WHOLE),
                    Method(MODULE, "ImbalancedINT8Model", FORK_IMBALANCED),
                ),
                day=3,
            ),
            Commit(
                "summaries: l02_quantization: Added summary",
                (Write(SUMMARY, SUMMARY_PL),),
                day=4,
            ),
        ),
        {
            **{k: (v, "") for k, v in AUTO_ITEMS.items()},
            "int8_model": (3.0, "calibrates on the whole training set"),
        },
        note="a fork of the original course, calibration on every image",
    ),
    Submission(
        "fork-2021-correct",
        "antmicro-2021-10",
        "0023f22c1540fb3a2dd95584a80ada12a8df3c95",
        (
            Commit(
                "l02_quantization: Implemented FP32Model",
                (
                    Method(MODULE, "NativeModel", FORK_NATIVE),
                    Method(MODULE, "FP32Model", FORK_FP32),
                ),
                day=2,
            ),
            Commit(
                "l02_quantization: Implemented INT8 models",
                (
                    Method(MODULE, "INT8Model", FORK_INT8_SHARE),
                    Method(MODULE, "ImbalancedINT8Model", FORK_IMBALANCED),
                ),
                day=3,
            ),
            Commit(
                "summaries: l02_quantization: Added summary",
                (Write(SUMMARY, SUMMARY_EN),),
                day=4,
            ),
        ),
        {
            **{k: (v, "") for k, v in AUTO_ITEMS.items()},
            # Its summary gives the platform, but the 2021 README never asked.
            "hardware": (NOT_ASKED, "the 2021-10 README asks nothing of it"),
        },
        note="a correct fork of the first version (its ModelTester in the module)",
    ),
    Submission(
        "fork-2024-no-platform",
        "antmicro-2024-03",
        "b6d430ec718d27604c26688562a617d9b4dfcb70",
        (
            Commit(
                "l02_quantization: Implemented FP32Model",
                (
                    Method(MODULE, "NativeModel", FORK_NATIVE),
                    Method(MODULE, "FP32Model", FORK_FP32),
                ),
                day=2,
            ),
            Commit(
                "l02_quantization: Implemented INT8 models",
                (
                    Import(MODULE, "import numpy as np"),
                    Method(MODULE, "INT8Model", FORK_INT8_SHARE),
                    Method(MODULE, "ImbalancedINT8Model", FORK_IMBALANCED),
                ),
                day=3,
            ),
            Commit(
                "summaries: l02_quantization: Added summary",
                (Write(SUMMARY, SUMMARY_EN_NO_PLATFORM),),
                day=4,
            ),
        ),
        {
            **{k: (v, "") for k, v in AUTO_ITEMS.items()},
            "hardware": (
                NOT_ASKED,
                "the 2024-03 README asks nothing about the platform",
            ),
        },
        note="a correct 2024 fork whose summary, as its README, has no platform",
    ),
    *(
        Submission(
            name,
            version,
            commit,
            (),
            {
                **{k: (0.0, "no summary: nothing stated") for k in SUMMARY_ITEMS},
                "native_model": (0.0, "the stub loads the model, prints nothing"),
                "fp32_model": (0.0, "untouched stub: not implemented"),
                "int8_model": (0.0, "untouched stub: not implemented"),
                "imbalanced_int8_model": (0.0, "untouched stub: not implemented"),
                "git_history": (0.0, "no commit of the student's own"),
            },
            note="the template as it was handed out, nothing done",
        )
        for name, version, commit in (
            ("untouched-ours", "ours", ""),
            (
                "untouched-fork-2025",
                "antmicro-2025-03-29",
                "0aa9cc353011d6b0b9dc6ccf0cc53cd41e83f2a2",
            ),
        )
    ),
]
