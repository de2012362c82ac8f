"""Amazon Data Firehose delivery to S3, offline, with the processing moto skips.

moto's Firehose writes every PutRecord(Batch) straight to S3 as one object under ``Prefix`` + ``yyyy/MM/dd/HH/``,
ignoring processors, dynamic partitioning, error output and compression. :class:`OfflineFirehose` takes over the
S3 and extended-S3 destinations of moto's streams (see :meth:`OfflineFirehose.installed`) and does what Firehose
does, for the parts of ``ExtendedS3DestinationConfiguration`` it models:

- Buffering: records wait in a per-stream buffer until :meth:`OfflineFirehose.flush` (the cloud flushes on drain),
  or until the buffer reaches ``BufferingHints.SizeInMBs``. A flush writes one object per partition.
- Processors, in order: ``MetadataExtraction`` with a JQ query of the object-of-paths form
  (``{source: .source, day: .detail.day}``), and ``AppendDelimiterToRecord`` (a newline, or the ``Delimiter``
  parameter). Without it records are concatenated with no separator, as Firehose does.
- ``Prefix`` expressions: ``!{partitionKeyFromQuery:name}``, ``!{timestamp:<Java pattern>}`` (UTC, the arrival time
  of the oldest record in the object, y/M/d/H/m/s pattern letters), ``!{firehose:random-string}``. A prefix with no
  expression gets Firehose's default ``yyyy/MM/dd/HH/`` appended. Object names end
  ``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`` (+ ``.gz``).
- A record whose partition key is missing (the query yields null or the record is not a JSON object) goes to
  ``ErrorOutputPrefix`` with ``!{firehose:error-output-type}`` = ``partitioning-failed`` (the folder AWS's own
  integration test of dynamic partitioning lists, aws-cdk ``integ.dynamic-partitioning-lambda``), wrapped in the
  JSON error document Firehose writes for failed records (``attemptsMade``, ``arrivalTimestamp``, ``errorCode``
  ``DynamicPartitioning.MetadataExtractionFailed``, ``errorMessage``, ``attemptEndingTimestamp``, ``rawData`` in
  base64), one per line.
- ``CompressionFormat`` GZIP (or UNCOMPRESSED), applied to error objects too.

Anything else a stream asks for (Lambda processors, format conversion, other compressions, ``partitionKeyFromLambda``,
a JQ query of another form) raises :class:`FirehoseError` when the stream is checked, naming it.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import boto3
from moto.firehose.models import FirehoseBackend

ERROR_OUTPUT_TYPE = "partitioning-failed"
PARTITIONING_ERROR_CODE = "DynamicPartitioning.MetadataExtractionFailed"
SUPPORTED_PROCESSORS = ("MetadataExtraction", "AppendDelimiterToRecord")
SUPPORTED_COMPRESSION = {"UNCOMPRESSED": "", "GZIP": ".gz"}
_EXPRESSION = re.compile(r"!\{([A-Za-z]+):([^}]*)\}")
_JQ_OBJECT = re.compile(r"^\{\s*(.*?)\s*\}$", re.S)
_JQ_ENTRY = re.compile(r'^(?:"([^"]+)"|([A-Za-z_]\w*))\s*:\s*((?:\.(?:[A-Za-z_]\w*|"[^"]+"))+)$')
_JQ_STEP = re.compile(r'\.(?:([A-Za-z_]\w*)|"([^"]+)")')
_JAVA_TIME = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}
_JAVA_LETTERS = re.compile(r"([A-Za-z])\1*")


class FirehoseError(ValueError):
    """A stream's configuration asks for something the offline Firehose does not model."""


@dataclass(frozen=True)
class Destination:
    """What the offline Firehose reads of an (extended) S3 destination, parsed once and checked."""

    bucket: str
    prefix: str
    error_prefix: str
    compression: str
    partition_query: dict[str, tuple[str, ...]] | None
    delimiter: str | None
    dynamic_partitioning: bool
    buffer_bytes: int

    @classmethod
    def parse(cls, stream: str, config: Mapping[str, Any]) -> Destination:
        processors = _processors(stream, config)
        query_text = processors.get("MetadataExtraction", {}).get("MetadataExtractionQuery")
        delimiter = processors.get("AppendDelimiterToRecord")
        compression = config.get("CompressionFormat", "UNCOMPRESSED")
        if compression not in SUPPORTED_COMPRESSION:
            raise FirehoseError(f"{stream}: CompressionFormat {compression} is not modelled offline")
        if config.get("DataFormatConversionConfiguration", {}).get("Enabled"):
            raise FirehoseError(f"{stream}: DataFormatConversionConfiguration is not modelled offline")
        destination = cls(
            bucket=config["BucketARN"].split(":::")[-1],
            prefix=config.get("Prefix", ""),
            error_prefix=config.get("ErrorOutputPrefix", ""),
            compression=compression,
            partition_query=_jq_paths(stream, query_text) if query_text is not None else None,
            delimiter=None if delimiter is None else delimiter.get("Delimiter", "\\n"),
            dynamic_partitioning=bool(config.get("DynamicPartitioningConfiguration", {}).get("Enabled")),
            buffer_bytes=int(config.get("BufferingHints", {}).get("SizeInMBs", 5)) * 1024 * 1024,
        )
        destination._check(stream)
        return destination

    def _check(self, stream: str) -> None:
        for namespace, value in _EXPRESSION.findall(self.prefix + self.error_prefix):
            if namespace not in ("timestamp", "partitionKeyFromQuery", "firehose"):
                raise FirehoseError(f"{stream}: prefix expression !{{{namespace}:{value}}} is not modelled offline")
        keys = {value for namespace, value in _EXPRESSION.findall(self.prefix) if namespace == "partitionKeyFromQuery"}
        if keys and not self.dynamic_partitioning:
            raise FirehoseError(f"{stream}: Prefix uses partitionKeyFromQuery but dynamic partitioning is off")
        missing = keys - set(self.partition_query or {})
        if missing:
            raise FirehoseError(f"{stream}: Prefix uses partition keys {sorted(missing)} no MetadataExtraction yields")
        if self.dynamic_partitioning and not self.error_prefix:
            raise FirehoseError(f"{stream}: dynamic partitioning needs an ErrorOutputPrefix")


