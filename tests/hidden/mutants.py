"""The mutant table: plausible student mistakes, kept as data.

Each mutant is the reference solution of lab 03 with text substitutions
``(old, new)``; ``old`` must occur exactly once in the reference (the test
says so when the reference changed). ``breaks`` lists every finding id that
must fail (``hidden.*`` from the hidden tests, ``artifact.*`` from the
grader's inspection of the written model); every other code check must pass,
so the mutant loses exactly the points of the items it breaks. What the
hidden tests see in the student's process counts only for the variants whose
model the grader's own checks confirm (``grading/hidden/proof.py``), so a
mutant whose model fails a proof check (k values, sparsity, outputs) loses
the other checks of that variant too.

Mutants touching different classes are graded together in one submission
(``BATCHES``) to fit the test budget: the classes are tested independently,
so a batch fails exactly the union of its mutants' ``breaks``.
"""

REFERENCE = (
    "grading/private/reference/l03_pruning_clustering/pruning_clustering_experiments.py"
)

PRUNE_BLOCK = """        stripped = tfmot.sparsity.keras.strip_pruning(pruned)
        converter = tf.lite.TFLiteConverter.from_keras_model(stripped)
        tflite_model = converter.convert()
        with open(self.modelpath, "wb") as modelfile:
            modelfile.write(tflite_model)
"""

