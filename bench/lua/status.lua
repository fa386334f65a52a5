-- wrk: GET /api/v1/mpesa/status/{id} for a random one of the seeded rows (ws_CO_bench_(10000000 + 1..ROWS)).
--   wrk ... -H 'Authorization: Bearer ...' -s status.lua BASE_URL -- ROWS
local threads = {}
function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end
function init(args)
    rows = tonumber(args[1] or "100000")
    math.randomseed(os.time() * 1000 + tid)
end
request = function()
    return wrk.format("GET", "/api/v1/mpesa/status/ws_CO_bench_" .. (10000000 + math.random(1, rows)))
end
