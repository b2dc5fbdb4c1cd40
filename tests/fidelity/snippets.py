# ruff: noqa: E501 - student code keeps its own line lengths
"""Student code of the corpus, written for this project in several styles.

Each constant is the source of one or more methods as a student would put
them into the experiment module of their template version: ``tf_keras`` in
our template (its module imports it), ``tf.keras`` in the original course's
versions (their modules import only ``tensorflow as tf`` and
``tensorflow_model_optimization as tfmot``). The mistakes are the ones the
corpus is about; everything else is meant to be right.
"""

# ----------------------------------------------------------- TFMOT runners

#: Our template, LiteRT's Interpreter (the module imports it).
RUNNER_LITERT = """
def prepare_model(self):
    self.interpreter = Interpreter(model_path=str(self.modelpath))
    self.interpreter.allocate_tensors()
    self.input_index = self.interpreter.get_input_details()[0]["index"]
    self.output_index = self.interpreter.get_output_details()[0]["index"]

def preprocess_input(self, X):
    self.interpreter.set_tensor(self.input_index, X.astype("float32"))

def run_inference(self):
    self.interpreter.invoke()
    return self.interpreter.get_tensor(self.output_index)

def postprocess_outputs(self, Y):
    return Y
"""

#: The original course's style: tf.lite.Interpreter kept in self.model, the
#: output read in postprocess_outputs (run_inference returns nothing).
RUNNER_TF_LITE = """
def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.model.allocate_tensors()

def preprocess_input(self, X):
    self.model.set_tensor(self.model.get_input_details()[0]['index'], X)

def run_inference(self):
    self.model.invoke()

def postprocess_outputs(self, Y):
    out = self.model.get_output_details()[0]['index']
    return self.model.get_tensor(out)
"""

#: LiteRT imported inside the method (a 2025 fork student).
RUNNER_LITERT_LOCAL = """
def prepare_model(self):
    from ai_edge_litert.interpreter import Interpreter

    self.interpreter = Interpreter(model_path=str(self.modelpath))
    self.interpreter.allocate_tensors()
    self.inp = self.interpreter.get_input_details()[0]
    self.out = self.interpreter.get_output_details()[0]

def preprocess_input(self, X):
    self.interpreter.set_tensor(self.inp["index"], X.astype(self.inp["dtype"]))

def run_inference(self):
    self.interpreter.invoke()
    return self.interpreter.get_tensor(self.out["index"])

def postprocess_outputs(self, Y):
    return Y
"""

#: The interpreter is made but its tensors are never allocated.
RUNNER_NO_ALLOCATE = """
def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.input_details = self.model.get_input_details()
    self.output_details = self.model.get_output_details()

def preprocess_input(self, X):
    self.model.set_tensor(self.input_details[0]["index"], X)

def run_inference(self):
    self.model.invoke()
    return self.model.get_tensor(self.output_details[0]["index"])

def postprocess_outputs(self, Y):
    return Y
"""

#: Returns the predicted class id instead of the class scores.
RUNNER_CLASS_ID = """
def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.model.allocate_tensors()

def preprocess_input(self, X):
    self.model.set_tensor(self.model.get_input_details()[0]["index"], X)

def run_inference(self):
    self.model.invoke()
    return self.model.get_tensor(self.model.get_output_details()[0]["index"])

def postprocess_outputs(self, Y):
    # the evaluation only needs the winning class
    return np.argmax(Y, axis=1)
"""

# ----------------------------------------------------------- lab 02 FP32Model

#: Our lab 02 template: the whole FP32Model (used as the parent in lab 03).
L02_FP32MODEL_OURS = """
def optimize_model(self, originalmodel):
    model = tf_keras.models.load_model(str(originalmodel))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    self.modelpath.write_bytes(converter.convert())

def prepare_model(self):
    self.interpreter = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.interpreter.allocate_tensors()

def preprocess_input(self, X):
    details = self.interpreter.get_input_details()[0]
    self.interpreter.set_tensor(details["index"], X)

def run_inference(self):
    self.interpreter.invoke()
    details = self.interpreter.get_output_details()[0]
    return self.interpreter.get_tensor(details["index"])

def postprocess_outputs(self, Y):
    return Y
"""