MUTANTS = {
    # --- TFMOTOptimizedModel -------------------------------------------
    "wrong_output_tensor": {
        "item": "tfmot_optimized_model",
        "subs": [
            (
                'return self.interpreter.get_tensor(self.output_details["index"])',
                'return self.interpreter.get_tensor(self.input_details["index"])',
            )
        ],
        # prepare_model runs, but nothing outside the student's process shows
        # that the runner works: the outputs are the proof of this item.
        "breaks": {
            "hidden.tfmot_optimized_model.prepare",
            "hidden.tfmot_optimized_model.outputs",
            "hidden.tfmot_optimized_model.test_inference",
            "artifact.tfmot_optimized_model.outputs",
        },
    },
    "unallocated_interpreter": {
        "item": "tfmot_optimized_model",
        "subs": [("        self.interpreter.allocate_tensors()\n", "")],
        "breaks": {
            "hidden.tfmot_optimized_model.prepare",
            "hidden.tfmot_optimized_model.outputs",
            "hidden.tfmot_optimized_model.test_inference",
            "artifact.tfmot_optimized_model.outputs",
        },
        "code": "unallocated",
    },
    # --- ClusteredModel -------------------------------------------------
    "no_linear_init": {
        "item": "clustered_model",
        "subs": [
            ("            cluster_centroids_init=CentroidInitialization.LINEAR,\n", "")
        ],
        "breaks": {"hidden.clustered_model.cluster_call"},
    },
    "wrong_number_of_clusters": {
        "item": "clustered_model",
        "subs": [("number_of_clusters=self.num_clusters,", "number_of_clusters=8,")],
        # k = 8 still passes: partial credit. clustered-2 and clustered-4
        # hold 8 values per kernel: their k is wrong, but the grader's own
        # checks of those models prove clustering, fine-tuning and stripping
        # (few values, kernels changed from the original, no training ops),
        # so only the call and the number of values fail there.
        "breaks": {
            "hidden.clustered_model.cluster_call",
            "artifact.clustered_model.unique_values",
        },
    },
    "clustering_not_stripped": {
        "item": "clustered_model",
        "subs": [
            (
                "stripped = tfmot.clustering.keras.strip_clustering(clustered)",
                "stripped = clustered",
            )
        ],
        "breaks": {
            "hidden.clustered_model.strip_call",
            "artifact.clustered_model.stripped",
        },
        "code": "unstripped",
    },
    "model_not_trainable": {
        "item": "clustered_model",
        "subs": [
            (
                "        model.trainable = True\n"
                "        for layer in model.layers:\n"
                "            layer.trainable = True\n",
                "",
            )
        ],
        # The tiny model's first layer comes frozen, as the lab's backbone:
        # cluster_weights then fails ("no weights to cluster"), so nothing
        # of the item works.
        "breaks": {
            "hidden.clustered_model.cluster_call",
            "hidden.clustered_model.trainable",
            "hidden.clustered_model.fine_tuned",
            "hidden.clustered_model.strip_call",
            "artifact.clustered_model.loads",
            "artifact.clustered_model.unique_values",
            "artifact.clustered_model.stripped",
        },
        "code": "not_trainable",
    },
    "import_keras_3_clustering": {
        "item": "clustered_model",
        # cluster_weights returns None for a Keras 3 model; compile then fails.
        # The model stays trainable, but no model was written to show it.
        "subs": [
            ("import tf_keras\n", "import keras\nimport tf_keras\n"),
            (
                "        model = tf_keras.models.load_model(str(originalmodel))\n"
                "        model.trainable = True\n",
                "        model = keras.models.load_model(str(originalmodel))\n"
                "        model.trainable = True\n",
            ),
        ],
        "breaks": {
            "hidden.clustered_model.cluster_call",
            "hidden.clustered_model.trainable",
            "hidden.clustered_model.fine_tuned",
            "hidden.clustered_model.strip_call",
            "artifact.clustered_model.loads",
            "artifact.clustered_model.unique_values",
            "artifact.clustered_model.stripped",
        },
        "code": "keras3",
    },
    # --- PrunedModel ----------------------------------------------------
    "keras_h5_written": {
        "item": "pruned_model",
        "subs": [
            (
                PRUNE_BLOCK,
                PRUNE_BLOCK.splitlines(keepends=True)[0]
                + "        stripped.save(str(self.modelpath), save_format='h5')\n",
            )
        ],
        # No .tflite, so no model shows the pruning the calls describe.
        "breaks": {
            "hidden.pruned_model.prune_call",
            "hidden.pruned_model.callbacks",
            "hidden.pruned_model.fine_tuned",
            "hidden.pruned_model.strip_call",
            "artifact.pruned_model.loads",
            "artifact.pruned_model.sparsity",
            "artifact.pruned_model.stripped",
        },
        "code": "keras_file",
    },
    "pruning_not_stripped": {
        "item": "pruned_model",
        "subs": [
            (
                "stripped = tfmot.sparsity.keras.strip_pruning(pruned)",
                "stripped = pruned",
            )
        ],
        "breaks": {"hidden.pruned_model.strip_call", "artifact.pruned_model.stripped"},
        "code": "unstripped",
    },
    "no_update_pruning_step": {
        "item": "pruned_model",
        "subs": [
            ("            callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],\n", "")
        ],
        # fit fails in the prune wrapper's assert_greater_equal: nothing is
        # written, so every artifact check of the item fails too, and the
        # right prune_low_magnitude call is not proven by any model.
        "breaks": {
            "hidden.pruned_model.prune_call",
            "hidden.pruned_model.callbacks",
            "hidden.pruned_model.fine_tuned",
            "hidden.pruned_model.strip_call",
            "artifact.pruned_model.loads",
            "artifact.pruned_model.sparsity",
            "artifact.pruned_model.stripped",
        },
        "code": "update_pruning_step",
    },
    "no_fine_tuning": {
        "item": "pruned_model",
        "subs": [
            (
                "        pruned.compile(optimizer=self.optimizer, loss=self.loss, "
                "metrics=self.metrics)\n"
                "        pruned.fit(\n"
                "            self.traindataset,\n"
                "            epochs=self.epochs,\n"
                "            validation_data=self.validdataset,\n"
                "            callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],\n"
                "            verbose=2,\n"
                "        )\n",
                "",
            )
        ],
        # Without fit the masks never change: the .tflite has no zeros, so
        # the only variant is not proven and nothing of it counts.
        "breaks": {
            "hidden.pruned_model.prune_call",
            "hidden.pruned_model.callbacks",
            "hidden.pruned_model.fine_tuned",
            "hidden.pruned_model.strip_call",
            "artifact.pruned_model.loads",
            "artifact.pruned_model.sparsity",
            "artifact.pruned_model.stripped",
        },
    },
    "import_keras_3": {
        "item": "pruned_model",
        "subs": [
            ("import tf_keras\n", "import keras\nimport tf_keras\n"),
            (
                "        model = tf_keras.models.load_model(str(originalmodel))\n"
                "        pruned = ",
                "        model = keras.models.load_model(str(originalmodel))\n"
                "        pruned = ",
            ),
        ],
        "breaks": {
            "hidden.pruned_model.prune_call",
            "hidden.pruned_model.callbacks",
            "hidden.pruned_model.fine_tuned",
            "hidden.pruned_model.strip_call",
            "artifact.pruned_model.loads",
            "artifact.pruned_model.sparsity",
            "artifact.pruned_model.stripped",
        },
        "code": "keras3",
    },
}

# One submission per batch; at most one mutant per class in a batch.
BATCHES = {
    "b1": ["wrong_output_tensor", "no_linear_init", "pruning_not_stripped"],
    "b2": [
        "unallocated_interpreter",
        "wrong_number_of_clusters",
        "no_update_pruning_step",
    ],
    "b3": ["clustering_not_stripped", "import_keras_3"],
    "b4": ["model_not_trainable", "no_fine_tuning"],
    "b5": ["import_keras_3_clustering", "keras_h5_written"],
}


def apply(source: str, names: list[str]) -> str:
    """Return ``source`` with the substitutions of the mutants ``names``."""
    for name in names:
        for old, new in MUTANTS[name]["subs"]:
            count = source.count(old)
            if count != 1:
                raise AssertionError(
                    f"mutant {name}: {old!r} occurs {count} times in {REFERENCE}; "
                    "the reference changed, update tests/hidden/mutants.py"
                )
            source = source.replace(old, new)
    return source
