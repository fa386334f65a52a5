// Makes Haven-style JWTs for the integration tests (tests/integration/haven_jwt_test.cpp), with npm `jose`.
//   node make-token.mjs keys DIR   writes DIR/es256-public.pem, DIR/es256-private.pem and DIR/jwks.json (public RS256
//                                  and ES256 keys, kids "rsa-1" and "ec-1"), DIR/jwks-private.json (their private JWKs)
//   node make-token.mjs sign SPEC  prints a compact JWS; SPEC is JSON:
//     {"alg": "HS256"|"ES256"|"RS256"|"none", "secret": "..." | "pemFile": "..." | "jwkFile": "...", "kid": "...",
//      "claims": {...}}
//     "secret" may also be used with HS256 to sign with any bytes (e.g. a public key's PEM, the alg-confusion attack).
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, generateKeyPair, exportSPKI, exportPKCS8, exportJWK, importPKCS8, importJWK } from 'jose';

const b64url = (s) => Buffer.from(s).toString('base64url');

async function keys(dir) {
    const ec = await generateKeyPair('ES256', { extractable: true });
    writeFileSync(join(dir, 'es256-public.pem'), await exportSPKI(ec.publicKey));
    writeFileSync(join(dir, 'es256-private.pem'), await exportPKCS8(ec.privateKey));
    const rsa = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    const ec2 = await generateKeyPair('ES256', { extractable: true });
    const pub = [
        { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
        { ...(await exportJWK(ec2.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    const priv = [
        { ...(await exportJWK(rsa.privateKey)), kid: 'rsa-1', alg: 'RS256' },
        { ...(await exportJWK(ec2.privateKey)), kid: 'ec-1', alg: 'ES256' },
    ];
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: pub }));
    writeFileSync(join(dir, 'jwks-private.json'), JSON.stringify({ keys: priv }));
}

async function sign(spec) {
    const header = { alg: spec.alg, typ: 'JWT', ...(spec.kid ? { kid: spec.kid } : {}) };
    if (spec.alg === 'none') return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(spec.claims))}.`;
    let key;
    if (spec.secret !== undefined) key = new TextEncoder().encode(spec.secret);
    else if (spec.pemFile) key = await importPKCS8(readFileSync(spec.pemFile, 'utf8'), spec.alg);
    else {
        const all = JSON.parse(readFileSync(spec.jwkFile, 'utf8')).keys;
        key = await importJWK(all.find((k) => k.kid === spec.kid), spec.alg);
    }
    return new SignJWT(spec.claims).setProtectedHeader(header).sign(key);
}

const [cmd, arg] = process.argv.slice(2);
if (cmd === 'keys') await keys(arg);
else if (cmd === 'sign') process.stdout.write(await sign(JSON.parse(arg)));
else {
    console.error('usage: make-token.mjs keys DIR | sign SPEC');
    process.exit(2);
}