#: The original lab 02 template's FP32Model: its preprocess_input is given
#: (it sets the tensor of self.model); the student adds the rest.
L02_FP32MODEL_2021 = """
def optimize_model(self, originalmodel: Path):
    model = tf.keras.models.load_model(str(originalmodel))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    tflite_model = converter.convert()
    with open(self.modelpath, 'wb') as f:
        f.write(tflite_model)

def prepare_model(self):
    self.model = tf.lite.Interpreter(model_path=str(self.modelpath))
    self.model.allocate_tensors()

def run_inference(self):
    self.model.invoke()
    return self.model.get_tensor(self.model.get_output_details()[0]['index'])

def postprocess_outputs(self, Y):
    return Y
"""

# ----------------------------------------------------------- clustering

#: Our template: trainable, LINEAR, strip.
CLUSTER_OURS = """
def compress_and_fine_tune(self, originalmodel):
    model = tf_keras.models.load_model(originalmodel)
    model.trainable = True
    clustering = tfmot.clustering.keras
    clustered = clustering.cluster_weights(
        model,
        number_of_clusters=self.num_clusters,
        cluster_centroids_init=clustering.CentroidInitialization.LINEAR,
    )
    clustered.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    clustered.fit(
        self.traindataset, validation_data=self.validdataset, epochs=self.epochs
    )
    final = clustering.strip_clustering(clustered)
    tflite = tf.lite.TFLiteConverter.from_keras_model(final).convert()
    self.modelpath.write_bytes(tflite)
"""

#: Our template with KMEANS_PLUS_PLUS centroids instead of LINEAR.
CLUSTER_KMEANS = """
def compress_and_fine_tune(self, originalmodel):
    model = tf_keras.models.load_model(str(originalmodel))
    for layer in model.layers:
        layer.trainable = True
    init = tfmot.clustering.keras.CentroidInitialization.KMEANS_PLUS_PLUS
    model = tfmot.clustering.keras.cluster_weights(
        model, number_of_clusters=self.num_clusters, cluster_centroids_init=init
    )
    model.compile(self.optimizer, self.loss, self.metrics)
    model.fit(self.traindataset, epochs=self.epochs, validation_data=self.validdataset)
    model = tfmot.clustering.keras.strip_clustering(model)
    with open(self.modelpath, "wb") as f:
        f.write(tf.lite.TFLiteConverter.from_keras_model(model).convert())
"""

#: Keras 3 (`import keras` at the top of the module) for loading.
CLUSTER_KERAS3 = """
def compress_and_fine_tune(self, originalmodel):
    model = keras.models.load_model(str(originalmodel))
    model.trainable = True
    clustered = tfmot.clustering.keras.cluster_weights(
        model,
        number_of_clusters=self.num_clusters,
        cluster_centroids_init=tfmot.clustering.keras.CentroidInitialization.LINEAR,
    )
    clustered.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    clustered.fit(self.traindataset, epochs=self.epochs,
                  validation_data=self.validdataset)
    stripped = tfmot.clustering.keras.strip_clustering(clustered)
    converter = tf.lite.TFLiteConverter.from_keras_model(stripped)
    open(self.modelpath, "wb").write(converter.convert())
"""

#: The 2021 course's way: no trainable step, the given API, then strip.
CLUSTER_2021_STRIP = """
def compress_and_fine_tune(self, originalmodel):
    model = tf.keras.models.load_model(originalmodel)
    cluster_weights = tfmot.clustering.keras.cluster_weights
    CentroidInitialization = tfmot.clustering.keras.CentroidInitialization
    clustering_params = {
        'number_of_clusters': self.num_clusters,
        'cluster_centroids_init': CentroidInitialization.LINEAR
    }
    clustered_model = cluster_weights(model, **clustering_params)
    clustered_model.compile(
        loss=self.loss,
        optimizer=self.optimizer,
        metrics=self.metrics
    )
    clustered_model.fit(
        self.traindataset,
        epochs=self.epochs,
        validation_data=self.validdataset
    )
    final_model = tfmot.clustering.keras.strip_clustering(clustered_model)
    converter = tf.lite.TFLiteConverter.from_keras_model(final_model)
    tflite_model = converter.convert()
    with open(self.modelpath, 'wb') as f:
        f.write(tflite_model)
"""

