"""Small HTTP servers that speak the real wire protocols of the LLM backends we cannot run here:
OpenAI chat completions (JSON, or server-sent events when streaming) and Ollama's /api/chat
(NDJSON when streaming). Each records the requests it got and replies as a test tells it to."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CONDENSE_MARK = "Rewrite the user's follow-up question"


class FakeLLM:
    """Set `reply` (the answer's tokens), `standalone` (the reply to a follow-up rewrite request),
    `mode` ("ok", "error", "hang", "drop"), then point a backend at `url`."""

    def __init__(self, protocol: str):
        self.protocol = protocol  # "openai" or "ollama"
        self.reply: list[str] = ["Falk said customs waits would be cut ", "[1]", "."]
        self.standalone = ""
        self.mode = "ok"
        self.hang_seconds = 30.0
        self.requests: list[dict] = []
        self.token_times: list[float] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # Ollama clients may ask which models exist
                body = json.dumps({"models": [{"name": "fake", "model": "fake"}]}).encode()
                self._send(200, "application/json", body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append({"path": self.path, "body": request})
                if fake.mode == "error":
                    self._send(500, "application/json", json.dumps({"error": {"message": "model crashed"}}).encode())
                    return
                if fake.mode == "hang":
                    time.sleep(fake.hang_seconds)
                messages = request.get("messages", [])
                system = " ".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
                tokens = [fake.standalone] if CONDENSE_MARK in system and fake.standalone else fake.reply
                if fake.protocol == "openai":
                    self._openai(request, tokens)
                else:
                    self._ollama(request, tokens)

            def _send(self, status: int, kind: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _stream_start(self, kind: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _openai(self, request: dict, tokens: list[str]) -> None:
                model = request.get("model", "fake")
                if not request.get("stream"):
                    body = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": "".join(tokens)},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                    self._send(200, "application/json", json.dumps(body).encode())
                    return
                self._stream_start("text/event-stream")
                for index, token in enumerate(tokens):
                    if fake.mode == "drop" and index == 1:
                        self.wfile.flush()
                        self.connection.close()
                        return
                    chunk = {
                        "id": "chatcmpl-1",
                        "object": "chat.completion.chunk",
                        "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}],
                    }
                    fake.token_times.append(time.monotonic())
                    self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
                    time.sleep(0.05)
                end = {
                    "id": "chatcmpl-1",
                    "object": "chat.completion.chunk",
                    "created": int(time.time()),
                    "model": model,
                    "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                }
                self._chunk(f"data: {json.dumps(end)}\n\n".encode())
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _ollama(self, request: dict, tokens: list[str]) -> None:
                model = request.get("model", "fake")
                stamp = "2026-11-26T00:00:00Z"
                if request.get("stream") is False:
                    body = {
                        "model": model,
                        "created_at": stamp,
                        "message": {"role": "assistant", "content": "".join(tokens)},
                        "done": True,
                        "done_reason": "stop",
                    }
                    self._send(200, "application/json", json.dumps(body).encode())
                    return
                self._stream_start("application/x-ndjson")
                for index, token in enumerate(tokens):
                    if fake.mode == "drop" and index == 1:
                        self.connection.close()
                        return
                    line = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": token}}
                    fake.token_times.append(time.monotonic())
                    self._chunk((json.dumps({**line, "done": False}) + "\n").encode())
                    time.sleep(0.05)
                final = {
                    "model": model,
                    "created_at": stamp,
                    "message": {"role": "assistant", "content": ""},
                    "done": True,
                    "done_reason": "stop",
                    "total_duration": 1,
                    "prompt_eval_count": 1,
                    "eval_count": len(tokens),
                }
                self._chunk((json.dumps(final) + "\n").encode())
                self._chunk(b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + ("/v1" if self.protocol == "openai" else "")

    def answer_requests(self) -> list[dict]:
        """The requests that asked for an answer (not for a follow-up rewrite)."""
        return [r for r in self.requests if CONDENSE_MARK not in json.dumps(r["body"])]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
