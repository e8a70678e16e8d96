-- bench/load's admin clients for wrk: POST an update to one of the open incidents, in turn.
local token = os.getenv("BENCH_TOKEN")
local channels = os.getenv("BENCH_UPDATE_CHANNELS_JSON")
local incidents = {}
for id in string.gmatch(os.getenv("BENCH_INCIDENTS"), "[^,]+") do incidents[#incidents + 1] = id end
local statuses = { "identified", "monitoring", "investigating" }
local n = 0

request = function()
  local i = n
  n = n + 1
  local body = string.format('{"message":"Update %d: still working on it.","status":"%s","channels":%s}', i, statuses[(i % 3) + 1], channels)
  local headers = { ["authorization"] = "Bearer " .. token, ["content-type"] = "application/json" }
  return wrk.format("POST", "/api/v1/incidents/" .. incidents[(i % #incidents) + 1] .. "/updates", headers, body)
end
