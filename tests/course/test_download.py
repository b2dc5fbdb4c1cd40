"""PetDataset downloads against a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import socket
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dl_in_iot_course.misc.pet_dataset import (
    DatasetDownloadError,
    PetDataset,
    Resource,
    download_file,
)


def tar_gz(root, member: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(root / member, arcname=member)
    return buffer.getvalue()


class Server:
    """Serves byte strings with scripted misbehaviour, and logs requests."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        # path -> list of behaviours for successive requests; the last repeats.
        self.plans: dict[str, list[str]] = {}
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                data = server.files.get(self.path)
                range_header = self.headers.get("Range")
                server.requests.append((self.path, range_header))
                if data is None:
                    self.send_error(404)
                    return
                plan = server.plans.get(self.path, ["ok"])
                count = sum(1 for p, _ in server.requests if p == self.path)
                behaviour = plan[min(count, len(plan)) - 1]
                if behaviour == "cut":  # promise everything, send half, close
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if behaviour == "corrupt":
                    data = bytes(b ^ 0xFF for b in data)
                if behaviour == "short":  # a truncated file, honestly labelled
                    data = data[: len(data) // 2]
                start = 0
                if range_header and behaviour != "norange":
                    start = int(range_header.split("=")[1].split("-")[0])
                if start:
                    self.send_response(206)
                    self.send_header(
                        "Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}"
                    )
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(0.05,), daemon=True
        )
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def archives(pets_root):
    return {
        "images.tar.gz": tar_gz(pets_root, "images"),
        "annotations.tar.gz": tar_gz(pets_root, "annotations"),
    }


@pytest.fixture
def server():
    instance = Server()
    yield instance
    instance.close()


def resources(server, archives, prefix="", with_md5=True):
    out = []
    for name, data in archives.items():
        server.files[f"/{prefix}{name}"] = data
        md5 = hashlib.md5(data).hexdigest() if with_md5 else None
        out.append(Resource(f"{server.url}/{prefix}{name}", name, md5=md5))
    return out


def test_download_and_extract(tmp_path, server, archives):
    root = tmp_path / "pets"
    dataset = PetDataset(
        root, download_dataset=True, resources=resources(server, archives)
    )
    assert dataset.numclasses == 4
    assert len(dataset.dataX) == 40
    # A second run finds the tree complete and downloads nothing.
    before = len(server.requests)
    PetDataset(root, download_dataset=True, resources=resources(server, archives))
    assert len(server.requests) == before


def test_cut_connection_resumes_with_range(tmp_path, server, archives):
    res = resources(server, archives)
    server.plans[f"/{res[0].filename}"] = ["cut", "ok"]
    dataset = PetDataset(tmp_path / "pets", download_dataset=True, resources=res)
    assert len(dataset.dataX) == 40
    ranges = [r for p, r in server.requests if p == f"/{res[0].filename}"]
    assert ranges[0] is None and ranges[1].startswith("bytes=")


def test_server_without_range_support_restarts_cleanly(tmp_path, server, archives):
    data = archives["images.tar.gz"]
    server.files["/x.tar.gz"] = data
    server.plans["/x.tar.gz"] = ["cut", "norange"]
    path = download_file(
        f"{server.url}/x.tar.gz",
        tmp_path / "x.tar.gz",
        md5=hashlib.md5(data).hexdigest(),
        progress=False,
    )
    assert path.read_bytes() == data


def test_corrupt_file_is_downloaded_again(tmp_path, server, archives):
    res = resources(server, archives)
    server.plans[f"/{res[1].filename}"] = ["corrupt", "ok"]
    dataset = PetDataset(tmp_path / "pets", download_dataset=True, resources=res)
    assert dataset.numclasses == 4
    assert not list((tmp_path / "pets" / "downloads").glob("*.part"))


def test_always_truncated_archive_fails_with_instructions(tmp_path, server, archives):
    res = resources(server, archives)
    server.plans[f"/{res[0].filename}"] = ["short"]
    with pytest.raises(DatasetDownloadError) as error:
        PetDataset(tmp_path / "pets", download_dataset=True, resources=res)
    message = str(error.value)
    assert "damaged" in message and "checksum" in message
    assert "extract them into" in message
    assert not (tmp_path / "pets" / "downloads" / "images.tar.gz").exists()


def test_truncated_archive_without_checksum_fails_to_unpack(tmp_path, server, archives):
    res = resources(server, archives, with_md5=False)
    server.plans[f"/{res[0].filename}"] = ["short"]
    with pytest.raises(DatasetDownloadError, match="could not unpack"):
        PetDataset(tmp_path / "pets", download_dataset=True, resources=res)


def test_offline_error_explains_manual_install(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    res = [Resource(f"http://127.0.0.1:{port}/images.tar.gz", "images.tar.gz")]
    with pytest.raises(DatasetDownloadError) as error:
        PetDataset(tmp_path / "pets", download_dataset=True, resources=res)
    message = str(error.value)
    assert "could not download" in message
    assert "images.tar.gz" in message and "tar -xzf" in message


def test_missing_file_on_server_is_not_retried(tmp_path, server):
    with pytest.raises(DatasetDownloadError, match="404"):
        download_file(f"{server.url}/nothing", tmp_path / "nothing", progress=False)
    assert len(server.requests) == 1
