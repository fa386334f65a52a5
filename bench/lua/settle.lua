-- wrk: each request settles a different PENDING row with Daraja's success callback.
--   wrk -tN ... -s settle.lua URL -- PENDING_FILE N [RECEIPT_OFFSET]
-- PENDING_FILE: one row a line, "CheckoutRequestID MerchantRequestID Amount PhoneNumber" (the paid amount is the
-- requested one, a new receipt each). Threads take the rows in turn; past the end of the list a row comes round
-- again (a duplicate, a cheaper path): done() prints how many, so a run that ran out is never mistaken for one that did not.
-- RECEIPT_OFFSET (0): receipts are BC(10000000 + OFFSET + line); loads on one database give each its own range.
local threads = {}
function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end
function init(args)
    nthreads = tonumber(args[2] or "1")
    local offset = tonumber(args[3] or "0")
    reqs = {}
    local n = 0
    for line in io.lines(args[1]) do
        n = n + 1
        local id, merchant, amount, phone = line:match("(%S+)|(%S+)|(%S+)|(%S+)")
        local body = '{"Body":{"stkCallback":{"MerchantRequestID":"' .. merchant .. '","CheckoutRequestID":"' .. id ..
            '","ResultCode":0,"ResultDesc":"The service request is processed successfully.","CallbackMetadata":{"Item":[' ..
            '{"Name":"Amount","Value":' .. amount .. '},{"Name":"MpesaReceiptNumber","Value":"BC' .. (10000000 + offset + n) ..
            '"},{"Name":"Balance"},{"Name":"TransactionDate","Value":20261201120000},{"Name":"PhoneNumber","Value":' ..
            phone .. '}]}}}}'
        reqs[n] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
    end
    counter = 0
    repeated = 0
end
request = function()
    local k = tid + counter * nthreads + 1
    counter = counter + 1
    if k > #reqs then
        repeated = repeated + 1
        k = (k - 1) % #reqs + 1
    end
    return reqs[k]
end
function done(summary, latency, requests)
    local sent, again = 0, 0
    for _, t in ipairs(threads) do
        sent = sent + t:get("counter")
        again = again + t:get("repeated")
    end
    io.write(string.format("SETTLE_SENT %d REPEATED %d\n", sent, again))
end
