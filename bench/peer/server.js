'use strict';
// The benchmark peer: the gateway's status and STK callback routes written on the stack the seed used
// (Express 4, helmet, jsonwebtoken, better-sqlite3), on a copy of the gateway's own SQLite schema and rows.
// Durable like the gateway: WAL with synchronous = FULL, so every acknowledged callback is on disk.
// Same JSON as the gateway (keys in the same order, byte for byte on the same row).
//   PORT=.. DB_PATH=.. JWT_SECRET=.. MPESA_CALLBACK_SECRET=.. node server.js
const crypto = require('node:crypto');
const express = require('express');
const helmet = require('helmet');
const jwt = require('jsonwebtoken');
const Database = require('better-sqlite3');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const JWT_SECRET = env('JWT_SECRET');
const CALLBACK_SECRET = Buffer.from(env('MPESA_CALLBACK_SECRET'));

const db = new Database(env('DB_PATH'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');

const STK_COLS = 'id, agency_id, lease_id, phone_number, amount, account_reference, merchant_request_id, ' +
  'checkout_request_id, status, mpesa_receipt_number, transaction_date, created_at, updated_at, paid_amount, ' +
  'review_reason, attempts, last_error, next_attempt_at, completed_at';
const q = {
  byAgencyCheckout: db.prepare(`SELECT ${STK_COLS} FROM stk_transactions WHERE agency_id = ? AND checkout_request_id = ?`),
  byCheckout: db.prepare(`SELECT ${STK_COLS} FROM stk_transactions WHERE checkout_request_id = ?`),
  storeInbound: db.prepare('INSERT INTO inbound_messages (kind, body, received_at) VALUES (?, ?, ?)'),
  inboundOutcome: db.prepare('UPDATE inbound_messages SET outcome = ? WHERE id = ?'),
  unmatched: db.prepare("INSERT INTO unmatched_callbacks (kind, reference, payload) VALUES ('stk', ?, ?)"),
  event: db.prepare('INSERT INTO stk_events (transaction_id, kind, payload, created_at) VALUES (?, ?, ?, ?)'),
  settle: db.prepare(
    'UPDATE stk_transactions SET status = ?, result_code = ?, result_desc = ?, mpesa_receipt_number = ?, ' +
    'transaction_date = ?, paid_amount = ?, updated_at = ?, completed_at = ?, claimed_by = NULL, claimed_until = NULL ' +
    `WHERE checkout_request_id = ? AND status = 'PENDING' RETURNING ${STK_COLS}`),
  payment: db.prepare(
    'INSERT INTO payments (agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, phone_number, paid_at) ' +
    'VALUES (?, ?, ?, ?, ?, ?, ?)'),
  audit: db.prepare(
    'INSERT INTO audit_log (agency_id, actor_user_id, actor, action, target, request_id, outcome, at) ' +
    'VALUES (?, NULL, ?, ?, ?, ?, ?, ?)'),
};

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const fail = (res, status, code, message) => res.status(status).json({ error: { code, message }, success: false });

// Instants as the API shows them: stored "2026-12-01T18:02:12Z" -> "2026-12-01T18:02:12.000Z".
const instant = (stored) => (stored ? new Date(stored).toISOString() : null);
// M-Pesa's yyyyMMddHHmmss is Nairobi time (UTC+3).
function mpesaInstant(raw) {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw || '');
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 3, +m[5], +m[6])).toISOString() : null;
}

// The gateway's StatusJson: keys in its (sorted) order.
function statusJson(r) {
  const out = {
    accountReference: r.account_reference,
    amount: r.amount,
    amountMismatch: r.paid_amount !== null && r.paid_amount !== r.amount,
    checkoutRequestId: r.checkout_request_id || null,
    completedAt: instant(r.completed_at),
    createdAt: instant(r.created_at),
    id: r.id,
    leaseId: r.lease_id,
    merchantRequestId: r.merchant_request_id || null,
    mpesaReceiptNumber: r.mpesa_receipt_number || null,
    mpesaTransactionDate: r.transaction_date || null,
    needsReview: !!r.review_reason,
    paidAmount: r.paid_amount,
    phoneNumber: r.phone_number,
  };
  if (r.status === 'PENDING') {
    out.reconciliation = { attempts: r.attempts, lastError: r.last_error || null, nextAttemptAt: instant(r.next_attempt_at) };
  }
  out.reviewReason = r.review_reason || null;
  out.status = r.status;
  out.transactionDate = mpesaInstant(r.transaction_date);
  out.updatedAt = instant(r.updated_at);
  return out;
}

// Phone numbers are masked in stored payloads, as the gateway's RedactPayload does.
const maskPhone = (v) => {
  const s = String(v);
  return s.length <= 8 ? '*'.repeat(s.length) : s.slice(0, 4) + '*'.repeat(s.length - 8) + s.slice(-4);
};
function redact(v) {
  if (Array.isArray(v)) return v.map(redact);
  if (v === null || typeof v !== 'object') return v;
  const out = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = (k === 'PhoneNumber' || k === 'PartyA' || k === 'MSISDN' || k === 'phoneNumber') ? maskPhone(x) : redact(x);
  }
  if (out.Name === 'PhoneNumber' && 'Value' in out) out.Value = maskPhone(out.Value);
  return out;
}

