/**
 * A tiny OTLP/HTTP trace receiver on 127.0.0.1 (what an OpenTelemetry collector does with /v1/traces),
 * for http/json and http/protobuf: the tests read the spans, the bench's tracing variant only counts. Protobuf is decoded by hand: the fields read here are a handful, and
 * no package at hand decodes an ExportTraceServiceRequest (@opentelemetry/otlp-transformer only encodes).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  /** The instrumentation scope's name (`@opentelemetry/instrumentation-pg`, …). */
  scope: string;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
  resource: Record<string, unknown>;
}

export interface OtlpReceiver {
  endpoint: string;
  spans: ReceivedSpan[];
  /** Content types of the export requests received (`application/json`, `application/x-protobuf`). */
  contentTypes: string[];
  /** Bytes of trace exports received. */
  bytes: number;
  close(): Promise<void>;
}

/** `decode: false` keeps no spans (a benchmark's sink: its own CPU stays low). */
export async function startOtlpReceiver(options: { decode?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  let bytes = 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const type = request.headers['content-type'] ?? '';
      const json = type.includes('json');
      if (request.url === '/v1/traces') {
        contentTypes.push(type);
        bytes += body.length;
        if (options.decode !== false) spans.push(...(json ? spansFromJson(JSON.parse(body.toString('utf8'))) : spansFromProtobuf(body)));
      }
      // An empty ExportTraceServiceResponse: full success.
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    get bytes() {
      return bytes;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// --- OTLP/JSON (proto3 JSON mapping; ids in hex) ---

interface JsonValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
type JsonAttributes = { key: string; value: JsonValue }[] | undefined;

const jsonAttributes = (attributes: JsonAttributes) =>
  Object.fromEntries(
    (attributes ?? []).map(({ key, value }) => [key, value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue]),
  );

function spansFromJson(request: any): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans: any) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans: any) =>
      (scopeSpans.spans ?? []).map((span: any): ReceivedSpan => ({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        scope: scopeSpans.scope?.name ?? '',
        attributes: jsonAttributes(span.attributes),
        links: (span.links ?? []).map((link: any) => ({ traceId: link.traceId, spanId: link.spanId })),
        resource: jsonAttributes(resourceSpans.resource?.attributes),
      })),
    ),
  );
}

// --- OTLP/protobuf: just the wire format (varints, length-delimited and fixed fields) ---

type Field = { number: number; value: bigint | Buffer };

function fields(buffer: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (at < buffer.length) {
    const key = Number(varint());
    const number = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ number, value: varint() });
        break;
      case 1:
        out.push({ number, value: buffer.subarray(at, (at += 8)) });
        break;
      case 2: {
        const length = Number(varint());
        out.push({ number, value: buffer.subarray(at, (at += length)) });
        break;
      }
      case 5:
        out.push({ number, value: buffer.subarray(at, (at += 4)) });
        break;
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
  }
  return out;
}

const all = (message: Buffer, number: number) => fields(message).filter((field) => field.number === number);
const bytes = (message: Buffer, number: number) => all(message, number).at(-1)?.value as Buffer | undefined;
const text = (message: Buffer, number: number) => bytes(message, number)?.toString('utf8') ?? '';
const hex = (message: Buffer, number: number) => bytes(message, number)?.toString('hex') ?? '';

/** AnyValue: string (1), bool (2), int (3), double (4); arrays and maps are not needed here. */
function anyValue(value: Buffer): unknown {
  const [field] = fields(value);
  if (!field) return undefined;
  if (field.number === 1) return (field.value as Buffer).toString('utf8');
  if (field.number === 2) return field.value === 1n;
  if (field.number === 3) return BigInt.asIntN(64, field.value as bigint).toString();
  if (field.number === 4) return (field.value as Buffer).readDoubleLE(0);
  return undefined;
}

/** repeated KeyValue { key = 1; AnyValue value = 2 } */
const protobufAttributes = (message: Buffer, number: number) =>
  Object.fromEntries(
    all(message, number).map(({ value }) => [text(value as Buffer, 1), anyValue(bytes(value as Buffer, 2) ?? Buffer.alloc(0))]),
  );

/** ExportTraceServiceRequest → ResourceSpans (1) → { Resource (1), ScopeSpans (2) → { scope (1), Span (2) } }. */
function spansFromProtobuf(request: Buffer): ReceivedSpan[] {
  return all(request, 1).flatMap(({ value: resourceSpans }) => {
    const resource = protobufAttributes(bytes(resourceSpans as Buffer, 1) ?? Buffer.alloc(0), 1);
    return all(resourceSpans as Buffer, 2).flatMap(({ value: scopeSpans }) => {
      const scope = text(bytes(scopeSpans as Buffer, 1) ?? Buffer.alloc(0), 1);
      return all(scopeSpans as Buffer, 2).map(({ value }): ReceivedSpan => {
        const span = value as Buffer;
        return {
          traceId: hex(span, 1),
          spanId: hex(span, 2),
          parentSpanId: hex(span, 4),
          name: text(span, 5),
          kind: Number((all(span, 6).at(-1)?.value as bigint | undefined) ?? 0n),
          scope,
          attributes: protobufAttributes(span, 9),
          links: all(span, 13).map(({ value: link }) => ({ traceId: hex(link as Buffer, 1), spanId: hex(link as Buffer, 2) })),
          resource,
        };
      });
    });
  });
}
