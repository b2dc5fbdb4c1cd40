"""Hidden tests of ClusteredModel: how clustering and fine-tuning were done.

What the written .tflite holds (unique values, stripped ops) is verified by
the grader outside this process; these tests look at the calls.
"""

import pytest
from grader_plugin import Expected
from l03_fixtures import models_of
from l03_helpers import check_fine_tuned, check_strip_call, first_call

ITEM = "clustered_model"
VARIANTS = [m["variant"] for m in models_of("clustered")]
CLUSTERS = {m["variant"]: m["num_clusters"] for m in models_of("clustered")}


@pytest.fixture(scope="module", params=VARIANTS)
def clustered(request, builder):
    return builder.get(request.param)


@pytest.mark.rubric(ITEM, "cluster_call")
def test_cluster_weights_call(clustered):
    """cluster_weights gets self.num_clusters and linear centroid initialisation."""
    k = CLUSTERS[clustered.variant]
    call = first_call(
        clustered,
        "cluster_weights",
        f"tfmot.clustering.keras.cluster_weights(model, "
        f"number_of_clusters=self.num_clusters (= {k}), "
        "cluster_centroids_init=CentroidInitialization.LINEAR)",
    )
    seen = call.info.get("number_of_clusters")
    if seen != k:
        raise Expected(
            f"number_of_clusters=self.num_clusters (= {k})",
            f"number_of_clusters={seen!r}",
            code="wrong_clusters",
        )
    init = call.info.get("init", "")
    if "LINEAR" not in init.upper():
        raise Expected(
            "cluster_centroids_init=CentroidInitialization.LINEAR",
            f"cluster_centroids_init={init}",
            code="centroid_init",
        )


@pytest.mark.rubric(ITEM, "trainable")
def test_whole_model_trainable(clustered):
    """The whole model is trainable when clustering starts."""
    calls = clustered.of("cluster_weights")
    if not calls:
        # Why it was never called is the finding of the other checks.
        first_call(
            clustered,
            "cluster_weights",
            "the whole model trainable when clustering starts",
        )
    for call in calls:
        frozen = call.info.get("frozen_layers", [])
        if not call.info.get("model_trainable", True) or frozen:
            raise Expected(
                "the whole model trainable (model.trainable = True) before "
                "cluster_weights",
                "frozen layers: "
                + (", ".join(frozen) if frozen else "the model itself"),
                code="not_trainable",
            )


@pytest.mark.rubric(ITEM, "fine_tuned")
def test_fine_tuned(clustered):
    """The model is compiled and fitted with the objects optimize_model prepared."""
    check_fine_tuned(clustered, "cluster_weights", "the clustered model")


@pytest.mark.rubric(ITEM, "strip_call")
def test_strip_clustering(clustered):
    """strip_clustering removes the wrappers after fine-tuning."""
    check_strip_call(clustered, "strip_clustering", "cluster_weights")
