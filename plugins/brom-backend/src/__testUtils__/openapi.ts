import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

export const OPENAPI_FILE = resolve(__dirname, '../schema/openapi.yaml');

export const HTTP_METHODS = [
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: Record<string, Record<string, any>>;
}

export function loadOpenApiDocument(): OpenApiDocument {
  return parse(readFileSync(OPENAPI_FILE, 'utf8'));
}

/** `/applications/{name}` → `/applications/:name` and back. */
export function openApiPathToExpress(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}

function escapePointer(segment: string) {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

const DOCUMENT_ID = 'brom-openapi';

/**
 * Validates requests and responses against the committed OpenAPI document, with its
 * components, so that tests notice when the document and the API drift apart.
 */
export class OpenApiValidator {
  readonly document: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument = loadOpenApiDocument()) {
    this.document = document;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    this.#ajv.addSchema(document as any, DOCUMENT_ID);
  }

  operation(method: string, template: string): any {
    const item = this.document.paths[template];
    const operation = item?.[method.toLowerCase()];
    if (!operation) {
      throw new Error(
        `openapi.yaml does not describe ${method.toUpperCase()} ${template}`,
      );
    }
    return operation;
  }

  /** The JSON pointer (within the document) of the schema of a response, or undefined without a body. */
  responseSchemaPointer(
    method: string,
    template: string,
    status: number,
  ): string | undefined {
    const operation = this.operation(method, template);
    let response = operation.responses?.[String(status)];
    let pointer = `#/paths/${escapePointer(
      template,
    )}/${method.toLowerCase()}/responses/${status}`;
    if (!response) {
      throw new Error(
        `openapi.yaml does not document status ${status} for ${method.toUpperCase()} ${template} (documented: ${Object.keys(
          operation.responses ?? {},
        ).join(', ')})`,
      );
    }
    if (response.$ref) {
      pointer = response.$ref;
      response = this.#resolve(response.$ref);
    }
    if (!response.content) return undefined;
    if (!response.content['application/json']?.schema) {
      throw new Error(`${pointer} has no application/json schema`);
    }
    return `${pointer}/content/application~1json/schema`;
  }

  requestSchemaPointer(method: string, template: string): string | undefined {
    const operation = this.operation(method, template);
    if (!operation.requestBody) return undefined;
    if (!operation.requestBody.content?.['application/json']?.schema) {
      throw new Error(
        `${method.toUpperCase()} ${template} has a request body without a JSON schema`,
      );
    }
    return `#/paths/${escapePointer(
      template,
    )}/${method.toLowerCase()}/requestBody/content/application~1json/schema`;
  }

  /** Problems of `body` against the schema at `pointer`, or an empty list. */
  problems(pointer: string, body: unknown): string[] {
    let validate = this.#cache.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${DOCUMENT_ID}${pointer}` });
      this.#cache.set(pointer, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      e =>
        `${e.instancePath || '(root)'} ${e.message}${
          e.params ? ` ${JSON.stringify(e.params)}` : ''
        }`,
    );
  }

  /** Throws unless the response status is documented and the body matches its schema. */
  assertResponse(
    method: string,
    template: string,
    status: number,
    body: unknown,
  ) {
    const pointer = this.responseSchemaPointer(method, template, status);
    if (!pointer) return;
    const problems = this.problems(pointer, body);
    if (problems.length) {
      throw new Error(
        `Response ${status} of ${method.toUpperCase()} ${template} does not match openapi.yaml:\n  ${problems.join(
          '\n  ',
        )}\nbody: ${JSON.stringify(body, null, 2).slice(0, 2000)}`,
      );
    }
  }

  /** Problems of a request body against the operation's request schema. */
  requestProblems(method: string, template: string, body: unknown): string[] {
    const pointer = this.requestSchemaPointer(method, template);
    if (!pointer) {
      return body === undefined
        ? []
        : [`${method.toUpperCase()} ${template} takes no body`];
    }
    return this.problems(pointer, body);
  }

  /** Every schema reachable from the document compiles (dangling $refs fail here). */
  compileEverything() {
    for (const [path, item] of Object.entries(this.document.paths)) {
      for (const method of HTTP_METHODS) {
        const operation = item[method];
        if (!operation) continue;
        for (const status of Object.keys(operation.responses ?? {})) {
          const pointer = this.responseSchemaPointer(
            method,
            path,
            Number(status),
          );
          if (pointer) this.problems(pointer, null);
        }
        const request = this.requestSchemaPointer(method, path);
        if (request) this.problems(request, null);
      }
    }
    for (const name of Object.keys(this.document.components.schemas ?? {})) {
      this.problems(`#/components/schemas/${escapePointer(name)}`, null);
    }
  }

  #resolve(ref: string): any {
    if (!ref.startsWith('#/'))
      throw new Error(`Only local $refs are supported, got ${ref}`);
    let node: any = this.document;
    for (const raw of ref.slice(2).split('/')) {
      node = node?.[raw.replace(/~1/g, '/').replace(/~0/g, '~')];
    }
    if (node === undefined) throw new Error(`Dangling $ref ${ref}`);
    return node;
  }
}
