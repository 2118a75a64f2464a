"""`journeys serve`: an OTLP/HTTP trace receiver that lands every accepted request as a file.

`POST /v1/traces` takes `application/x-protobuf` or `application/json` bodies, optionally
`Content-Encoding: gzip` (or `deflate`), as the OpenTelemetry SDK exporters send them. A request is
answered 200 only once it is durably in the landing directory (temporary file, fsync, atomic
rename), always as one OTLP/JSON line with hex ids, so ingestion reads one format. An undecodable
body gets 400 with the reason, a body over the limit (compressed or not) 413, an unknown content
type or encoding 415, and a failed write 503 (which exporters retry). Errors carry a `google.rpc.Status` in the request's content type, as the
OTLP/HTTP specification asks. `GET /health` says the receiver is up and where it writes.

`POST /tracer/v1/traces` is the same endpoint under the path traceAI's exporters send to: traceAI
(`fi-instrumentation-otel`) keeps only the scheme and host of `FI_BASE_URL` and always posts to
`/tracer/v1/traces`, so `FI_BASE_URL=http://HOST:4318` points it here unchanged.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import uvicorn
from google.protobuf.message import DecodeError
from google.rpc.code_pb2 import INVALID_ARGUMENT, RESOURCE_EXHAUSTED, UNAVAILABLE
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestration.ingest.landing import write_landing_file
from orchestration.ingest.otlp_json import NotOtlpJson, json_request_line, request_to_json_line, span_count
from orchestration.ingest.otlp_values import NestingTooDeep

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
FILE_PREFIX = "otlp-http"
# The standard OTLP/HTTP path, and the one traceAI's exporters derive from FI_BASE_URL.
TRACES_PATHS = ("/v1/traces", "/tracer/v1/traces")
DEFAULT_MAX_BODY_BYTES = 20 << 20  # the OpenTelemetry Collector's default limit


class _Rejected(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error(status: int, code: int, message: str, content_type: str) -> Response:
    if content_type == PROTOBUF:
        return Response(Status(code=code, message=message).SerializeToString(), status, media_type=PROTOBUF)
    return JSONResponse({"code": code, "message": message}, status)


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _Rejected(
            413, RESOURCE_EXHAUSTED, f"request body of {declared} bytes exceeds the {limit}-byte limit"
        )
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Rejected(413, RESOURCE_EXHAUSTED, f"request body exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "deflate"):
        raise _Rejected(
            415, INVALID_ARGUMENT, f"unsupported Content-Encoding {encoding!r} (use gzip or deflate)"
        )
    # wbits 32+15 reads a gzip member; deflate bodies are zlib streams (RFC 9110). A gzip body may
    # hold several members, each decompressed in turn; the limit bounds the total (no zip bombs).
    wbits = 47 if encoding == "gzip" else 15
    data, remaining = b"", body
    while remaining:
        inflater = zlib.decompressobj(wbits)
        try:
            data += inflater.decompress(remaining, limit + 1 - len(data))
        except zlib.error as exc:
            raise _Rejected(400, INVALID_ARGUMENT, f"body is not valid {encoding}: {exc}") from exc
        if len(data) > limit:
            raise _Rejected(413, RESOURCE_EXHAUSTED, f"decompressed body exceeds the {limit}-byte limit")
        if not inflater.eof:
            raise _Rejected(400, INVALID_ARGUMENT, f"{encoding} body is truncated")
        remaining = inflater.unused_data
    return data


def _decode(body: bytes, encoding: str, content_type: str, limit: int) -> tuple[bytes, int]:
    """The request as one OTLP/JSON landing line, and its span count."""
    data = _decompress(body, encoding, limit)
    if content_type == JSON:
        try:
            return json_request_line(data)
        except NotOtlpJson as exc:
            raise _Rejected(400, INVALID_ARGUMENT, str(exc)) from exc
    try:
        request = ExportTraceServiceRequest.FromString(data)
    except DecodeError as exc:
        raise _Rejected(
            400, INVALID_ARGUMENT, f"body is not a protobuf ExportTraceServiceRequest: {exc}"
        ) from exc
    try:
        return request_to_json_line(request), span_count(request)
    except NestingTooDeep as exc:
        raise _Rejected(400, INVALID_ARGUMENT, str(exc)) from exc


def create_app(landing_dir: Path, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> Starlette:
    """The receiver as an ASGI app writing to `landing_dir`; bodies over `max_body_bytes`
    (before or after decompression) are refused with 413."""
    landing_dir = Path(landing_dir)

    async def export_traces(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (PROTOBUF, JSON):
            return _error(
                415,
                INVALID_ARGUMENT,
                f"unsupported Content-Type {content_type!r}; use {PROTOBUF} or {JSON}",
                JSON,
            )
        encoding = request.headers.get("content-encoding", "").strip().lower()
        try:
            body = await _read_body(request, max_body_bytes)
            # Decompressing and converting are CPU work: off the event loop, like the write.
            line, spans = await run_in_threadpool(_decode, body, encoding, content_type, max_body_bytes)
        except _Rejected as rejected:
            return _error(rejected.status, rejected.code, rejected.message, content_type)
        if spans:
            try:
                # Blocking I/O (fsync) off the event loop; the answer waits for it: durable before 200.
                await run_in_threadpool(write_landing_file, landing_dir, line + b"\n", prefix=FILE_PREFIX)
            except OSError as exc:
                # 503 is retryable for OTLP exporters: the request is not lost, only delayed.
                return _error(503, UNAVAILABLE, f"cannot write to the landing directory: {exc}", content_type)
        if content_type == PROTOBUF:
            return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
        return Response(b"{}", media_type=JSON)

    async def health(_: Request) -> Response:
        return JSONResponse({"status": "ok", "landing_dir": str(landing_dir.resolve())})

    return Starlette(
        routes=[
            *(Route(path, export_traces, methods=["POST"]) for path in TRACES_PATHS),
            Route("/health", health, methods=["GET"]),
        ]
    )


def serve(host: str, port: int, landing_dir: Path, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
    """Run the receiver with uvicorn until interrupted."""
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        create_app(landing_dir, max_body_bytes=max_body_bytes), host=host, port=port, log_level="info"
    )
