-- wrk script of Benchmarks/run-api.sh. Environment:
--   MODE=get    GET /v1/models/m<000..MODELS-1>, a random seeded model each request
--   MODE=list   GET /v1/models?limit=20 (the first page)
--   MODE=floor  GET /select1 (sluice-db-bench-server)
--   MODE=predict POST a small JSON body to the URL's own path
--               (Benchmarks/run-gateway.sh)
--   TOKEN       the bearer token (get and list)
--   RATE        when > 0, each of the CONNECTIONS connections waits a random
--               0.5-1.5 × CONNECTIONS * 1000 / RATE ms before each request, so
--               together they send about RATE requests/s (a little less: the
--               wait does not count the response time). The jitter keeps the
--               connections from moving in step, which would send bursts of
--               CONNECTIONS requests at once. wrk measures latency from the
--               moment a request is written, so the wait is not in it.
local mode = os.getenv("MODE") or "get"
local models = tonumber(os.getenv("MODELS") or "200")
local rate = tonumber(os.getenv("RATE") or "0")
local connections = tonumber(os.getenv("CONNECTIONS") or "64")
local token = os.getenv("TOKEN")

if token and token ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. token
end

local predictBody = '{"amount":123.45,"merchant":"m-42","country":"FR"}'
local predictHeaders = { ["Content-Type"] = "application/json" }

function request()
    local path
    if mode == "predict" then
        return wrk.format("POST", nil, predictHeaders, predictBody)
    elseif mode == "get" then
        path = string.format("/v1/models/m%03d", math.random(0, models - 1))
    elseif mode == "list" then
        path = "/v1/models?limit=20"
    else
        path = "/select1"
    end
    return wrk.format("GET", path)
end

-- Each thread's Lua state gets its own random sequence.
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("seed", threads)
end

function init(args)
    math.randomseed(seed or 1)
end

if rate > 0 then
    local interval = connections * 1000 / rate
    function delay()
        return interval * (0.5 + math.random())
    end
end
