// Formatting and validation helpers shared by the pages and the components.
// Phone rules match the API: 07XXXXXXXX, 01XXXXXXXX, 2547XXXXXXXX, 2541XXXXXXXX, +2547XXXXXXXX, +2541XXXXXXXX.

const kesFormatter = new Intl.NumberFormat('en-KE', { maximumFractionDigits: 0 });
const kesCentsFormatter = new Intl.NumberFormat('en-KE', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** "KES 1,500" for 1500; "—" for null/undefined. */
export function formatKES(amount) {
    if (amount === null || amount === undefined || amount === '' || Number.isNaN(Number(amount))) return '—';
    const n = Number(amount);
    return `KES ${Number.isInteger(n) ? kesFormatter.format(n) : kesCentsFormatter.format(n)}`;
}

/** Strips everything but digits and a leading "+". */
function digitsOf(input) {
    const text = String(input ?? '').trim();
    const plus = text.startsWith('+') ? '+' : '';
    return plus + text.replace(/\D/g, '');
}

/** Returns the normalised "2547XXXXXXXX" / "2541XXXXXXXX" form, or null when the number is not valid. */
export function normalizePhone(input) {
    const d = digitsOf(input);
    let m;
    if ((m = /^0([17]\d{8})$/.exec(d))) return `254${m[1]}`;
    if ((m = /^\+?254([17]\d{8})$/.exec(d))) return `254${m[1]}`;
    return null;
}

/** True when the API will accept the number. */
export function isValidPhone(input) {
    return normalizePhone(input) !== null;
}

/** A message for an invalid number, or "" when valid. */
export function phoneError(input) {
    const d = digitsOf(input);
    if (!d) return 'Enter an M-Pesa phone number.';
    if (normalizePhone(input)) return '';
    return 'Enter a Safaricom number like 0712 345 678 or +254 712 345 678.';
}

/**
 * Formats a phone number while it is typed, keeping the user's chosen form:
 * "0712345678" -> "0712 345 678", "254712345678" -> "254 712 345 678", "+254712..." -> "+254 712 345 678".
 */
export function formatPhoneAsTyped(input) {
    const d = digitsOf(input);
    if (!d) return '';
    const plus = d.startsWith('+') ? '+' : '';
    const digits = plus ? d.slice(1) : d;
    if (digits.startsWith('254')) {
        const rest = digits.slice(3, 12);
        const parts = [digits.slice(0, 3), rest.slice(0, 3), rest.slice(3, 6), rest.slice(6, 9)].filter(Boolean);
        return plus + parts.join(' ');
    }
    if (digits.startsWith('0')) {
        const parts = [digits.slice(0, 4), digits.slice(4, 7), digits.slice(7, 10)].filter(Boolean);
        return parts.join(' ');
    }
    return plus + digits.slice(0, 12);
}

/** "254712345678" -> "0712 345 678" (display of a normalised number). Masked numbers pass through. */
export function displayPhone(phone) {
    if (!phone) return '—';
    const n = normalizePhone(phone);
    if (!n) return String(phone);
    return formatPhoneAsTyped(`0${n.slice(3)}`);
}

/** Locale date-time, or "—". */
export function formatDateTime(value) {
    const d = parseDate(value);
    if (!d) return '—';
    // Shown in Nairobi time wherever the viewer is, like the M-Pesa SMS the tenant receives.
    return d.toLocaleString('en-KE', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Africa/Nairobi' });
}

export function formatDate(value) {
    const d = parseDate(value);
    if (!d) return '—';
    return d.toLocaleDateString('en-KE', { dateStyle: 'medium' });
}

/** Accepts ISO strings, epoch millis/seconds and Daraja's YYYYMMDDHHmmss. */
export function parseDate(value) {
    if (value === null || value === undefined || value === '') return null;
    if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value);
    const s = String(value);
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
    // M-Pesa's yyyyMMddHHmmss is Nairobi time (EAT, UTC+3, no daylight saving).
    if (m) return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4] - 3, +m[5], +m[6]));
    const d = new Date(s);
    return Number.isNaN(d.getTime()) ? null : d;
}

const kNairobiDay = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Africa/Nairobi', year: 'numeric', month: '2-digit', day: '2-digit',
});

/** "YYYY-MM-DD" of the day in Nairobi (the business day for rent and M-Pesa). */
export function isoDay(date) {
    return kNairobiDay.format(date);
}

/** Human label for a transaction status. */
export function statusLabel(status) {
    const map = { PENDING: 'Pending', SUCCESS: 'Successful', FAILED: 'Failed', REVERSED: 'Reversed' };
    return map[status] || (status ? String(status).charAt(0) + String(status).slice(1).toLowerCase() : '—');
}

/** Creates an element: el('td', {class: 'x', text: 'y'}, child...). Never uses innerHTML with data. */
export function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'text') node.textContent = String(value);
        else if (key === 'class') node.className = value;
        else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
        else if (value === true) node.setAttribute(key, '');
        else node.setAttribute(key, String(value));
    }
    for (const child of children.flat(Infinity)) {
        if (child === null || child === undefined || child === false) continue;
        node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
}

/** Status badge element. */
export function statusBadge(status) {
    const cls = { SUCCESS: 'ok', FAILED: 'bad', PENDING: 'wait', REVERSED: 'muted' }[status] || 'muted';
    return el('span', { class: `badge badge-${cls}`, text: statusLabel(status) });
}
