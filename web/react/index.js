// @haven/mpesa-react — React components over the gateway's four custom elements, so Haven's frontend can write
//   <MpesaPayment amount={1200} leaseId="lease-id-123" accountReference="Rent-Dec" onSuccess={...} onCancel={...} />
// Plain JavaScript (React.createElement, no JSX): nothing to compile before a bundler or the browser uses it.
//
// Props become attributes: camelCase -> kebab-case (leaseId -> lease-id, pollIntervalMs -> poll-interval-ms);
// numbers and strings as text; true -> present, false/null/undefined -> absent (React 18 would write "false",
// which the elements would read as present). The elements' DOM events become callbacks, called with
// (event.detail, event): onSuccess(transaction), onCancel(transaction), onFailure(transaction),
// onRefreshed(balance), onError(error). The ref is the element itself (e.g. ref.current.reset()).
//
// React 18 writes every prop of a custom element as an attribute and knows nothing of custom events; React 19
// sets a prop as a property when the element has one and listens for "on<Name>" props itself. So this module
// passes React only attributes (the elements read nothing else) and adds the event listeners itself in an
// effect: one behaviour on both versions, and no callback fires twice.
import { createElement, forwardRef, useCallback, useEffect, useRef } from 'react';
import '../components/mpesa-payment.js';
import '../components/b2c-payment.js';
import '../components/transaction-reversal.js';
import '../components/account-balance.js';

/** Points the elements' API calls at the gateway: {baseUrl, getToken, onUnauthorized} (see README.md). */
export { configureApi } from '../js/api.js';

// React props that keep their meaning on the element instead of becoming a kebab-case attribute.
const kPassThrough = new Set(['children', 'key', 'style', 'dangerouslySetInnerHTML', 'suppressHydrationWarning']);

/** leaseId -> lease-id; data-*, aria-* and lowercase names are left as they are. */
export function attributeName(prop) {
    return prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function attributeValue(value) {
    if (value === true) return '';
    if (value === false || value === null || value === undefined) return undefined;
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') return String(value);
    return undefined; // objects and functions have no attribute form
}

/**
 * A React component for the custom element `tag`. events maps callback props to DOM event names,
 * e.g. {onSuccess: 'success'}.
 */
function wrap(tag, displayName, events) {
    const Component = forwardRef(function HavenElement(props, forwardedRef) {
        const element = useRef(null);
        const callbacks = useRef({});
        callbacks.current = props; // the listeners read the latest callbacks without being re-added

        const setRef = useCallback((node) => {
            element.current = node;
            if (typeof forwardedRef === 'function') forwardedRef(node);
            else if (forwardedRef) forwardedRef.current = node;
        }, [forwardedRef]);

        useEffect(() => {
            const node = element.current;
            if (!node) return undefined;
            const listeners = Object.entries(events).map(([prop, type]) => {
                const listener = (event) => {
                    const callback = callbacks.current[prop];
                    if (typeof callback === 'function') callback(event.detail, event);
                };
                node.addEventListener(type, listener);
                return [type, listener];
            });
            return () => {
                for (const [type, listener] of listeners) node.removeEventListener(type, listener);
            };
        }, []);

        const elementProps = { ref: setRef };
        for (const [prop, value] of Object.entries(props)) {
            if (Object.prototype.hasOwnProperty.call(events, prop)) continue;
            if (kPassThrough.has(prop)) {
                elementProps[prop] = value;
            } else if (prop === 'className') {
                elementProps.class = value; // both versions write "class" to a custom element as given
            } else if (/^on[A-Z]/.test(prop)) {
                elementProps[prop] = value; // React's own events (onClick, onKeyDown, ...) work on any element
            } else {
                const text = attributeValue(value);
                if (text !== undefined) elementProps[attributeName(prop)] = text;
            }
        }
        return createElement(tag, elementProps);
    });
    Component.displayName = displayName;
    return Component;
}

/** <mpesa-payment>: amount, amountEditable, leaseId, accountReference (<= 12), transactionDesc, phone, phoneHint,
 *  payToken, pollIntervalMs, pollTimeoutMs; onSuccess, onCancel, onFailure (detail: the transaction). */
export const MpesaPayment = wrap('mpesa-payment', 'MpesaPayment', {
    onSuccess: 'success', onCancel: 'cancel', onFailure: 'failure',
});

/** <b2c-payment>: type, phone, amount, originalTransactionId, pollIntervalMs, pollTimeoutMs;
 *  onSuccess, onFailure, onCancel (detail: the transaction, or the form values on cancel). */
export const B2CPayment = wrap('b2c-payment', 'B2CPayment', {
    onSuccess: 'success', onCancel: 'cancel', onFailure: 'failure',
});

/** <transaction-reversal>: transactionId, pollIntervalMs, pollTimeoutMs; onSuccess, onFailure, onCancel. */
export const TransactionReversal = wrap('transaction-reversal', 'TransactionReversal', {
    onSuccess: 'success', onCancel: 'cancel', onFailure: 'failure',
});

/** <account-balance>: readonly, pollIntervalMs, pollTimeoutMs; onRefreshed (detail: the balance), onError. */
export const AccountBalance = wrap('account-balance', 'AccountBalance', {
    onRefreshed: 'refreshed', onError: 'error',
});
