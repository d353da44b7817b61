"""A loopback server that speaks the Hugging Face Hub's download protocol (docs/hub_protocol.md).

The hub answers on 127.0.0.1: ``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` with
``X-Repo-Commit``, ``ETag`` / ``X-Linked-Etag`` (the sha256 of LFS files) and sizes; LFS
files (``*.safetensors``) answer 302 with an absolute ``Location`` on the CDN, a second
server on 127.0.0.2. 404s carry ``X-Error-Code``. Every request is recorded, so tests can
assert that a warm, offline load made none. Faults per file: ``corrupt`` (other bytes of the
same length under the right etag) and ``truncate`` (the body stops half-way).
``GET /api/models/{repo}/revision/{revision}`` answers ``HfApi().model_info`` with the
files' LFS sha256 (``files_metadata=True``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import re
import threading
import urllib.parse

_RESOLVE = re.compile(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)")
_MODEL_INFO = re.compile(r"/api/models/([^/]+/[^/]+)/revision/([^/]+)")


@dataclasses.dataclass
class HubFile:
    content: bytes
    corrupt: bool = False
    truncate: bool = False

    @property
    def lfs(self) -> bool:
        return not self.content.startswith(b"{")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def body(self) -> bytes:
        if self.corrupt:
            return bytes(b ^ 0xFF for b in self.content[:64]) + self.content[64:]
        return self.content


class FakeHub:
    """``add(repo_id, commit, files, branches=("main",))``, then ``start()``; ``endpoint``."""

    def __init__(self) -> None:
        self.repos: dict[str, dict[str, dict[str, HubFile]]] = {}
        self.branches: dict[str, dict[str, str]] = {}
        self.requests: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._servers: list[http.server.ThreadingHTTPServer] = []

    def add(self, repo_id: str, commit: str, files: dict[str, HubFile], branches=("main",)):
        self.repos.setdefault(repo_id, {})[commit] = files
        self.branches.setdefault(repo_id, {}).update({b: commit for b in branches})

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def start(self) -> FakeHub:
        hub = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, cdn=False))
        cdn = http.server.ThreadingHTTPServer(("127.0.0.2", 0), _handler(self, cdn=True))
        self._servers = [hub, cdn]
        for server in self._servers:
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{hub.server_address[1]}"
        self.cdn = f"http://127.0.0.2:{cdn.server_address[1]}"
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def blob(self, sha256: str) -> HubFile | None:
        for commits in self.repos.values():
            for files in commits.values():
                for item in files.values():
                    if item.sha256 == sha256:
                        return item
        return None


class _HubHandler(http.server.BaseHTTPRequestHandler):
    """Answers as the Hub (``cdn``: as its blob storage) from ``hub``'s repositories."""

    hub: FakeHub
    cdn: bool
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, status: int, headers: dict, body: bytes = b"", length=None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        if self.command == "GET" and body:
            self.wfile.write(body)

    def _not_found(self, code: str) -> None:
        body = b'{"error": "%s"}' % code.encode()
        self._send(404, {"X-Error-Code": code, "Content-Type": "application/json"}, body)

    def do_HEAD(self) -> None:
        self._answer()

    def do_GET(self) -> None:
        self._answer()

    def _answer(self) -> None:
        self.hub.record(self.command, ("cdn:" if self.cdn else "") + self.path)
        if self.cdn:
            return self._serve_blob()
        info = _MODEL_INFO.fullmatch(urllib.parse.urlsplit(self.path).path)
        if info:
            return self._model_info(*(urllib.parse.unquote(g) for g in info.groups()))
        match = _RESOLVE.fullmatch(urllib.parse.urlsplit(self.path).path)
        if not match:
            return self._not_found("EntryNotFound")
        repo_id, revision, filename = (urllib.parse.unquote(g) for g in match.groups())
        if repo_id not in self.hub.repos:
            return self._not_found("RepoNotFound")
        commit = self.hub.branches[repo_id].get(revision, revision)
        if commit not in self.hub.repos[repo_id]:
            return self._not_found("RevisionNotFound")
        item = self.hub.repos[repo_id][commit].get(filename)
        if item is None:
            return self._not_found("EntryNotFound")
        headers = {"X-Repo-Commit": commit, "Content-Type": "application/octet-stream"}
        if item.lfs:
            headers.update(
                {
                    "X-Linked-Etag": f'"{item.sha256}"',
                    "ETag": f'"{hashlib.sha1(item.content).hexdigest()}"',
                    "X-Linked-Size": str(len(item.content)),
                    "Location": f"{self.hub.cdn}/blobs/{item.sha256}",
                }
            )
            return self._send(302, headers)
        headers["ETag"] = f'"{hashlib.sha1(item.content).hexdigest()}"'
        return self._send(200, headers, item.content)

    def _model_info(self, repo_id: str, revision: str) -> None:
        commit = self.hub.branches.get(repo_id, {}).get(revision, revision)
        if commit not in self.hub.repos.get(repo_id, {}):
            return self._not_found(
                "RepoNotFound" if repo_id not in self.hub.repos else "RevisionNotFound"
            )
        siblings = []
        for name, item in self.hub.repos[repo_id][commit].items():
            sibling = {"rfilename": name, "size": len(item.content)}
            if item.lfs:
                sibling["lfs"] = {
                    "size": len(item.content),
                    "sha256": item.sha256,
                    "pointerSize": 134,
                }
            siblings.append(sibling)
        body = json.dumps({"id": repo_id, "sha": commit, "siblings": siblings}).encode()
        return self._send(200, {"Content-Type": "application/json"}, body)

    def _serve_blob(self) -> None:
        sha256 = self.path.rsplit("/", 1)[-1]
        item = self.hub.blob(sha256)
        if item is None:
            return self._not_found("EntryNotFound")
        body = item.body()
        start = 0
        ranged = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if ranged:
            start = int(ranged.group(1))
        if item.truncate:
            self._send(200, {"ETag": f'"{sha256}"'}, body[: len(body) // 2], len(body))
            self.close_connection = True
            return None
        headers = {"ETag": f'"{sha256}"'}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
        return self._send(206 if start else 200, headers, body[start:])


def _handler(hub: FakeHub, *, cdn: bool) -> type:
    return type("Handler", (_HubHandler,), {"hub": hub, "cdn": cdn})