def _processors(stream: str, config: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    processing = config.get("ProcessingConfiguration", {})
    if not processing.get("Enabled"):
        return {}
    found: dict[str, dict[str, str]] = {}
    for processor in processing.get("Processors", []):
        kind = processor["Type"]
        if kind not in SUPPORTED_PROCESSORS:
            raise FirehoseError(f"{stream}: processor {kind} is not modelled offline; known: {SUPPORTED_PROCESSORS}")
        found[kind] = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}
    return found


def _jq_paths(stream: str, query: str) -> dict[str, tuple[str, ...]]:
    """``{name: .a.b, "other": .c}`` -> ``{"name": ("a", "b"), "other": ("c",)}``; any other JQ raises."""
    body = _JQ_OBJECT.match(query.strip())
    entries = [entry.strip() for entry in body.group(1).split(",")] if body else []
    paths: dict[str, tuple[str, ...]] = {}
    for entry in entries:
        match = _JQ_ENTRY.match(entry)
        if not match:
            raise FirehoseError(f"{stream}: JQ query {query!r} is not of the modelled form {{key: .path, ...}}")
        steps = tuple(a or b for a, b in _JQ_STEP.findall(match.group(3)))
        paths[match.group(1) or match.group(2)] = steps
    if not paths:
        raise FirehoseError(f"{stream}: JQ query {query!r} is not of the modelled form {{key: .path, ...}}")
    return paths


@dataclass
class _Record:
    data: bytes
    arrived: datetime
    keys: dict[str, str] | None = None
    error: str | None = None


@dataclass(frozen=True)
class DeliveredObject:
    """One object a flush wrote: where, how many records, and whether it holds failed records."""

    stream: str
    bucket: str
    key: str
    records: int
    error_output_type: str | None = None


@dataclass
class _Stream:
    destination: Destination
    version: str
    records: list[_Record] = field(default_factory=list)
    size: int = 0


