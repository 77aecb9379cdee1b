-- `wrk -s benchmarks/wrk.lua URL -- PATHS_FILE`: GETs spread at random over the paths listed in
-- PATHS_FILE (one a line), each marked synthetic like the load generator's; prints the figures
-- benchmarks/scenarios.py reads as one JSON line at the end.
local paths = {}

function init(args)
  math.randomseed(os.time())
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
end

function request()
  return wrk.format("GET", paths[math.random(#paths)], { ["baggage"] = "synthetic=true" })
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "status_errors": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
