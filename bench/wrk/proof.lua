-- Inclusion proofs: GET /api/v1/journal/proofs/inclusion?index=N for random N below the journal's
-- size (WRK_EVENTS, written by bench/proofs.sh), each as the token's user.
local token = os.getenv("CUSTODIA_TOKEN")
local events = tonumber(os.getenv("WRK_EVENTS"))

function setup(thread)
    thread:set("seed", math.random(1, 1000000))
end

function init(args)
    math.randomseed(seed)
end

function request()
    local index = math.random(0, events - 1)
    return wrk.format("GET", "/api/v1/journal/proofs/inclusion?index=" .. index, { ["Authorization"] = "Bearer " .. token })
end
