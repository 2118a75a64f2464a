"""`journeys serve`: an OTLP/HTTP trace receiver that lands accepted requests in batch files.

`POST /v1/traces` takes `application/x-protobuf` or `application/json` bodies, optionally
`Content-Encoding: gzip` (or `deflate`), as the OpenTelemetry SDK exporters send them. A request is
answered 200 only once it is durably in the landing directory (appended to the open landing batch
and fsynced; see `receiver_batch`), always as one OTLP/JSON line with hex ids, so ingestion reads
one format.

Refusals carry a `google.rpc.Status` in the request's content type, as the OTLP/HTTP specification
asks: 401 without the bearer token when `JOURNEYS_INGEST_TOKEN` is set; 400 for an undecodable body,
with the reason; 408 for a body not sent within the body timeout; 413 for a body over the limit
(compressed or not); 415 for an unknown content type or encoding; 429 past the bound on concurrent
requests or buffered bytes, and 503 for a failed write, both with `Retry-After` (exporters retry
them). `GET /health` (never authenticated) says the receiver is up and how loaded it is.

`POST /tracer/v1/traces` is the same endpoint under the path traceAI's exporters send to: traceAI
(`fi-instrumentation-otel`) keeps only the scheme and host of `FI_BASE_URL` and always posts to
`/tracer/v1/traces`, so `FI_BASE_URL=http://HOST:4318` points it here unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from google.protobuf.message import DecodeError
from google.rpc.code_pb2 import (
    DEADLINE_EXCEEDED,
    INVALID_ARGUMENT,
    RESOURCE_EXHAUSTED,
    UNAUTHENTICATED,
    UNAVAILABLE,
)
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orchestration.ingest.otlp_json import NotOtlpJson, json_request_line, request_to_json_line, span_count
from orchestration.ingest.otlp_values import NestingTooDeep
from orchestration.receiver_auth import authorized
from orchestration.receiver_batch import LandingBatcher, recover
from orchestration.receiver_limits import Admission
from orchestration.settings import ReceiverSettings

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
FILE_PREFIX = "otlp-http"
# The standard OTLP/HTTP path, and the one traceAI's exporters derive from FI_BASE_URL.
TRACES_PATHS = ("/v1/traces", "/tracer/v1/traces")
DEFAULT_MAX_BODY_BYTES = 20 << 20  # the OpenTelemetry Collector's default limit
RETRY_AFTER_SECONDS = 1
# Compressed input is fed to zlib in pieces of this size: zlib copies what follows a gzip member's
# end (`unused_data`), so feeding it the whole rest of the body would make a body of many small
# members quadratic. Small pieces bound each copy: linear time however many members there are.
INFLATE_CHUNK_BYTES = 512
# uvicorn's own logger: `journeys serve` shows it at INFO, so operators see what start-up recovered.
log = logging.getLogger("uvicorn.error")


class _Rejected(Exception):
    def __init__(self, status: int, code: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _retry_later(status: int, code: int, message: str) -> _Rejected:
    """A refusal the client should retry: 429 or 503 with `Retry-After`."""
    return _Rejected(status, code, message, {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _error(status: int, code: int, message: str, content_type: str, headers: dict[str, str] | None = None) -> Response:
    if content_type == PROTOBUF:
        body = Status(code=code, message=message).SerializeToString()
        return Response(body, status, headers=headers, media_type=PROTOBUF)
    return JSONResponse({"code": code, "message": message}, status, headers=headers)


def _hold(request: Request, admission: Admission, size: int) -> None:
    """Count `size` more bytes this request holds in memory against the receiver's bound (the
    caller gives back `request.state.held`); past the bound, a 429 to retry later."""
    if not admission.hold(size):
        raise _retry_later(429, RESOURCE_EXHAUSTED, "the receiver holds too many request bytes; retry later")
    request.state.held += size


async def _read_body(request: Request, limit: int, admission: Admission, timeout: float) -> bytes:
    """The whole body, read within `timeout` seconds; each chunk is counted against the
    receiver's buffered-bytes bound as it arrives (the caller gives back `request.state.held`)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _Rejected(
            413, RESOURCE_EXHAUSTED, f"request body of {declared} bytes exceeds the {limit}-byte limit"
        )
    chunks, size = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise _Rejected(413, RESOURCE_EXHAUSTED, f"request body exceeds the {limit}-byte limit")
                _hold(request, admission, len(chunk))
                chunks.append(chunk)
    except TimeoutError:
        raise _Rejected(
            408, DEADLINE_EXCEEDED, f"request body not received within {timeout:g} s", {"Connection": "close"}
        ) from None
    return b"".join(chunks)


