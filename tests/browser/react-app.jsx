// A tiny React app that uses the wrappers as Haven's frontend does (JSX, StrictMode, its own token).
// react.test.mjs bundles it twice with esbuild, once with React 18 and once with React 19, and serves it on
// the gateway's origin. URL: ?lease=<external lease id>#token=<JWT>.
// Every callback is recorded in window.reactEvents ({component, name, detail}) for the test to read.
import { StrictMode, useEffect, useRef, useState, version } from 'react';
import { createRoot } from 'react-dom/client';
import { AccountBalance, MpesaPayment, configureApi } from '../../web/react/index.js';

const params = new URLSearchParams(location.search);
const token = new URLSearchParams(location.hash.slice(1)).get('token');
configureApi({
    getToken: () => token,
    onUnauthorized: (err) => record('api', 'unauthorized')(err),
});

window.reactEvents = [];
function record(component, name) {
    return (detail) => window.reactEvents.push({ component, name, detail });
}

function App() {
    const payment = useRef(null);
    const [balanceReadonly, setBalanceReadonly] = useState(true);
    useEffect(() => {
        window.paymentElement = payment.current; // the forwarded ref, for the test to call reset()
    }, []);
    return (
        <main className="container">
            <h1>
                React <span id="react-version">{version}</span>
            </h1>
            <section className="card">
                {/* The seed's accountReference is "Rent-Dec-2024", 13 characters; see react.test.mjs. */}
                <MpesaPayment
                    ref={payment}
                    amount={1200}
                    leaseId={params.get('lease')}
                    accountReference="Rent-Dec-24"
                    pollIntervalMs={300}
                    className="react-payment"
                    onSuccess={record('MpesaPayment', 'success')}
                    onCancel={record('MpesaPayment', 'cancel')}
                    onFailure={record('MpesaPayment', 'failure')}
                />
            </section>
            <section className="card">
                <button id="toggle-readonly" type="button" onClick={() => setBalanceReadonly((r) => !r)}>
                    {balanceReadonly ? 'Allow refresh' : 'Read only'}
                </button>
                <AccountBalance
                    readonly={balanceReadonly}
                    pollIntervalMs={200}
                    onRefreshed={record('AccountBalance', 'refreshed')}
                    onError={record('AccountBalance', 'error')}
                />
            </section>
        </main>
    );
}

createRoot(document.getElementById('root')).render(
    <StrictMode>
        <App />
    </StrictMode>,
);
