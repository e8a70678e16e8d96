-- Appended to each script: one JSON line with what bench/load reports (latencies in µs, CPU in s).
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\nWRK_RESULT {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"max":%d,"non2xx":%d,"errors":%d,"cpuSeconds":%.3f}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout, os.clock()))
end
