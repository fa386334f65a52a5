// A webhook receiver for the integration tests: an HTTP server on 127.0.0.1 that verifies every delivery with
// the standardwebhooks library (the Standard Webhooks reference verifier), so the tests prove that existing
// verifiers accept what the gateway sends. Prints "LISTENING <port>" once it listens.
//   POST /control  {"secret": "whsec_...", "failFirst": 3, "status": 500}  what to verify with and how to answer:
//                  the first `failFirst` deliveries get 500, and every delivery gets `status` when it is set
//   GET  /received every delivery so far: [{path, id, timestamp, signature, body, verified, error, answered}]
//   any other POST a delivery
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

let secret = '';
let failFirst = 0;
let status = 0;
const received = [];

function readBody(req) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        req.on('error', reject);
    });
}

const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (req.method === 'POST' && req.url === '/control') {
        const c = JSON.parse(body);
        if (c.secret !== undefined) secret = c.secret;
        if (c.failFirst !== undefined) failFirst = c.failFirst;
        if (c.status !== undefined) status = c.status;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        return;
    }
    if (req.method === 'GET' && req.url === '/received') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
        return;
    }
    const entry = {
        path: req.url,
        id: req.headers['webhook-id'] ?? null,
        timestamp: req.headers['webhook-timestamp'] ?? null,
        signature: req.headers['webhook-signature'] ?? null,
        body,
        verified: false,
        error: null,
        answered: 0,
    };
    try {
        const payload = new Webhook(secret).verify(body, {
            'webhook-id': entry.id,
            'webhook-timestamp': entry.timestamp,
            'webhook-signature': entry.signature,
        });
        entry.verified = typeof payload === 'object' && payload !== null;
    } catch (e) {
        entry.error = String(e && e.message ? e.message : e);
    }
    let answer = entry.verified ? 204 : 400;
    if (failFirst > 0) {
        failFirst -= 1;
        answer = 500;
    } else if (status) {
        answer = status;
    }
    entry.answered = answer;
    received.push(entry);
    res.writeHead(answer).end(answer >= 400 ? 'receiver refused this delivery' : '');
});

server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
});