// Daraja's STK callback, checked like the gateway's ParseStkCallback.
function parseStkCallback(body) {
  const cb = body && body.Body && body.Body.stkCallback;
  if (!cb || typeof cb !== 'object') return { error: 'not an STK callback: Body.stkCallback is missing' };
  const checkoutId = cb.CheckoutRequestID == null ? '' : String(cb.CheckoutRequestID);
  if (!checkoutId) return { error: 'CheckoutRequestID is missing' };
  const code = typeof cb.ResultCode === 'string' && /^\d{1,9}$/.test(cb.ResultCode) ? Number(cb.ResultCode) : cb.ResultCode;
  if (!Number.isInteger(code) || code < 0 || code > 999999999) return { error: 'ResultCode is missing or not an integer' };
  const out = { checkoutId, code, desc: cb.ResultDesc == null ? '' : String(cb.ResultDesc), amount: null, receipt: '', date: '' };
  let items = cb.CallbackMetadata && cb.CallbackMetadata.Item;
  if (items && !Array.isArray(items)) items = [items];
  for (const item of items || []) {
    if (!item || !('Value' in item)) continue;
    if (item.Name === 'Amount') {
      if (typeof item.Value !== 'number' || !Number.isInteger(item.Value) || item.Value <= 0) return { error: 'Amount is not a whole positive number' };
      out.amount = item.Value;
    } else if (item.Name === 'MpesaReceiptNumber') out.receipt = String(item.Value);
    else if (item.Name === 'TransactionDate') out.date = String(item.Value);
  }
  if (code === 0) {
    if (out.amount === null) return { error: 'a successful callback must carry its Amount' };
    if (!/^[A-Za-z0-9]{6,20}$/.test(out.receipt)) return { error: 'a successful callback must carry a well-formed MpesaReceiptNumber' };
  }
  return { cb: out };
}

// One transaction: the body as received, the timeline event, the row settled, the payment and the audit rows.
const applyCallback = db.transaction((raw, body, requestId) => {
  const now = nowIso();
  const inbound = q.storeInbound.run('callback.stk', raw, now).lastInsertRowid;
  const parsed = parseStkCallback(body);
  if (parsed.error) {
    q.inboundOutcome.run(`rejected: ${parsed.error}`, inbound);
    return 'rejected';
  }
  const cb = parsed.cb;
  const row = q.byCheckout.get(cb.checkoutId);
  if (!row) {
    q.unmatched.run(cb.checkoutId, raw);
    q.inboundOutcome.run('unmatched', inbound);
    return 'unmatched';
  }
  q.event.run(row.id, 'callback', JSON.stringify(redact(body)), now);
  const success = cb.code === 0;
  const tx = q.settle.get(success ? 'SUCCESS' : 'FAILED', cb.code, cb.desc, cb.receipt || null, cb.date || null,
    success ? cb.amount : null, now, now, cb.checkoutId);
  if (!tx) {
    q.inboundOutcome.run('duplicate', inbound);
    return 'duplicate';
  }
  const target = `stk_transaction:${tx.id}`;
  q.audit.run(tx.agency_id, 'daraja', 'stk.status', target, requestId, `success: ${tx.status}`, now);
  if (success && tx.lease_id !== null) {
    const payment = q.payment.run(tx.agency_id, tx.lease_id, tx.id, tx.paid_amount ?? tx.amount, cb.receipt || null,
      tx.phone_number, now).lastInsertRowid;
    q.audit.run(tx.agency_id, 'daraja', 'payment.create', `payment:${payment}`, requestId, 'success', now);
  }
  q.inboundOutcome.run('applied', inbound);
  return 'applied';
});

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(helmet());

app.get('/api/v1/mpesa/status/:checkoutRequestId', (req, res) => {
  const header = req.get('authorization') || '';
  if (!header.startsWith('Bearer ')) return fail(res, 401, 'UNAUTHORIZED', 'log in first: send Authorization: Bearer <token>');
  let claims;
  try {
    claims = jwt.verify(header.slice(7), JWT_SECRET, { algorithms: ['HS256'] });
  } catch (e) {
    return fail(res, 401, 'UNAUTHORIZED', 'invalid or expired token');
  }
  const row = q.byAgencyCheckout.get(claims.agency_id, req.params.checkoutRequestId);
  if (!row) return fail(res, 404, 'NOT_FOUND', 'no transaction with this CheckoutRequestID');
  res.json({ data: statusJson(row), success: true });
});

const ACK = { ResultCode: 0, ResultDesc: 'Accepted' };
app.post('/api/v1/mpesa/callback', express.text({ type: () => true, limit: '64kb' }), (req, res) => {
  const given = Buffer.from(String(req.query.secret || ''));
  if (given.length !== CALLBACK_SECRET.length || !crypto.timingSafeEqual(given, CALLBACK_SECRET)) {
    return fail(res, 401, 'UNAUTHORIZED', 'callback secret missing or wrong');
  }
  const raw = typeof req.body === 'string' ? req.body : '';
  let body;
  try {
    body = JSON.parse(raw);
  } catch (e) {
    q.storeInbound.run('callback.stk', raw, nowIso());
    return fail(res, 400, 'INVALID_JSON', 'the body is not valid JSON');
  }
  try {
    applyCallback(raw, body, crypto.randomBytes(16).toString('hex'));
  } catch (e) {
    console.error('callback not applied:', e.message);
    return fail(res, 500, 'INTERNAL_ERROR', 'callback not applied');
  }
  res.json(ACK);
});

app.get('/api/v1/health', (req, res) => res.json({ data: { status: 'ok' }, success: true }));

const server = app.listen(PORT, HOST, () => console.log(`peer listening on http://${HOST}:${PORT}`));
server.keepAliveTimeout = 65000;
server.headersTimeout = 66000;
const stop = () => server.close(() => { db.close(); process.exit(0); });
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