def _decompress(body: bytes, encoding: str, limit: int) -> bytes:
    if encoding in ("", "identity") or not body:
        return body
    if encoding not in ("gzip", "deflate"):
        raise _Rejected(
            415, INVALID_ARGUMENT, f"unsupported Content-Encoding {encoding!r} (use gzip or deflate)"
        )
    # wbits 32+15 reads a gzip member; deflate bodies are zlib streams (RFC 9110). A gzip body may
    # hold several members, each decompressed in turn; the limit bounds the total (no zip bombs).
    wbits = 47 if encoding == "gzip" else 15
    data = bytearray()
    inflater = zlib.decompressobj(wbits)
    view = memoryview(body)
    for start in range(0, len(body), INFLATE_CHUNK_BYTES):
        pending = view[start : start + INFLATE_CHUNK_BYTES]
        while pending:
            if inflater.eof:  # the previous member ended: what follows is the next one
                inflater = zlib.decompressobj(wbits)
            try:
                data += inflater.decompress(pending, limit + 1 - len(data))
            except zlib.error as exc:
                raise _Rejected(400, INVALID_ARGUMENT, f"body is not valid {encoding}: {exc}") from exc
            if len(data) > limit:
                raise _Rejected(413, RESOURCE_EXHAUSTED, f"decompressed body exceeds the {limit}-byte limit")
            # Below the limit zlib consumes its whole input, except what follows a member's end.
            pending = inflater.unused_data
    if not inflater.eof:
        raise _Rejected(400, INVALID_ARGUMENT, f"{encoding} body is truncated")
    return bytes(data)


def _convert(data: bytes, content_type: str) -> tuple[bytes, int]:
    """The (decompressed) request as one OTLP/JSON landing line, and its span count."""
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


def create_app(
    landing_dir: Path,
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    settings: ReceiverSettings | None = None,
) -> Starlette:
    """The receiver as an ASGI app writing to `landing_dir`; bodies over `max_body_bytes`
    (before or after decompression) are refused with 413. Its lifespan publishes what a crashed
    receiver left at start-up and the open batch at shutdown (without it, batches are still
    published by their size and age)."""
    landing_dir = Path(landing_dir)
    settings = settings or ReceiverSettings()
    admission = Admission(settings.max_concurrent_requests, int(settings.max_buffered_mb * (1 << 20)))
    batcher = LandingBatcher(
        landing_dir, prefix=FILE_PREFIX, max_requests=settings.batch_requests, max_seconds=settings.batch_seconds
    )

    async def land(request: Request, content_type: str) -> Response:
        encoding = request.headers.get("content-encoding", "").strip().lower()
        body = await _read_body(request, max_body_bytes, admission, settings.body_timeout_seconds)
        # Decompressing and converting are CPU work: off the event loop, like the write.
        data = await run_in_threadpool(_decompress, body, encoding, max_body_bytes)
        if data is not body:  # the inflated body is held too, up to 20 MiB from a few KiB sent
            _hold(request, admission, len(data))
        line, spans = await run_in_threadpool(_convert, data, content_type)
        if spans:
            try:
                await batcher.append(line + b"\n")  # returns once fsynced: durable before 200
            except OSError as exc:
                # The reason without the path: answers name no file of the server's.
                reason = exc.strerror or type(exc).__name__
                raise _retry_later(503, UNAVAILABLE, f"cannot write to the landing directory: {reason}") from exc
        if content_type == PROTOBUF:
            return Response(ExportTraceServiceResponse().SerializeToString(), media_type=PROTOBUF)
        return Response(b"{}", media_type=JSON)

    async def export_traces(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if not authorized(request.headers.get("authorization"), settings.ingest_token):
            return _error(
                401,
                UNAUTHENTICATED,
                "missing or wrong bearer token (Authorization: Bearer <JOURNEYS_INGEST_TOKEN>)",
                PROTOBUF if content_type == PROTOBUF else JSON,
                {"WWW-Authenticate": 'Bearer realm="journeys"'},
            )
        if content_type not in (PROTOBUF, JSON):
            return _error(
                415,
                INVALID_ARGUMENT,
                f"unsupported Content-Type {content_type!r}; use {PROTOBUF} or {JSON}",
                JSON,
            )
        if not admission.enter():
            rejected = _retry_later(429, RESOURCE_EXHAUSTED, "the receiver is at its concurrent-request limit")
            return _error(rejected.status, rejected.code, rejected.message, content_type, rejected.headers)
        request.state.held = 0
        try:
            return await land(request, content_type)
        except _Rejected as rejected:
            return _error(rejected.status, rejected.code, rejected.message, content_type, rejected.headers)
        except ClientDisconnect:  # gone before its body was in: nothing landed, nobody to answer
            return Response(status_code=400)
        finally:
            admission.leave(request.state.held)

    async def health(_: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "in_flight_requests": admission.in_flight,
                "buffered_bytes": admission.buffered_bytes,
                "open_batch_requests": batcher.open_requests,
            }
        )

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        published, removed = await run_in_threadpool(recover, landing_dir)
        if published or removed:
            log.info(
                "start-up: published %d landing batch(es) left by a crash, removed %d abandoned temporary file(s)",
                published,
                removed,
            )
        yield
        await batcher.close()

    return Starlette(
        routes=[
            *(Route(path, export_traces, methods=["POST"]) for path in TRACES_PATHS),
            Route("/health", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def serve(
    host: str,
    port: int,
    landing_dir: Path,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    *,
    settings: ReceiverSettings | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
) -> None:
    """Run the receiver with uvicorn until interrupted; HTTPS when given a certificate and key."""
    landing_dir = Path(landing_dir)
    landing_dir.mkdir(parents=True, exist_ok=True)
    uvicorn.run(
        create_app(landing_dir, max_body_bytes=max_body_bytes, settings=settings),
        host=host,
        port=port,
        log_level="info",
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
    )
