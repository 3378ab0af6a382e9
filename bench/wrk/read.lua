-- Authenticated reads: GET /api/v1/cases/{id}, cycling through the case ids in `ids.lua`
-- (written by bench/serve.sh), each thread starting at a different place.
local ids = dofile(os.getenv("WRK_IDS") or "bench-data/wrk-ids.lua")
local token = os.getenv("CUSTODIA_TOKEN")
local counter = 0
local thread_offset = 0

function setup(thread)
    thread:set("thread_offset", math.random(1, #ids))
end

function request()
    counter = counter + 1
    local id = ids[((counter + thread_offset) % #ids) + 1]
    return wrk.format("GET", "/api/v1/cases/" .. id, { ["Authorization"] = "Bearer " .. token })
end
-- Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses"); bench/serve.sh fails on any.
