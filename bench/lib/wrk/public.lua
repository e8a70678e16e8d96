-- bench/load's public clients for wrk: summary.json and incidents.json in turn, with a browser's Accept-Encoding.
local encoding = os.getenv("BENCH_PUBLIC_ACCEPT_ENCODING")
local paths = { "/api/v2/summary.json", "/api/v2/incidents.json" }
local n = 0

request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % 2) + 1], { ["accept-encoding"] = encoding })
end