class OfflineFirehose:
    """Buffers records per delivery stream and writes them to S3 as Firehose does (see the module docstring).

    Inputs: ``region``; ``clock`` (UTC now, for arrival times; tests pass a fixed one).
    Exposes: ``delivered`` (every :class:`DeliveredObject`, oldest first), :meth:`put`, :meth:`flush`,
      :meth:`pending` (buffered record count), :meth:`installed` (route moto's streams here).
    """

    def __init__(self, *, region: str, clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.region = region
        self.clock = clock
        self.delivered: list[DeliveredObject] = []
        self._streams: dict[str, _Stream] = {}
        self._lock = threading.RLock()

    @staticmethod
    def check(stream: str, destination: Mapping[str, Any]) -> None:
        """Raise :class:`FirehoseError` if a destination asks for anything not modelled; used before creation."""
        Destination.parse(stream, destination)

    def put(self, stream: str, version: str, config: Mapping[str, Any], records: Sequence[bytes]) -> list[str]:
        """Buffer ``records`` of ``stream`` whose destination is ``config`` (API shape); return their record ids."""
        destination = Destination.parse(stream, config)
        with self._lock:
            buffered = self._streams.setdefault(stream, _Stream(destination, version))
            buffered.destination, buffered.version = destination, version
            for data in records:
                buffered.records.append(_Record(bytes(data), self.clock()))
                buffered.size += len(data)
            full = buffered.size >= destination.buffer_bytes
        if full:
            self.flush(stream)
        return [str(uuid.uuid4()) for _ in records]

    def pending(self) -> int:
        with self._lock:
            return sum(len(stream.records) for stream in self._streams.values())

    def flush(self, stream: str | None = None) -> list[DeliveredObject]:
        """Write every buffered record (of ``stream``, or of all streams) to S3; return the objects written."""
        with self._lock:
            names = [stream] if stream is not None else list(self._streams)
            taken = {name: self._take(name) for name in names if name in self._streams}
        written: list[DeliveredObject] = []
        for name, (buffered, records) in taken.items():
            written.extend(self._deliver(name, buffered, records))
        with self._lock:
            self.delivered.extend(written)
        return written

    def _take(self, name: str) -> tuple[_Stream, list[_Record]]:
        buffered = self._streams[name]
        records, buffered.records, buffered.size = buffered.records, [], 0
        return buffered, records

    def _deliver(self, name: str, buffered: _Stream, records: list[_Record]) -> Iterator[DeliveredObject]:
        destination = buffered.destination
        groups: dict[tuple[Any, ...], list[_Record]] = {}
        for record in records:
            _process(record, destination)
            group = ("error",) if record.error else ("data", *sorted((record.keys or {}).items()))
            groups.setdefault(group, []).append(record)
        for group, members in groups.items():
            failed = group[0] == "error"
            key = _object_key(name, buffered.version, destination, members, failed)
            body = b"".join(_error_line(record) if failed else record.data for record in members)
            if destination.compression == "GZIP":
                body = gzip.compress(body)
            boto3.client("s3", region_name=self.region).put_object(Bucket=destination.bucket, Key=key, Body=body)
            yield DeliveredObject(name, destination.bucket, key, len(members), ERROR_OUTPUT_TYPE if failed else None)

    @contextmanager
    def installed(self) -> Iterator[OfflineFirehose]:
        """Route every moto stream's S3 and extended-S3 deliveries to this Firehose for the block."""
        firehose = self

        def put_s3_records(
            backend: FirehoseBackend,
            delivery_stream_name: str,
            version_id: str,
            s3_destination: dict[str, Any],
            records: list[dict[str, bytes]],
        ) -> list[dict[str, str]]:
            ids = firehose.put(delivery_stream_name, version_id, s3_destination, [r["Data"] for r in records])
            return [{"RecordId": record_id} for record_id in ids]

        with mock.patch.object(FirehoseBackend, "put_s3_records", put_s3_records):
            yield self


def _process(record: _Record, destination: Destination) -> None:
    if destination.partition_query is not None and destination.dynamic_partitioning:
        record.keys, record.error = _partition_keys(record.data, destination.partition_query)
    # A failed record is kept as it arrived: its error document carries the raw data.
    if destination.delimiter is not None and record.error is None:
        record.data += destination.delimiter.encode().decode("unicode_escape").encode()


def _partition_keys(data: bytes, query: Mapping[str, tuple[str, ...]]) -> tuple[dict[str, str] | None, str | None]:
    try:
        document = json.loads(data)
    except ValueError:
        return None, "Non JSON record provided"
    keys: dict[str, str] = {}
    for name, steps in query.items():
        value: Any = document
        for step in steps:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None or isinstance(value, dict | list):
            return None, f"partition key {name} is missing or not a scalar"
        keys[name] = value if isinstance(value, str) else json.dumps(value)
    return keys, None


def _object_key(stream: str, version: str, destination: Destination, records: list[_Record], failed: bool) -> str:
    oldest = min(record.arrived for record in records)
    template = destination.error_prefix if failed else destination.prefix
    keys = records[0].keys or {}
    if not _EXPRESSION.search(template):
        template += "!{timestamp:yyyy/MM/dd/HH}/"
    prefix = _EXPRESSION.sub(lambda match: _expand(match, oldest, keys), template)
    suffix = SUPPORTED_COMPRESSION[destination.compression]
    return f"{prefix}{stream}-{version}-{oldest:%Y-%m-%d-%H-%M-%S}-{uuid.uuid4()}{suffix}"


def _expand(match: re.Match[str], when: datetime, keys: Mapping[str, str]) -> str:
    namespace, value = match.group(1), match.group(2)
    if namespace == "timestamp":
        return when.strftime(_java_pattern(value))
    if namespace == "partitionKeyFromQuery":
        return keys[value]
    if value == "error-output-type":
        return ERROR_OUTPUT_TYPE
    if value == "random-string":
        return uuid.uuid4().hex[:11]
    raise FirehoseError(f"prefix expression !{{{namespace}:{value}}} is not modelled offline")


def _java_pattern(pattern: str) -> str:
    def letters(match: re.Match[str]) -> str:
        if match.group(0) not in _JAVA_TIME:
            raise FirehoseError(f"timestamp pattern {pattern!r}: {match.group(0)!r} is not modelled offline")
        return _JAVA_TIME[match.group(0)]

    return _JAVA_LETTERS.sub(letters, pattern.replace("%", "%%"))


def _error_line(record: _Record) -> bytes:
    millis = int(record.arrived.timestamp() * 1000)
    document = {
        "attemptsMade": 1,
        "arrivalTimestamp": millis,
        "errorCode": PARTITIONING_ERROR_CODE,
        "errorMessage": record.error,
        "attemptEndingTimestamp": millis,
        "rawData": base64.b64encode(record.data).decode(),
    }
    return json.dumps(document).encode() + b"\n"
