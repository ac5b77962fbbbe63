// fal's endpoint catalog, read from the installed `@fal-ai/client` (a dev dependency): the `EndpointTypeMap` of
// `src/types/endpoints.d.ts`, which names every endpoint id with its input type, and the input types themselves
// (object types with JSDoc'd fields, and aliases between them). This reads the declaration text with a small parser
// for the shapes the file uses (string-literal unions, `string | Blob | File`, `Array<…>`, named types), so the
// catalog checks need no TypeScript compiler API. Updating the package changes what these tests check against.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** A field's type, as far as the checks need it. */
export type CatalogType =
  | { kind: 'enum'; values: string[] }
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  /** `string | Blob | File`: a URL (or data URI) on the wire. */
  | { kind: 'file' }
  | { kind: 'array'; of: CatalogType }
  | { kind: 'object'; name: string; fields: Record<string, CatalogField> }
  | { kind: 'other'; text: string };

export interface CatalogField {
  name: string;
  required: boolean;
  type: CatalogType;
  /** The JSDoc text above the field, on one line. */
  description: string;
}

export interface FalCatalog {
  /** The installed `@fal-ai/client` version. */
  version: string;
  /** Where the catalog was read from. */
  file: string;
  /** Every endpoint id of the catalog. */
  endpointIds(): string[];
  /** The input fields of an endpoint, by name; undefined when the catalog lacks the endpoint. */
  input(endpointId: string): Record<string, CatalogField> | undefined;
}

interface Declaration {
  /** `{ … }` body of an object type, or the text of an alias. */
  body?: string;
  alias?: string;
}

const require = createRequire(import.meta.url);

/** Reads the catalog of the installed client. Throws when the file or its endpoint map cannot be found. */
export function readFalCatalog(): FalCatalog {
  const entry = require.resolve('@fal-ai/client');
  const root = join(dirname(entry), '..');
  const file = join(root, 'src', 'types', 'endpoints.d.ts');
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return parseFalCatalog(readFileSync(file, 'utf8'), version, file);
}

/** Parses the declaration text of `endpoints.d.ts`. */
export function parseFalCatalog(text: string, version: string, file = 'endpoints.d.ts'): FalCatalog {
  const declarations = new Map<string, Declaration>();
  const declaration = /^export type (\w+) = (.*)$/gm;
  for (let match = declaration.exec(text); match; match = declaration.exec(text)) {
    const [, name = '', rest = ''] = match;
    if (rest === '{') {
      const end = text.indexOf('\n};', declaration.lastIndex);
      if (end < 0) throw new Error(`${file}: the body of ${name} does not end`);
      declarations.set(name, { body: text.slice(declaration.lastIndex, end) });
    } else {
      declarations.set(name, { alias: rest.replace(/;\s*$/, '').trim() });
    }
  }
  const map = declarations.get('EndpointTypeMap')?.body;
  if (!map) throw new Error(`${file}: no EndpointTypeMap`);
  const inputs = new Map<string, string>();
  for (const match of map.matchAll(/"([^"]+)": \{\s*input: (\w+);/g)) inputs.set(match[1] ?? '', match[2] ?? '');
  if (inputs.size === 0) throw new Error(`${file}: the EndpointTypeMap lists no endpoints`);

  const objects = new Map<string, Record<string, CatalogField>>();
  const resolve = (name: string, seen: string[] = []): Record<string, CatalogField> | undefined => {
    if (seen.includes(name)) throw new Error(`${file}: ${[...seen, name].join(' → ')} is circular`);
    const found = declarations.get(name);
    if (!found) return undefined;
    if (found.alias !== undefined) return /^\w+$/.test(found.alias) ? resolve(found.alias, [...seen, name]) : undefined;
    const cached = objects.get(name);
    if (cached) return cached;
    const fields: Record<string, CatalogField> = {};
    objects.set(name, fields);
    const field = /(?:\/\*\*((?:[^*]|\*(?!\/))*)\*\/\s*)?\n {4}(\w+)(\?)?: ([^\n]+);/g;
    for (const match of (found.body ?? '').matchAll(field)) {
      const [, doc = '', fieldName = '', optional, typeText = ''] = match;
      fields[fieldName] = {
        name: fieldName,
        required: optional !== '?',
        type: parseType(typeText.trim(), [...seen, name]),
        description: doc
          .split('\n')
          .map((line) => line.replace(/^\s*\*\s?/, '').trim())
          .filter(Boolean)
          .join(' '),
      };
    }
    return fields;
  };
  const parseType = (typeText: string, seen: string[]): CatalogType => {
    const parts = splitUnion(typeText);
    if (parts.length > 1) {
      if (parts.every((part) => /^"[^"]*"$/.test(part))) return { kind: 'enum', values: parts.map((part) => part.slice(1, -1)) };
      if (parts.includes('string') && parts.includes('Blob') && parts.includes('File')) return { kind: 'file' };
      return { kind: 'other', text: typeText };
    }
    if (/^"[^"]*"$/.test(typeText)) return { kind: 'enum', values: [typeText.slice(1, -1)] };
    if (typeText === 'string' || typeText === 'number' || typeText === 'boolean') return { kind: typeText };
    const array = /^Array<(.+)>$/.exec(typeText);
    if (array?.[1]) return { kind: 'array', of: parseType(array[1], seen) };
    if (/^\w+$/.test(typeText)) {
      const fields = resolve(typeText, seen);
      if (fields) return { kind: 'object', name: typeText, fields };
    }
    return { kind: 'other', text: typeText };
  };

  return {
    version,
    file,
    endpointIds: () => [...inputs.keys()],
    input: (endpointId) => {
      const inputType = inputs.get(endpointId);
      return inputType === undefined ? undefined : resolve(inputType);
    },
  };
}

/** Splits `A | B | "c | d"` at its top-level bars (not inside quotes or angle brackets). */
function splitUnion(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (const char of text) {
    if (char === '"') quoted = !quoted;
    if (!quoted && char === '<') depth += 1;
    if (!quoted && char === '>') depth -= 1;
    if (!quoted && depth === 0 && char === '|') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  parts.push(current.trim());
  return parts.filter(Boolean);
}

/** The values of an enum field, or undefined when the field is not an enum. */
export function enumValues(field: CatalogField | undefined): string[] | undefined {
  return field?.type.kind === 'enum' ? field.type.values : undefined;
}
