// Structural schemas of custom resources (staging/src/k8s.io/apiextensions-apiserver):
// - pruning (pkg/apiserver/schema/pruning/algorithm.go): fields the schema does not declare are
//   dropped silently on create and update, unless `x-kubernetes-preserve-unknown-fields`;
//   apiVersion, kind and metadata at the root are kept (metadata is ObjectMeta, pruned apart);
// - validation (pkg/apiserver/validation): a value of the wrong type or outside `enum` is a 422
//   with one cause per field (`status.worstSeverity: Unsupported value: "bad"`); `maxItems` and
//   `maxLength` likewise (kubeOpenAPIResultToFieldErrors: MaxItemsFailCode → field.TooMany,
//   MaxLengthFailCode → field.TooLong; kube-openapi counts a string's length in runes).

export interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  format?: string;
  maxItems?: number;
  maxLength?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  additionalProperties?: Schema | boolean;
}

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Returns a copy of `value` with undeclared fields removed. */
export function prune(value: Json, schema: Schema, root = true): Json {
  if (Array.isArray(value))
    return schema.items ? value.map((v) => prune(v, schema.items ?? {}, false)) : value;
  if (!isObject(value)) return value;
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && !schema.properties) return value;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(value)) {
    if (root && (k === 'apiVersion' || k === 'kind' || k === 'metadata')) {
      out[k] = v;
      continue;
    }
    const sub = schema.properties?.[k];
    if (sub) out[k] = prune(v, sub, false);
    else if (typeof schema.additionalProperties === 'object')
      out[k] = prune(v, schema.additionalProperties, false);
    else if (schema['x-kubernetes-preserve-unknown-fields'] === true) out[k] = v;
  }
  return out;
}

const typeOf = (v: Json): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'integer'
          : 'number'
        : typeof v;

// kube-openapi validate: RFC 3339 date-time (strfmt.IsDateTime)
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Field errors of an (already pruned) value; empty when valid. */
export function validate(
  value: Json,
  schema: Schema,
  path = '',
): { field: string; message: string }[] {
  const errs: { field: string; message: string }[] = [];
  const field = path || '<root>';
  const t = typeOf(value);
  if (schema.type && !(schema.type === t || (schema.type === 'number' && t === 'integer'))) {
    // A nullable-less structural schema rejects null for any typed field.
    errs.push({
      field,
      message: `Invalid value: "${t}": ${field} in body must be of type ${schema.type}: "${t}"`,
    });
    return errs;
  }
  if (schema.enum && !schema.enum.some((e) => e === value))
    errs.push({
      field,
      message: `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    });
  if (schema.format === 'date-time' && typeof value === 'string' && !DATE_TIME.test(value))
    errs.push({
      field,
      message: `Invalid value: ${JSON.stringify(value)}: ${field} in body must be of type date-time: ${JSON.stringify(value)}`,
    });
  if (Array.isArray(value) && schema.maxItems !== undefined && value.length > schema.maxItems)
    errs.push({
      field,
      message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
    });
  if (
    typeof value === 'string' &&
    schema.maxLength !== undefined &&
    // kube-openapi counts runes (utf8.RuneCountInString), not UTF-16 units
    Array.from(value).length > schema.maxLength
  )
    errs.push({
      field,
      message: `Too long: may not be more than ${schema.maxLength} bytes`,
    });
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => errs.push(...validate(v, schema.items ?? {}, `${path}[${i}]`)));
  if (isObject(value) && schema.properties)
    for (const [k, sub] of Object.entries(schema.properties))
      if (k in value && !(path === '' && k === 'metadata'))
        errs.push(...validate(value[k], sub, path ? `${path}.${k}` : k));
  return errs;
}
