/**
 * Checks HTTP answers against the response schemas an OpenAPI 3.1 document declares for their
 * path, method and status.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12 (plus a few annotation keywords), so they are
 * compiled by Ajv's 2020-12 validator with the document's component schemas loaded; formats come
 * from ajv-formats. Two things go beyond a plain schema check, both on purpose:
 *
 * - every object schema of a response is closed (`unevaluatedProperties: false`, which sees
 *   through `allOf` and `$ref`), so a misspelt or undocumented field fails instead of passing as
 *   an extra property;
 * - a document can be adjusted first by `SpecOverride`s, each a narrow, named edit, so that
 *   where the live service is known to differ from its published spec the test says so in one
 *   place rather than skipping the check.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type Format, type ValidateFunction } from 'ajv/dist/2020.js';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import { parse } from 'yaml';
import { isObject } from '../../src/upstream/json.js';

/** A parsed JSON or YAML node. Loosely typed: OpenAPI documents are walked, not modelled. */
export type JsonObject = Record<string, any>;

export interface OpenApiDocument extends JsonObject {
  openapi: string;
  paths: Record<string, JsonObject>;
  components: JsonObject & { schemas: Record<string, JsonObject>; responses?: Record<string, JsonObject> };
}

/** One documented difference between the published document and the service's behaviour. */
export interface SpecOverride {
  /** What differs, in a sentence. */
  readonly rule: string;
  /** Edits the document (a private copy) before anything is compiled. */
  readonly patch?: (document: OpenApiDocument) => void;
  /** Formats to add, or to replace ajv-formats' definition of. */
  readonly formats?: Readonly<Record<string, Format>>;
}

export interface ResponseToCheck {
  readonly method: string;
  /** The request path, without the query. */
  readonly path: string;
  readonly status: number;
  /** The `content-type` header, if any. */
  readonly contentType: string | null;
  /** The raw body. */
  readonly text: string;
}

export interface ResponseCheck {
  /** `METHOD /template` of the operation the request fell under, if any. */
  readonly operation: string | undefined;
  /** Every way the answer departs from the document; empty when it conforms. */
  readonly problems: string[];
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
/** Annotation keywords of the OpenAPI 3.1 base dialect that JSON Schema 2020-12 does not define. */
const OPENAPI_KEYWORDS = ['example', 'discriminator', 'xml', 'externalDocs'];
const COMPONENTS_ID = 'urn:openapi:components';
const LOCAL_SCHEMA_REF = '#/components/schemas/';

export function readOpenApiDocument(file: string | URL): OpenApiDocument {
  return parse(readFileSync(file, 'utf8')) as OpenApiDocument;
}

export class ResponseValidator {
  readonly document: OpenApiDocument;
  private readonly ajv: Ajv2020;
  private readonly templates: Array<{ template: string; segments: string[] }>;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(published: OpenApiDocument, overrides: readonly SpecOverride[] = []) {
    const document = structuredClone(published);
    for (const override of overrides) override.patch?.(document);
    for (const schema of responseSchemas(document)) close(schema, true);
    for (const schema of Object.values(document.components.schemas)) close(schema, false);
    this.document = rewriteSchemaRefs(document);

    // strictTypes is off because OpenAPI schemas routinely leave `type: object` out beside
    // `allOf` or `$ref`; unknown keywords and formats still fail compilation.
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
    this.ajv.addVocabulary([...OPENAPI_KEYWORDS, ...extensionKeywords(this.document)]);
    for (const [name, format] of Object.entries(fullFormats)) this.ajv.addFormat(name, format);
    for (const override of overrides) {
      for (const [name, format] of Object.entries(override.formats ?? {})) this.ajv.addFormat(name, format);
    }
    this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: this.document.components.schemas });