#: The 2021 course's way without stripping (its README does not ask it).
CLUSTER_2021_NO_STRIP = """
def compress_and_fine_tune(self, originalmodel):
    base = tf.keras.models.load_model(str(originalmodel))
    clustered = tfmot.clustering.keras.cluster_weights(
        base,
        number_of_clusters=self.num_clusters,
        cluster_centroids_init=tfmot.clustering.keras.CentroidInitialization.LINEAR)
    clustered.compile(optimizer=self.optimizer, loss=self.loss,
                      metrics=self.metrics)
    clustered.fit(self.traindataset, epochs=self.epochs,
                  validation_data=self.validdataset)
    converter = tf.lite.TFLiteConverter.from_keras_model(clustered)
    with open(self.modelpath, 'wb') as modelfile:
        modelfile.write(converter.convert())
"""

#: The 2025 course: trainable, LINEAR, strip.
CLUSTER_2025 = """
def compress_and_fine_tune(self, originalmodel):
    model = tf.keras.models.load_model(originalmodel)
    model.trainable = True
    clustered_model = tfmot.clustering.keras.cluster_weights(
        model,
        number_of_clusters=self.num_clusters,
        cluster_centroids_init=tfmot.clustering.keras.CentroidInitialization.LINEAR,
    )
    clustered_model.compile(
        optimizer=self.optimizer, loss=self.loss, metrics=self.metrics
    )
    clustered_model.fit(
        self.traindataset, epochs=self.epochs, validation_data=self.validdataset
    )
    stripped = tfmot.clustering.keras.strip_clustering(clustered_model)
    converter = tf.lite.TFLiteConverter.from_keras_model(stripped)
    with open(self.modelpath, "wb") as f:
        f.write(converter.convert())
"""

#: The 2025 course, made trainable but never stripped.
CLUSTER_2025_NO_STRIP = """
def compress_and_fine_tune(self, originalmodel):
    model = tf.keras.models.load_model(originalmodel)
    for layer in model.layers:
        layer.trainable = True
    clustered_model = tfmot.clustering.keras.cluster_weights(
        model,
        number_of_clusters=self.num_clusters,
        cluster_centroids_init=tfmot.clustering.keras.CentroidInitialization.LINEAR,
    )
    clustered_model.compile(
        optimizer=self.optimizer, loss=self.loss, metrics=self.metrics
    )
    clustered_model.fit(
        self.traindataset, epochs=self.epochs, validation_data=self.validdataset
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(clustered_model)
    with open(self.modelpath, "wb") as f:
        f.write(converter.convert())
"""

# ----------------------------------------------------------- pruning

#: Our template: the given schedule, UpdatePruningStep, strip.
PRUNE_OURS = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = tf_keras.models.load_model(str(originalmodel))
    pruned = tfmot.sparsity.keras.prune_low_magnitude(
        model, pruning_schedule=self.sched
    )
    pruned.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    pruned.fit(
        self.traindataset,
        epochs=self.epochs,
        validation_data=self.validdataset,
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
    )
    stripped = tfmot.sparsity.keras.strip_pruning(pruned)
    converter = tf.lite.TFLiteConverter.from_keras_model(stripped)
    with open(self.modelpath, "wb") as out:
        out.write(converter.convert())
"""

#: Our template, with the TensorBoard summaries the README allows.
PRUNE_OURS_SUMMARIES = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    sparsity = tfmot.sparsity.keras
    model = sparsity.prune_low_magnitude(
        tf_keras.models.load_model(originalmodel), pruning_schedule=self.sched
    )
    model.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    callbacks = [
        sparsity.UpdatePruningStep(),
        sparsity.PruningSummaries(log_dir=str(self.logdir)),
    ]
    model.fit(
        self.traindataset,
        validation_data=self.validdataset,
        epochs=self.epochs,
        callbacks=callbacks,
    )
    model = sparsity.strip_pruning(model)
    self.modelpath.write_bytes(
        tf.lite.TFLiteConverter.from_keras_model(model).convert()
    )
"""

