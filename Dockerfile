# The grading environment of the course: the pinned requirements of
# requirements.txt (the same file the README install and the student workflow
# use), the course package and the grader, run as a non-root user. Nothing is
# downloaded at grading time.
#
#   docker build -t dl-in-iot-grader .
#   docker run --rm --network none -v "$PWD/clones:/data/clones:ro" \
#       -v "$PWD/grades:/data/grades" dl-in-iot-grader \
#       batch /data/clones --out /data/grades --jobs 2
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
# sandbox that runs student code (docs/threat-model.md). Debian's security
# updates replace package versions, so neither is pinned to one.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends git bubblewrap \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/grader
COPY requirements.txt ./
RUN python -m pip install --no-cache-dir -r requirements.txt

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