    this.templates = Object.keys(this.document.paths)
      .map((template) => ({ template, segments: template.split('/').slice(1) }))
      .sort((a, b) => literalRank(b.segments) - literalRank(a.segments));
  }

  /** Every operation in the (overridden) document, as `METHOD /template`. */
  get operations(): string[] {
    return Object.entries(this.document.paths).flatMap(([template, item]) =>
      HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => `${method.toUpperCase()} ${template}`),
    );
  }

  /** The path template `path` falls under: literal segments win over parameters, as in routers. */
  templateOf(path: string): string | undefined {
    const segments = path.split('/').slice(1);
    return this.templates.find(
      (candidate) =>
        candidate.segments.length === segments.length &&
        candidate.segments.every((part, index) => (isParameter(part) ? segments[index] !== '' : part === segments[index])),
    )?.template;
  }

  check(answer: ResponseToCheck): ResponseCheck {
    const template = this.templateOf(answer.path);
    const method = answer.method.toLowerCase();
    const operationObject = template === undefined ? undefined : this.document.paths[template]?.[method];
    if (template === undefined || operationObject === undefined) {
      return { operation: undefined, problems: [`the document has no operation for ${answer.method} ${answer.path}`] };
    }
    const operation = `${answer.method.toUpperCase()} ${template}`;
    const status = String(answer.status);
    let pointer = ['paths', template, method, 'responses', status];
    let response = operationObject.responses?.[status] as JsonObject | undefined;
    if (response === undefined) {
      return { operation, problems: [`${operation} declares no ${status} response`] };
    }
    if (typeof response.$ref === 'string') {
      pointer = response.$ref.replace(/^#\//, '').split('/').map(unescapePointer);
      response = this.resolve(pointer);
    }
    if (response.content === undefined) {
      return { operation, problems: answer.text === '' ? [] : [`${operation} ${status} has no body, but one was sent`] };
    }
    const media = 'application/json';
    const schema = (response.content as JsonObject)[media]?.schema;
    if (schema === undefined) return { operation, problems: [`${operation} ${status} declares no ${media} body`] };
    const problems: string[] = [];
    if (!answer.contentType?.startsWith(media)) problems.push(`content-type is ${answer.contentType}, not ${media}`);
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      return { operation, problems: [...problems, `the body is not JSON: ${answer.text.slice(0, 200)}`] };
    }
    const validate = this.validatorFor([...pointer, 'content', media, 'schema']);
    if (!validate(body)) problems.push(...(validate.errors ?? []).map(describe));
    return { operation, problems };
  }

  private validatorFor(pointer: string[]): ValidateFunction {
    const key = pointer.join('\u0000');
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(this.resolve(pointer));
      this.compiled.set(key, validate);
    }
    return validate;
  }

  private resolve(pointer: readonly string[]): JsonObject {
    let node: unknown = this.document;
    for (const part of pointer) node = (node as JsonObject | undefined)?.[part];
    if (typeof node !== 'object' || node === null) throw new Error(`Nothing at #/${pointer.join('/')} in the document`);
    return node as JsonObject;
  }
}

/** The schema of every response body in the document, operations' own and shared ones. */
function* responseSchemas(document: OpenApiDocument): Generator<JsonObject> {
  const responses: JsonObject[] = Object.values(document.components.responses ?? {});
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) responses.push(...Object.values((item[method]?.responses ?? {}) as JsonObject));
  }
  for (const response of responses) {
    for (const media of Object.values((response.content ?? {}) as JsonObject)) {
      if (media.schema !== undefined) yield media.schema;
    }
  }
}

/**
 * Forbids properties the schema does not describe. `unevaluatedProperties` is put where an object
 * is used whole (a property, an item, a response body), never on an `allOf` branch or a component
 * definition: there it would reject what sibling branches add.
 */
function close(node: unknown, whole: boolean): void {
  if (!isObject(node)) return;
  const schema: JsonObject = node;
  for (const branch of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) close(branch, false);
  for (const property of Object.values((schema.properties ?? {}) as JsonObject)) close(property, true);
  close(schema.items, true);
  const describesObject =
    schema.type === 'object' || schema.properties !== undefined || schema.allOf !== undefined || schema.$ref !== undefined;
  if (whole && describesObject && schema.additionalProperties === undefined && schema.unevaluatedProperties === undefined) {
    schema.unevaluatedProperties = false;
  }
}

/** Points `#/components/schemas/X` at the loaded components, so each response schema compiles alone. */
function rewriteSchemaRefs<T>(node: T): T {
  if (Array.isArray(node)) return node.map(rewriteSchemaRefs) as T;
  if (!isObject(node)) return node;
  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith(LOCAL_SCHEMA_REF)
        ? `${COMPONENTS_ID}#/$defs/${value.slice(LOCAL_SCHEMA_REF.length)}`
        : rewriteSchemaRefs(value);
  }
  return copy as T;
}

/** `x-…` keys used inside schemas: vendor extensions Ajv must know to stay strict about the rest. */
function extensionKeywords(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const item of node) extensionKeywords(item, found);
  if (isObject(node)) {
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith('x-')) found.add(key);
      extensionKeywords(value, found);
    }
  }
  return found;
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? '(body)' : error.instancePath;
  const detail =
    error.keyword === 'unevaluatedProperties'
      ? `: '${(error.params as { unevaluatedProperty: string }).unevaluatedProperty}'`
      : error.keyword === 'const' || error.keyword === 'enum'
        ? `: ${JSON.stringify(error.params)}`
        : '';
  return `${where} ${error.message ?? error.keyword}${detail} (${error.schemaPath})`;
}

const isParameter = (segment: string): boolean => segment.startsWith('{') && segment.endsWith('}');

/** Higher for templates whose early segments are literal. */
const literalRank = (segments: readonly string[]): number =>
  segments.reduce((rank, segment, index) => rank + (isParameter(segment) ? 0 : 2 ** (16 - index)), 0);

const unescapePointer = (part: string): string => part.replace(/~1/g, '/').replace(/~0/g, '~');
