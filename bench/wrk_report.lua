-- wrk script: optional method/body from the environment, and a one-line JSON summary at the end
-- (wrk's own --latency output has no 95th percentile).
local method = os.getenv("WRK_METHOD")
if method and method ~= "" then
  wrk.method = method
  wrk.body = os.getenv("WRK_BODY") or ""
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

-- "__UNIQUE__" in the body: a fresh 32-hex-digit value per request (a run nonce, the thread, a
-- counter), for forms whose idempotency key must differ each time.
local thread_count = 0
setup = function(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

if wrk.body and wrk.body:find("__UNIQUE__", 1, true) then
  local nonce = os.getenv("WRK_NONCE") or "00000000"
  local counter = 0
  request = function()
    counter = counter + 1
    local key = string.format("%s%08x%08x%08x", nonce, thread_id or 0, math.floor(counter / 2^31), counter % 2^31)
    return wrk.format(nil, nil, nil, (wrk.body:gsub("__UNIQUE__", key)))
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "non_2xx_3xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50.0), latency:percentile(95.0), latency:percentile(99.0), latency.mean, latency.max))
end
