-- Durable case transitions: POST /api/v1/cases/{id}/transitions moving people between two cells.
-- bench/serve.sh writes `moves.lua`: a list of {id, cell_a, cell_b} for people in custody. Each
-- wrk thread owns every n-th entry, and each entry alternates between its two cells, so every
-- request is a real, allowed transition (a new journal event) and no two requests of one case
-- race each other.
local moves = dofile(os.getenv("WRK_MOVES") or "bench-data/wrk-moves.lua")
local token = os.getenv("CUSTODIA_TOKEN")
local threads = tonumber(os.getenv("WRK_THREADS") or "2")
local next_thread = 0
local index = 0
local mine = {}
local flips = {}

function setup(thread)
    thread:set("thread_index", next_thread)
    next_thread = next_thread + 1
end

function init(args)
    for i, m in ipairs(moves) do
        if (i - 1) % threads == thread_index then
            table.insert(mine, m)
            flips[#mine] = 0
        end
    end
end

function request()
    index = (index % #mine) + 1
    local m = mine[index]
    flips[index] = flips[index] + 1
    local cell = (flips[index] % 2 == 1) and m[3] or m[2]
    local body = '{"action":"move","reason":"BENCH","placement":{"facility_id":"cecot","cell_id":"' .. cell .. '"}}'
    return wrk.format("POST", "/api/v1/cases/" .. m[1] .. "/transitions",
        { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
-- Non-2xx answers are counted by wrk itself ("Non-2xx or 3xx responses"); bench/serve.sh fails on any.
