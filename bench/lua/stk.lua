-- wrk: POST /api/v1/mpesa/stk-push, a distinct phone number each request.
--   wrk ... -H 'Authorization: Bearer ...' -s stk.lua URL
local threads = {}
function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end
function init(args)
    counter = 0
    base = 30000000 + tid * 5000000 + (os.time() % 1000) * 4000
end
request = function()
    counter = counter + 1
    local body = '{"phoneNumber":"2547' .. string.format("%08d", base + counter) .. '","amount":' .. (10 + counter % 900) ..
        ',"accountReference":"S' .. counter .. '","transactionDesc":"Rent"}'
    local headers = {["Content-Type"] = "application/json"}
    for k, v in pairs(wrk.headers) do headers[k] = v end  -- the Authorization given with -H
    return wrk.format("POST", nil, headers, body)
end
