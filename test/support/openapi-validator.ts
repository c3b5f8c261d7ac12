import { Ajv, type ValidateFunction } from 'ajv';
import ajvFormats from 'ajv-formats';

/**
 * Ajv (draft-07, strict) over the document's schemas, as a spec-driven validator would: OpenAPI's
 * `example` and our `x-` extensions are declared as annotation keywords, `nullable` is Ajv's own.
 */
export function schemaValidator(doc: any): (ref: string) => ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajvFormats.default(ajv); // CommonJS module: its function is also its `default`
  // `discriminator` is OpenAPI's hint for generators; `oneOf` alone decides validity (the variants' `status` enums are disjoint).
  ajv.addVocabulary(['example', 'x-decimal-places', 'x-extensible-enum', 'discriminator']);
  for (const [name, schema] of Object.entries<any>(doc.components.schemas)) {
    ajv.addSchema(JSON.parse(JSON.stringify(schema).replaceAll('#/components/schemas/', '')), name);
  }
  return (ref) => ajv.getSchema(ref.replace('#/components/schemas/', ''))!;
}
