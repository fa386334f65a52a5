// Validates the gateway's real answers, captured by response_capture_test.cpp, against the OpenAPI document
// the gateway serves, with a standard JSON Schema 2020-12 validator (ajv). Fails when:
//  - a route the gateway serves is missing from the document, or the document names a route it does not serve;
//  - an answer's status is not documented for its path and method;
//  - an answer's body does not match the schema documented for that status;
//  - a documented operation was never seen answering with success.
// Usage: node validate.mjs <capture.json>
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const capture = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const doc = capture.openapi;
const problems = [];
const fail = (msg) => problems.push(msg);

if (doc.openapi !== '3.1.0') fail(`openapi is ${doc.openapi}, expected 3.1.0`);

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv);
// The document's components are one schema resource, so "#/components/schemas/X" resolves as written.
ajv.addKeyword({ keyword: 'components', schemaType: 'object' });
ajv.addSchema({ $id: 'openapi.json', components: { schemas: doc.components.schemas } });
for (const name of Object.keys(doc.components.schemas)) {
    try {
        ajv.getSchema(`openapi.json#/components/schemas/${name}`);
    } catch (err) {
        fail(`components/schemas/${name} does not compile: ${err.message}`);
    }
}

function resolve(obj) {
    // A Reference Object ({$ref, description}) to components/responses.
    if (obj && obj.$ref) {
        const parts = obj.$ref.replace(/^#\//, '').split('/');
        return parts.reduce((o, k) => o[k], doc);
    }
    return obj;
}

function validatorFor(method, route, status) {
    const op = doc.paths[route]?.[method.toLowerCase()];
    if (!op) return { error: `${method} ${route} is not in the document` };
    const response = resolve(op.responses[String(status)]);
    if (!response) return { error: `${method} ${route} answered ${status}, which the document does not list` };
    const schema = response.content?.['application/json']?.schema;
    if (!schema) return { error: `${method} ${route} ${status} has no application/json schema` };
    if (!schema.$ref) return { error: `${method} ${route} ${status}: the schema must be a $ref to components/schemas` };
    return { validate: ajv.getSchema(`openapi.json${schema.$ref}`) };
}

// 1. Served routes <-> documented operations.
const served = new Set(capture.routes.map((r) => `${r.method.toUpperCase()} ${r.pattern}`));
const documented = new Set();
for (const [route, item] of Object.entries(doc.paths)) {
    for (const method of Object.keys(item)) {
        if (['get', 'put', 'post', 'delete', 'patch'].includes(method)) {
            documented.add(`${method.toUpperCase()} ${route}`);
        }
    }
}
for (const r of served) if (!documented.has(r)) fail(`served but not documented: ${r}`);
for (const r of documented) if (!served.has(r)) fail(`documented but not served: ${r}`);

// 2. Every captured answer against its documented schema.
const seen = new Map();  // "METHOD route" -> Set of statuses
for (const ex of capture.exchanges) {
    const key = `${ex.method} ${ex.route}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key).add(ex.status);
    const where = `${ex.method} ${ex.path} -> ${ex.status}`;
    if (ex.body === null || ex.body === undefined) {
        // A CSV answer (e.g. a report.csv) is documented as a string in another media type: nothing to validate.
        const documentedAs = resolve(doc.paths[ex.route]?.[ex.method.toLowerCase()]?.responses?.[String(ex.status)]);
        const types = Object.keys(documentedAs?.content ?? {});
        if (types.length && !types.includes('application/json')) continue;
        fail(`${where}: the body is not JSON: ${String(ex.raw).slice(0, 200)}`);
        continue;
    }
    const { validate, error } = validatorFor(ex.method, ex.route, ex.status);
    if (error) {
        fail(`${where}: ${error}`);
        continue;
    }
    if (!validate(ex.body)) {
        const why = validate.errors.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
        const body = JSON.stringify(ex.body).slice(0, 600);
        fail(`${where}: body does not match the schema:\n    ${why.slice(0, 8).join('\n    ')}\n    body: ${body}`);
    }
}

// 3. Every documented operation was seen succeeding.
for (const r of documented) {
    const statuses = seen.get(r) ?? new Set();
    if (![...statuses].some((s) => s >= 200 && s < 300)) {
        fail(`${r} was never seen answering 2xx (seen: ${[...statuses].join(', ') || 'nothing'})`);
    }
}

const summary = [...documented].sort().map((r) => `  ${r}: ${[...(seen.get(r) ?? [])].sort().join(' ')}`);
console.log(`${capture.exchanges.length} answers checked against ${documented.size} operations:\n${summary.join('\n')}`);
if (problems.length) {
    console.error(`\n${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
    process.exit(1);
}
console.log('every answer matches the document');