#: Our template, TensorBoard summaries only: no UpdatePruningStep.
PRUNE_NO_STEP = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = tf_keras.models.load_model(str(originalmodel))
    pruned = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=self.sched)
    pruned.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    pruned.fit(
        self.traindataset,
        epochs=self.epochs,
        validation_data=self.validdataset,
        callbacks=[tfmot.sparsity.keras.PruningSummaries(log_dir=str(self.logdir))],
    )
    pruned = tfmot.sparsity.keras.strip_pruning(pruned)
    converter = tf.lite.TFLiteConverter.from_keras_model(pruned)
    self.modelpath.write_bytes(converter.convert())
"""

#: Keras 3 for loading (see CLUSTER_KERAS3).
PRUNE_KERAS3 = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = keras.models.load_model(str(originalmodel))
    pruned = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=self.sched)
    pruned.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    pruned.fit(self.traindataset, epochs=self.epochs,
               validation_data=self.validdataset,
               callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    pruned = tfmot.sparsity.keras.strip_pruning(pruned)
    open(self.modelpath, "wb").write(
        tf.lite.TFLiteConverter.from_keras_model(pruned).convert())
"""

#: The original course's style: the given schedule, the callback, strip.
PRUNE_COURSE_STRIP = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = tf.keras.models.load_model(originalmodel)
    pruned_model = tfmot.sparsity.keras.prune_low_magnitude(
        model, pruning_schedule=self.sched
    )
    pruned_model.compile(
        loss=self.loss, optimizer=self.optimizer, metrics=self.metrics
    )
    callbacks = [tfmot.sparsity.keras.UpdatePruningStep()]
    pruned_model.fit(
        self.traindataset,
        epochs=self.epochs,
        validation_data=self.validdataset,
        callbacks=callbacks
    )
    model_for_export = tfmot.sparsity.keras.strip_pruning(pruned_model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model_for_export)
    with open(self.modelpath, 'wb') as f:
        f.write(converter.convert())
"""

#: The original course's style without stripping (no version asks it).
PRUNE_COURSE_NO_STRIP = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = tf.keras.models.load_model(str(originalmodel))
    model = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=self.sched)
    model.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    model.fit(self.traindataset, epochs=self.epochs,
              validation_data=self.validdataset,
              callbacks=[tfmot.sparsity.keras.UpdatePruningStep(),
                         tfmot.sparsity.keras.PruningSummaries(log_dir=str(self.logdir))])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    with open(self.modelpath, 'wb') as f:
        f.write(converter.convert())
"""

#: An own PolynomialDecay as in TFMOT's guide, put in place of self.sched,
#: with end_step computed from the whole data set: 3696 steps for the real
#: data, but 4 epochs of training take about 1100, so the model ends near
#: 33 % sparsity.
PRUNE_POLYNOMIAL = """
def compress_and_fine_tune(self, originalmodel):
    self.epochs = 4
    self.sched = tfmot.sparsity.keras.ConstantSparsity(
        self.target_sparsity, begin_step=0, end_step=1, frequency=1
    )
    model = tf.keras.models.load_model(originalmodel)
    end_step = int(np.ceil(len(self.dataset.dataX) / 8)) * self.epochs
    # a smoother schedule than the constant one
    self.sched = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0,
        final_sparsity=self.target_sparsity,
        begin_step=0,
        end_step=end_step,
    )
    pruned = tfmot.sparsity.keras.prune_low_magnitude(
        model, pruning_schedule=self.sched
    )
    pruned.compile(optimizer=self.optimizer, loss=self.loss, metrics=self.metrics)
    pruned.fit(
        self.traindataset,
        epochs=self.epochs,
        validation_data=self.validdataset,
        callbacks=[tfmot.sparsity.keras.UpdatePruningStep()],
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(pruned)
    with open(self.modelpath, "wb") as f:
        f.write(converter.convert())
"""
