# The grading environment of the course: the pinned requirements of
# requirements.txt (the same file the README install and the student workflow
# use), part 2 of lab 03's packages (requirements-structured.txt, as
# ./run structured installs them), the course package and the grader, run as
# a non-root user. Nothing is downloaded at grading time.
#
#   docker build -t dl-in-iot-grader .
#   docker build --build-arg STRUCTURED=0 -t dl-in-iot-grader .   # 2.1 GB less;
#       part 2's items then wait for a person
#   docker run --rm --network none \
#       --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
#       --security-opt systempaths=unconfined \
#       -v "$PWD/clones:/data/clones:ro" -v "$PWD/grades:/data/grades" \
#       dl-in-iot-grader batch /data/clones --out /data/grades --jobs 2
#   (the --security-opt flags let bubblewrap, the sandbox of student code,
#   create its namespaces and a fresh /proc; without them batch stops at
#   once and says why: docs/threat-model.md, "Grading in a container")
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    TF_USE_LEGACY_KERAS=1 \
    TF_CPP_MIN_LOG_LEVEL=2 \
    MPLBACKEND=Agg \
    PYTHONPATH=/opt/grader

# git: the history check and the batch's working copies; bubblewrap: the
# sandbox that runs student code (docs/threat-model.md);
# dataset-fashion-mnist: the data of part 2's hidden run, the same the test
# machine has (without it the grader trains on a fallback data set); git-lfs:
# the LFS model files of part 2's summary (grading/summary/lfs.py). Debian's
# security updates replace package versions, so none is pinned to one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
        dataset-fashion-mnist git-lfs \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/grader
COPY requirements.txt ./
RUN python -m pip install --no-cache-dir -r requirements.txt

# Part 2 of lab 03: torch's CPU build first (PyPI's default build carries
# CUDA, several GB more), then the rest of the tested set.
ARG STRUCTURED=1
COPY requirements-structured.txt ./
RUN if [ "$STRUCTURED" = 1 ]; then \
        python -m pip install --no-cache-dir \
            --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
        && python -m pip install --no-cache-dir -r requirements-structured.txt; \
    fi

COPY pyproject.toml README.md ./
COPY dl_in_iot_course ./dl_in_iot_course
COPY grading ./grading
COPY summaries ./summaries

RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin grader \
    && mkdir -p /data \
    && chown grader:grader /data \
    && python -m compileall -q dl_in_iot_course grading

USER 1000:1000
WORKDIR /data
ENV HOME=/home/grader \
    MPLCONFIGDIR=/home/grader/.config/matplotlib \
    GIT_CONFIG_COUNT=1 \
    GIT_CONFIG_KEY_0=safe.directory \
    GIT_CONFIG_VALUE_0=*

ENTRYPOINT ["python", "-m", "grading"]
CMD ["--help"]
